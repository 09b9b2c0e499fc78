package io.easspark.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.FlopModel;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.PromptSequence;
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
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The engine benchmark: the same random model with no skip plan and with the EAS plan, prefill and decode
 * tokens/s at each batch size, KV bytes per row, the PyTorch eager reference on the same machine and threads, and
 * the speed-up predicted by counting FLOPs and bytes. Writes a Markdown report.
 */
@Command(name = "eas-bench", mixinStandardHelpOptions = true,
        description = "Benchmark LaVIN-EAS skipping on the engine vs the PyTorch eager reference; writes docs/BENCHMARKS.md.")
public final class EngineBench implements Callable<Integer> {

    @Option(names = "--dim", description = "model width (default: ${DEFAULT-VALUE})")
    int dim = 1024;
    @Option(names = "--layers", description = "decoder layers (default: ${DEFAULT-VALUE})")
    int layers = 32;
    @Option(names = "--heads", description = "attention heads (default: ${DEFAULT-VALUE})")
    int heads = 16;
    @Option(names = "--ffn", description = "FFN hidden size (default: ${DEFAULT-VALUE})")
    int ffn = 2752;
    @Option(names = "--vocab", description = "vocabulary (default: ${DEFAULT-VALUE})")
    int vocab = 32000;
    @Option(names = "--plan", description = "EAS skip plan, 0-based (default: ${DEFAULT-VALUE}, the published 12-of-32)")
    String plan = SkipPlan.PUBLISHED_7B;
    @Option(names = "--batches", split = ",", description = "batch sizes (default: 1,16)")
    int[] batches = {1, 16};
    @Option(names = "--prompt", description = "prompt tokens per row (default: ${DEFAULT-VALUE})")
    int prompt = 64;
    @Option(names = "--new", description = "generated tokens per row (default: ${DEFAULT-VALUE})")
    int newTokens = 32;
    @Option(names = "--repeat", description = "timed repetitions, median reported (default: ${DEFAULT-VALUE})")
    int repeat = 3;
    @Option(names = "--threads", description = "intra-op threads for libtorch and PyTorch (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();
    @Option(names = "--torch-python", description = "python with torch for the reference (default: ${DEFAULT-VALUE}); 'none' skips it")
    String torchPython = "/usr/bin/python3";
    @Option(names = "--output", description = "write the Markdown report here (default: print only)")
    Path output;
    @Option(names = "--quick", description = "a small model (dim 256, 8 layers, plan 5-7): a smoke run in seconds")
    boolean quick;

    private PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    private PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);

    public static void main(String[] args) {
        // progress goes to stdout; library INFO lines (native extraction, thread counts) would bury it
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cmd = new CommandLine(new EngineBench());
        cmd.setExecutionExceptionHandler((e, c, parsed) -> {
            c.getErr().println("eas-bench: " + e.getMessage());
            if (Boolean.getBoolean("eas.debug")) {
                e.printStackTrace(c.getErr());
            }
            return 1;
        });
        return cmd.execute(args);
    }

    /** One measured configuration. */
    record Row(String plan, int batch, double prefillTokS, double decodeTokS, long kvBytesPerRow,
               double predictedPrefillFlops, double predictedDecodeBytes, TorchReference.Result torch) {
    }

