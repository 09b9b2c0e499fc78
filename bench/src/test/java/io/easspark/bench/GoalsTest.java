package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GoalsTest {

    private static final double TOLERANCE = 1e-9;
    private static final long MIB = 1 << 20;
    private static final String COMMAND = "java -jar bench/target/eas-bench.jar --quick";

    /** None and the plan at batch 1 only; the plan is 1.25x faster in both phases. */
    private static Measurements measurements(TorchReference.Result lavin, String torchMissing) {
        TorchReference.Result torch = torchMissing != null ? null
                : new TorchReference.Result(1, 64, 32, new Timing(0.8, 1.6), "generic", "1.13"); // as fast as ours
        List<Row> rows = List.of(
                new Row("none", 1, 64, 32, new Timing(1.0, 2.0), 24 * MIB, 100e9, 1.0e9, null),
                // predicted: prefill 100/80 = 1.25x (measured 1.25x), decode 1.0/0.7 = 1.43x (measured 1.25x)
                new Row("19,21-31", 1, 64, 32, new Timing(0.8, 1.6), 15 * MIB, 80e9, 0.7e9, torch));
        HardwareProbe.Peak peak = new HardwareProbe.Peak(1024, 200, 256 * MIB, 20, 5);
        CpuInfo cpu = new CpuInfo("Test CPU", Set.of("avx", "avx2", "fma"));
        return new Measurements("19,21-31", 64, 32, rows, lavin, torchMissing, peak, cpu, null, 0);
    }

    private static Goal goal(List<Goal> goals, String prefix) {
        return goals.stream().filter(g -> g.goal().startsWith(prefix)).findFirst().orElseThrow();
    }

    @Test
    void judgesEachGoalFromTheRows() {
        TorchReference.Result lavin = new TorchReference.Result(1, 64, 32, new Timing(0.5, 5.5), "generic", "1.13");
        List<Goal> goals = new Goals(measurements(lavin, null), COMMAND).evaluate();

        Goal prefill = goal(goals, "1. skipping pays: prefill, batch 1, prompt 64");
        assertThat(prefill.ratio()).isCloseTo(1.0, within(TOLERANCE));
        assertThat(prefill.status()).isEqualTo(Goal.Status.YES);
        Goal decode = goal(goals, "1. skipping pays: decode, batch 1");
        assertThat(decode.ratio()).isCloseTo(1.25 / (1.0 / 0.7), within(TOLERANCE));
        assertThat(decode.status()).isEqualTo(Goal.Status.NO);
        assertThat(decode.ratioText()).isEqualTo("88%");
        assertThat(goal(goals, "1. skipping pays: prefill, batch 16").status()).isEqualTo(Goal.Status.NOT_MEASURED);
        assertThat(goal(goals, "1. skipping pays: prefill, batch 16").measured()).contains("batch 16 not in --batches");

        // ours 1 / 2.4 answers/s against 1 / 6: 2.5x, over 2.2x
        Goal lavinSmall = goal(goals, "2. beat LaVIN serving (PyTorch eager, batch 1): ours at batch 1");
        assertThat(lavinSmall.ratio()).isCloseTo(2.5, within(TOLERANCE));
        assertThat(lavinSmall.status()).isEqualTo(Goal.Status.YES);
        assertThat(lavinSmall.ratioText()).isEqualTo("2.50x");
        // equal answers/s meets "at least 1.0x"
        Goal torchSmall = goal(goals, "3. no Java tax: vs PyTorch eager, same model and plan, batch 1");
        assertThat(torchSmall.ratio()).isCloseTo(1.0, within(TOLERANCE));
        assertThat(torchSmall.status()).isEqualTo(Goal.Status.YES);

        // prefill 80 GFLOP / 0.8 s = 100 of 200 GFLOP/s; decode 0.7 GB x 32 / 1.6 s = 14 of 20 GB/s
        Goal peak = goal(goals, "4. near the hardware: prefill");
        assertThat(peak.ratio()).isCloseTo(0.5, within(TOLERANCE));
        assertThat(peak.status()).isEqualTo(Goal.Status.NO);
        Goal bandwidth = goal(goals, "4. near the hardware: decode");
        assertThat(bandwidth.ratio()).isCloseTo(0.7, within(TOLERANCE));
        assertThat(bandwidth.status()).isEqualTo(Goal.Status.YES);

        Goal kv = goal(goals, "5.");
        assertThat(kv.ratio()).isCloseTo(24.0 / 15.0, within(TOLERANCE));
        assertThat(kv.status()).isEqualTo(Goal.Status.YES);
        assertThat(kv.measured()).contains("24.00 MiB", "15.00 MiB");
        assertThat(kv.reproduce()).contains("--kv-budget-mib");

        assertThat(goal(goals, "6.").measured()).contains("Spark job vs the engine alone");
        Goal bf16 = goal(goals, "7.");
        assertThat(bf16.status()).isEqualTo(Goal.Status.NOT_MEASURED);
        assertThat(bf16.measured()).contains("avx512f no", "avx512_bf16 no", "amx_bf16 no");
        assertThat(goals).hasSize(13); // goal 1: four rows; 2, 3, 4: two each; 5, 6, 7: one each
        assertThat(goals).filteredOn(g -> !g.goal().startsWith("6.") && !g.goal().startsWith("7."))
                .allSatisfy(g -> assertThat(g.reproduce()).startsWith(COMMAND));
    }

    @Test
    void withoutPyTorchGoalsTwoAndThreeSayWhy() {
        List<Goal> goals = new Goals(measurements(null, "skipped (--torch-python none)"), COMMAND).evaluate();

        assertThat(goals).filteredOn(g -> g.goal().startsWith("2.") || g.goal().endsWith("same model and plan, batch 1"))
                .hasSize(3)
                .allSatisfy(g -> {
                    assertThat(g.status()).isEqualTo(Goal.Status.NOT_MEASURED);
                    assertThat(g.measured()).contains("--torch-python none");
                });
    }

    @Test
    void plainTableAlignsColumns() {
        List<Goal> goals = List.of(
                Goal.judged("a", "≥ 1.0x", "short", 2, 1, Goal.Unit.TIMES, "cmd"),
                Goal.judged("longer goal", "≥ 90%", "a longer measure", 0.5, 0.9, Goal.Unit.PERCENT, "cmd"));

        List<String> lines = GoalTable.plain(goals).lines().toList();

        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("goal         measured");
        assertThat(lines.get(1)).isEqualTo("a            short             2.00x  ≥ 1.0x  yes");
        assertThat(lines.get(2)).isEqualTo("longer goal  a longer measure  50%    ≥ 90%   no");
        assertThat(GoalTable.markdown(goals)).contains("| a | ≥ 1.0x | short | 2.00x | **yes** | `cmd` |");
        assertThat(GoalTable.markdown(List.of(Goal.notMeasured("7", "t", "m", "grep x | sort"))))
                .contains("| — | not measured | `grep x \\| sort` |");
    }
}
