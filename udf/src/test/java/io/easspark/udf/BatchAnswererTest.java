package io.easspark.udf;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.udf.testing.DemoFixture;
import java.awt.Color;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Every status path, one output row per input row in input order, and batching that changes nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BatchAnswererTest {

    LavinModel model;
    LlamaTokenizer tokenizer;

    DemoFixture demo;

    @BeforeAll
    void load() throws Exception {
        demo = DemoFixture.load();
        model = demo.model();
        tokenizer = demo.tokenizer();
    }

    @AfterAll
    void close() {
        demo.close();
    }

    static byte[] png(Color color) throws Exception {
        return DemoFixture.png(color);
    }

    List<QuestionRow> rows() throws Exception {
        List<String> opts = List.of("red", "blue");
        byte[] corrupt = Arrays.copyOf(png(Color.RED), 40);
        List<QuestionRow> rows = new ArrayList<>();
        rows.add(new QuestionRow("ok-text", null, null, "What color is the circle?", "A red circle.", opts));
        rows.add(new QuestionRow("ok-image", png(Color.RED), null, "What color is the circle?", null, opts));
        rows.add(new QuestionRow("empty", null, null, "   ", null, opts));
        rows.add(new QuestionRow("missing", null, "image file:/data/img/7.png does not exist", "What?", null, opts));
        rows.add(new QuestionRow("corrupt", corrupt, null, "What color?", null, opts));
        rows.add(new QuestionRow("long", null, null, "What color is the circle?", "red circles and blue squares ".repeat(200), opts));
        rows.add(new QuestionRow("huge-options", null, null, "Which?", null, List.of("circle ".repeat(400), "square")));
        rows.add(new QuestionRow("ok-image-2", png(Color.BLUE), null, "Which shape is blue?", "", opts));
        rows.add(new QuestionRow("free-form", null, null, "Describe the picture.", null, List.of()));
        rows.add(new QuestionRow("null-option", null, null, "Which?", null, Arrays.asList("red", null, "blue")));
        return rows;
    }

    @Test
    void everyRowComesBackOnceWithItsStatus() throws Exception {
        BatchAnswerer answerer = new BatchAnswerer(model, tokenizer, "demo", new AnswerOptions(PromptFormat.QCM, GenerationConfig.greedy(8), 4));
        List<QuestionRow> in = rows();
        List<AnswerRow> out = answerer.answer(in);
        assertThat(out).extracting(AnswerRow::id).containsExactlyElementsOf(in.stream().map(QuestionRow::id).toList());
        Map<String, AnswerRow> byId = out.stream().collect(Collectors.toMap(AnswerRow::id, Function.identity()));
        assertThat(byId.get("ok-text").status()).isEqualTo("ok");
        assertThat(byId.get("ok-text").generatedTokens()).isBetween(1, 8);
        assertThat(byId.get("ok-text").answerText()).isNotNull();
        assertThat(byId.get("ok-image").status()).isEqualTo("ok");
        // modality token + encode("Image: ", bos) + the demo tower's 2 visual tokens + the prompt, each piece on its own
        String prompt = PromptFormat.QCM.build("What color is the circle?", null, List.of("red", "blue"));
        assertThat(byId.get("ok-image").promptTokens())
                .isEqualTo(1 + tokenizer.encode("Image: ", true).length + 2 + tokenizer.encode(prompt, false).length);
        assertThat(byId.get("empty").status()).isEqualTo("empty_question");
        assertThat(byId.get("empty").error()).isEqualTo("the question is empty");
        assertThat(byId.get("missing").status()).isEqualTo("image_missing");
        assertThat(byId.get("missing").error()).contains("7.png does not exist");
        assertThat(byId.get("corrupt").status()).isEqualTo("image_corrupt");
        assertThat(byId.get("corrupt").error()).isNotBlank();
        assertThat(byId.get("long").status()).isEqualTo("prompt_truncated");
        assertThat(byId.get("long").answerText()).isNotNull();
        assertThat(byId.get("long").promptTokens() + 8).isLessThanOrEqualTo(model.config().text().maxSeqLen());
        assertThat(byId.get("huge-options").status()).isEqualTo("error");
        assertThat(byId.get("huge-options").error()).contains("with its options alone");
        assertThat(byId.get("free-form").answerChoice()).isNull();
        assertThat(byId.get("null-option").status()).isEqualTo("ok");
        assertThat(out).allSatisfy(r -> {
            assertThat(r.model()).isEqualTo("demo");
            assertThat(r.skipPlan()).isEqualTo(DemoModel.PLAN);
        });
    }

    @Test
    void batchSizeDoesNotChangeAnyAnswer() throws Exception {
        List<QuestionRow> in = rows();
        List<AnswerRow> one = new BatchAnswerer(model, tokenizer, "demo", new AnswerOptions(PromptFormat.QCM, GenerationConfig.greedy(8), 1)).answer(in);
        List<AnswerRow> many = new BatchAnswerer(model, tokenizer, "demo", new AnswerOptions(PromptFormat.QCM, GenerationConfig.greedy(8), 16)).answer(in);
        for (int i = 0; i < in.size(); i++) {
            assertThat(many.get(i).answerText()).as(in.get(i).id()).isEqualTo(one.get(i).answerText());
            assertThat(many.get(i).status()).isEqualTo(one.get(i).status());
            assertThat(many.get(i).generatedTokens()).isEqualTo(one.get(i).generatedTokens());
        }
    }
}
