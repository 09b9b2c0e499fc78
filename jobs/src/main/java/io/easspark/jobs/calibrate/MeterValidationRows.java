package io.easspark.jobs.calibrate;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import io.easspark.jobs.infer.MeterInput;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;

/**
 * METER validation rows under canonical names: {@code id, text, image_bytes, image_path, image2_bytes, image2_path,
 * task, gold}. {@code task} is {@code vqa} or {@code nlvr2} per row (auto: a row with a second image is NLVR2);
 * {@code gold} is an array of strings: the annotators' answers (VQA, from an array column) or the one gold value
 * (a VQA answer, or NLVR2's true/false).
 */
final class MeterValidationRows {

    /** The default --image2-col; it may be absent from a VQA-only input. */
    static final String DEFAULT_IMAGE2_COL = "image2";
    /** Gold columns tried, in order, when neither --answer-col nor --label-col is given (the METER demo's names). */
    static final List<String> DEFAULT_GOLD_COLS = List.of("answers", "label", "answer");

    /**
     * Where a run's gold comes from, settled on the driver.
     *
     * @param column the input column
     * @param annotators whether it holds annotators' answers (an array), rather than a single value
     */
    record Gold(String column, boolean annotators) implements java.io.Serializable {
    }

    private MeterValidationRows() {
    }

    /**
     * The gold column: {@code labelCol} (a single value) if given, else {@code answerCol} if given (an array counts as
     * annotators' answers), else the first of {@link #DEFAULT_GOLD_COLS} the input has.
     */
    static Gold gold(Dataset<Row> raw, String answerCol, String labelCol) {
        Map<String, DataType> types = types(raw);
        if (labelCol != null) {
            MeterInput.require(types, labelCol, "--label-col", raw);
            return new Gold(labelCol, false);
        }
        String name = answerCol;
        if (name == null) {
            name = DEFAULT_GOLD_COLS.stream().filter(types::containsKey).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "no gold column: give --answer-col (annotators' answers or one answer) or --label-col (one label); the input has "
                    + Arrays.toString(raw.columns())));
        }
        DataType t = MeterInput.require(types, name, "--answer-col", raw);
        return new Gold(name, t instanceof ArrayType);
    }

    /** The canonical columns; {@code task} is auto, vqa or nlvr2. */
    static Dataset<Row> canonical(Dataset<Row> raw, String idCol, String textCol, String imageCol, String image2Col, String task,
            Gold gold) {
        Map<String, DataType> types = types(raw);
        MeterInput.require(types, idCol, "--id-col", raw);
        MeterInput.require(types, textCol, "--question-col", raw);
        List<Column> cols = new ArrayList<>(List.of(col(idCol).cast("string").as("id"), col(textCol).cast("string").as("text")));
        cols.addAll(MeterInput.image(types, imageCol, "--image-col", "image", false, raw));
        boolean image2Optional = DEFAULT_IMAGE2_COL.equals(image2Col) && !task.equals("nlvr2");
        cols.addAll(MeterInput.image(types, image2Col, "--image2-col", "image2", image2Optional, raw));
        Column hasImage2 = col("image2_bytes").isNotNull().or(col("image2_path").isNotNull().and(col("image2_path").notEqual("")));
        Column goldCol = gold.annotators() ? col(gold.column()).cast(DataTypes.createArrayType(DataTypes.StringType))
                : when(col(gold.column()).isNull(), lit(null).cast(DataTypes.createArrayType(DataTypes.StringType)))
                        .otherwise(array(col(gold.column()).cast("string")));
        cols.add(goldCol.as("gold"));
        Dataset<Row> selected = raw.select(cols.toArray(Column[]::new));
        Column taskCol = switch (task.toLowerCase(Locale.ROOT)) {
            case "vqa" -> lit("vqa");
            case "nlvr2" -> lit("nlvr2");
            default -> when(hasImage2, lit("nlvr2")).otherwise(lit("vqa"));
        };
        return selected.withColumn("task", taskCol).select("id", "text", "image_bytes", "image_path", "image2_bytes", "image2_path",
                "task", "gold");
    }

    private static Map<String, DataType> types(Dataset<Row> raw) {
        Map<String, DataType> types = new HashMap<>();
        for (StructField f : raw.schema().fields()) {
            types.put(f.name(), f.dataType());
        }
        return types;
    }
}
