package io.easspark.jobs.calibrate;

import io.easspark.jobs.infer.InferBench;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.nativeformat.DemoModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eas bench-calibrate}: plans evaluated per minute by calibrate's Spark evaluator on local[1] and local[N]
 * (same model, rows and plans; the model loaded and warmed first), so the scaling with executor cores shows.
 */
@Command(name = "bench-calibrate", mixinStandardHelpOptions = true,
        description = {"Benchmark: calibrate's plans evaluated per minute on local[1] vs local[N], same model and rows.",
            "Prints the table; --output merges it into a Markdown report (e.g. docs/BENCHMARKS.md)."})
public final class CalibrateBench implements Callable<Integer> {

    static final String BEGIN = "<!-- calibrate-bench:begin -->";
    static final String END = "<!-- calibrate-bench:end -->";

    @Spec
    CommandSpec spec;
    @Option(names = "--rows", defaultValue = "16", description = "validation rows (default: ${DEFAULT-VALUE})")
    int rows;
    @Option(names = "--dim", defaultValue = "1024", description = "(default: ${DEFAULT-VALUE})")
    int dim;
    @Option(names = "--layers", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--heads", defaultValue = "16", description = "(default: ${DEFAULT-VALUE})")
    int heads;
    @Option(names = "--ffn", defaultValue = "2752", description = "(default: ${DEFAULT-VALUE})")
    int ffn;
    @Option(names = "--rounds", defaultValue = "2", description = "rl rounds per measured run (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--cores", defaultValue = "2", description = "N of local[N] (default: ${DEFAULT-VALUE})")
    int cores;
    @Option(names = "--work", description = "scratch folder (default: a temporary one; the model is kept there for reruns)")
    Path work;
    @Option(names = "--output", description = "Markdown report to merge this section into")
    Path output;

    record Run(String master, int partitions, int plans, double seconds) {
        double plansPerMinute() {
            return plans / seconds * 60;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("eas-bench-calibrate");
        Path demo = dir.resolve("demo");
        InferBench.demo(demo, rows);
        Path model = dir.resolve("model-" + dim + "x" + layers);
        if (!Files.exists(model.resolve("config.json"))) {
            out.println("bench-calibrate: writing a random dim-" + dim + ", " + layers + "-layer model to " + model);
            out.flush();
            DemoModel.write(model, DemoModel.scaled(dim, layers, heads, ffn), 5);
        }
        List<Run> runs = new ArrayList<>();
        for (int n : new int[] {1, cores}) {
            SparkSession spark = LocalSpark.session("local[" + n + "]", "eas-bench-calibrate");
            try {
                CalibrateJob.Options base = options(demo, model, n, 1, dir.resolve("warm"));
                CalibrateJob.run(spark, base, new PrintWriter(new StringWriter())); // load, JIT, first touch of the weights
                long t0 = System.nanoTime();
                CalibrateJob.Result r = CalibrateJob.run(spark, options(demo, model, n, rounds, dir.resolve("run-" + n)), new PrintWriter(new StringWriter()));
                Run run = new Run("local[" + n + "]", n, r.plansEvaluated(), (System.nanoTime() - t0) / 1e9);
                runs.add(run);
                out.printf(Locale.ROOT, "  %-9s %d plans in %.1f s: %.2f plans/min%n", run.master(), run.plans(), run.seconds(), run.plansPerMinute());
                out.flush();
            } finally {
                spark.stop();
            }
        }
        String section = markdown(runs);
        out.println(section);
        if (output != null) {
            String existing = Files.exists(output) ? Files.readString(output) : "# Benchmarks\n\n";
            Files.writeString(output, InferBench.merge(existing, section, BEGIN, END));
            out.println("bench-calibrate: wrote " + output);
        }
        return 0;
    }

    private CalibrateJob.Options options(Path demo, Path model, int partitions, int rlRounds, Path out) {
        InferOptions in = InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), model.toUri().toString(), out.toString())
                .imageRoot(demo.resolve("data").toString()).batchSize(8).device("cpu").partitions(partitions).build(LocalSpark.hadoopConf());
        return new CalibrateJob.Options(in, "answer", null, "rl", 2, 2, rlRounds, 3, 2.0, 1, out);
    }

    private String markdown(List<Run> runs) {
        StringBuilder sb = new StringBuilder(BEGIN).append("\n## Calibrate: plans evaluated per minute\n\n");
        sb.append(String.format(Locale.ROOT, "Command: `java -Dai.djl.pytorch.num_threads=1 -jar jobs/target/eas-jobs.jar bench-calibrate "
                + "--output docs/BENCHMARKS.md`. Random-weight model of the demo's shape scaled to dim %d, %d layers, %d heads, FFN %d "
                + "(vocabulary 512: the demo tokenizer); %d demo validation rows (%d scorable: one has no image file, one an empty "
                + "question), batch 8; `rl` with k 2, %d rounds of 3 plans, the best plan, and the k = 0..2 curve; the model is "
                + "loaded and warmed by a one-round run before timing. One libtorch thread per task, so the executor cores are "
                + "the only parallelism. Machine: %d cores, Java %s.%n%n", dim, layers, heads, ffn, rows, rows - 2, rounds,
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version")));
        sb.append("| master | validation partitions | plans | seconds | plans/min | vs local[1] |\n|---|---:|---:|---:|---:|---:|\n");
        for (Run r : runs) {
            sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.1f | %.2f | %.2fx |%n", r.master(), r.partitions(), r.plans(), r.seconds(),
                    r.plansPerMinute(), r.plansPerMinute() / runs.get(0).plansPerMinute()));
        }
        return sb.append(END).toString();
    }
}
