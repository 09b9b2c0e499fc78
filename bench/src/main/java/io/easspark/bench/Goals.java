package io.easspark.bench;

import io.easspark.bench.Goal.Unit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Judges a run against issue 7's goals. Every goal is a ratio within the run (same machine, same threads), so the
 * table holds on any machine; the targets are the numbers.
 */
final class Goals {

    /** The batch sizes issue 7 names: one request, and a full batch. */
    static final int SMALL = 1;
    static final int LARGE = 16;
    /** Goal 1: measured EAS speed-up at least this share of the FLOP/byte prediction. */
    static final double SHARE_OF_PREDICTED = 0.90;
    /** Goal 2: answers/s over the original LaVIN serving style, at batch 1 and at batch 16. */
    static final double OVER_LAVIN_SMALL = 2.2;
    static final double OVER_LAVIN_LARGE = 5.0;
    /** Goal 3: answers/s over PyTorch eager on the identical model and plan, at batch 1 and at batch 16. */
    static final double OVER_TORCH_SMALL = 1.0;
    static final double OVER_TORCH_LARGE = 1.3;
    /** Goal 4: prefill's share of the matmul peak, batch-1 decode's share of the memory bandwidth. */
    static final double SHARE_OF_MATMUL_PEAK = 0.60;
    static final double SHARE_OF_BANDWIDTH = 0.50;
    /** Goal 5: rows one KV budget holds, plan over none (12 of 32 layers keep no cache: 32/20 = 1.6). */
    static final double MORE_ROWS = 1.5;
    /** Goal 7: bf16 decode at batch 1 over fp32. */
    static final double BF16_OVER_FP32 = 1.8;

    static final String JOB_BENCH = "java -jar jobs/target/eas-jobs.jar bench-infer --output docs/BENCHMARKS.md";
    static final String BF16_CHECK = "grep -owE 'avx512f|avx512_bf16|amx_bf16' /proc/cpuinfo | sort -u";

    private final Measurements m;
    private final String command;

    /** @param command the bench command line that reproduces this run */
    Goals(Measurements m, String command) {
        this.m = m;
        this.command = command;
    }

    List<Goal> evaluate() {
        List<Goal> goals = new ArrayList<>();
        for (int b : new int[] {SMALL, LARGE}) {
            goals.add(skippingPays("prefill", b));
            goals.add(skippingPays("decode", b));
        }
        goals.add(overLavin(SMALL, OVER_LAVIN_SMALL));
        goals.add(overLavin(LARGE, OVER_LAVIN_LARGE));
        goals.add(overTorch(SMALL, OVER_TORCH_SMALL));
        goals.add(overTorch(LARGE, OVER_TORCH_LARGE));
        goals.add(prefillNearPeak());
        goals.add(decodeNearBandwidth());
        goals.add(kvRows());
        goals.add(Goal.notMeasured("6. Spark job vs the engine alone", "see bench-infer",
                "see 'Spark job vs the engine alone' (bench-infer)", JOB_BENCH));
        goals.add(bf16());
        return goals;
    }

    private Goal skippingPays(String phase, int batch) {
        String goal = String.format(Locale.ROOT, "1. skipping pays: %s, batch %d, prompt %d", phase, batch, m.prompt());
        String target = "≥ " + Math.round(100 * SHARE_OF_PREDICTED) + "% of predicted";
        Optional<Row> none = m.none(batch);
        Optional<Row> eas = m.eas(batch);
        if (none.isEmpty() || eas.isEmpty()) {
            return Goal.notMeasured(goal, target, missingBatch(batch), command);
        }
        boolean prefill = phase.equals("prefill");
        Row n = none.get();
        Row e = eas.get();
        double measured = prefill ? e.prefillTokS() / n.prefillTokS() : e.decodeTokS() / n.decodeTokS();
        double predicted = prefill ? n.prefillFlops() / e.prefillFlops() : n.decodeBytesPerStep() / e.decodeBytesPerStep();
        return Goal.judged(goal, target, String.format(Locale.ROOT, "%.2fx, predicted %.2fx", measured, predicted),
                measured / predicted, SHARE_OF_PREDICTED, Unit.PERCENT, command);
    }

    private Goal overLavin(int batch, double target) {
        String goal = "2. beat LaVIN serving (PyTorch eager, batch 1): ours at batch " + batch;
        String targetText = times(target) + " answers/s";
        Optional<Row> eas = m.eas(batch);
        if (m.lavin() == null) {
            return Goal.notMeasured(goal, targetText, "PyTorch reference: " + torchWhy(), command);
        }
        if (eas.isEmpty()) {
            return Goal.notMeasured(goal, targetText, missingBatch(batch), command);
        }
        double ours = eas.get().answersPerSecond();
        double theirs = m.lavin().answersPerSecond();
        return Goal.judged(goal, targetText, answers(ours, theirs), ours / theirs, target, Unit.TIMES, command);
    }

