package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.text.PromptFormat;
import io.easspark.jobs.demo.DemoCommand;
import io.easspark.loader.cache.DeviceRequest;
import io.easspark.udf.AnswerRequest;
import io.easspark.udf.sql.SqlAnswerSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/** The typed request as the command line builds it: no Spark, one value per meaning, the same as SQL's, serializable. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferRequestTest {

    Path demo;
    String model;
    final Configuration conf = new Configuration();

    @BeforeAll
    void demo() throws Exception {
        demo = Files.createTempDirectory("infer-request").resolve("demo");
        DemoCommand.write(demo, 3, 7); // model: 4 layers, stored plan 1,3, max_seq_len 256
        model = demo.resolve("model").toUri().toString();
    }

    /** The flags as picocli parses them for `eas infer`, turned into the checked options (what call() does first). */
    InferOptions cli(String... extra) {
        InferCommand cmd = new InferCommand();
        List<String> args = new java.util.ArrayList<>(List.of("--input", demo.resolve("data/questions.jsonl").toString(),
                "--model", model, "--output", demo.resolve("out").toString()));
        args.addAll(List.of(extra));
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        return cmd.options(conf, new PrintWriter(new StringWriter()));
    }

    @Test
    void flagsBecomeTypedValuesWithOneDefaultEach() {
        InferOptions o = cli("--skip-plan", "0, 2-3", "--reparam", "static", "--device", "CPU", "--prompt-format", "vqa",
                "--temperature", "0.5", "--top-p", "0.9", "--seed", "3", "--cross-task-batching", "on");
        assertThat(o.plan()).isEqualTo(SkipPlan.of(4, 0, 2, 3));
        assertThat(o.request().model().reparam()).isEqualTo(ReparamMode.STATIC);
        assertThat(o.request().model().device()).isEqualTo(DeviceRequest.CPU);
        assertThat(o.request().format()).isEqualTo(PromptFormat.VQA);
        assertThat(o.request().generation().temperature()).isEqualTo(0.5);
        assertThat(o.crossTaskBatching()).isEqualTo(CrossTaskBatching.ON);
        assertThat(o.in().format()).isEqualTo(InputSpec.Format.JSON);
        // the defaults the command line shows are the builder's: flags not given equal a builder left alone
        InferOptions defaults = cli();
        InferOptions built = InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), model, demo.resolve("out").toString())
                .build(conf);
        assertThat(defaults).isEqualTo(built);
        assertThat(defaults.plan()).as("no --skip-plan: the model's stored plan").isEqualTo(SkipPlan.of(4, 1, 3));
        assertThat(defaults.batchSize()).isEqualTo(AnswerRequest.DEFAULT_BATCH_SIZE);
    }

    @Test
    void everySpellingOfOnePlanIsOneRequest() throws Exception {
        Path planFile = demo.resolveSibling("skip_plan.json");
        Files.writeString(planFile, "{\"plan\": \"1,3\", \"strategy\": \"rl\"}");
        AnswerRequest stored = cli().request();
        for (String spelling : List.of("1,3", "1, 3", "[1,3]", "3,1", planFile.toString())) {
            assertThat(cli("--skip-plan", spelling).request()).as(spelling).isEqualTo(stored);
        }
        assertThat(cli("--skip-plan", planFile.toString()).planFile()).isEqualTo(planFile.toString());
        assertThat(cli("--skip-plan", "none").request()).isNotEqualTo(stored);
    }

    @Test
    void sqlSettingsParseIntoTheSameRequest() {
        AnswerRequest fromCli = cli("--skip-plan", "1,3", "--device", "cpu", "--max-new-tokens", "5", "--batch-size", "4").request();
        Map<String, String> settings = Map.of("spark.eas.model", model, "spark.eas.skipPlan", "1, 3", "spark.eas.device", "cpu",
                "spark.eas.maxNewTokens", "5", "spark.eas.batchSize", "4");
        AnswerRequest fromSql = SqlAnswerSettings.request(settings::get, conf);
        assertThat(fromSql).isEqualTo(fromCli);
        assertThat(fromSql.model()).as("so the SQL function and the job share the executor's model").isEqualTo(fromCli.model());
    }

    @Test
    void theRequestRoundTripsThroughJavaSerializationUnchanged() throws Exception {
        InferOptions o = cli("--skip-plan", "0,2", "--image-root", demo.resolve("data").toString(), "--partition-by", "status",
                "--kv-budget-mib", "1");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(o);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            InferOptions back = (InferOptions) in.readObject();
            assertThat(back).isEqualTo(o).isNotSameAs(o);
            assertThat(back.plan().skippedLayers()).containsExactly(0, 2);
            // demo: 0.25 MiB of KV cache a row for plan 0,2's 2 kept layers, so 1 MiB holds 4 rows
            assertThat(back.batchSize()).as("--kv-budget-mib resolved once, on the driver").isEqualTo(4);
        }
    }

    @Test
    void badValuesNameTheirFlag() {
        assertThatThrownBy(() -> cli("--batch-size", "0")).hasMessage("--batch-size must be >= 1: 0");
        assertThatThrownBy(() -> cli("--top-p", "0")).hasMessage("--top-p must be in (0, 1]: 0.0");
        assertThatThrownBy(() -> cli("--temperature", "-1")).hasMessage("--temperature must be >= 0: -1.0");
        assertThatThrownBy(() -> cli("--max-new-tokens", "256")).hasMessageStartingWith("--max-new-tokens must be in 1..255");
        assertThatThrownBy(() -> cli("--skip-plan", "4")).hasMessageContaining("skip plan names layer 4 but the model has layers 0-3");
        assertThatThrownBy(() -> cli("--skip-plan", "/nowhere/skip_plan.json")).hasMessage("--skip-plan /nowhere/skip_plan.json does not exist");
        assertThatThrownBy(() -> cli("--reparam", "merged")).hasMessage("--reparam merged folds weights per row and needs --batch-size 1, "
                + "got 8 (lowrank is exact at any batch size)");
        assertThat(cli("--reparam", "merged", "--batch-size", "1").request().model().reparam()).isEqualTo(ReparamMode.MERGED);
    }
}
