package io.easspark.bench;

import io.easspark.engine.eas.SkipPlan;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** Formats one run as the engine-bench section of docs/BENCHMARKS.md. */
final class Report {

    static final String BEGIN = "<!-- engine-bench:begin -->";
    static final String END = "<!-- engine-bench:end -->";
    /** Where the plots go, relative to the Markdown file (the links in the report are relative too). */
    static final String PLOTS = "bench";
    private static final String HEADER = "# Benchmarks\n\nRatios come from one run on one machine with the same thread count; "
            + "absolute numbers move with the machine. Each section is rewritten by the command it names.\n\n";

    /** Above this share of the CPUs taken by other processes, the report warns that its rows may be off. */
    static final double NOISY_SHARE = 0.05;

    private final EngineBench bench;
    private final Measurements m;
    private final List<Goal> goals;
    private final String command;

    Report(EngineBench bench, Measurements m, List<Goal> goals, String command) {
        this.bench = bench;
        this.m = m;
        this.goals = goals;
        this.command = command;
    }

    static String bytes(long b) {
        return b >= 1 << 20 ? String.format(Locale.ROOT, "%.2f MiB", b / 1048576.0) : String.format(Locale.ROOT, "%.1f KiB", b / 1024.0);
    }

    private static String f1(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.1f", v);
    }

