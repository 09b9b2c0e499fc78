package io.easspark.jobs.infer;

import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.output.StagedOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** What infer may write to: the output guard's reads and what counts as a finished or resumable infer output. */
final class InferOutput {

    private InferOutput() {
    }

    /** Checks --output against --input, --image-root, --model, --skip-plan's file and what is already there. */
    static OutputGuard.Checked guard(Configuration conf, InferOptions o, RunPolicy policy) throws IOException {
        List<OutputGuard.Read> reads = new ArrayList<>(List.of(new OutputGuard.Read("--input", o.input()),
                new OutputGuard.Read("--image-root", o.imageRoot()), new OutputGuard.Read("--model", o.model())));
        if (o.planFile() != null) {
            reads.add(new OutputGuard.Read("--skip-plan", o.planFile()));
        }
        OutputGuard.Existing existing = o.resume() ? OutputGuard.Existing.KEEP
                : policy.overwrite() ? OutputGuard.Existing.OVERWRITE : OutputGuard.Existing.REFUSE;
        return OutputGuard.check(conf, "--output", o.output(), reads, existing, "infer", InferOutput::finished);
    }

    /** Whether a location is on the local filesystem, so it can be checked before Spark brings its Hadoop settings. */
    static boolean isLocal(String location) {
        String scheme = new Path(location).toUri().getScheme();
        return scheme == null || scheme.equals("file");
    }

    /** A finished infer output: {@code _SUCCESS}, and Parquet files with the infer output's columns. */
    static boolean finished(FileSystem fs, Path dir) throws IOException {
        return fs.exists(new Path(dir, StagedOutput.SUCCESS)) && ourFiles(fs, dir);
    }

    /**
     * An output --resume may add to: a finished one, or one a killed run of this job left without {@code _SUCCESS}
     * (its staging or Hadoop's {@code _temporary} is there) whose visible files are still ours.
     */
    static void requireResumable(FileSystem fs, Path dir, String output) throws IOException {
        boolean marked = fs.exists(new Path(dir, StagedOutput.SUCCESS));
        if (!marked && !StagedOutput.hasLeftovers(fs, dir)) {
            throw new IllegalArgumentException("--resume: " + output + " exists but has no _SUCCESS marker (not a finished infer output); "
                    + "move it away or run without --resume");
        }
        if (!ourFiles(fs, dir)) {
            throw new IllegalArgumentException("--resume: " + output + " holds files that are not infer answers (other columns, or not "
                    + "Parquet); move it away or give another --output");
        }
    }

    /** Whether the folder has any visible entry (one a reader would read). */
    static boolean hasVisible(FileSystem fs, Path dir) throws IOException {
        for (FileStatus st : fs.listStatus(dir)) {
            if (visible(st.getPath())) {
                return true;
            }
        }
        return false;
    }

    /** Every visible file is Parquet (partition folders searched), and the first one has the output's columns. */
    private static boolean ourFiles(FileSystem fs, Path dir) throws IOException {
        Path first = firstFile(fs, dir);
        if (first == null) {
            return true;
        }
        if (!first.getName().endsWith(".parquet")) {
            return false;
        }
        try (org.apache.parquet.hadoop.ParquetFileReader r = org.apache.parquet.hadoop.ParquetFileReader.open(
                org.apache.parquet.hadoop.util.HadoopInputFile.fromPath(first, fs.getConf()))) {
            org.apache.parquet.schema.MessageType schema = r.getFooter().getFileMetaData().getSchema();
            for (String name : OutputSchema.LAVIN_COLUMNS.fieldNames()) {
                if (!schema.containsField(name)) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException | IOException e) {
            return false; // not Parquet at all
        }
    }

    private static Path firstFile(FileSystem fs, Path dir) throws IOException {
        for (FileStatus st : fs.listStatus(dir)) {
            if (!visible(st.getPath())) {
                continue;
            }
            if (st.isFile()) {
                return st.getPath();
            }
            Path inner = firstFile(fs, st.getPath());
            if (inner != null) {
                return inner;
            }
        }
        return null;
    }

    private static boolean visible(Path p) {
        return !p.getName().startsWith("_") && !p.getName().startsWith(".");
    }
}
