package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.RowStatus;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import io.easspark.udf.meter.MeterAnswer;
import io.easspark.udf.meter.MeterAnswerer;
import io.easspark.udf.meter.MeterRequest;
import io.easspark.udf.meter.MeterRow;
import io.easspark.udf.meter.MeterTask;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * infer on the METER demo, end to end on a local session: every input row once, the demo's bad rows with their
 * statuses, and every answer equal to {@link MeterAnswerer} run directly on the same rows (the oracle: the job must
 * add resolution, batching across partitions and output, never change an answer); --resume after a partial run, also
 * onto an output in the ten-column schema written before METER.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeterInferJobTest {

    /** Same forward, other batch composition: fp32 round-off only (DESIGN-METER.md §3.3: batch-independent). */
    static final double SCORE_TOLERANCE = 1e-5;
    /** The demo's skip set for these runs: the paper's, so skipped modules are on the job's path. */
    static final String PLAN = MeterRequest.PAPER_PLAN;

    SparkSession spark;
    Path tmp;
    Path demo;
    Path data;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("meter-infer-job");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--family", "meter", "--output", demo.toString())).isZero();
        data = demo.resolve("data");
        spark = LocalSpark.session("local[2]", "meter-infer-job-test");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    InferOptions.Builder options(String input, String output) {
        // a budget of two VQA rows per forward, so the 12 rows take several batches over two partitions
        return InferOptions.builder(input, demo.resolve("model").toString(), output).imageRoot(data.toString()).meterAllowed(true)
                .skipPlan(PLAN).maxBatchTokens(2L * rowTokens()).partitions(2).previewRows(3);
    }

    long rowTokens() {
        try {
            var c = MeterModelDirectory.open(demo.resolve("model").toString(), new Configuration()).config();
            return c.maxTextLen() + c.imageTokens();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    String run(InferOptions.Builder b) throws Exception {
        StringWriter out = new StringWriter();
        InferJob.run(spark, b.build(spark.sparkContext().hadoopConfiguration()), new PrintWriter(out, true));
        return out.toString();
    }

    Map<String, Row> output(String output) {
        Map<String, Row> byId = new HashMap<>();
        List<Row> rows = spark.read().option("mergeSchema", "true").parquet(output).collectAsList();
        for (Row r : rows) {
            assertThat(byId.put(r.getAs("id"), r)).as("id %s twice", (Object) r.getAs("id")).isNull();
        }
        return byId;
    }

    /** The oracle: the demo's rows read here (images from disk, a missing file = image_missing), answered directly. */
    Map<String, MeterAnswer> oracle(String file, String textField, int topK) throws Exception {
        List<MeterRow> rows = new ArrayList<>();
        for (String line : Files.readAllLines(data.resolve(file), StandardCharsets.UTF_8)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            byte[] first = bytes(o.get("image").getAsString());
            boolean nlvr2 = o.has("image2");
            byte[] second = nlvr2 ? bytes(o.get("image2").getAsString()) : null;
            rows.add(new MeterRow(o.get("id").getAsString(), nlvr2 ? MeterTask.NLVR2 : MeterTask.VQA, o.get(textField).getAsString(),
                    first, first == null ? RowStatus.IMAGE_MISSING : null, null, second,
                    nlvr2 && second == null ? RowStatus.IMAGE_MISSING : null, null));
        }
        MeterModelDirectory dir = MeterModelDirectory.validate(demo.resolve("model").toString(), new Configuration());
        try (MeterModel model = dir.load(Device.cpu()); RobertaBpeTokenizer tokenizer = dir.tokenizer()) {
            MeterRequest request = new MeterRequest("oracle", null, MeterRequest.parseSkips(PLAN),
                    MeterRequest.parseMapping("intended"), topK, 1 << 30);
            List<MeterAnswer> answers = new MeterAnswerer(model, tokenizer, dir.answers(), request.skipSet(model.config().fusionLayers()),
                    1 << 30, topK).answer(rows);
            Map<String, MeterAnswer> byId = new HashMap<>();
            answers.forEach(a -> byId.put(a.id(), a));
            return byId;
        }
    }

    byte[] bytes(String relative) throws Exception {
        Path p = data.resolve(relative);
        return Files.exists(p) ? Files.readAllBytes(p) : null;
    }

    static void assertSameAnswers(Map<String, Row> out, Map<String, MeterAnswer> oracle) {
        assertSameAnswers(out, oracle, java.util.Set.of());
    }

    /** @param legacy ids whose rows were written in the ten-column schema: no score columns to compare */
    static void assertSameAnswers(Map<String, Row> out, Map<String, MeterAnswer> oracle, java.util.Set<String> legacy) {
        assertThat(out.keySet()).as("every input row once").isEqualTo(oracle.keySet());
        for (MeterAnswer want : oracle.values()) {
            Row got = out.get(want.id());
            assertThat((String) got.getAs("status")).as(want.id()).isEqualTo(want.status().columnValue());
            assertThat((String) got.getAs("answer_text")).as(want.id()).isEqualTo(want.answer());
            if (legacy.contains(want.id())) {
                assertThat(got.isNullAt(got.fieldIndex("score"))).as(want.id()).isTrue();
                continue;
            }
            if (want.score() == null) {
                assertThat(got.isNullAt(got.fieldIndex("score"))).as(want.id()).isTrue();
            } else {
                assertThat((Double) got.getAs("score")).as(want.id()).isCloseTo(want.score(), within(SCORE_TOLERANCE));
            }
            assertThat((String) got.getAs("skip_plan")).isEqualTo("0,1,2,4,6,8,12,13,17,23");
            List<String> top = got.isNullAt(got.fieldIndex("top_answers")) ? List.of() : got.getList(got.fieldIndex("top_answers"));
            assertThat(top).as(want.id()).isEqualTo(want.topAnswers());
        }
    }

    @Test
    void vqaRowsAreAnsweredOnceEachAsTheAnswererAnswersThem() throws Exception {
        String output = tmp.resolve("vqa-out").toString();
        String log = run(options(data.resolve("vqa.jsonl").toString(), output).topK(3));
        Map<String, Row> out = output(output);
        Map<String, MeterAnswer> oracle = oracle("vqa.jsonl", "question", 3);
        assertSameAnswers(out, oracle);
        assertThat((String) out.get("vqa001").getAs("status")).isEqualTo("image_missing");
        assertThat((String) out.get("vqa002").getAs("status")).isEqualTo("empty_question");
        Row ok = out.get("vqa000");
        assertThat((String) ok.getAs("status")).isEqualTo("ok");
        assertThat(ok.getList(ok.fieldIndex("top_answers"))).hasSize(3);
        assertThat(ok.<Double>getList(ok.fieldIndex("top_scores")).get(0)).isCloseTo((Double) ok.getAs("score"), within(1e-12));
        assertThat(log).contains("infer: answering 12 rows with METER model").contains("ok ");
    }

    /** --partition-by an input column: the column is carried through the METER partition and every row lands once, in its folder. */
    @Test
    void partitionByAnInputColumnCarriesItThroughTheMeterPartition() throws Exception {
        List<String> lines = Files.readAllLines(data.resolve("vqa.jsonl"), StandardCharsets.UTF_8);
        List<String> tagged = new java.util.ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            tagged.add(lines.get(i).replaceFirst("^\\{", "{\"shard\": \"" + (i % 2 == 0 ? "even" : "odd") + "\", "));
        }
        Path input = tmp.resolve("vqa-shards.jsonl");
        Files.write(input, tagged, StandardCharsets.UTF_8);
        String output = tmp.resolve("vqa-by-shard").toString();
        run(options(input.toString(), output).partitionBy("shard"));
        Map<String, Row> out = output(output);
        assertSameAnswers(out, oracle("vqa.jsonl", "question", 1));
        assertThat(Files.isDirectory(Path.of(output).resolve("shard=even"))).isTrue();
        for (int i = 0; i < lines.size(); i++) {
            String id = com.google.gson.JsonParser.parseString(lines.get(i)).getAsJsonObject().get("id").getAsString();
            assertThat((String) out.get(id).getAs("shard")).as(id).isEqualTo(i % 2 == 0 ? "even" : "odd");
        }
    }

    @Test
    void nlvr2RowsGetTrueOrFalseAndTheirSecondImageIsResolved() throws Exception {
        String output = tmp.resolve("nlvr2-out").toString();
        run(options(data.resolve("nlvr2.jsonl").toString(), output).questionCol("statement"));
        Map<String, Row> out = output(output);
        assertSameAnswers(out, oracle("nlvr2.jsonl", "statement", 1));
        assertThat((String) out.get("nlvr001").getAs("status")).isEqualTo("image_missing");
        assertThat((String) out.get("nlvr001").getAs("error")).contains("image2");
        for (Row r : out.values()) {
            if (r.getAs("status").equals("ok")) {
                assertThat((String) r.getAs("answer_text")).isIn("true", "false");
                assertThat(r.isNullAt(r.fieldIndex("top_answers"))).isTrue();
            }
        }
    }

    @Test
    void resumeAnswersTheMissingRowsAlsoOntoATenColumnOutput() throws Exception {
        List<String> lines = Files.readAllLines(data.resolve("vqa.jsonl"), StandardCharsets.UTF_8);
        Path part = tmp.resolve("vqa-part.jsonl");
        Files.write(part, lines.subList(0, 5), StandardCharsets.UTF_8);
        String partial = tmp.resolve("partial").toString();
        run(options(part.toString(), partial));
        // the same rows in the ten columns an infer output had before METER: --resume must still take it
        String legacy = tmp.resolve("legacy").toString();
        spark.read().parquet(partial).select(OutputSchema.LAVIN_COLUMNS.fieldNames()[0],
                java.util.Arrays.copyOfRange(OutputSchema.LAVIN_COLUMNS.fieldNames(), 1, 10)).write().mode(SaveMode.ErrorIfExists).parquet(legacy);
        String log = run(options(data.resolve("vqa.jsonl").toString(), legacy).resume(true));
        assertThat(log).contains("resume: 5 of 12 input rows already in");
        Map<String, Row> out = output(legacy);
        java.util.Set<String> written = new java.util.HashSet<>();
        for (String line : lines.subList(0, 5)) {
            written.add(JsonParser.parseString(line).getAsJsonObject().get("id").getAsString());
        }
        assertSameAnswers(out, oracle("vqa.jsonl", "question", 1), written);
        assertThat(out.values().stream().filter(r -> !r.isNullAt(r.fieldIndex("score")))).as("rows answered now have scores")
                .hasSizeGreaterThanOrEqualTo(12 - 5 - 2); // at most the demo's two bad VQA rows have none
    }

    @Test
    void aPerRowTaskColumnOverridesAuto() throws Exception {
        // NLVR2 rows named itm in a task column: one image, the statement as caption, a match score and no answer
        Path input = tmp.resolve("itm.jsonl");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(data.resolve("nlvr2.jsonl"), StandardCharsets.UTF_8)) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            o.addProperty("kind", "itm");
            lines.add(o.toString());
        }
        Files.write(input, lines, StandardCharsets.UTF_8);
        String output = tmp.resolve("itm-out").toString();
        run(options(input.toString(), output).questionCol("statement").taskCol("kind"));
        Map<String, Row> out = output(output);
        assertThat(out).hasSize(lines.size());
        for (Row r : out.values()) {
            assertThat((String) r.getAs("status")).as("the missing second image does not matter to ITM").isEqualTo("ok");
            assertThat(r.isNullAt(r.fieldIndex("answer_text"))).isTrue();
            assertThat(r.isNullAt(r.fieldIndex("score"))).isFalse();
        }
    }
}