    private static String f2(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String f3(double v) {
        return Double.isNaN(v) ? "—" : String.format(Locale.ROOT, "%.3g", v);
    }

    /** What else ran: a busy neighbour on a 2-core VM can slow single rows many times over. */
    static String neighbourNote(double share) {
        if (Double.isNaN(share)) {
            return "Other processes' CPU time during the run: unknown (no /proc).";
        }
        return String.format(Locale.ROOT, "Other processes used %.0f%% of the CPUs' time during the run%s", 100 * share,
                share > NOISY_SHARE ? ": rows may be slowed by them; rerun on a quiet machine before trusting a ratio."
                        : " (from /proc/stat).");
    }

    /** Console lines: the EAS speed-up per batch, measured vs predicted. */
    static String ratioSummary(Measurements m, int[] batches) {
        StringBuilder sb = new StringBuilder("EAS speed-up (plan vs none), measured / predicted:\n");
        for (int b : batches) {
            Row none = m.none(b).orElseThrow();
            Row eas = m.eas(b).orElseThrow();
            sb.append(String.format(Locale.ROOT, "  batch %2d: prefill %.2fx / %.2fx, decode %.2fx / %.2fx, KV per row %.2fx smaller%n", b,
                    eas.prefillTokS() / none.prefillTokS(), none.prefillFlops() / eas.prefillFlops(),
                    eas.decodeTokS() / none.decodeTokS(), none.decodeBytesPerStep() / eas.decodeBytesPerStep(),
                    eas.kvBytesPerRow() == 0 ? Double.NaN : (double) none.kvBytesPerRow() / eas.kvBytesPerRow()));
        }
        return sb.toString().stripTrailing();
    }

    /**
     * Replaces this benchmark's section of an existing report and keeps everything else (the load, job and
     * calibrate sections); a report without the section gets it appended, an empty one gets the header first.
     */
    static String merge(String existing, String section) {
        int b = existing.indexOf(BEGIN);
        int e = existing.indexOf(END, Math.max(b, 0));
        if (b >= 0 && e > b) {
            return existing.substring(0, b) + section + existing.substring(e + END.length());
        }
        if (existing.isBlank()) {
            return HEADER + section + "\n";
        }
        return existing.stripTrailing() + "\n\n" + section + "\n";
    }

    String markdown() {
        StringBuilder sb = new StringBuilder();
        int skipped = SkipPlan.parse(m.easPlan(), bench.layers()).skippedCount();
        sb.append(BEGIN).append("\n");
        sb.append("## Engine: EAS skipping vs none, and the PyTorch eager reference\n\n");
        sb.append("### Goals (issue 7)\n\n");
        sb.append(String.format(Locale.ROOT, "Ratios within this run: dim %d, %d layers, plan `%s`, prompt %d, %d new tokens, "
                        + "%d intra-op threads on %s (%d cores). Answers/s = rows / (prefill s + decode s).%n%n",
                bench.dim(), bench.layers(), m.easPlan(), m.prompt(), m.newTokens(), bench.threads(), m.cpu().model(),
                Runtime.getRuntime().availableProcessors()));
        sb.append(GoalTable.markdown(goals)).append("\n");
        sb.append(String.format(Locale.ROOT,
                "Model: random weights, dim %d, %d layers, %d heads, FFN %d, vocab %d, fp32, decoder only (text rows). "
                        + "EAS plan `%s` (%d of %d MHAs skipped), reparam `lowrank`; one model loaded with no plan, the EAS plan "
                        + "a `withPlan` view of the same weights. Prompt %d tokens per row, %d new tokens, greedy, "
                        + "no early stop. Median of %d timed run(s) after one warm-up per row (and, first, two untimed calls per batch size).%n%n",
                bench.dim(), bench.layers(), bench.heads(), bench.ffn(), bench.vocab(), m.easPlan(), skipped, bench.layers(),
                m.prompt(), m.newTokens(), bench.repeat()));
        sb.append(machine()).append("\n\n");
        sb.append(torchNote()).append("\n\n");
        sb.append("Reproduce: `./mvnw -q -DskipTests package && ").append(command).append("`\n\n");
        configurations(sb);
        speedups(sb);
        sweeps(sb);
        sb.append(NOTES);
        sb.append(END);
        return sb.toString();
    }

    private String machine() {
        HardwareProbe.Peak p = m.peak();
        return "Machine: " + m.cpu().model() + "; CPU flags " + m.cpu().relevantFlags() + "; "
                + Runtime.getRuntime().availableProcessors() + " cores visible; Java " + System.getProperty("java.version")
                + "; DJL 0.36.0 with libtorch 2.7.1 (CPU); " + bench.threads() + " intra-op threads. "
                + String.format(Locale.ROOT, "Measured in the same JVM and threads: fp32 matmul peak **%.1f GFLOP/s** (best of %d "
                        + "%dx%d `NDArray.matMul`), memory read bandwidth **%.1f GB/s** (best of %d `sum()` over a %s fp32 array). ",
                p.matmulGflops(), p.repetitions(), p.matmulSize(), p.matmulSize(), p.readGBs(), p.repetitions(), bytes(p.readBytes()))
                + "Goal 4 divides the prefill's FLOPs (`FlopModel.prefillFlops`) by prefill seconds, and the bytes the decode "
                + "steps read (`FlopModel.decodeBytes` at the mean context, times new tokens) by decode seconds. "
                + neighbourNote(m.neighbourShare());
    }

    private String torchNote() {
        if (m.torchMissing() != null) {
            return "PyTorch reference: not measured — " + m.torchMissing() + ".";
        }
        StringBuilder sb = new StringBuilder("PyTorch reference: `tools/reference/bench_reference.py`, eager mode, same math and plan");
        m.rows().stream().filter(r -> r.torch() != null).findFirst().ifPresent(r ->
                sb.append(", torch ").append(r.torch().torch()).append(", BLAS: ").append(r.torch().blas()));
        sb.append('.');
        TorchReference.Result l = m.lavin();
        if (l != null) {
            sb.append(String.format(Locale.ROOT, " Original LaVIN serving style (goal 2; `--mode lavin`: the kept-style adapter "
                            + "unmerged before every MHA, no skipping, batch 1): prefill %s tok/s, decode %s tok/s, %s answers/s.",
                    f1(l.prefillTokS()), f1(l.decodeTokS()), f3(l.answersPerSecond())));
        }
        return sb.toString();
    }

    private void configurations(StringBuilder sb) {
        sb.append("| plan | batch | prefill tok/s | decode tok/s | answers/s | KV cache per row | PyTorch prefill tok/s "
                + "| PyTorch decode tok/s | PyTorch answers/s | ours / PyTorch prefill | ours / PyTorch decode |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        List<Row> byPlan = m.rows().stream().sorted(Comparator.comparing((Row r) -> !r.plan().equals("none"))
                .thenComparingInt(Row::batch)).toList();
        for (Row r : byPlan) {
            TorchReference.Result t = r.torch();
            sb.append("| ").append(r.plan()).append(" | ").append(r.batch()).append(" | ").append(f1(r.prefillTokS()))
                    .append(" | ").append(f1(r.decodeTokS())).append(" | ").append(f3(r.answersPerSecond()))
                    .append(" | ").append(bytes(r.kvBytesPerRow())).append(" | ")
                    .append(t == null ? "—" : f1(t.prefillTokS())).append(" | ").append(t == null ? "—" : f1(t.decodeTokS()))
                    .append(" | ").append(t == null ? "—" : f3(t.answersPerSecond()))
                    .append(" | ").append(t == null ? "—" : f2(r.prefillTokS() / t.prefillTokS()) + "x")
                    .append(" | ").append(t == null ? "—" : f2(r.decodeTokS() / t.decodeTokS()) + "x").append(" |\n");
        }
    }

    private void speedups(StringBuilder sb) {
        sb.append("\n### EAS speed-up: measured vs predicted\n\n");
        sb.append("Predicted prefill speed-up = FLOPs without skipping / FLOPs with the plan; predicted decode speed-up = ")
                .append("bytes read per step (fp32 weights + KV cache) without / with the plan (decode at small batch is memory-bound).\n\n");
        sb.append("| batch | prefill measured | prefill predicted | % of predicted | decode measured | decode predicted | % of predicted | KV per row, none / plan |\n");
        sb.append("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int b : bench.batches()) {
            Row none = m.none(b).orElseThrow();
            Row eas = m.eas(b).orElseThrow();
            double pm = eas.prefillTokS() / none.prefillTokS();
            double pp = none.prefillFlops() / eas.prefillFlops();
            double dm = eas.decodeTokS() / none.decodeTokS();
            double dp = none.decodeBytesPerStep() / eas.decodeBytesPerStep();
            sb.append("| ").append(b).append(" | ").append(f2(pm)).append("x | ").append(f2(pp)).append("x | ")
                    .append(Math.round(100 * pm / pp)).append("% | ").append(f2(dm)).append("x | ").append(f2(dp))
                    .append("x | ").append(Math.round(100 * dm / dp)).append("% | ")
                    .append(eas.kvBytesPerRow() == 0 ? "no KV cache" : f2((double) none.kvBytesPerRow() / eas.kvBytesPerRow()) + "x")
                    .append(" |\n");
        }
    }

    private void sweeps(StringBuilder sb) {
        Sweep.Result s = m.sweep();
        if (s == null) {
            return;
        }
        sb.append("\n### Sweeps\n\n");
        sb.append(String.format(Locale.ROOT, "To keep the run short the sweeps generate %d new tokens per row (not %d) and time "
                + "%d run(s) per point after one warm-up, so they are noisier than the tables above; compare points of one "
                + "sweep only.%n%n", s.newTokens(), m.newTokens(), s.repeat()));
        sb.append("![throughput vs batch size](").append(PLOTS).append('/').append(BenchCharts.THROUGHPUT).append(")\n\n");
        sb.append("| plan | batch | prefill tok/s | decode tok/s |\n|---|---:|---:|---:|\n");
        for (Sweep.BatchPoint p : s.batches()) {
            sb.append("| ").append(p.plan()).append(" | ").append(p.batch()).append(" | ").append(f1(p.prefillTokS()))
                    .append(" | ").append(f1(p.decodeTokS())).append(" |\n");
        }
        sb.append("\n![speed-up vs skipped layers](").append(PLOTS).append('/').append(BenchCharts.SPEEDUP).append(")\n\n");
        sb.append(String.format(Locale.ROOT, "Skipping k layers at batch %d, layers taken in a fixed order: the EAS plan's from "
                + "the top, then the others from the top (so k = %d is the EAS plan).%n%n", s.kBatch(),
                SkipPlan.parse(m.easPlan(), bench.layers()).skippedCount()));
        sb.append("| k | plan | prefill measured | prefill predicted | decode measured | decode predicted |\n|---:|---|---:|---:|---:|---:|\n");
        for (Sweep.KPoint p : s.ks()) {
            sb.append("| ").append(p.k()).append(" | ").append(p.plan()).append(" | ").append(f2(p.prefillSpeedup()))
                    .append("x | ").append(f2(p.predictedPrefill())).append("x | ").append(f2(p.decodeSpeedup()))
                    .append("x | ").append(f2(p.predictedDecode())).append("x |\n");
        }
    }

    static final String NOTES = """

            ### Reading these numbers

            - A shared 2-core VM: the same command gives up to ±2x run to run on small shapes (other processes and
              OpenMP threads contend for the two cores), so compare rows of one run, never across runs.
            - PyTorch here is Debian's 1.13 with OpenBLAS (`libblas.so.3` → openblas-pthread via
              `update-alternatives`); the script sets `OMP_WAIT_POLICY=PASSIVE` and sends single-row products to
              `torch.mv` (both reported in its JSON). Our engine runs DJL's libtorch 2.7.1, whose statically linked MKL
              takes its generic code path on this AMD CPU; where batch-1 decoding loses to it, see "Profile: batch-1
              decode" below.
            - "predicted" counts only the decoder's arithmetic and bytes; the output head (D x V) is included, the
              per-op overhead of a small model is not, which is why measured ratios can exceed the prediction.
            - Goal 7 (bf16) is not measurable here: the row's CPU check is read from /proc/cpuinfo at run time;
              without avx512_bf16 or amx_bf16 libtorch has no fast bf16 matmul, and DJL 0.36's JNI aborts creating a
              BFLOAT16 array.
            """;
}
