package io.easspark.udf.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import io.easspark.engine.RowStatus;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.nativeformat.MeterDemoModel;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import io.easspark.udf.meter.MeterAnswer;
import io.easspark.udf.meter.MeterAnswerer;
import io.easspark.udf.meter.MeterRequest;
import io.easspark.udf.meter.MeterRow;
import io.easspark.udf.meter.MeterTask;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * eas_answer on a METER model through the session extension: both arities, LaVIN's struct plus score, and every
 * row's result equal to {@link MeterAnswerer} run directly on the same row (the oracle).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MeterSqlTest {

    static final double SCORE_TOLERANCE = 1e-5;
    static final String PLAN = "paper";

    Path modelDir;
    SparkSession spark;
    final Map<String, byte[]> first = new HashMap<>();
    final Map<String, byte[]> second = new HashMap<>();
    final Map<String, String> text = new HashMap<>();

    @BeforeAll
    void setUp() throws Exception {
        modelDir = Files.createTempDirectory("meter-sql-model");
        MeterDemoModel.write(modelDir, 7);
        spark = SparkSession.builder().master("local[2]").appName("meter-sql-test")
                .config("spark.ui.enabled", "false").config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
                .config("spark.sql.extensions", EasSqlExtensions.class.getName())
                .config("spark.eas.model", modelDir.toUri().toString()).config("spark.eas.skipPlan", PLAN).getOrCreate();
        Color[] colors = {Color.RED, Color.BLUE, Color.GREEN, Color.YELLOW};
        StructType schema = new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType)
                .add("text", DataTypes.StringType).add("image2", DataTypes.BinaryType);
        List<Row> data = new ArrayList<>();
        for (int i = 0; i < colors.length; i++) {
            String id = "r" + i;
            first.put(id, i == 3 ? null : png(colors[i])); // r3: no image
            second.put(id, png(colors[(i + 1) % colors.length]));
            text.put(id, i == 2 ? "Which shape is it?" : "What color is the square?");
            data.add(RowFactory.create(id, first.get(id), text.get(id), second.get(id)));
        }
        spark.createDataFrame(data, schema).repartition(2).createOrReplaceTempView("rows");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    static byte[] png(Color c) throws Exception {
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 40, 30);
        g.setColor(c);
        g.fillRect(8, 6, 20, 16);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    Map<String, MeterAnswer> oracle(MeterTask task) throws Exception {
        List<MeterRow> rows = new ArrayList<>();
        for (String id : text.keySet()) {
            byte[] a = first.get(id);
            rows.add(new MeterRow(id, task, text.get(id), a, a == null ? RowStatus.IMAGE_MISSING : null, null,
                    task == MeterTask.NLVR2 ? second.get(id) : null, null, null));
        }
        MeterModelDirectory dir = MeterModelDirectory.validate(modelDir.toUri().toString(), new Configuration());
        try (MeterModel model = dir.load(Device.cpu()); RobertaBpeTokenizer tokenizer = dir.tokenizer()) {
            MeterRequest r = new MeterRequest("oracle", null, MeterRequest.parseSkips(PLAN), MeterRequest.parseMapping(null), 1, 1 << 30);
            Map<String, MeterAnswer> out = new HashMap<>();
            new MeterAnswerer(model, tokenizer, dir.answers(), r.skipSet(model.config().fusionLayers()), 1 << 30, 1).answer(rows)
                    .forEach(a -> out.put(a.id(), a));
            return out;
        }
    }

    void assertMatches(List<Row> got, Map<String, MeterAnswer> oracle) {
        assertThat(got).hasSize(oracle.size());
        for (Row r : got) {
            MeterAnswer want = oracle.get(r.<String>getAs("id"));
            Row res = r.getStruct(1);
            assertThat(res.schema().fieldNames()).containsExactly("answer", "choice", "status", "error", "score");
            assertThat(res.getString(2)).as(want.id()).isEqualTo(want.status().columnValue());
            assertThat(res.getString(0)).as(want.id()).isEqualTo(want.answer());
            assertThat(res.isNullAt(1)).isTrue();
            if (want.score() == null) {
                assertThat(res.isNullAt(4)).as(want.id()).isTrue();
            } else {
                assertThat(res.getDouble(4)).as(want.id()).isCloseTo(want.score(), within(SCORE_TOLERANCE));
            }
        }
    }

    @Test
    void twoArgumentsAnswerVqa() throws Exception {
        List<Row> got = spark.sql("SELECT id, eas_answer(image, text) AS r FROM rows").collectAsList();
        assertMatches(got, oracle(MeterTask.VQA));
        assertThat(got.stream().filter(r -> r.getAs("id").equals("r3")).findFirst().orElseThrow().getStruct(1).getString(2))
                .isEqualTo("image_missing");
    }

    @Test
    void threeArgumentsAnswerNlvr2AboutTwoImages() throws Exception {
        List<Row> got = spark.sql("SELECT id, eas_answer(image, text, image2) AS r FROM rows").collectAsList();
        assertMatches(got, oracle(MeterTask.NLVR2));
        got.stream().filter(r -> r.getStruct(1).getString(2).equals("ok"))
                .forEach(r -> assertThat(r.getStruct(1).getString(0)).isIn("true", "false"));
    }

    @Test
    void aBadSettingFailsTheQueryInOneLine() {
        spark.conf().set("spark.eas.skipPlan", "24");
        try {
            assertThatThrownBy(() -> spark.sql("SELECT eas_answer(image, text) FROM rows").collectAsList())
                    .hasMessageContaining("spark.eas.skipPlan: skip index 24 is outside 0-23");
        } finally {
            spark.conf().set("spark.eas.skipPlan", PLAN);
        }
        // the struct holds one answer: asking for three is refused, not answered with one
        spark.conf().set("spark.eas.topK", "3");
        try {
            assertThatThrownBy(() -> spark.sql("SELECT eas_answer(image, text) FROM rows").collectAsList())
                    .hasMessageContaining("spark.eas.topK 3: eas_answer returns the top answer and its score only");
        } finally {
            spark.conf().unset("spark.eas.topK");
        }
    }
}
