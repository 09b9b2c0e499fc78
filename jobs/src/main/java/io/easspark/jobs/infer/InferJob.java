package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.split;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;

/**
 * infer: question rows (Parquet, JSONL or CSV) in, one answer row per input row out (Parquet, DESIGN.md §4).
 * Everything that can be checked on the driver — the model, the plan, the input's columns — is checked before any
 * task runs; bad rows become statuses on the executors.
 */
public final class InferJob {

    /** What a run did. */
    public record Summary(long inputRows, long outputRows, Map<String, Long> byStatus, double seconds) {
    }

    private InferJob() {
    }

    public static Summary run(SparkSession spark, InferOptions o, PrintWriter out) throws IOException {
        long t0 = System.nanoTime();
        Configuration conf = spark.sparkContext().hadoopConfiguration();
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
        if (o.maxNewTokens() < 1 || o.maxNewTokens() >= model.config().text().maxSeqLen()) {
            throw new IllegalArgumentException("--max-new-tokens must be in 1.." + (model.config().text().maxSeqLen() - 1)
                    + " for this model (max_seq_len " + model.config().text().maxSeqLen() + "): " + o.maxNewTokens());
        }
        Dataset<Row> raw = read(spark, o);
        Dataset<Row> questions = canonical(raw, o);
        // one pass: the row count, and ids that could not key an output row (the output's id is never null)
        Row counts = questions.agg(org.apache.spark.sql.functions.count(lit(1)),
                org.apache.spark.sql.functions.count(org.apache.spark.sql.functions.when(col("id").isNull(), lit(1)))).first();
        long inputRows = counts.getLong(0);
        if (counts.getLong(1) > 0) {
            throw new IllegalArgumentException("--id-col " + o.idCol() + " is null in " + counts.getLong(1) + " of " + inputRows
                    + " input rows: every row needs an id so its answer can be found (and --resume can skip it)");
        }
        Map<String, String> hadoop = new HashMap<>();
        conf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        String modelName = o.model();
        Dataset<Row> answers = questions.mapPartitions(new AnswerPartition(o, hadoop, modelName), Encoders.row(OutputSchema.SCHEMA));
        answers.write().mode("overwrite").parquet(o.output());

        Dataset<Row> written = spark.read().parquet(o.output());
        long outputRows = written.count();
        Map<String, Long> byStatus = new LinkedHashMap<>();
        for (Row r : written.groupBy("status").count().orderBy("status").collectAsList()) {
            byStatus.put(r.getString(0), r.getLong(1));
        }
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "infer: %d rows in, %d rows out to %s in %.1f s (%.1f rows/s), plan %s%n", inputRows, outputRows,
                o.output(), s, outputRows / s, plan);
        byStatus.forEach((k, v) -> out.printf(Locale.ROOT, "  %-17s %d%n", k, v));
        if (o.previewRows() > 0) {
            out.println("preview (first " + o.previewRows() + " rows by id):");
            for (Row r : written.select("id", "status", "answer_choice", "answer_text", "error").orderBy("id")
                    .limit(o.previewRows()).collectAsList()) {
                String text = r.isNullAt(3) ? "" : r.getString(3).replace('\n', ' ');
                String detail = r.isNullAt(4) ? text : r.getString(4);
                out.printf(Locale.ROOT, "  %-10s %-17s %-2s %s%n", r.getString(0), r.getString(1),
                        r.isNullAt(2) ? "-" : r.getString(2), detail.length() > 70 ? detail.substring(0, 67) + "..." : detail);
            }
        }
        if (outputRows != inputRows) {
            throw new IllegalStateException("output has " + outputRows + " rows but the input has " + inputRows);
        }
        return new Summary(inputRows, outputRows, byStatus, s);
    }

    static Dataset<Row> read(SparkSession spark, InferOptions o) {
        String format = o.inputFormat();
        if (format == null || format.isBlank()) {
            String in = o.input().toLowerCase(Locale.ROOT);
            format = in.endsWith(".parquet") ? "parquet" : in.endsWith(".csv") ? "csv"
                    : in.endsWith(".jsonl") || in.endsWith(".json") ? "json" : null;
            if (format == null) {
                throw new IllegalArgumentException("cannot tell the format of --input " + o.input() + ": give --input-format parquet|json|csv");
            }
        }
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "parquet" -> spark.read().parquet(o.input());
            case "json", "jsonl" -> spark.read().json(o.input());
            case "csv" -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(o.input());
            default -> throw new IllegalArgumentException("unknown --input-format " + format + ": expected parquet, json or csv");
        };
    }

    /** The user's columns under canonical names: id, question, context, options, image_bytes, image_path. */
    static Dataset<Row> canonical(Dataset<Row> raw, InferOptions o) {
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
        return raw.select(col(o.idCol()).cast("string").as("id"), col(o.questionCol()).cast("string").as("question"),
                context.as("context"), options.as("options"), bytes.as("image_bytes"), path.as("image_path"));
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
