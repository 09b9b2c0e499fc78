package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** Command lines that end before the engine starts: help and bad input. */
class EngineBenchCliTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return EngineBench.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
    }

    @Test
    void helpDescribesEveryOption() {
        assertThat(run("--help")).isEqualTo(EngineBench.OK);
        assertThat(out.toString()).contains("--sweep-k", "--sweep-batches", "--sweep", "--no-sweep", "--quick", "--output");
    }

    @Test
    void kBeyondTheLayersIsOneLine() {
        assertThat(run("--sweep-k", "0,40")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(err.toString()).isEqualTo("eas-bench: --sweep-k 40 is outside 0-32 (the model's layers) (see --help)"
                + System.lineSeparator());
    }

    @Test
    void quickChecksAgainstItsOwnLayers() {
        assertThat(run("--quick", "--sweep-k", "9")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(err.toString()).contains("--sweep-k 9 is outside 0-8");
    }

    @Test
    void badValuesNameTheirFlag() {
        assertThat(run("--batches", "1,0")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(run("--plan", "40")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(run("--plan", "none")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(run("--heads", "5")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(run("--sweep", "--no-sweep")).isEqualTo(EngineBench.BAD_INPUT);
        assertThat(err.toString().lines()).hasSize(5).satisfiesExactly(
                l -> assertThat(l).startsWith("eas-bench: --batches must be > 0: 0"),
                l -> assertThat(l).startsWith("eas-bench: --plan: skip plan names layer 40"),
                l -> assertThat(l).startsWith("eas-bench: --plan must skip at least one layer"),
                l -> assertThat(l).startsWith("eas-bench: --heads 5 must divide --dim 1024"),
                l -> assertThat(l).startsWith("eas-bench: --sweep and --no-sweep contradict each other"));
    }
}
