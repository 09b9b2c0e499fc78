package io.easspark.jobs.output;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * How a run adds files to an output folder that may already hold answers, so that no crash can duplicate a row.
 *
 * <p>Spark writes the run's answers into its own folder, {@code <out>/_staging/<runId>}, with its usual committer;
 * readers skip names starting with {@code _}, so nothing there is visible. Only after Spark's job commit succeeded are
 * the finished part files renamed, one by one, into the output (partition subfolders kept, names prefixed with the run
 * id), and {@code _SUCCESS} written last. A rename moves a file, it never copies it into two visible places, so:
 * a driver or executor killed while Spark writes leaves files under {@code _staging} (and Hadoop's committed
 * {@code task_*} folders under {@code _staging/<runId>/_temporary}) that no later run merges, because a later run
 * writes into a new run folder and first removes stale ones ({@link #removeStale}); a driver killed half-way through
 * the moves leaves each file either visible (its ids count as done) or still staged (removed, its ids answered
 * again). Hadoop's FileOutputCommitter merging every committed task folder under {@code <out>/_temporary/0}
 * (shared/FACTS.md) cannot happen, because Spark never commits into {@code <out>} itself.
 */
public final class StagedOutput {

    /** The folder under the output that holds each run's staging folder. */
    public static final String STAGING = "_staging";
    /** What Hadoop's committer leaves under a folder Spark wrote into directly (earlier versions of this job). */
    public static final String TEMPORARY = "_temporary";
    public static final String SUCCESS = "_SUCCESS";

    private final FileSystem fs;
    private final Path output;
    private final String runId;

    private StagedOutput(FileSystem fs, Path output, String runId) {
        this.fs = fs;
        this.output = output;
        this.runId = runId;
    }

    /** A new run into {@code output}: its own run id, so its files never collide with another run's. */
    public static StagedOutput begin(FileSystem fs, Path output) {
        String id = String.format(Locale.ROOT, "run-%d-%s", System.currentTimeMillis(), UUID.randomUUID().toString().substring(0, 8));
        return new StagedOutput(fs, output, id);
    }

    public String runId() {
        return runId;
    }

    /** Where Spark writes this run's files. */
    public Path staging() {
        return new Path(new Path(output, STAGING), runId);
    }

    /**
     * Removes what an earlier, killed run left under the output ({@code _temporary}, {@code _staging}) and returns
     * their names, for a log line. Must run before the output's ids are read, and never while another run writes.
     */
    public static List<String> removeStale(FileSystem fs, Path output) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String name : new String[] {TEMPORARY, STAGING}) {
            Path p = new Path(output, name);
            if (fs.exists(p)) {
                fs.delete(p, true);
                removed.add(name);
            }
        }
        return removed;
    }

    /** Whether the folder holds anything a run of this job leaves behind: staged or temporary files. */
    public static boolean hasLeftovers(FileSystem fs, Path output) throws IOException {
        return fs.exists(new Path(output, STAGING)) || fs.exists(new Path(output, TEMPORARY));
    }

    /**
     * Moves the finished files of this run into the output, then marks it with {@code _SUCCESS}: the marker is
     * removed first, so an output without it is one whose last run did not finish publishing.
     *
     * @return the number of files moved
     */
    public int publish() throws IOException {
        Path staged = staging();
        if (!fs.exists(new Path(staged, SUCCESS))) {
            throw new IOException("Spark did not finish writing " + staged + " (no _SUCCESS): nothing published");
        }
        fs.delete(new Path(output, SUCCESS), false);
        int moved = moveFiles(staged, output);
        fs.delete(staged, true);
        Path stagingRoot = new Path(output, STAGING);
        if (fs.exists(stagingRoot) && fs.listStatus(stagingRoot).length == 0) {
            fs.delete(stagingRoot, false);
        }
        fs.create(new Path(output, SUCCESS), true).close();
        return moved;
    }

    private int moveFiles(Path from, Path to) throws IOException {
        int moved = 0;
        for (FileStatus st : fs.listStatus(from)) {
            String name = st.getPath().getName();
            if (name.startsWith("_") || name.startsWith(".")) {
                continue; // _SUCCESS, _temporary, .crc files (a local rename moves a file's checksum with it)
            }
            if (st.isDirectory()) {
                Path sub = new Path(to, name); // a partition folder, e.g. status=ok
                fs.mkdirs(sub);
                moved += moveFiles(st.getPath(), sub);
            } else {
                Path target = new Path(to, runId + "-" + name);
                if (!fs.rename(st.getPath(), target)) {
                    throw new IOException("could not move " + st.getPath() + " to " + target);
                }
                moved++;
            }
        }
        return moved;
    }

}
