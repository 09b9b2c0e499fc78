package io.easspark.jobs.scienceqa;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads ScienceQA's layout (the real download or {@code eas gen-scienceqa}'s) as question rows under the column
 * names infer, evaluate and calibrate use by default: {@code id} (the pid), {@code question}, {@code context} (the
 * hint), {@code options} (the choices), {@code image} (a path, null without a picture), {@code answer} (the gold
 * letter), and ScienceQA's {@code subject}, {@code grade}, {@code topic}, {@code category}, {@code skill},
 * {@code lecture}, {@code solution}. One split, rows in {@code pid_splits.json}'s order.
 *
 * <p>Image paths: {@code images/<split>/<pid>/image.png} relative to {@code --image-root} when one is given (the
 * images may live elsewhere), otherwise qualified against the {@code --input} folder. The two JSON files are read on
 * the driver: the real {@code problems.json} (21,208 problems) is about 70 MB.
 */
public final class ScienceQaInput {

    /** The --input-format value. */
    public static final String FORMAT = "scienceqa";
    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("question", DataTypes.StringType)
            .add("context", DataTypes.StringType)
            .add("options", DataTypes.createArrayType(DataTypes.StringType))
            .add("image", DataTypes.StringType)
            .add("answer", DataTypes.StringType)
            .add("subject", DataTypes.StringType)
            .add("grade", DataTypes.StringType)
            .add("topic", DataTypes.StringType)
            .add("category", DataTypes.StringType)
            .add("skill", DataTypes.StringType)
            .add("lecture", DataTypes.StringType)
            .add("solution", DataTypes.StringType);

    private ScienceQaInput() {
    }

    /** The rows of one split (a list of pid_splits.json). */
    public static Dataset<Row> read(SparkSession spark, String input, String split, String imageRoot) {
        Configuration conf = spark.sparkContext().hadoopConfiguration();
        Path dir = new Path(input);
        JsonObject splits = json(new Path(dir, "pid_splits.json"), conf, input);
        JsonObject problems = json(new Path(dir, "problems.json"), conf, input);
        JsonElement pids = splits.get(split);
        if (pids == null || !pids.isJsonArray()) {
            throw new IllegalArgumentException("--split " + split + ": " + new Path(dir, "pid_splits.json") + " has no such list; it has "
                    + splits.keySet());
        }
        String imageBase = imageRoot == null || imageRoot.isBlank() ? qualified(dir, conf) : null;
        List<Row> rows = new ArrayList<>();
        for (JsonElement e : pids.getAsJsonArray()) {
            String pid = e.getAsString();
            JsonElement p = problems.get(pid);
            if (p == null || !p.isJsonObject()) {
                throw new IllegalArgumentException("pid_splits.json lists pid " + pid + " in " + split + ", but problems.json has no such problem");
            }
            rows.add(row(pid, p.getAsJsonObject(), split, imageBase));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    private static Row row(String pid, JsonObject p, String split, String imageBase) {
        JsonElement choicesJson = p.get("choices");
        if (choicesJson == null || !choicesJson.isJsonArray() || choicesJson.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException("problems.json: pid " + pid + " has no choices array");
        }
        JsonArray choices = choicesJson.getAsJsonArray();
        List<String> options = new ArrayList<>();
        choices.forEach(c -> options.add(c.getAsString()));
        JsonElement a = p.get("answer");
        int answer = a == null || a.isJsonNull() ? -1 : a.getAsInt();
        if (answer < 0 || answer >= options.size() || answer >= 26) {
            throw new IllegalArgumentException("problems.json: pid " + pid + " has answer " + a + ", expected an index into its "
                    + options.size() + " choices");
        }
        String image = string(p, "image");
        String path = null;
        if (image != null && !image.isBlank()) {
            String rel = "images/" + split + "/" + pid + "/" + image;
            path = imageBase == null ? rel : imageBase + "/" + rel;
        }
        return RowFactory.create(pid, string(p, "question"), string(p, "hint"), options.toArray(String[]::new), path,
                String.valueOf((char) ('A' + answer)), string(p, "subject"), string(p, "grade"), string(p, "topic"),
                string(p, "category"), string(p, "skill"), string(p, "lecture"), string(p, "solution"));
    }

    private static String string(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static String qualified(Path dir, Configuration conf) {
        try {
            return dir.getFileSystem(conf).makeQualified(dir).toString();
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + dir + ": " + e.getMessage(), e);
        }
    }

    private static JsonObject json(Path file, Configuration conf, String input) {
        try {
            FileSystem fs = file.getFileSystem(conf);
            try (Reader r = new InputStreamReader(fs.open(file), StandardCharsets.UTF_8)) {
                JsonElement e = JsonParser.parseReader(r);
                if (!e.isJsonObject()) {
                    throw new IllegalArgumentException(file + " is not a JSON object (ScienceQA layout)");
                }
                return e.getAsJsonObject();
            }
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("--input " + input + " --input-format scienceqa: no " + file.getName()
                    + " (the layout is problems.json, pid_splits.json, images/<split>/<pid>/image.png)", e);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(file + " is not valid JSON: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("--input " + input + ": cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
