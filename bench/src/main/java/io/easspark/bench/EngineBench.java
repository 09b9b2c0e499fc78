package io.easspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.FlopModel;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.RandomWeights;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The engine benchmark (issue 7): one random model, timed with no skip plan and with the EAS plan (a view of the
 * same weights), prefill and decode tokens/s and answers/s at each batch size; the PyTorch eager reference on the
 * same machine and threads, also in the original LaVIN serving style; the machine's matmul peak and memory
 * bandwidth; sweeps over batch size and skipped layers for the plots. Prints the goals table; writes a Markdown
 * report and PNG plots with {@code --output}. Exit codes: 0 ok, 1 failure, 2 bad input.
 */
@Command(name = "eas-bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark LaVIN-EAS skipping on the engine vs the PyTorch eager reference and the machine's peak;",
            "prints issue 7's goals table, and with --output writes the report (e.g. docs/BENCHMARKS.md) and its plots."})
public final class EngineBench implements Callable<Integer> {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int BAD_INPUT = 2;
    /** Best-of repetitions for the hardware probe: enough to dodge a neighbour's burst on a shared VM. */
    private static final int PROBE_REPETITIONS = 5;
    /** The k sweep's default step: 0, 4, 8, ... below the layer count (0-28 for 32 layers). */
    private static final int K_STEP = 4;
    /** The reference script at full size takes minutes per configuration on 2 cores; a hung one should not hang the run. */
    private static final int TORCH_TIMEOUT_S = 1800;
    private static final String JAR = "java -jar bench/target/eas-bench.jar";

    @Spec
    CommandSpec spec;

    @Option(names = "--dim", description = "model width (default: ${DEFAULT-VALUE}; quick: 256)")
    int dim = 1024;
    @Option(names = "--layers", description = "decoder layers (default: ${DEFAULT-VALUE}; quick: 8)")
    int layers = 32;
    @Option(names = "--heads", description = "attention heads (default: ${DEFAULT-VALUE}; quick: 4)")
    int heads = 16;
    @Option(names = "--ffn", description = "FFN hidden size (default: ${DEFAULT-VALUE}; quick: 688)")
    int ffn = 2752;
    @Option(names = "--vocab", description = "vocabulary (default: ${DEFAULT-VALUE})")
    int vocab = 32000;
    @Option(names = "--plan", description = "EAS skip plan, 0-based (default: ${DEFAULT-VALUE}, the published 12-of-32; quick: 5-7)")
    String plan = SkipPlan.PUBLISHED_7B;
    @Option(names = "--batches", split = ",", description = "batch sizes of the main table (default: 1,16; the goals use 1 and 16)")
    int[] batches = {1, 16};
    @Option(names = "--prompt", description = "prompt tokens per row, the modality token included (default: ${DEFAULT-VALUE})")
    int prompt = 64;
    @Option(names = "--new", description = "generated tokens per row (default: ${DEFAULT-VALUE}; quick: 16)")
    int newTokens = 32;
    @Option(names = "--repeat", description = "timed repetitions, median reported (default: ${DEFAULT-VALUE})")
    int repeat = 3;
    @Option(names = "--threads", description = "intra-op threads for libtorch and PyTorch (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--sweep", description = "run the sweeps behind the plots (the default; --quick runs small ones)")
    boolean sweep;
    @Option(names = "--no-sweep", description = "skip the sweeps and the plots")
    boolean noSweep;
    @Option(names = "--sweep-batches", split = ",", description = "batch sizes of the throughput-vs-batch sweep (default: 1,2,4,8,16; quick: 1,4,16)")
    int[] sweepBatches = {1, 2, 4, 8, 16};
    @Option(names = "--sweep-k", split = ",", description = "layers skipped in the speed-up-vs-k sweep; 0 is always measured as the baseline "
            + "(default: 0,4,8,... below --layers; quick: 0, the plan's k, halfway, all)")
    int[] sweepK;
    @Option(names = "--sweep-batch", description = "batch size of the speed-up-vs-k sweep (default: ${DEFAULT-VALUE})")
    int sweepBatch = 4;
    @Option(names = "--sweep-new", description = "generated tokens per row in the sweeps (default: ${DEFAULT-VALUE})")
    int sweepNew = 8;
    @Option(names = "--sweep-repeat", description = "timed repetitions per sweep point (default: ${DEFAULT-VALUE})")
    int sweepRepeat = 1;
    @Option(names = "--matmul-size", description = "N of the N x N fp32 matmuls that measure the peak (default: ${DEFAULT-VALUE}; quick: 1024)")
    int matmulSize = 2048;
    @Option(names = "--read-mib", description = "MiB of the fp32 array summed to measure memory bandwidth (default: ${DEFAULT-VALUE}; quick: 256)")
    int readMib = 512;
    @Option(names = "--torch-python", description = "python with torch for the reference (default: ${DEFAULT-VALUE}); 'none' skips it")
    String torchPython = "/usr/bin/python3";
    @Option(names = "--output", description = "write the Markdown report here and the plots to bench/ beside it (default: print only)")
    Path output;
    @Option(names = "--quick", description = "a small model (dim 256, 8 layers, plan 5-7), 16 new tokens, small sweeps: "
            + "the goals table in under 2 minutes; options given explicitly still apply")
    boolean quick;