    private Goal overTorch(int batch, double target) {
        String goal = "3. no Java tax: vs PyTorch eager, same model and plan, batch " + batch;
        String targetText = times(target) + " answers/s";
        Optional<Row> eas = m.eas(batch);
        if (eas.isEmpty()) {
            return Goal.notMeasured(goal, targetText, missingBatch(batch), command);
        }
        if (eas.get().torch() == null) {
            return Goal.notMeasured(goal, targetText, "PyTorch reference: " + torchWhy(), command);
        }
        double ours = eas.get().answersPerSecond();
        double theirs = eas.get().torch().answersPerSecond();
        return Goal.judged(goal, targetText, answers(ours, theirs), ours / theirs, target, Unit.TIMES, command);
    }

    private Goal prefillNearPeak() {
        String goal = "4. near the hardware: prefill vs fp32 matmul peak";
        String target = "≥ " + Math.round(100 * SHARE_OF_MATMUL_PEAK) + "% of peak";
        Optional<Row> row = m.easLargest();
        if (row.isEmpty()) {
            return Goal.notMeasured(goal, target, "no EAS rows", command);
        }
        Row r = row.get();
        double peak = m.peak().matmulGflops();
        return Goal.judged(goal, target, String.format(Locale.ROOT, "%.1f of %.1f GFLOP/s (batch %d)", r.prefillGflops(), peak,
                r.batch()), r.prefillGflops() / peak, SHARE_OF_MATMUL_PEAK, Unit.PERCENT, command);
    }

    private Goal decodeNearBandwidth() {
        String goal = "4. near the hardware: decode, batch 1, vs memory bandwidth";
        String target = "≥ " + Math.round(100 * SHARE_OF_BANDWIDTH) + "% of bandwidth";
        Optional<Row> row = m.eas(SMALL);
        if (row.isEmpty()) {
            return Goal.notMeasured(goal, target, missingBatch(SMALL), command);
        }
        double peak = m.peak().readGBs();
        return Goal.judged(goal, target, String.format(Locale.ROOT, "%.1f of %.1f GB/s", row.get().decodeGBs(), peak),
                row.get().decodeGBs() / peak, SHARE_OF_BANDWIDTH, Unit.PERCENT, command);
    }

    private Goal kvRows() {
        String goal = "5. memory: rows per KV budget, plan vs none";
        String target = times(MORE_ROWS) + " rows";
        Optional<Row> none = m.rows().stream().filter(r -> r.plan().equals("none")).findFirst();
        Optional<Row> eas = m.rows().stream().filter(r -> r.plan().equals(m.easPlan())).findFirst();
        String reproduce = command + "; batches by KV budget: eas infer --kv-budget-mib N";
        if (none.isEmpty() || eas.isEmpty()) {
            return Goal.notMeasured(goal, target, "no rows", reproduce);
        }
        long kvNone = none.get().kvBytesPerRow();
        long kvPlan = eas.get().kvBytesPerRow();
        String measured = "KV per row " + Report.bytes(kvNone) + " (none), " + Report.bytes(kvPlan) + " (plan)";
        // a plan that skips every layer keeps no cache: any budget holds unboundedly more rows
        double ratio = kvPlan == 0 ? Double.POSITIVE_INFINITY : (double) kvNone / kvPlan;
        return Goal.judged(goal, target, measured, ratio, MORE_ROWS, Unit.TIMES, reproduce);
    }

    private Goal bf16() {
        // the engine has no bf16 path to time: DJL 0.36 aborts creating BFLOAT16 arrays (see Report.NOTES)
        String why = "CPU " + m.cpu().check(CpuInfo.BF16) + (m.cpu().nativeBf16() ? "; no bf16 engine path" : "");
        return Goal.notMeasured("7. bf16 decode, batch 1, vs fp32", times(BF16_OVER_FP32) + " tok/s", why, BF16_CHECK);
    }

    private static String times(double x) {
        return String.format(Locale.ROOT, "≥ %.1fx", x);
    }

    private static String answers(double ours, double theirs) {
        return String.format(Locale.ROOT, "%.3g vs %.3g answers/s", ours, theirs);
    }

    private static String missingBatch(int batch) {
        return "batch " + batch + " not in --batches";
    }

    private String torchWhy() {
        return m.torchMissing() != null ? m.torchMissing() : "did not run";
    }
}
