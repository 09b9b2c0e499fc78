package io.easspark.engine.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.RowStatus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PromptTest {

    LlamaTokenizer tokenizer;

    @BeforeAll
    void load() throws IOException {
        try (InputStream in = PromptTest.class.getResourceAsStream("/io/easspark/engine/text/demo-tokenizer.model")) {
            tokenizer = LlamaTokenizer.load(in, "test tokenizer.model");
        }
    }

    @AfterAll
    void close() {
        tokenizer.close();
    }

    @Test
    void encodesLikeTheSentencePieceCommandLine() throws IOException {
        // expected_ids.tsv was written by Debian's spm_encode (the C++ tool) on the same model
        String tsv;
        try (InputStream in = PromptTest.class.getResourceAsStream("/tokenizer/expected_ids.tsv")) {
            tsv = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        for (String line : tsv.split("\n")) {
            String[] parts = line.split("\t");
            long[] expected = Arrays.stream(parts[1].trim().split(" ")).mapToLong(Long::parseLong).toArray();
            assertThat(tokenizer.encode(parts[0], false)).as(parts[0]).containsExactly(expected);
            long[] withBos = tokenizer.encode(parts[0], true);
            assertThat(withBos[0]).isEqualTo(LlamaTokenizer.BOS);
        }
        assertThat(tokenizer.decode(tokenizer.encode("The answer is B.", false))).isEqualTo("The answer is B.");
        assertThat(tokenizer.decode(new long[] {270, 289, LlamaTokenizer.EOS, 265})).isEqualTo(tokenizer.decode(new long[] {270, 289}));
    }

    @Test
    void qcmPromptIsTheOriginalText() {
        String p = PromptFormat.QCM.build("Which  is bigger?", "  A hint  ", List.of("cat", "whale"));
        assertThat(p).isEqualTo("Question: Which is bigger?\nContext: A hint\nOptions: (A) cat (B) whale\nResponse:");
        assertThat(PromptFormat.QCM.build("Q?", "", List.of("x", "y"))).isEqualTo("Question: Q?\nContext: N/A\nOptions: (A) x (B) y\nResponse:");
        // one non-overlapping pass: three spaces become two
        assertThat(PromptFormat.QCM.build("a   b", null, List.of("x"))).startsWith("Question: a  b\n");
        assertThat(PromptFormat.VQA.build("What is it?", "ignored", List.of())).isEqualTo("Question: What is it?\nResponse:");
    }

    @Test
    void answerLetterComesOnlyFromTheGeneration() {
        assertThat(AnswerParser.parse("The answer is B. BECAUSE: ...", 3).letter()).isEqualTo("B");
        assertThat(AnswerParser.parse("I think (A).", 3).outcome()).isEqualTo(AnswerParser.Outcome.NO_ANSWER);
        AnswerParser.Result beyond = AnswerParser.parse("The answer is E.", 2);
        assertThat(beyond.outcome()).isEqualTo(AnswerParser.Outcome.NOT_AN_OPTION);
        assertThat(beyond.parsed()).isFalse();
    }

    @Test
    void emptyQuestionIsAStatus() {
        PromptEncoder enc = new PromptEncoder(tokenizer, PromptFormat.QCM, 128, 6, 16);
        assertThatThrownBy(() -> enc.encode("  ", "ctx", List.of("a", "b"), null, 0))
                .isInstanceOf(PromptEncoder.RejectedPrompt.class)
                .hasMessage("the question is empty")
                .satisfies(e -> assertThat(((PromptEncoder.RejectedPrompt) e).status()).isEqualTo(RowStatus.EMPTY_QUESTION));
    }

    @Test
    void longPromptLosesContextFirstAndKeepsOptions() throws Exception {
        int maxSeq = 96;
        int maxNew = 16;
        PromptEncoder enc = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeq, 6, maxNew);
        String context = "The image shows many red circles and blue squares. ".repeat(20);
        PromptEncoder.Encoded e = enc.encode("What color is the circle?", context, List.of("red", "blue"), new float[1], 0);
        assertThat(e.truncated()).isTrue();
        assertThat(e.status()).isEqualTo(RowStatus.PROMPT_TRUNCATED);
        assertThat(e.sequence().length(6) + maxNew).isLessThanOrEqualTo(maxSeq);
        assertThat(e.prompt()).startsWith("Question: What color is the circle?\nContext: The image shows")
                .endsWith("\nOptions: (A) red (B) blue\nResponse:");
        PromptEncoder.Encoded shortOne = enc.encode("What color?", "Short.", List.of("red", "blue"), null, 0);
        assertThat(shortOne.truncated()).isFalse();
        assertThat(shortOne.sequence().prefixIds()).containsExactly(tokenizer.encode("Image: N/A", true));
        assertThat(shortOne.sequence().promptIds()).containsExactly(tokenizer.encode(shortOne.prompt(), false));
    }

    @Test
    void optionsThatCannotFitAreAnErrorNotASilentCut() {
        PromptEncoder enc = new PromptEncoder(tokenizer, PromptFormat.QCM, 48, 6, 16);
        List<String> options = List.of("a very long option about red circles and squares".repeat(3), "b");
        assertThatThrownBy(() -> enc.encode("Q?", "ctx", options, null, 0))
                .isInstanceOf(PromptEncoder.RejectedPrompt.class)
                .hasMessageContaining("with its options alone");
    }
}
