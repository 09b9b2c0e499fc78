package io.easspark.loader.s3;

import ai.djl.Device;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.io.SeekableInput;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Load benchmark (issue 4): the dim-1024 benchmark model as a native directory, loaded from local disk and from
 * s3a:// (s3proxy on 127.0.0.1), next to the raw read speed of the same bytes; peak heap and resident-memory growth.
 * Not a test: run it with
 * {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl model-loader test-compile exec:java -Dexec.mainClass=io.easspark.loader.s3.LoadBench -Dexec.classpathScope=test}
 * and it rewrites the load section of docs/BENCHMARKS.md.
 */
public final class LoadBench {

    private static final String BEGIN = "<!-- load-bench:begin -->";
    private static final String END = "<!-- load-bench:end -->";

    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.offline", "true");
        Path work = Files.createTempDirectory("eas-load-bench");
        LlamaConfig text = new LlamaConfig(1024, 32, 16, 2752, 32000, 1e-6, 10000, 512);
        LavinConfig config = new LavinConfig(text, AdapterConfig.lavinEas(), null, 0, SkipPlan.PUBLISHED_7B, "lowrank");
        Path local = work.resolve("model");
        System.out.println("load-bench: writing the dim-1024, 32-layer fp32 model to " + local + " ...");
        NativeModelWriter.write(local, config, DemoModel.randomTensors(config, 42), null, (i, n, name, b) -> { });
        long bytes = Files.size(local.resolve(NativeModelWriter.WEIGHTS));
        List<String> rows = new ArrayList<>();
        try (S3Proxy s3 = S3Proxy.start(work, "models")) {
            Configuration s3conf = s3.hadoopConf();
            String remote = "s3a://models/bench";
            try (FileSystem fs = new org.apache.hadoop.fs.Path(remote).getFileSystem(s3conf)) {
                for (String f : new String[] {NativeModelWriter.CONFIG, NativeModelWriter.WEIGHTS}) {
                    try (var out = fs.create(new org.apache.hadoop.fs.Path(remote + "/" + f), true)) {
                        Files.copy(local.resolve(f), out);
                    }
                }
            }
            rows.add(measure("local disk (file:)", local.toUri().toString(), new Configuration(), bytes));
            rows.add(measure("S3 (s3a:// → s3proxy on 127.0.0.1)", remote, s3conf, bytes));
        }
        String section = String.join("\n",
                BEGIN,
                "## Model load: local disk vs s3a://",
                "",
                String.format(Locale.ROOT, "The dim-1024, 32-layer benchmark model (fp32, one %.0f MiB model.safetensors), loaded with plan %s "
                        + "and reparam lowrank on the CPU; raw read = the same file read through the same Hadoop filesystem in 8 MiB "
                        + "positional reads, nothing else. Peak heap from the JVM's heap pools (reset before each load); native = "
                        + "growth of the process's resident set during the load (libtorch tensors live outside the heap).",
                        bytes / 1048576.0, SkipPlan.PUBLISHED_7B),
                "",
                "Reproduce: `./mvnw -q install -DskipTests && ./mvnw -q -pl model-loader test-compile exec:java -Dexec.mainClass=io.easspark.loader.s3.LoadBench -Dexec.classpathScope=test`",
                "",
                "| source | raw read MiB/s | load s | load MiB/s | load / raw | peak heap MiB | resident growth MiB |",
                "|---|---:|---:|---:|---:|---:|---:|",
                String.join("\n", rows),
                "",
                END);
        Path doc = Path.of("docs/BENCHMARKS.md");
        String text0 = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : "# Benchmarks\n";
        int b = text0.indexOf(BEGIN);
        int e = text0.indexOf(END);
        String updated = b >= 0 && e > b ? text0.substring(0, b) + section + text0.substring(e + END.length())
                : text0.stripTrailing() + "\n\n" + section + "\n";
        Files.writeString(doc, updated, StandardCharsets.UTF_8);
        System.out.println(section);
        System.exit(0); // DJL and Hadoop leave non-daemon threads behind
    }

    private static String measure(String label, String uri, Configuration conf, long bytes) throws Exception {
        HadoopInputFile f = HadoopInputFile.of(uri + "/" + NativeModelWriter.WEIGHTS, conf);
        long t0 = System.nanoTime();
        try (SeekableInput in = f.open()) {
            ByteBuffer chunk = ByteBuffer.allocate(8 << 20);
            for (long at = 0; at < bytes; at += chunk.capacity()) {
                chunk.clear().limit((int) Math.min(chunk.capacity(), bytes - at));
                in.readFully(at, chunk);
            }
        }
        double raw = (System.nanoTime() - t0) / 1e9;
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long rss0 = residentKiB();
        long t1 = System.nanoTime();
        NativeModelDirectory dir = NativeModelDirectory.open(uri, conf);
        double load;
        long rss1;
        try (LavinModel m = dir.load(dir.storedPlan(), ReparamMode.LOWRANK, Device.cpu())) {
            load = (System.nanoTime() - t1) / 1e9;
            rss1 = residentKiB();
        }
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        double mib = bytes / 1048576.0;
        String row = String.format(Locale.ROOT, "| %s | %.0f | %.1f | %.0f | %.2f | %.0f | %.0f |", label, mib / raw, load, mib / load,
                raw / load, peakHeap / 1048576.0, (rss1 - rss0) / 1024.0);
        System.out.println(row);
        return row;
    }

    private static long residentKiB() throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
