package io.easspark.engine.search;

import io.easspark.engine.generate.PromptSequence;
import java.util.Arrays;

/**
 * A validation row for the answer loss: the prompt as generation sees it and the gold answer's token ids, which
 * follow the prompt directly (as the training target follows {@code Response:}, DESIGN.md §1.2).
 *
 * @param prompt the encoded prompt, image included
 * @param answerIds the answer's ids (encoded without BOS); at least one
 */
public record ScoredRow(PromptSequence prompt, long[] answerIds) {

    public ScoredRow {
        if (prompt == null) {
            throw new IllegalArgumentException("a scored row needs its prompt");
        }
        if (answerIds == null || answerIds.length == 0) {
            throw new IllegalArgumentException("a scored row needs at least one answer token");
        }
        answerIds = answerIds.clone();
    }

    @Override
    public long[] answerIds() {
        return answerIds.clone();
    }

    /** The prompt followed by the answer: what one teacher-forced prefill runs. */
    PromptSequence teacherForced() {
        long[] prompt = this.prompt.promptIds();
        long[] ids = Arrays.copyOf(prompt, prompt.length + answerIds.length);
        System.arraycopy(answerIds, 0, ids, prompt.length, answerIds.length);
        return new PromptSequence(this.prompt.prefixIds(), this.prompt.pixels(), ids, this.prompt.rowKey());
    }

    int answerLength() {
        return answerIds.length;
    }

    long answerId(int j) {
        return answerIds[j];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoredRow r && r.prompt.equals(prompt) && Arrays.equals(r.answerIds, answerIds);
    }

    @Override
    public int hashCode() {
        return prompt.hashCode() * 31 + Arrays.hashCode(answerIds);
    }

    @Override
    public String toString() {
        return "ScoredRow[" + prompt + ", answer=" + answerIds.length + "]";
    }
}
