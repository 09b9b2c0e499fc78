package io.easspark.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How much CPU time other processes took while the benchmark ran, from /proc/stat (all CPUs) minus /proc/self/stat
 * (this JVM and the reference scripts it waited for). On a shared VM a neighbour's burst slows the engine far more
 * than its share of the cores (OpenMP threads wait for a descheduled peer), so the report states it beside the
 * ratios instead of leaving a reader to guess why one row is off.
 */
final class NeighbourLoad {

    /** Clock ticks: all CPUs busy, all CPUs in total, and this process with its waited-for children. */
    record Ticks(long busy, long total, long self) {
    }

    private final Ticks start;

    private NeighbourLoad(Ticks start) {
        this.start = start;
    }

    /** Starts counting; null where /proc cannot be read (not Linux). */
    static NeighbourLoad start() {
        Ticks t = read();
        return t == null ? null : new NeighbourLoad(t);
    }

    /** Share of all CPUs' time since {@link #start} that other processes used, 0-1; NaN if unknown. */
    double share() {
        Ticks end = read();
        return end == null ? Double.NaN : share(start, end);
    }

    static double share(Ticks from, Ticks to) {
        long total = to.total() - from.total();
        if (total <= 0) {
            return Double.NaN;
        }
        long others = (to.busy() - from.busy()) - (to.self() - from.self());
        return Math.max(0, Math.min(1, (double) others / total));
    }

    private static Ticks read() {
        try {
            return parse(Files.readString(Path.of("/proc/stat")), Files.readString(Path.of("/proc/self/stat")));
        } catch (IOException | RuntimeException e) {
            return null; // no /proc: the report says "unknown"
        }
    }

    /** Parses the {@code cpu} line of /proc/stat and utime, stime, cutime, cstime of /proc/[pid]/stat. */
    static Ticks parse(String procStat, String selfStat) {
        String cpu = procStat.lines().filter(l -> l.startsWith("cpu ")).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no cpu line in /proc/stat"));
        String[] f = cpu.trim().split("\\s+");
        // user nice system idle iowait irq softirq steal (guest time is already in user)
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long idle = Long.parseLong(f[4]);
        long iowait = f.length > 5 ? Long.parseLong(f[5]) : 0;
        long irq = f.length > 6 ? Long.parseLong(f[6]) : 0;
        long softirq = f.length > 7 ? Long.parseLong(f[7]) : 0;
        long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
        long busy = user + nice + system + irq + softirq + steal;
        // the command name may hold spaces: fields count from the last ')'; utime is field 14, so index 11 after it
        String[] s = selfStat.substring(selfStat.lastIndexOf(')') + 2).trim().split("\\s+");
        long self = Long.parseLong(s[11]) + Long.parseLong(s[12]) + Long.parseLong(s[13]) + Long.parseLong(s[14]);
        return new Ticks(busy, busy + idle + iowait, self);
    }
}
