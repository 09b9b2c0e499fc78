package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The same rows as Parquet with image bytes and as CSV with delimited options give the same answers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferFormatsTest {

    SparkSession spark;
    Path tmp;
    Path demo;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("infer-formats");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "12")).isZero();
        spark = LocalSpark.session("local[2]", "infer-formats-test");
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    InferOptions.Builder builder(String input, String imageCol, String optionsCol, String output) {
        return InferOptions.builder(input, demo.resolve("model").toString(), output).imageRoot(demo.resolve("data").toString())
                .imageCol(imageCol).optionsCol(optionsCol).batchSize(4).maxNewTokens(6).device("cpu").previewRows(0);
    }

    InferOptions options(String input, String imageCol, String optionsCol, String output) {
        return builder(input, imageCol, optionsCol, output).build(spark.sparkContext().hadoopConfiguration());
    }

    List<Row> answers(String output) {
        return spark.read().parquet(output).orderBy("id").select("id", "status", "answer_text").collectAsList();
    }

    @Test
    void parquetWithImageBytesAndCsvWithDelimitedOptionsAnswerAlike() throws Exception {
        StringWriter sink = new StringWriter();
        String jsonOut = tmp.resolve("from-json").toString();
        InferJob.run(spark, options(demo.resolve("data/questions.jsonl").toString(), "image", "options", jsonOut), new PrintWriter(sink));

        // Parquet: the image as bytes instead of a path (rows whose file is missing keep no image at all)
        Dataset<Row> json = spark.read().json(demo.resolve("data/questions.jsonl").toString());
        Dataset<Row> files = spark.read().format("binaryFile").load(demo.resolve("data/images").toString())
                .selectExpr("concat('images/', regexp_extract(path, '([^/]+)$', 1)) as image", "content");
        String parquet = tmp.resolve("questions.parquet").toString();
        json.join(files, json.col("image").equalTo(files.col("image")), "left").drop(files.col("image"))
                .withColumnRenamed("content", "image_bytes").drop("image").write().parquet(parquet);
        String parquetOut = tmp.resolve("from-parquet").toString();
        InferJob.run(spark, options(parquet, "image_bytes", "options", parquetOut), new PrintWriter(sink));

        // CSV: options as one "a|b|c" string
        String csv = tmp.resolve("questions.csv").toString();
        json.withColumn("options", concat_ws("|", col("options"))).write().option("header", "true").csv(csv);
        String csvOut = tmp.resolve("from-csv").toString();
        InferJob.run(spark, builder(csv, "image", "options", csvOut).inputFormat("csv").build(spark.sparkContext().hadoopConfiguration()), new PrintWriter(sink));

        List<Row> expected = answers(jsonOut);
        assertThat(expected).hasSize(12);
        List<Row> fromCsv = answers(csvOut);
        assertThat(fromCsv).containsExactlyElementsOf(expected);
        List<Row> fromParquet = answers(parquetOut);
        for (int i = 0; i < expected.size(); i++) {
            Row e = expected.get(i);
            Row p = fromParquet.get(i);
            assertThat(p.getString(0)).isEqualTo(e.getString(0));
            if (e.getString(1).equals("image_missing")) {
                assertThat(p.getString(1)).isEqualTo("ok"); // no bytes: answered as a text-only row
            } else {
                assertThat(p).as(e.getString(0)).isEqualTo(e);
            }
        }
    }
}