    @Override
    public Integer call() throws Exception {
        if (quick) {
            dim = 256;
            layers = 8;
            heads = 4;
            ffn = 688;
            plan = "5-7";
            newTokens = Math.min(newTokens, 16);
        }
        // libtorch reads these once, when the engine starts
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        LlamaConfig text = new LlamaConfig(dim, layers, heads, ffn, vocab, 1e-6, 10000, prompt + newTokens + 8);
        LavinConfig config = new LavinConfig(text, AdapterConfig.lavinEas(), null, 0, "", "lowrank");
        SkipPlan none = SkipPlan.none(layers);
        SkipPlan eas = SkipPlan.parse(plan, layers);
        TorchReference torch = new TorchReference(Path.of(torchPython), Path.of("tools/reference/bench_reference.py"));
        String torchMissing = torchPython.equals("none") ? "skipped (--torch-python none)" : torch.unavailableReason();
        Engine.getInstance().setRandomSeed(7);
        out.printf(Locale.ROOT, "eas-bench: dim %d, %d layers, %d heads, FFN %d, vocab %d, plan %s, prompt %d, new %d, threads %d%n",
                dim, layers, heads, ffn, vocab, eas, prompt, newTokens, threads);
        List<Row> rows = new ArrayList<>();
        for (SkipPlan p : List.of(none, eas)) {
            out.printf("loading the random model with plan %s ...%n", p);
            try (LavinModel model = LavinModel.load(config, new RandomWeights(config, 42), p, ReparamMode.LOWRANK, Device.cpu())) {
                BatchGenerator gen = new BatchGenerator(model);
                FlopModel cost = new FlopModel(text, config.adapter(), p);
                for (int b : batches) {
                    List<PromptSequence> input = prompts(b);
                    double prefill = median(() -> time(gen, input, 1));
                    double full = median(() -> time(gen, input, newTokens + 1));
                    double decode = Math.max(full - prefill, 1e-9);
                    TorchReference.Result t = null;
                    if (torchMissing == null) {
                        out.printf("  PyTorch eager reference, plan %s, batch %d ...%n", p, b);
                        t = torch.run(List.of("--dim", "" + dim, "--layers", "" + layers, "--heads", "" + heads, "--ffn", "" + ffn,
                                "--vocab", "" + vocab, "--plan", p.skippedCount() == 0 ? "" : p.toString(), "--batch", "" + b,
                                "--prompt", "" + prompt, "--new", "" + newTokens, "--threads", "" + threads,
                                "--repeat", "" + repeat), 1800);
                    }
                    Row row = new Row(p.toString(), b, (double) b * prompt / prefill, (double) b * newTokens / decode,
                            cost.kvBytesPerRow(prompt + newTokens), cost.prefillFlops(b, prompt),
                            cost.decodeBytes(b, prompt + newTokens / 2), t);
                    rows.add(row);
                    out.printf(Locale.ROOT, "  plan %-9s batch %2d: prefill %9.1f tok/s, decode %8.1f tok/s, KV %s/row%s%n",
                            row.plan(), b, row.prefillTokS(), row.decodeTokS(), Report.bytes(row.kvBytesPerRow()),
                            t == null ? "" : String.format(Locale.ROOT, " | PyTorch prefill %.1f, decode %.1f tok/s", t.prefillTokS(), t.decodeTokS()));
                }
            }
        }
        String report = new Report(this, rows, torchMissing).markdown();
        out.println();
        out.println(Report.ratioSummary(rows, batches));
        if (output != null) {
            Files.createDirectories(output.toAbsolutePath().getParent());
            Files.writeString(output, Report.merge(Files.exists(output) ? Files.readString(output) : "", report));
            out.println("wrote " + output);
        }
        return 0;
    }

    private List<PromptSequence> prompts(int batch) {
        List<PromptSequence> rows = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(batch);
        for (int r = 0; r < batch; r++) {
            long[] prefix = {1, 5, 6, 7, 8}; // BOS + "Image: N/A"-sized prefix
            long[] ids = new long[prompt - 1 - prefix.length]; // the modality token takes one position
            for (int i = 0; i < ids.length; i++) {
                ids[i] = 3 + random.nextInt(vocab - 3);
            }
            rows.add(new PromptSequence(prefix, null, ids, r));
        }
        return rows;
    }

    /** Seconds for one generate call; EOS never stops it (id −1), so every row decodes every token. */
    private static double time(BatchGenerator gen, List<PromptSequence> input, int maxNew) {
        GenerationConfig cfg = new GenerationConfig(maxNew, 0, 1, 0, -1, false, false);
        long t0 = System.nanoTime();
        gen.generate(input, cfg);
        return (System.nanoTime() - t0) / 1e9;
    }

    interface Timed {
        double run();
    }

    private double median(Timed t) {
        t.run(); // warm-up: first calls allocate and pick kernels
        double[] s = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            s[i] = t.run();
        }
        Arrays.sort(s);
        return s[repeat / 2];
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

    int prompt() {
        return prompt;
    }

    int newTokens() {
        return newTokens;
    }

    int threads() {
        return threads;
    }

    int repeat() {
        return repeat;
    }

    String plan() {
        return plan;
    }

    boolean quick() {
        return quick;
    }
}
