package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;

/**
 * The input of a METER run under canonical names: id, question (the VQA question, NLVR2 statement or ITM caption),
 * image_bytes, image_path, image2_bytes, image2_path, task (null: the run's --task decides), then the carried
 * partition column if any. Each image column may hold bytes or a path, as --image-col does for LaVIN.
 */
public final class MeterInput {

    static final String IMAGE2 = "image2";

    private MeterInput() {
    }

    public static Dataset<Row> canonical(Dataset<Row> raw, InferOptions o) {
        Map<String, DataType> types = new HashMap<>();
        for (StructField f : raw.schema().fields()) {
            types.put(f.name(), f.dataType());
        }
        require(types, o.idCol(), "--id-col", raw);
        require(types, o.questionCol(), "--question-col", raw);
        List<Column> cols = new ArrayList<>(List.of(col(o.idCol()).cast("string").as("id"), col(o.questionCol()).cast("string").as("question")));
        cols.addAll(image(types, o.imageCol(), "--image-col", "image", raw));
        String image2 = o.meterInput().image2Col();
        cols.addAll(image(types, image2, "--image2-col", IMAGE2, raw));
        String taskCol = o.meterInput().taskCol();
        if (taskCol != null) {
            require(types, taskCol, "--task-col", raw);
            cols.add(col(taskCol).cast("string").as("task"));
        } else {
            cols.add(lit(null).cast("string").as("task"));
        }
        if (o.partitionBy() != null && !Arrays.asList(OutputSchema.SCHEMA.fieldNames()).contains(o.partitionBy())) {
            require(types, o.partitionBy(), "--partition-by (an output column or an input column)", raw);
            cols.add(col(o.partitionBy()).cast("string").as(o.partitionBy()));
        }
        return raw.select(cols.toArray(Column[]::new));
    }

    /**
     * Bytes and path columns for one image column. The default --image2-col may be absent (a VQA-only input);
     * a column the user named must exist.
     */
    private static List<Column> image(Map<String, DataType> types, String name, String flag, String prefix, Dataset<Row> raw) {
        return image(types, name, flag, prefix, prefix.equals(IMAGE2) && IMAGE2.equals(name), raw);
    }

    /**
     * An image column as {@code <prefix>_bytes} and {@code <prefix>_path} (one of them null): binary columns are the
     * bytes, string columns a path. Shared with calibrate's METER validation rows.
     *
     * @param optional a column that may be absent (then both are null) rather than a missing-column error
     */
    public static List<Column> image(Map<String, DataType> types, String name, String flag, String prefix, boolean optional,
            Dataset<Row> raw) {
        Column bytes = lit(null).cast(DataTypes.BinaryType);
        Column path = lit(null).cast(DataTypes.StringType);
        if (name != null && !name.isBlank() && (!optional || types.containsKey(name))) {
            DataType t = require(types, name, flag, raw);
            if (t instanceof BinaryType) {
                bytes = col(name);
            } else if (t instanceof StringType) {
                path = col(name);
            } else {
                throw new IllegalArgumentException(flag + " " + name + " must be binary (image bytes) or a string (path), found " + t.simpleString());
            }
        }
        return List.of(bytes.as(prefix + "_bytes"), path.as(prefix + "_path"));
    }

    /** The type of column {@code name}, or a one-line error naming the flag and the input's columns. */
    public static DataType require(Map<String, DataType> types, String name, String flag, Dataset<Row> raw) {
        if (name == null || !types.containsKey(name)) {
            throw new IllegalArgumentException(flag + " " + name + ": no such column; the input has " + Arrays.toString(raw.columns()));
        }
        return types.get(name);
    }
}
