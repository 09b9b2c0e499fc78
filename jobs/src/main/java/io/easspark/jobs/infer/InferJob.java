package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.countDistinct;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;

import io.easspark.engine.RowStatus;
import io.easspark.loader.cache.DeviceRequest;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.output.StagedOutput;
import io.easspark.jobs.scienceqa.ScienceQaInput;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * infer: question rows (Parquet, JSONL or CSV) in, one answer row per input row out (Parquet, DESIGN.md §4).
 * Everything that can be checked on the driver — the model, the plan, the input's columns — is checked before any
 * task runs; bad rows become statuses on the executors.
 */
public final class InferJob {

    /**
     * What a run did.
     *
     * @param inputRows rows in the input
     * @param answeredRows rows this run answered (all of them, or those --resume found missing)
     * @param outputRows rows in the output afterwards
     * @param skippedLines malformed input lines left out ({@code --on-malformed skip})
     */
    public record Summary(long inputRows, long answeredRows, long outputRows, Map<String, Long> byStatus, long promptTokens,
                          long generatedTokens, double seconds, long skippedLines) {
    }

    private InferJob() {
    }

    /** A run with {@link RunPolicy#library()}: a finished output of an earlier run is replaced. */
    public static Summary run(SparkSession spark, InferOptions o, PrintWriter out) throws IOException {
        return run(spark, o, RunPolicy.library(), out);
    }

    /** Runs a checked request ({@link InferOptions.Builder#build}); only what needs Spark is checked here. */
    public static Summary run(SparkSession spark, InferOptions o, RunPolicy policy, PrintWriter out) throws IOException {
        return run(spark, o, policy, out, UnaryOperator.identity());
    }

    /**
     * @param tasks wraps the executors' function; tests inject task failures through it, production passes identity
     */
    static Summary run(SparkSession spark, InferOptions o, PrintWriter out, UnaryOperator<MapPartitionsFunction<Row, Row>> tasks)
            throws IOException {
        return run(spark, o, RunPolicy.library(), out, tasks);
    }

    static Summary run(SparkSession spark, InferOptions o, RunPolicy policy, PrintWriter out,
                       UnaryOperator<MapPartitionsFunction<Row, Row>> tasks) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        // first of all: nothing below may touch an output that is, holds or lies inside what the run reads
        OutputGuard.Checked target = InferOutput.guard(conf, o, policy);
        String plan = o.planText();
        if (!o.isMeter() && o.request().model().device() == DeviceRequest.GPU && !spark.conf().contains("spark.executor.resource.gpu.amount")
                && !spark.conf().contains("spark.driver.resource.gpu.amount")) {
            throw new IllegalArgumentException("--device gpu, but this Spark application requests no GPUs: set "
                    + "spark.executor.resource.gpu.amount, spark.task.resource.gpu.amount and a discovery script (deploy/README.md)");
        }
        MalformedLines.Result parsed = MalformedLines.apply(read(spark, o.in()), policy.skipMalformed(), conf);
        Dataset<Row> questions = o.isMeter() ? MeterInput.canonical(parsed.rows(), o) : canonical(parsed.rows(), o);
        boolean carry = o.partitionBy() != null && !Arrays.asList(OutputSchema.SCHEMA.fieldNames()).contains(o.partitionBy());
        // one pass: the row count, and ids that could not key an output row (the output's id is never null)
        Row counts = questions.agg(count(lit(1)), count(when(col("id").isNull(), lit(1)))).first();
        long inputRows = counts.getLong(0);
        if (counts.getLong(1) > 0) {
            throw new IllegalArgumentException("--id-col " + o.idCol() + " is null in " + counts.getLong(1) + " of " + inputRows
                    + " input rows: every row needs an id so its answer can be found (and --resume can skip it)");
        }
        if (parsed.skipped() > 0) {
            out.printf(Locale.ROOT, "infer: skipped %d malformed input line(s) (--on-malformed skip); answering the other %d rows%n",
                    parsed.skipped(), inputRows);
        }
        if (!policy.allowDuplicateIds()) {
            requireDistinctIds(questions, o);
        }
        Dataset<Row> todo = questions;
        long todoRows = inputRows;
        FileSystem fs = target.fs();
        Path output = target.path();
        boolean appending = false;
        long previousRows = 0;
        if (o.resume() && target.exists()) {
            InferOutput.requireResumable(fs, output, o.output());
            // what a killed run left is never merged: its ids are answered again instead (StagedOutput)
            List<String> stale = StagedOutput.removeStale(fs, output);
            if (!stale.isEmpty()) {
                out.println("resume: removed " + String.join(" and ", stale) + " left in " + o.output() + " by a run that did not finish");
            }
            appending = InferOutput.hasVisible(fs, output);
        } else if (target.exists() && InferOutput.hasVisible(fs, output)) {
            out.println("infer: --overwrite: replacing the finished output " + o.output());
            OutputGuard.clear(target);
        }
        if (appending) {
            Dataset<Row> done = spark.read().parquet(output.toString()).select("id");
            previousRows = done.count();
            done = done.distinct();
            todo = questions.join(done, questions.col("id").equalTo(done.col("id")), "left_anti");
            todoRows = todo.count();
            out.printf(Locale.ROOT, "resume: %d of %d input rows already in %s; answering the other %d%n", inputRows - todoRows,
                    inputRows, o.output(), todoRows);
        }
        if (o.partitions() > 0) {
            todo = todo.repartition(o.partitions());
        }
        Map<String, String> hadoop = new HashMap<>();
        conf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        JobCounters counters = new JobCounters(spark.sparkContext());
        StructType schema = carry ? OutputSchema.SCHEMA.add(o.partitionBy(), DataTypes.StringType, true) : OutputSchema.SCHEMA;
        MapPartitionsFunction<Row, Row> answering = o.isMeter() ? new MeterAnswerPartition(o, hadoop, counters, carry)
                : new AnswerPartition(o, hadoop, counters, carry);
        Dataset<Row> answers = todo.mapPartitions(tasks.apply(answering), Encoders.row(schema));
        if (todoRows > 0 || !appending) {
            if (o.isMeter()) {
                out.printf(Locale.ROOT, "infer: answering %d rows with METER model %s (skip %s, task %s, batches of <= %d tokens)%n",
                        todoRows, o.model(), plan, o.meter().task() == null ? "auto" : o.meter().task().name().toLowerCase(Locale.ROOT),
                        o.meter().maxBatchTokens());
            } else {
                out.printf(Locale.ROOT, "infer: answering %d rows with %s (plan %s, batch %d, %s)%n", todoRows, o.model(), plan,
                        o.batchSize(), "cross-task batching " + o.crossTaskBatching().cliName());
            }
            out.flush();
            // Spark writes into this run's own staging folder; the finished files are then moved in (StagedOutput)
            StagedOutput stage = StagedOutput.begin(fs, output);
            DataFrameWriter<Row> writer = answers.write().mode(SaveMode.ErrorIfExists);
            if (o.partitionBy() != null) {
                writer = writer.partitionBy(o.partitionBy());
            }
            try (ProgressReporter progress = new ProgressReporter(spark.sparkContext(), counters, todoRows, o.progressSeconds(), out)) {
                writer.parquet(stage.staging().toString());
            } catch (RuntimeException e) {
                // a failed job's files are never published (a killed one's, --resume removes); a folder this run
                // created goes entirely, so the same command can simply be run again
                fs.delete(target.exists() ? stage.staging() : output, true);
                throw e;
            }
            stage.publish();
        }

