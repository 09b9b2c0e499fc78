package io.easspark.udf.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.udf.AnswerOptions;
import io.easspark.udf.AnswerRow;
import io.easspark.udf.BatchAnswerer;
import io.easspark.udf.QuestionRow;
import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** eas_answer through SQL: the session extension (2 and 3 arguments) and EasSql.register, against the batcher. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EasAnswerSqlTest {

    Path modelDir;
    SparkSession spark;
    List<QuestionRow> rows;

    @BeforeAll
    void setUp() throws Exception {
        modelDir = Files.createTempDirectory("sql-model");
        DemoModel.write(modelDir, 7);
        spark = SparkSession.builder().master("local[2]").appName("eas-sql-test")
                .config("spark.ui.enabled", "false").config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.extensions", EasSqlExtensions.class.getName())
                .config("spark.eas.model", modelDir.toUri().toString()).config("spark.eas.maxNewTokens", "5")
                .config("spark.eas.device", "cpu").getOrCreate();
        rows = List.of(
                new QuestionRow("a", png(Color.RED), null, "What color is the circle?", null, List.of("red", "blue")),
                new QuestionRow("b", png(Color.BLUE), null, "Which shape is it?", null, List.of("circle", "square", "triangle")),
                new QuestionRow("c", null, null, "Is the sky blue?", null, List.of("yes", "no")),
                new QuestionRow("d", png(Color.GREEN), null, "Describe the picture.", null, List.of()),
                new QuestionRow("e", null, null, "  ", null, List.of("x", "y")),
                new QuestionRow("f", Arrays.copyOf(png(Color.RED), 30), null, "What color?", null, List.of("red", "blue")));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType)
                .add("question", DataTypes.StringType).add("options", DataTypes.createArrayType(DataTypes.StringType));
        List<Row> data = new ArrayList<>();
        for (QuestionRow r : rows) {
            data.add(RowFactory.create(r.id(), r.image(), r.question(), r.options().isEmpty() ? null : r.options().toArray(String[]::new)));
        }
        spark.createDataFrame(data, schema).repartition(2).createOrReplaceTempView("questions");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    static byte[] png(Color color) throws Exception {
        return io.easspark.udf.testing.DemoFixture.png(color);
    }

    private static boolean batcherAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("eas-device-batcher-") && t.isAlive());
    }

    /** What the batch path answers for the same rows: QCM with options, VQA without. */
    Map<String, AnswerRow> expected() throws Exception {
        NativeModelDirectory d = NativeModelDirectory.open(modelDir.toUri().toString(), new Configuration());
        try (LavinModel model = d.load(d.storedPlan(), ReparamMode.LOWRANK, Device.cpu()); LlamaTokenizer tok = d.tokenizer()) {
            List<AnswerRow> out = new ArrayList<>();
            for (QuestionRow r : rows) {
                PromptFormat f = r.options().isEmpty() ? PromptFormat.VQA : PromptFormat.QCM;
                out.addAll(new BatchAnswerer(model, tok, "x", new AnswerOptions(f, GenerationConfig.greedy(5), 1)).answer(List.of(r)));
            }
            return out.stream().collect(Collectors.toMap(AnswerRow::id, a -> a));
        }
    }

    @Test
    void sqlAnswersEqualTheBatchPathWithOneModelLoad() throws Exception {
        ModelCache.global().clear();
        int before = ModelCache.global().loads();
        List<Row> got = spark.sql("SELECT id, r.answer, r.choice, r.status, r.error FROM "
                + "(SELECT id, eas_answer(image, question, options) AS r FROM questions) ORDER BY id").collectAsList();
        assertThat(ModelCache.global().loads() - before).isEqualTo(1);
        // each task held one batcher seat for all its rows; the completion listeners gave them back, so the worker stopped
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (batcherAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(batcherAlive()).as("a batcher worker outlived the query's tasks").isFalse();
        Map<String, AnswerRow> expected = expected();
        assertThat(got).hasSize(rows.size());
        for (Row g : got) {
            AnswerRow e = expected.get(g.getString(0));
            assertThat(g.getString(3)).as(e.id()).isEqualTo(e.status());
            assertThat(g.getString(1)).as(e.id()).isEqualTo(e.answerText());
            assertThat(g.getString(2)).as(e.id()).isEqualTo(e.answerChoice());
        }
        Map<String, String> status = got.stream().collect(Collectors.toMap(r -> r.getString(0), r -> r.getString(3)));
        assertThat(status).containsEntry("a", "ok").containsEntry("d", "ok").containsEntry("e", "empty_question")
                .containsEntry("f", "image_corrupt");
    }

    @Test
    void twoArgumentFormAsksFreeForm() throws Exception {
        List<Row> got = spark.sql("SELECT eas_answer(image, question).status AS s, eas_answer(image, question).answer AS a "
                + "FROM questions WHERE id = 'd'").collectAsList();
        assertThat(got).hasSize(1);
        assertThat(got.get(0).getString(0)).isEqualTo("ok");
        assertThat(got.get(0).getString(1)).isEqualTo(expected().get("d").answerText());
        Row delimited = spark.sql("SELECT eas_answer(image, question, 'red|blue') AS r FROM questions WHERE id = 'a'").first();
        assertThat(delimited.getStruct(0).getString(0)).isEqualTo(expected().get("a").answerText());
    }

    @Test
    void badCallsFailAtAnalysisWithTheReason() {
        assertThatThrownBy(() -> spark.sql("SELECT eas_answer(image) FROM questions").collect())
                .hasMessageContaining("eas_answer takes (image, question) or (image, question, options), got 1 arguments");
        spark.conf().unset("spark.eas.model");
        try {
            assertThatThrownBy(() -> spark.sql("SELECT eas_answer(image, question) FROM questions").collect())
                    .hasMessageContaining("set spark.eas.model");
        } finally {
            spark.conf().set("spark.eas.model", modelDir.toUri().toString());
        }
        spark.conf().set("spark.eas.model", modelDir.resolve("no-such-model").toUri().toString());
        try {
            assertThatThrownBy(() -> spark.sql("SELECT eas_answer(image, question) FROM questions").collect())
                    .hasMessageContaining("eas_answer: spark.eas.model").hasMessageContaining("no-such-model");
        } finally {
            spark.conf().set("spark.eas.model", modelDir.toUri().toString());
        }
        Row wrongType = spark.sql("SELECT eas_answer('not bytes', question) AS r FROM questions WHERE id = 'c'").first();
        assertThat(wrongType.getStruct(0).getString(2)).isEqualTo("error");
        assertThat(wrongType.getStruct(0).getString(3)).contains("must be BINARY");
    }

    @Test
    void registeredFromCodeWithThreeArguments() throws Exception {
        SparkSession other = spark.newSession();
        other.conf().set("spark.eas.model", modelDir.toUri().toString());
        other.conf().set("spark.eas.maxNewTokens", "5");
        other.conf().set("spark.eas.device", "cpu");
        EasSql.register(other);
        other.createDataFrame(List.of(RowFactory.create("c", "Is the sky blue?")),
                new StructType().add("id", DataTypes.StringType).add("question", DataTypes.StringType)).createOrReplaceTempView("q");
        Row r = other.sql("SELECT eas_answer(CAST(NULL AS BINARY), question, array('yes', 'no')) AS r FROM q").first();
        assertThat(r.getStruct(0).getString(2)).isEqualTo("ok");
        assertThat(r.getStruct(0).getString(0)).isEqualTo(expected().get("c").answerText());
    }
}
