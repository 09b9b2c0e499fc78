package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.input_file_name;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Lines Spark could not parse (a truncated or non-UTF-8 JSON line, a CSV row with the wrong number of columns):
 * Spark's PERMISSIVE mode puts such a line, as text, in {@value #CORRUPT} and nulls in every other column. They fail
 * the run before any task answers (naming the file and line), or with {@code --on-malformed skip} are left out and
 * counted. Line numbers are not something Spark keeps; the driver re-scans only the files that held a bad line.
 */
final class MalformedLines {

    /** Spark's default name of the column that holds an unparsable line. */
    static final String CORRUPT = "_corrupt_record";
    /** How many bad lines are fetched to the driver to name file and line: the message names the first. */
    private static final int NAMED = 5;

    /** The parsed rows without the corrupt column, and how many lines were left out. */
    record Result(Dataset<Row> rows, long skipped) {
    }

    private MalformedLines() {
    }

    static Result apply(Dataset<Row> raw, boolean skip, Configuration conf) throws IOException {
        List<String> cols = Arrays.asList(raw.columns());
        if (!cols.contains(CORRUPT)) {
            return new Result(raw, 0);
        }
        // Spark refuses a query of raw JSON/CSV that reads only the corrupt column (as a count of bad lines would):
        // the lines are parsed once with every column, kept (spilling to disk) for the two questions asked of them
        Dataset<Row> parsed = raw.withColumn("_input_file", input_file_name()).persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> bad = parsed.where(col(CORRUPT).isNotNull());
            long count = bad.count();
            if (count == 0 || skip) {
                return new Result(raw.where(col(CORRUPT).isNull()).drop(CORRUPT), count);
            }
            List<Row> first = bad.select("_input_file", CORRUPT).limit(NAMED).collectAsList();
            String file = first.get(0).getString(0);
            Set<String> texts = first.stream().filter(r -> r.getString(0).equals(file)).map(r -> strip(r.getString(1)))
                    .collect(Collectors.toSet());
            long line = firstLine(conf, file, texts);
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--input: %d malformed line%s (not one JSON object in UTF-8, "
                    + "or a CSV row with the wrong number of columns), the first in %s%s; fix %s or give --on-malformed skip to answer "
                    + "the rest", count, count == 1 ? "" : "s", file, line > 0 ? " line " + line : "", count == 1 ? "it" : "them"));
        } finally {
            parsed.unpersist();
        }
    }

    /** The 1-based number of the first line of {@code file} whose text is one of {@code texts}; 0 when none matches. */
    private static long firstLine(Configuration conf, String file, Set<String> texts) throws IOException {
        Path p = new Path(file);
        try (InputStream in = new BufferedInputStream(p.getFileSystem(conf).open(p))) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long n = 0;
            int b;
            do {
                b = in.read();
                if (b == '\n' || b < 0) {
                    if (b >= 0 || line.size() > 0) {
                        n++;
                        // Spark decodes a line as UTF-8 with replacement characters; so does this, to compare alike
                        if (texts.contains(strip(line.toString(StandardCharsets.UTF_8)))) {
                            return n;
                        }
                    }
                    line.reset();
                } else {
                    line.write(b);
                }
            } while (b >= 0);
        }
        return 0;
    }

    private static String strip(String s) {
        return s.strip();
    }
}