    public static void main(String[] args) {
        // progress goes to stdout; library INFO lines (native extraction, thread counts) would bury it
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(new PrintWriter(System.out, true, StandardCharsets.UTF_8),
                new PrintWriter(System.err, true, StandardCharsets.UTF_8), args));
    }

    /** Runs a command line with injectable writers (tests read what a user would see). */
    static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cmd = new CommandLine(new EngineBench());
        cmd.setOut(out);
        cmd.setErr(err);
        // short usage errors: one line that names the flag, not the whole help page
        cmd.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println("eas-bench: " + e.getMessage() + " (see --help)");
            return BAD_INPUT;
        });
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("eas-bench: " + (e.getMessage() == null ? e.toString() : e.getMessage().replace('\n', ' ')));
            if (Boolean.getBoolean("eas.debug")) {
                e.printStackTrace(c.getErr());
            }
            return e instanceof IllegalArgumentException ? BAD_INPUT : FAILED;
        });
        return cmd.execute(args);
    }

    @Override
    public Integer call() throws Exception {
        applyQuickDefaults();
        SkipPlan none = SkipPlan.none(layers);
        SkipPlan eas = validate();
        int[] ks = kSweep(eas);
        PrintWriter out = spec.commandLine().getOut();
        // libtorch reads these once, when the engine starts
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        LlamaConfig text = new LlamaConfig(dim, layers, heads, ffn, vocab, 1e-6, 10000, prompt + Math.max(newTokens, sweepNew) + 8);
        LavinConfig config = new LavinConfig(text, AdapterConfig.lavinEas(), null, 0, "", "lowrank");
        CpuInfo cpu = CpuInfo.read();
        NeighbourLoad neighbours = NeighbourLoad.start();
        out.printf(Locale.ROOT, "eas-bench: dim %d, %d layers, %d heads, FFN %d, vocab %d, plan %s, prompt %d, new %d, threads %d%n",
                dim, layers, heads, ffn, vocab, eas, prompt, newTokens, threads);
        out.printf(Locale.ROOT, "machine: %s; flags %s; %d cores, %d intra-op threads%n", cpu.model(), cpu.relevantFlags(),
                Runtime.getRuntime().availableProcessors(), threads);
        Engine.getInstance().setRandomSeed(7);
        HardwareProbe.Peak peak = new HardwareProbe(matmulSize, (long) readMib << 20, PROBE_REPETITIONS).measure();
        out.printf(Locale.ROOT, "hardware: fp32 matmul %.1f GFLOP/s (%dx%d), memory read %.1f GB/s (%d MiB sum)%n",
                peak.matmulGflops(), matmulSize, matmulSize, peak.readGBs(), readMib);
        TorchReference torch = new TorchReference(Path.of(torchPython), Path.of("tools/reference/bench_reference.py"));
        String torchMissing = torchPython.equals("none") ? "skipped (--torch-python none)" : torch.unavailableReason();
        List<Row> rows = new ArrayList<>();
        TorchReference.Result lavin = null;
        Sweep.Result swept = null;
        out.println("loading the random model (plan none; the EAS plan is a view of the same weights) ...");
        try (LavinModel model = LavinModel.load(config, new RandomWeights(config, 42), none, ReparamMode.LOWRANK, Device.cpu())) {
            EngineTimer timer = new EngineTimer(vocab, prompt);
            out.println("warming up ...");
            timer.warmUp(model, batches, newTokens);
            // plans alternate within each batch size, so a slow spell of a shared machine does not favour one plan
            for (int b : batches) {
                for (SkipPlan p : List.of(none, eas)) {
                    try (LavinModel view = model.withPlan(p)) {
                        rows.add(measure(view, timer, new FlopModel(text, config.adapter(), p), b,
                                torchMissing == null ? torch : null, out));
                    }
                }
            }
            if (torchMissing == null) {
                out.println("  PyTorch eager, original LaVIN serving style (--mode lavin, batch 1) ...");
                lavin = torch.run(torchArgs(none, 1, "lavin"), TORCH_TIMEOUT_S);
            }
            if (!noSweep) {
                out.println("sweeps (" + sweepNew + " new tokens, " + sweepRepeat + " timed run(s) per point) ...");
                swept = new Sweep(model, timer, prompt, sweepNew, sweepRepeat, out)
                        .run(List.of(none, eas), sweepBatches, new SkipOrder(eas), ks, sweepBatch);
            }
        }
        Measurements m = new Measurements(eas.toString(), prompt, newTokens, rows, lavin, torchMissing, peak, cpu, swept,
                neighbours == null ? Double.NaN : neighbours.share());
        String command = command();
        List<Goal> goals = new Goals(m, command).evaluate();
        out.println();
        out.println(Report.ratioSummary(m, batches));
        out.println();
        out.println("Goals (issue 7):");
        out.print(GoalTable.plain(goals));
        out.println(Report.neighbourNote(m.neighbourShare()));
        out.flush();
        if (output != null) {
            write(m, goals, command, out);
        }
        return OK;
    }

    private Row measure(LavinModel view, EngineTimer timer, FlopModel cost, int b, TorchReference torch, PrintWriter out)
            throws Exception {
        SkipPlan p = view.plan();
        Timing t = timer.time(view, b, newTokens, repeat);
        TorchReference.Result ref = null;
        if (torch != null) {
            out.printf("  PyTorch eager reference, plan %s, batch %d ...%n", p, b);
            ref = torch.run(torchArgs(p, b, "eas"), TORCH_TIMEOUT_S);
        }
        Row row = new Row(p.toString(), b, prompt, newTokens, t, cost.kvBytesPerRow(prompt + newTokens),
                cost.prefillFlops(b, prompt), cost.decodeBytes(b, prompt + newTokens / 2), ref);
        out.printf(Locale.ROOT, "  plan %-9s batch %2d: prefill %9.1f tok/s, decode %8.1f tok/s, %.3g answers/s, KV %s/row%s%n",
                row.plan(), b, row.prefillTokS(), row.decodeTokS(), row.answersPerSecond(), Report.bytes(row.kvBytesPerRow()),
                ref == null ? "" : String.format(Locale.ROOT, " | PyTorch prefill %.1f, decode %.1f tok/s, %.3g answers/s",
                        ref.prefillTokS(), ref.decodeTokS(), ref.answersPerSecond()));
        return row;
    }

    private List<String> torchArgs(SkipPlan p, int batch, String mode) {
        return List.of("--mode", mode, "--dim", "" + dim, "--layers", "" + layers, "--heads", "" + heads, "--ffn", "" + ffn,
                "--vocab", "" + vocab, "--plan", p.skippedCount() == 0 ? "" : p.toString(), "--batch", "" + batch,
                "--prompt", "" + prompt, "--new", "" + newTokens, "--threads", "" + threads, "--repeat", "" + repeat);
    }

    private void write(Measurements m, List<Goal> goals, String command, PrintWriter out) throws Exception {
        Path md = output.toAbsolutePath();
        Files.createDirectories(md.getParent());
        if (m.sweep() != null) {
            Path plots = Files.createDirectories(md.getParent().resolve(Report.PLOTS));
            BenchCharts.throughputVsBatch(plots.resolve(BenchCharts.THROUGHPUT), m.sweep().batches());
            BenchCharts.speedupVsK(plots.resolve(BenchCharts.SPEEDUP), m.sweep().ks(), m.sweep().kBatch());
            out.println("wrote " + plots.resolve(BenchCharts.THROUGHPUT) + ", " + plots.resolve(BenchCharts.SPEEDUP));
        }
        String report = new Report(this, m, goals, command).markdown();
        Files.writeString(output, Report.merge(Files.exists(output) ? Files.readString(output) : "", report));
        out.println("wrote " + output);
    }

    /** Quick mode's sizes, for each option the command line did not set. */
    private void applyQuickDefaults() {
        if (!quick) {
            return;
        }
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        if (!given.hasMatchedOption("--dim")) {
            dim = 256;
        }
        if (!given.hasMatchedOption("--layers")) {
            layers = 8;
        }
        if (!given.hasMatchedOption("--heads")) {
            heads = 4;
        }
        if (!given.hasMatchedOption("--ffn")) {
            ffn = 688;
        }
        if (!given.hasMatchedOption("--plan")) {
            plan = "5-7";
        }
        if (!given.hasMatchedOption("--new")) {
            newTokens = 16;
        }
        if (!given.hasMatchedOption("--sweep-batches")) {
            sweepBatches = new int[] {1, 4, 16};
        }
        if (!given.hasMatchedOption("--matmul-size")) {
            matmulSize = 1024;
        }
        if (!given.hasMatchedOption("--read-mib")) {
            readMib = 256;
        }
    }

    /** Checks every option before anything runs; returns the EAS plan. */
    private SkipPlan validate() {
        if (sweep && noSweep) {
            throw bad("--sweep and --no-sweep contradict each other");
        }
        positive("--dim", dim);
        positive("--layers", layers);
        positive("--heads", heads);
        positive("--ffn", ffn);
        positive("--vocab", vocab);
        positive("--new", newTokens);
        positive("--repeat", repeat);
        positive("--threads", threads);
        positive("--sweep-batch", sweepBatch);
        positive("--sweep-new", sweepNew);
        positive("--sweep-repeat", sweepRepeat);
        positive("--matmul-size", matmulSize);
        positive("--read-mib", readMib);
        if (dim % heads != 0 || (dim / heads) % 2 != 0) {
            throw bad("--heads " + heads + " must divide --dim " + dim + " into heads of an even size (RoPE pairs)");
        }
        if (prompt < EngineTimer.minPrompt()) {
            throw bad("--prompt must be at least " + EngineTimer.minPrompt() + " (prefix, modality token and a question token): " + prompt);
        }
        if (vocab <= EngineTimer.minPrompt()) {
            throw bad("--vocab must be more than " + EngineTimer.minPrompt() + " (special and prefix ids): " + vocab);
        }
        for (int b : batches) {
            positive("--batches", b);
        }
        for (int b : sweepBatches) {
            positive("--sweep-batches", b);
        }
        for (int k : sweepK == null ? new int[0] : sweepK) {
            if (k < 0 || k > layers) {
                throw bad("--sweep-k " + k + " is outside 0-" + layers + " (the model's layers)");
            }
        }
        SkipPlan eas;
        try {
            eas = SkipPlan.parse(plan, layers);
        } catch (IllegalArgumentException e) {
            throw bad("--plan: " + e.getMessage());
        }
        if (eas.skippedCount() == 0) {
            throw bad("--plan must skip at least one layer (it is compared with no skipping): '" + plan + "'");
        }
        return eas;
    }

    /**
     * The k values to sweep, sorted, with the k = 0 baseline first. By default every {@value #K_STEP}th k below the
     * layer count; in quick mode four points: none, the EAS plan, halfway to all, all.
     */
    private int[] kSweep(SkipPlan eas) {
        int planK = eas.skippedCount();
        IntStream ks = sweepK != null ? Arrays.stream(sweepK)
                : quick ? IntStream.of(planK, (planK + layers) / 2, layers)
                : IntStream.iterate(0, k -> k < layers, k -> k + K_STEP);
        return IntStream.concat(IntStream.of(0), ks).distinct().sorted().toArray();
    }

    private void positive(String flag, int value) {
        if (value <= 0) {
            throw bad(flag + " must be > 0: " + value);
        }
    }

    private ParameterException bad(String message) {
        return new ParameterException(spec.commandLine(), message);
    }

    /** This run's command line, quoted for a shell where needed. */
    private String command() {
        StringBuilder sb = new StringBuilder(JAR);
        for (String a : spec.commandLine().getParseResult().originalArgs()) {
            sb.append(' ').append(a.matches("[A-Za-z0-9_./,=:+-]+") ? a : "'" + a.replace("'", "'\\''") + "'");
        }
        return sb.toString();
    }

    int dim() {
        return dim;
    }

    int layers() {
        return layers;
    }

    int heads() {
        return heads;
    }

    int ffn() {
        return ffn;
    }

    int vocab() {
        return vocab;
    }

    int threads() {
        return threads;
    }

    int repeat() {
        return repeat;
    }

    int[] batches() {
        return batches.clone();
    }
}
