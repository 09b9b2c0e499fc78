package io.easspark.jobs.infer;

import ai.djl.pytorch.jni.JniUtils;
import io.easspark.jobs.demo.DemoCommand;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.cache.LoadedModel;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.udf.AnswerOptions;
import io.easspark.udf.BatchAnswerer;
import io.easspark.udf.QuestionRow;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eas bench-infer}: the Spark job's rows/s against the engine alone on the same rows, model, batch size and
 * JVM, with and without cross-task batching. Writes its section of docs/BENCHMARKS.md.
 */
@Command(name = "bench-infer", mixinStandardHelpOptions = true,
        description = {"Benchmark: infer on Spark local[N] vs the engine alone (same rows, model, batch size, JVM),",
            "with and without cross-task batching. Prints the table; --output merges it into a Markdown report."})
public final class InferBench implements Callable<Integer> {

    static final String BEGIN = "<!-- job-bench:begin -->";
    static final String END = "<!-- job-bench:end -->";

    @Spec
    CommandSpec spec;

    @Option(names = "--rows", defaultValue = "96", description = "dataset rows (default: ${DEFAULT-VALUE})")
    int rows;
    @Option(names = "--dim", defaultValue = "256", description = "decoder width (default: ${DEFAULT-VALUE})")
    int dim;
    @Option(names = "--layers", defaultValue = "8", description = "decoder layers (default: ${DEFAULT-VALUE})")
    int layers;
    @Option(names = "--batch-size", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "16", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--master", defaultValue = "local[2]", description = "(default: ${DEFAULT-VALUE})")
    String master;
    @Option(names = "--partitions", defaultValue = "2", description = "tasks the job splits the rows into (default: ${DEFAULT-VALUE})")
    int partitions;
    @Option(names = "--work", description = "scratch folder (default: a temporary one)")
    Path work;
    @Option(names = "--output", description = "Markdown report to merge this section into (e.g. docs/BENCHMARKS.md)")
    Path output;

    /** One measured way of answering the rows. */
    record Result(String how, double seconds, long rows) {
        double rowsPerSecond() {
            return rows / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("eas-bench-infer");
        demo(dir.resolve("demo"), rows);
        Path model = dir.resolve("model");
        if (!Files.exists(model.resolve("config.json"))) {
            DemoModel.write(model, DemoModel.scaled(dim, layers, Math.max(1, dim / 64), dim * 11 / 4), 11);
        }
        InferOptions base = InferOptions.builder(dir.resolve("demo/data/questions.jsonl").toString(), model.toUri().toString(),
                dir.resolve("answers").toString()).imageRoot(dir.resolve("demo/data").toString()).batchSize(batchSize)
                .maxNewTokens(maxNewTokens).device("cpu").previewRows(0).progressSeconds(0).partitions(partitions)
                .build(LocalSpark.hadoopConf());
        SparkSession spark = LocalSpark.session(master, "eas-bench-infer");
        try {
            out.println("bench-infer: warm-up (model load, JIT)");
            out.flush();
            InferJob.run(spark, base.withInput(firstRows(dir, 2 * batchSize)), new PrintWriter(new StringWriter()));

            int cores = Runtime.getRuntime().availableProcessors();
            int slots = Math.max(1, spark.sparkContext().defaultParallelism());
            List<Result> results = new ArrayList<>();
            // libtorch's threads are per process: the engine alone and the shared batcher (one stream) get every core,
            // tasks that batch their own rows split the cores between them
            JniUtils.setNumThreads(cores);
            results.add(engineAlone(spark, base, cores));
            out.println("  " + line(results.get(0)));
            for (boolean shared : new boolean[] {false, true}) {
                int threads = shared ? cores : Math.max(1, cores / slots);
                JniUtils.setNumThreads(threads);
                long t0 = System.nanoTime();
                InferJob.Summary s = InferJob.run(spark, base.withCrossTaskBatching(shared ? CrossTaskBatching.ON : CrossTaskBatching.OFF),
                        new PrintWriter(new StringWriter()));
                Result r = new Result(String.format(Locale.ROOT, "Spark job, %s, %d tasks, %s, %d libtorch thread(s)", master, partitions,
                        shared ? "cross-task batching (one batcher)" : "batches per task (the CPU default)", threads),
                        (System.nanoTime() - t0) / 1e9, s.answeredRows());
                results.add(r);
                out.println("  " + line(r));
                out.flush();
            }
            String section = markdown(results);
            out.println(section);
            if (output != null) {
                String existing = Files.exists(output) ? Files.readString(output) : "# Benchmarks\n\n";
                Files.writeString(output, merge(existing, section, BEGIN, END));
                out.println("bench-infer: wrote " + output);
            }
            return 0;
        } finally {
            spark.stop();
        }
    }

    private String line(Result r) {
        return String.format(Locale.ROOT, "%-95s %6.1f s  %6.2f rows/s", r.how(), r.seconds(), r.rowsPerSecond());
    }

    /** The same rows through BatchAnswerer on this thread, chunked as a task chunks them, images read from disk. */
    private Result engineAlone(SparkSession spark, InferOptions o, int threads) {
        List<Row> input = InferJob.canonical(InferJob.read(spark, o.in()), o).collectAsList();
        // the job's own request: the same model (one cache entry), plan, decoding and batch size
        try (ModelCache.Lease<LoadedModel> lease = LoadedModel.acquire(o.request().model(), new Configuration(), null)) {
            AnswerOptions options = o.request().answerOptions();
            BatchAnswerer answerer = new BatchAnswerer(lease.get().model(), lease.get().tokenizer(), o.model(), options);
            ImageResolver images = new ImageResolver(o.imageRoot(), new Configuration(), o.maxImageBytes());
            int chunk = o.batchSize() * AnswerPartition.BATCHES_PER_CHUNK;
            long t0 = System.nanoTime();
            long answered = 0;
            for (int start = 0; start < input.size(); start += chunk) {
                List<QuestionRow> rows = new ArrayList<>();
                for (Row r : input.subList(start, Math.min(input.size(), start + chunk))) {
                    rows.add(AnswerPartition.question(r, images));
                }
                answered += answerer.answer(rows).size();
            }
            return new Result("engine alone (BatchAnswerer on one thread, " + threads + " libtorch threads)", (System.nanoTime() - t0) / 1e9, answered);
        }
    }

    private static String firstRows(Path dir, int n) throws Exception {
        Path in = dir.resolve("demo/data/questions.jsonl");
        List<String> lines = Files.readAllLines(in);
        Path warm = dir.resolve("warm-up.jsonl");
        Files.write(warm, lines.subList(0, Math.min(n, lines.size())));
        return warm.toString();
    }

    private String markdown(List<Result> results) {
        Result engine = results.get(0);
        StringBuilder sb = new StringBuilder(BEGIN).append("\n## Spark job vs the engine alone\n\n");
        sb.append(String.format(Locale.ROOT, "Command: `java -jar jobs/target/eas-jobs.jar bench-infer --output docs/BENCHMARKS.md` "
                + "(rows %d, dim %d, %d layers, batch %d, %d new tokens, %s, %d tasks). The demo dataset (96x96 PNGs, 56-pixel image "
                + "tower, 2 visual tokens) on a random-weight model of the demo's shape scaled to dim %d; the model is loaded and "
                + "warmed before timing, so the numbers compare answering, not loading. Machine: %d cores, Java %s.%n%n",
                rows, dim, layers, batchSize, maxNewTokens, master, partitions, dim, Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version")));
        sb.append("| how | seconds | rows/s | vs engine alone |\n|---|---:|---:|---:|\n");
        for (Result r : results) {
            sb.append(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %.0f%% |%n", r.how(), r.seconds(), r.rowsPerSecond(),
                    100 * r.rowsPerSecond() / engine.rowsPerSecond()));
        }
        sb.append("\nThe job's time is the whole `InferJob.run`: reading and counting the input, answering, committing Parquet, "
                + "reading the output back for the summary. libtorch's intra-op threads are set per run (one process): all cores "
                + "for one stream of batches (the engine alone, the shared batcher), cores / tasks when each task batches its own "
                + "rows. On the CPU two tasks each with their own batches and cores answer faster than one stream with all "
                + "cores (small matrices do not split well across threads), so `--cross-task-batching auto` shares batches "
                + "only on a GPU, where one device serves every task of its executor.\n");
        return sb.append(END).toString();
    }

    /** Replaces the section between its markers in a report, or appends it; other sections stay as they are. */
    public static String merge(String existing, String section, String begin, String end) {
        int b = existing.indexOf(begin);
        int e = existing.indexOf(end);
        if (b >= 0 && e > b) {
            return existing.substring(0, b) + section + existing.substring(e + end.length());
        }
        return existing.stripTrailing() + "\n\n" + section + "\n";
    }

    /**
     * Writes the demo dataset (benchmarks' input), unless it is there already. Through {@link DemoCommand#write}, not
     * the command line: a subcommand calling back into {@code EasCli} made the two depend on each other.
     */
    public static void demo(Path dir, int rows) throws java.io.IOException {
        if (!Files.exists(dir.resolve("data/questions.jsonl"))) {
            DemoCommand.write(dir, rows, 7);
        }
    }
}
