package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.testing.CliRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Settings that need no Spark are refused before a SparkSession exists. Two witnesses: no live session before or
 * after, and a --master Spark cannot parse — had the command started Spark first, it would fail on that (exit 1)
 * instead of naming the bad flag (exit 2).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SettingsBeforeSparkTest {

    static final String NO_SUCH_MASTER = "no-such-master";
    Path demo;

    @BeforeAll
    void demo() throws Exception {
        demo = Files.createTempDirectory("before-spark").resolve("demo");
        DemoCommand.write(demo, 3, 7);
    }

    static boolean sparkAlive() {
        scala.Option<SparkSession> active = SparkSession.getActiveSession();
        scala.Option<SparkSession> dflt = SparkSession.getDefaultSession();
        return (active.isDefined() && !active.get().sparkContext().isStopped())
                || (dflt.isDefined() && !dflt.get().sparkContext().isStopped());
    }

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of("infer", List.of("--batch-size", "0"), "--batch-size must be >= 1: 0"),
                Arguments.of("infer", List.of("--max-new-tokens", "100000"), "--max-new-tokens must be in 1..255"),
                Arguments.of("infer", List.of("--skip-plan", "9"), "skip plan names layer 9 but the model has layers 0-3"),
                Arguments.of("infer", List.of("--skip-plan", "1-x"), "skip plan entry is not a layer index"),
                Arguments.of("infer", List.of("--reparam", "foo"), "unknown reparam mode 'foo'"),
                Arguments.of("infer", List.of("--prompt-format", "xml"), "unknown prompt format 'xml'"),
                Arguments.of("infer", List.of("--device", "tpu"), "unknown --device tpu"),
                Arguments.of("infer", List.of("--partitions", "-1"), "--partitions must be >= 0"),
                Arguments.of("infer", List.of("--progress-seconds", "-1"), "--progress-seconds must be >= 0"),
                Arguments.of("infer", List.of("--kv-budget-mib", "-1"), "--kv-budget-mib must be >= 0"),
                Arguments.of("infer", List.of("--cross-task-batching", "maybe"), "--cross-task-batching must be auto, on or off: maybe"),
                Arguments.of("infer", List.of("--input-format", "xml"), "unknown --input-format xml"),
                Arguments.of("infer", List.of("--model", "/no/such/model"), "--model: model directory"),
                Arguments.of("evaluate", List.of("--plan", "7"), "skip plan names layer 7 but the model has layers 0-3"),
                Arguments.of("evaluate", List.of("--batch-size", "0"), "--batch-size must be >= 1: 0"),
                Arguments.of("calibrate", List.of("--k", "4"), "--k must be in 1..3 for this model (4 layers): 4"),
                Arguments.of("calibrate", List.of("--k", "1", "--strategy", "magic"), "unknown --strategy magic"));
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void refusedBeforeAnySparkSession(String command, List<String> extra, String reason) {
        assertThat(sparkAlive()).as("no session before the command (another test left one running)").isFalse();
        List<String> args = new ArrayList<>(List.of(command, "--master", NO_SUCH_MASTER, "--input",
                demo.resolve("data/questions.jsonl").toString(), "--model", demo.resolve("model").toString(), "--output",
                demo.resolveSibling(command + "-out").toString()));
        if (command.equals("calibrate") && !extra.contains("--k")) {
            args.addAll(List.of("--k", "1"));
        }
        // a later flag wins in picocli only for single-value options: replace the defaults above instead of repeating them
        for (int i = 0; i + 1 < extra.size(); i += 2) {
            int at = args.indexOf(extra.get(i));
            if (at >= 0) {
                args.set(at + 1, extra.get(i + 1));
            } else {
                args.addAll(List.of(extra.get(i), extra.get(i + 1)));
            }
        }
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).startsWith("eas " + command + ": ").contains(reason).doesNotContain(NO_SUCH_MASTER);
        assertThat(r.err().strip().lines().count()).as(r.err()).isEqualTo(1);
        assertThat(sparkAlive()).as("no session was started").isFalse();
    }
}