        // mergeSchema: a --resume onto an output written before the METER columns existed has files with ten
        // columns beside files with thirteen; without merging, Spark may take either footer's schema
        Dataset<Row> written = spark.read().option("mergeSchema", "true").parquet(output.toString());
        Row check = written.agg(count(lit(1)), countDistinct(col("id"))).first();
        long outputRows = check.getLong(0);
        Map<String, Long> finished = counters.finished();
        Map<String, Long> byStatus = new LinkedHashMap<>();
        for (RowStatus s : RowStatus.values()) {
            byStatus.put(s.columnValue(), finished.get(s.columnValue()));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Summary summary = new Summary(inputRows, JobCounters.rowsIn(finished), outputRows, byStatus, finished.get("prompt_tokens"),
                finished.get("generated_tokens"), s, parsed.skipped());
        printSummary(out, o, plan, summary);
        if (o.previewRows() > 0) {
            preview(out, written, o.previewRows());
        }
        if (!o.isMeter()) {
            LabelledAccuracy.print(out, parsed.rows(), o.idCol(), written); // letters; METER's accuracy is evaluate's
        }
        if (summary.answeredRows() != todoRows) {
            throw new IllegalStateException("answered " + summary.answeredRows() + " rows but " + todoRows + " were to answer");
        }
        verify(o, policy, questions, written, outputRows, check.getLong(1), previousRows + summary.answeredRows());
        requireAnswered(o, policy, summary);
        return summary;
    }

    /**
     * After every write: each input id is in the output, the output has the rows this and earlier runs wrote, and
     * (unless --allow-duplicate-ids) no id twice. A mismatch means rows were lost or duplicated: exit 1, never 0.
     */
    private static void verify(InferOptions o, RunPolicy policy, Dataset<Row> questions, Dataset<Row> written, long outputRows,
                               long distinctIds, long expectedRows) {
        long missing = questions.select("id").distinct().join(written.select("id").distinct(), "id", "left_anti").count() ;
        boolean duplicated = !policy.allowDuplicateIds() && distinctIds != outputRows;
        if (missing > 0 || duplicated || outputRows != expectedRows) {
            throw new IllegalStateException(String.format(Locale.ROOT, "output check failed for %s: %d rows, %d distinct ids, %d input ids "
                    + "missing, expected %d rows (earlier runs' plus this run's); the output is not one row per input id", o.output(),
                    outputRows, distinctIds, missing, expectedRows));
        }
    }

