package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;

import io.easspark.engine.RowStatus;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.text.PromptFormat;
import io.easspark.jobs.scienceqa.ScienceQaInput;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
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
     */
    public record Summary(long inputRows, long answeredRows, long outputRows, Map<String, Long> byStatus, long promptTokens,
                          long generatedTokens, double seconds) {
    }

    private InferJob() {
    }

    public static Summary run(SparkSession spark, InferOptions given, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        InferOptions o = given.toBuilder().skipPlan(SkipPlanArgument.resolve(given.skipPlan(), conf)).build();
        NativeModelDirectory model;
        try {
            model = NativeModelDirectory.open(o.model(), conf);
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException("--model: " + e.getMessage(), e);
        }
        int layers = model.config().text().nLayers();
        SkipPlan plan = o.skipPlan() == null || o.skipPlan().isBlank() ? model.storedPlan() : SkipPlan.parse(o.skipPlan(), layers);
        ReparamMode.parse(o.reparam());
        PromptFormat.parse(o.promptFormat());
        o = KvBudget.apply(o, model.config(), plan, out);
        if (o.batchSize() < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1: " + o.batchSize());
        }
        if (o.maxNewTokens() < 1 || o.maxNewTokens() >= model.config().text().maxSeqLen()) {
            throw new IllegalArgumentException("--max-new-tokens must be in 1.." + (model.config().text().maxSeqLen() - 1)
                    + " for this model (max_seq_len " + model.config().text().maxSeqLen() + "): " + o.maxNewTokens());
        }
        String device = o.device() == null ? "auto" : o.device().trim().toLowerCase(Locale.ROOT);
        if (!List.of("cpu", "gpu", "auto").contains(device)) {
            throw new IllegalArgumentException("unknown --device " + o.device() + ": expected cpu, gpu or auto");
        }
        if (device.equals("gpu") && !spark.conf().contains("spark.executor.resource.gpu.amount")
                && !spark.conf().contains("spark.driver.resource.gpu.amount")) {
            throw new IllegalArgumentException("--device gpu, but this Spark application requests no GPUs: set "
                    + "spark.executor.resource.gpu.amount, spark.task.resource.gpu.amount and a discovery script (deploy/README.md)");
        }
        if (o.partitions() < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: as read): " + o.partitions());
        }
        Dataset<Row> raw = read(spark, o);
        Dataset<Row> questions = canonical(raw, o);
        boolean carry = o.partitionBy() != null && !Arrays.asList(OutputSchema.SCHEMA.fieldNames()).contains(o.partitionBy());
        // one pass: the row count, and ids that could not key an output row (the output's id is never null)
        Row counts = questions.agg(count(lit(1)), count(when(col("id").isNull(), lit(1)))).first();
        long inputRows = counts.getLong(0);
        if (counts.getLong(1) > 0) {
            throw new IllegalArgumentException("--id-col " + o.idCol() + " is null in " + counts.getLong(1) + " of " + inputRows
                    + " input rows: every row needs an id so its answer can be found (and --resume can skip it)");
        }
        Dataset<Row> todo = questions;
        long todoRows = inputRows;
        boolean appending = o.resume() && outputExists(conf, o.output());
        if (appending) {
            Dataset<Row> done = spark.read().parquet(o.output()).select("id").distinct();
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
        Dataset<Row> answers = todo.mapPartitions(new AnswerPartition(o, hadoop, o.model(), counters, carry), Encoders.row(schema));
        if (todoRows > 0 || !appending) {
            out.printf(Locale.ROOT, "infer: answering %d rows with %s (plan %s, batch %d, %s)%n", todoRows, o.model(), plan,
                    o.batchSize(), "cross-task batching " + o.crossTaskBatching());
            out.flush();
            DataFrameWriter<Row> writer = answers.write().mode(appending ? SaveMode.Append : SaveMode.Overwrite);
            if (o.partitionBy() != null) {
                writer = writer.partitionBy(o.partitionBy());
            }
            try (ProgressReporter progress = new ProgressReporter(spark.sparkContext(), counters, todoRows, o.progressSeconds(), out)) {
                writer.parquet(o.output());
            }
        }

        Dataset<Row> written = spark.read().parquet(o.output());
        long outputRows = written.count();
        Map<String, Long> finished = counters.finished();
        Map<String, Long> byStatus = new LinkedHashMap<>();
        for (RowStatus s : RowStatus.values()) {
            byStatus.put(s.columnValue(), finished.get(s.columnValue()));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Summary summary = new Summary(inputRows, JobCounters.rowsIn(finished), outputRows, byStatus, finished.get("prompt_tokens"),
                finished.get("generated_tokens"), s);
        printSummary(out, o, plan, summary);
        if (o.previewRows() > 0) {
            preview(out, written, o.previewRows());
        }
        if (summary.answeredRows() != todoRows) {
            throw new IllegalStateException("answered " + summary.answeredRows() + " rows but " + todoRows + " were to answer");
        }
        if (!o.resume() && outputRows != inputRows) {
            throw new IllegalStateException("output has " + outputRows + " rows but the input has " + inputRows);
        }
        return summary;
    }

    private static void printSummary(PrintWriter out, InferOptions o, SkipPlan plan, Summary r) {
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

    /** An output --resume can read: a directory Spark's committer finished (it leaves _SUCCESS). */
    private static boolean outputExists(Configuration conf, String output) throws IOException {
        Path p = new Path(output);
        FileSystem fs = p.getFileSystem(conf);
        if (!fs.exists(p)) {
            return false;
        }
        if (!fs.exists(new Path(p, "_SUCCESS"))) {
            throw new IllegalArgumentException("--resume: " + output + " exists but has no _SUCCESS marker (not a finished infer output); "
                    + "move it away or run without --resume");
        }
        return true;
    }

    /** The input as Spark reads it (format from the extension or --input-format); a missing path is a bad argument. */
    public static Dataset<Row> read(SparkSession spark, InferOptions o) {
        String format = o.inputFormat();
        if (format == null || format.isBlank()) {
            String in = o.input().toLowerCase(Locale.ROOT);
            format = in.endsWith(".parquet") ? "parquet" : in.endsWith(".csv") ? "csv"
                    : in.endsWith(".jsonl") || in.endsWith(".json") ? "json" : null;
            if (format == null) {
                throw new IllegalArgumentException("cannot tell the format of --input " + o.input() + ": give --input-format parquet|json|csv");
            }
        }
        if (ScienceQaInput.handles(format)) {
            return ScienceQaInput.read(spark, o.input(), format, o.imageRoot());
        }
        String f = format.toLowerCase(Locale.ROOT);
        if (!List.of("parquet", "json", "jsonl", "csv").contains(f)) {
            throw new IllegalArgumentException("unknown --input-format " + format + ": expected parquet, json, csv or scienceqa");
        }
        try {
            return switch (f) {
                case "parquet" -> spark.read().parquet(o.input());
                case "json", "jsonl" -> spark.read().json(o.input());
                default -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(o.input());
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
