package io.easspark.engine.text;

import io.easspark.engine.RowStatus;
import io.easspark.engine.generate.PromptSequence;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a row's question, context and options into a {@link PromptSequence} that fits the context limit
 * (DESIGN.md §1.5): prompt plus {@code maxNewTokens} must fit {@code max_seq_len}; a prompt that does not is
 * shortened in its context first, then its question — never the options or {@code Response:}.
 */
public final class PromptEncoder {

    /** The result: the sequence, and whether it was shortened. */
    public record Encoded(PromptSequence sequence, boolean truncated, String prompt) {
        public RowStatus status() {
            return truncated ? RowStatus.PROMPT_TRUNCATED : RowStatus.OK;
        }
    }

    /** A row that cannot be encoded; the status and message go on the row. */
    public static final class RejectedPrompt extends Exception {
        private static final long serialVersionUID = 1L;
        private final RowStatus status;

        public RejectedPrompt(RowStatus status, String message) {
            super(message);
            this.status = status;
        }

        public RowStatus status() {
            return status;
        }
    }

    private final LlamaTokenizer tokenizer;
    private final PromptFormat format;
    private final int maxSeqLen;
    private final int nVisualTokens;
    private final int maxNewTokens;

    public PromptEncoder(LlamaTokenizer tokenizer, PromptFormat format, int maxSeqLen, int nVisualTokens, int maxNewTokens) {
        if (maxNewTokens >= maxSeqLen) {
            throw new IllegalArgumentException("max_new_tokens " + maxNewTokens + " leaves no room for a prompt in max_seq_len " + maxSeqLen);
        }
        this.tokenizer = tokenizer;
        this.format = format;
        this.maxSeqLen = maxSeqLen;
        this.nVisualTokens = nVisualTokens;
        this.maxNewTokens = maxNewTokens;
    }

    /**
     * @param pixels normalised pixels or null for a row without an image
     * @param rowKey seeds the row's sampler
     */
    public Encoded encode(String question, String context, List<String> options, float[] pixels, long rowKey)
            throws RejectedPrompt {
        if (question == null || question.isBlank()) {
            throw new RejectedPrompt(RowStatus.EMPTY_QUESTION, "the question is empty");
        }
        boolean image = pixels != null;
        long[] prefix = tokenizer.encode(image ? PromptFormat.IMAGE_PREFIX : PromptFormat.NO_IMAGE_PREFIX, true);
        int fixed = 1 + prefix.length + (image ? nVisualTokens : 0); // modality, prefix, visual tokens
        int budget = maxSeqLen - maxNewTokens - fixed;
        String q = question.strip();
        String c = context == null ? "" : context;
        String prompt = format.build(q, c, options);
        long[] ids = tokenizer.encode(prompt, false);
        boolean truncated = false;
        // shorten the context first, then the question, by the excess each round (re-encoding, since pieces merge)
        for (int round = 0; ids.length > budget && round < 64; round++) {
            int excess = ids.length - budget;
            long[] ct = tokenizer.encode(c.strip(), false);
            if (ct.length > 0) {
                c = tokenizer.decode(Arrays.copyOf(ct, Math.max(0, ct.length - excess)));
            } else {
                long[] qt = tokenizer.encode(q, false);
                if (qt.length <= 1) {
                    break;
                }
                q = tokenizer.decode(Arrays.copyOf(qt, Math.max(1, qt.length - excess)));
            }
            truncated = true;
            prompt = format.build(q, c, options);
            ids = tokenizer.encode(prompt, false);
        }
        if (ids.length > budget) {
            throw new RejectedPrompt(RowStatus.ERROR, "prompt needs " + (fixed + ids.length) + " positions with its options alone, but max_seq_len "
                    + maxSeqLen + " minus max_new_tokens " + maxNewTokens + " leaves " + (budget + fixed));
        }
        return new Encoded(new PromptSequence(prefix, pixels, ids, rowKey), truncated, prompt);
    }
}
