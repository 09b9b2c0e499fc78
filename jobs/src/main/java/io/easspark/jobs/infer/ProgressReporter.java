package io.easspark.jobs.infer;

import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import scala.Tuple4;

/**
 * The driver's progress line: rows done of total, rows/s, tokens/s, ETA, every few seconds. Finished tasks count
 * through the accumulators; running tasks through the values their executors report with each heartbeat, so a
 * job of a few long partitions still shows progress.
 */
final class ProgressReporter extends SparkListener implements AutoCloseable {

    private final SparkContext sc;
    private final JobCounters counters;
    private final Map<Long, String> names;
    private final long total;
    private final PrintWriter out;
    private final long start = System.nanoTime();
    /** Running task id → its last reported counts. */
    private final Map<Long, Map<String, Long>> running = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    private final boolean enabled;

    ProgressReporter(SparkContext sc, JobCounters counters, long total, int everySeconds, PrintWriter out) {
        this.sc = sc;
        this.counters = counters;
        this.names = counters.names();
        this.total = total;
        this.out = out;
        sc.addSparkListener(this);
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "eas-progress");
            t.setDaemon(true);
            return t;
        });
        this.enabled = everySeconds > 0;
        if (enabled) {
            timer.scheduleAtFixedRate(this::print, everySeconds, everySeconds, TimeUnit.SECONDS);
        }
    }

    @Override
    public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
        // wildcards: the Seq is immutable.Seq on Scala 2.13 and collection.Seq on 2.12 (the spark35 build)
        scala.collection.Iterator<? extends Tuple4<?, ?, ?, ? extends scala.collection.Iterable<AccumulableInfo>>> it =
                update.accumUpdates().iterator();
        while (it.hasNext()) {
            Tuple4<?, ?, ?, ? extends scala.collection.Iterable<AccumulableInfo>> task = it.next();
            Map<String, Long> values = new HashMap<>();
            scala.collection.Iterator<AccumulableInfo> infos = task._4().iterator();
            while (infos.hasNext()) {
                AccumulableInfo info = infos.next();
                String name = names.get(info.id());
                if (name != null && info.update().isDefined() && info.update().get() instanceof Long v) {
                    values.put(name, v);
                }
            }
            if (!values.isEmpty()) {
                running.put((Long) task._1(), values);
            }
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        // a finished task's rows are in the accumulators now (or, for a failed attempt, rightly nowhere)
        running.remove(end.taskInfo().taskId());
    }

    /** Finished plus running counts. */
    Map<String, Long> current() {
        Map<String, Long> now = new HashMap<>(counters.finished());
        for (Map<String, Long> task : running.values()) {
            task.forEach((k, v) -> now.merge(k, v, Long::sum));
        }
        return now;
    }

    void print() {
        Map<String, Long> now = current();
        long done = Math.min(JobCounters.rowsIn(now), total);
        double s = (System.nanoTime() - start) / 1e9;
        double rate = done / Math.max(s, 1e-9);
        String eta = done == 0 ? "?" : formatSeconds((total - done) / rate);
        out.printf(Locale.ROOT, "progress: %d/%d rows (%.0f%%), %.1f rows/s, %.1f tokens/s generated, %s elapsed, ETA %s%n",
                done, total, total == 0 ? 100.0 : 100.0 * done / total, rate, now.getOrDefault("generated_tokens", 0L) / Math.max(s, 1e-9),
                formatSeconds(s), eta);
        out.flush();
    }

    static String formatSeconds(double s) {
        long t = Math.round(s);
        return t >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", t / 3600, t / 60 % 60)
                : t >= 60 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60) : t + "s";
    }

    @Override
    public void close() {
        timer.shutdownNow();
        sc.removeSparkListener(this);
        if (enabled) {
            print(); // the last line says 100% (or where a failed job stopped)
        }
    }
}