    /** Exit code 3 for a scheduler: the output is written, but none (or too few) of this run's rows came out ok. */
    private static void requireAnswered(InferOptions o, RunPolicy policy, Summary r) {
        long answered = r.answeredRows();
        long ok = r.byStatus().getOrDefault(RowStatus.OK.columnValue(), 0L);
        if (answered == 0) {
            return;
        }
        String statuses = r.byStatus().entrySet().stream().filter(e -> e.getValue() > 0 && !e.getKey().equals(RowStatus.OK.columnValue()))
                .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining(", "));
        if (ok == 0) {
            throw new RowsNotAnsweredException("none of the " + answered + " rows answered is ok (" + statuses + "); the output "
                    + o.output() + " is written: check --image-root and the input's columns");
        }
        if (answered - ok > policy.maxErrorFraction() * answered) {
            throw new RowsNotAnsweredException(String.format(Locale.ROOT, "%d of %d rows answered are not ok (%s), more than "
                    + "--max-error-fraction %s; the output %s is written", answered - ok, answered, statuses, policy.maxErrorFraction(), o.output()));
        }
    }

    /** Ids key the output (--resume, evaluate's join): repeated ones fail before any task, naming the first few. */
    private static void requireDistinctIds(Dataset<Row> questions, InferOptions o) {
        Dataset<Row> repeated = questions.groupBy("id").count().where(col("count").gt(1));
        List<Row> first = repeated.orderBy("id").limit(3).collectAsList();
        if (first.isEmpty()) {
            return;
        }
        long n = repeated.count();
        String named = first.stream().map(r -> r.getString(0) + " (" + r.getLong(1) + " times)").collect(java.util.stream.Collectors.joining(", "));
        throw new IllegalArgumentException("--id-col " + o.idCol() + ": " + n + " id" + (n == 1 ? "" : "s") + " repeat in --input, e.g. " + named
                + "; ids must be unique for --resume and evaluate: fix the input or give --allow-duplicate-ids");
    }

    private static void printSummary(PrintWriter out, InferOptions o, String plan, Summary r) {
        out.printf(Locale.ROOT, "infer: %d rows in, %d answered, %d rows in %s; %.1f s (%.1f rows/s, %.1f tokens/s generated), plan %s%n",
                r.inputRows(), r.answeredRows(), r.outputRows(), o.output(), r.seconds(), r.answeredRows() / r.seconds(),
                r.generatedTokens() / r.seconds(), plan);
        out.println("  status            rows   share");
        r.byStatus().forEach((k, v) -> out.printf(Locale.ROOT, "  %-17s %-6d %5.1f%%%n", k, v,
                r.answeredRows() == 0 ? 0.0 : 100.0 * v / r.answeredRows()));
        out.printf(Locale.ROOT, "  tokens: %d prompt, %d generated%n", r.promptTokens(), r.generatedTokens());
    }

    private static void preview(PrintWriter out, Dataset<Row> written, int n) {
        out.println("preview (first " + n + " rows by id):");
        for (Row r : written.select("id", "status", "answer_choice", "answer_text", "error").orderBy("id").limit(n).collectAsList()) {
            // a console line: control characters (a random demo model emits any byte) become spaces
            String text = r.isNullAt(3) ? "" : r.getString(3).replaceAll("\\p{Cntrl}", " ");
            String detail = r.isNullAt(4) ? text : r.getString(4);
            out.printf(Locale.ROOT, "  %-10s %-17s %-2s %s%n", r.getString(0), r.getString(1),
                    r.isNullAt(2) ? "-" : r.getString(2), detail.length() > 70 ? detail.substring(0, 67) + "..." : detail);
        }
        out.flush();
    }

    /** The input as Spark reads it (its format was settled with the flags); a missing path is a bad argument. */
    public static Dataset<Row> read(SparkSession spark, InputSpec o) {
        if (o.format() == InputSpec.Format.SCIENCEQA) {
            return ScienceQaInput.read(spark, o.input(), o.split(), o.imageRoot());
        }
        requireInput(spark, o.input());
        try {
            return switch (o.format()) {
                case PARQUET -> spark.read().parquet(o.input());
                // PERMISSIVE (Spark's default): an unparsable line becomes a row with only _corrupt_record set
                case JSON -> spark.read().option("mode", "PERMISSIVE").json(o.input());
                case CSV -> csv(spark, o.input());
                case SCIENCEQA -> throw new IllegalStateException("read above");
            };
        } catch (Exception e) {
            // Spark's AnalysisException (a missing path, an unreadable file) is checked in Java's eyes but undeclared
            if (e instanceof org.apache.spark.sql.AnalysisException) {
                throw new IllegalArgumentException("--input " + o.input() + ": " + e.getMessage(), e);
            }
            throw e;
        }
    }

    /**
     * CSV with the header's columns plus {@code _corrupt_record}: Spark pads or cuts a row with the wrong number of
     * columns silently unless the schema has that column, which then holds the row's text (MalformedLines).
     */
    private static Dataset<Row> csv(SparkSession spark, String input) {
        org.apache.spark.sql.DataFrameReader reader = spark.read().option("header", "true").option("multiLine", "true")
                .option("escape", "\"").option("mode", "PERMISSIVE");
        StructType header = reader.csv(input).schema();
        if (!Arrays.asList(header.fieldNames()).contains(MalformedLines.CORRUPT)) {
            header = header.add(MalformedLines.CORRUPT, DataTypes.StringType, true);
        }
        return reader.schema(header).option("columnNameOfCorruptRecord", MalformedLines.CORRUPT).csv(input);
    }

    /**
     * A missing --input as one line: Spark would also log a stack trace (looking for a metadata folder) before its
     * own error.
     */
    private static void requireInput(SparkSession spark, String input) {
        Path p = new Path(input);
        try {
            FileStatus[] found = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).globStatus(p);
            if (found == null || found.length == 0) {
                throw new IllegalArgumentException("--input " + input + " does not exist");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + " cannot be read: " + e.getMessage(), e);
        }
    }

    /**
     * The user's columns under canonical names: id, question, context, options, image_bytes, image_path, then the
     * carried partition column if any, then {@code extra} columns as strings under their own names.
     */
    public static Dataset<Row> canonical(Dataset<Row> raw, InferOptions o, String... extra) {
        Map<String, DataType> types = new HashMap<>();
        for (StructField f : raw.schema().fields()) {
            types.put(f.name(), f.dataType());
        }
        require(types, o.idCol(), "--id-col", raw);
        require(types, o.questionCol(), "--question-col", raw);
        Column context = optional(types, o.contextCol(), "--context-col", raw);
        Column options = lit(null).cast(DataTypes.createArrayType(DataTypes.StringType));
        if (o.optionsCol() != null && !o.optionsCol().isBlank()) {
            DataType t = require(types, o.optionsCol(), "--options-col", raw);
            if (t instanceof ArrayType) {
                options = col(o.optionsCol()).cast(DataTypes.createArrayType(DataTypes.StringType));
            } else if (t instanceof StringType) {
                options = split(col(o.optionsCol()), java.util.regex.Pattern.quote(o.optionsDelimiter()));
            } else {
                throw new IllegalArgumentException("--options-col " + o.optionsCol() + " must be an array or a delimited string, found " + t.simpleString());
            }
        }
        Column bytes = lit(null).cast(DataTypes.BinaryType);
        Column path = lit(null).cast(DataTypes.StringType);
        if (o.imageCol() != null && !o.imageCol().isBlank()) {
            DataType t = require(types, o.imageCol(), "--image-col", raw);
            if (t instanceof BinaryType) {
                bytes = col(o.imageCol());
            } else if (t instanceof StringType) {
                path = col(o.imageCol());
            } else {
                throw new IllegalArgumentException("--image-col " + o.imageCol() + " must be binary (image bytes) or a string (path), found " + t.simpleString());
            }
        }
        List<Column> cols = new ArrayList<>(List.of(col(o.idCol()).cast("string").as("id"),
                col(o.questionCol()).cast("string").as("question"), context.as("context"), options.as("options"),
                bytes.as("image_bytes"), path.as("image_path")));
        if (o.partitionBy() != null && !Arrays.asList(OutputSchema.SCHEMA.fieldNames()).contains(o.partitionBy())) {
            require(types, o.partitionBy(), "--partition-by (an output column or an input column)", raw);
            cols.add(col(o.partitionBy()).cast("string").as(o.partitionBy()));
        }
        for (String e : extra) {
            require(types, e, "column", raw);
            cols.add(col(e).cast("string").as(e));
        }
        return raw.select(cols.toArray(Column[]::new));
    }

    private static DataType require(Map<String, DataType> types, String name, String flag, Dataset<Row> raw) {
        if (name == null || !types.containsKey(name)) {
            throw new IllegalArgumentException(flag + " " + name + ": no such column; the input has " + Arrays.toString(raw.columns()));
        }
        return types.get(name);
    }

    private static Column optional(Map<String, DataType> types, String name, String flag, Dataset<Row> raw) {
        if (name == null || name.isBlank()) {
            return lit(null).cast("string");
        }
        require(types, name, flag, raw);
        return col(name).cast("string");
    }
}
