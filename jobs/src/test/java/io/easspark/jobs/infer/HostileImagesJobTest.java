package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole job over rows whose image paths are hostile: links out of the root (to a picture, a secret, a folder,
 * /dev/zero), a FIFO, a folder, an oversized file. Before, the FIFO hung the executor and /dev/zero killed it (exit
 * 52, whole job lost); now every row is written once, with a status, and no error quotes the secret.
 */
class HostileImagesJobTest {

    @Test
    @Timeout(240)
    void everyHostileImageIsAStatusAndEveryRowIsWrittenOnce(@TempDir Path tmp) throws Exception {
        Path demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "4")).isZero();
        Path root = demo.resolve("data");
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.copy(root.resolve("images/0000.png"), outside.resolve("private.png"));
        Files.writeString(outside.resolve("secret.txt"), ImageResolverTest.SECRET);
        Files.createSymbolicLink(root.resolve("link-out.png"), outside.resolve("private.png"));
        Files.createSymbolicLink(root.resolve("dir-out"), outside);
        Files.createSymbolicLink(root.resolve("secret.png"), outside.resolve("secret.txt"));
        Files.createSymbolicLink(root.resolve("zero.png"), Path.of("/dev/zero"));
        Files.createDirectories(root.resolve("folder.png"));
        ImageResolverTest.mkfifo(root.resolve("fifo.png"));
        Files.writeString(root.resolve("text.png"), ImageResolverTest.SECRET); // inside the root, not an image
        Files.write(root.resolve("big.png"), new byte[4096]);
        Files.createSymbolicLink(root.resolve("link-in.png"), root.resolve("images/0000.png"));

        Map<String, String> expected = new HashMap<>();
        expected.put("ok", "ok");
        expected.put("link-in", "ok");
        expected.put("link-out", "image_missing");
        expected.put("dir-out", "image_missing");
        expected.put("secret", "image_missing");
        expected.put("zero", "image_missing");
        expected.put("folder", "image_missing");
        expected.put("fifo", "image_missing");
        expected.put("text", "image_corrupt");
        expected.put("big", "image_too_large");
        Map<String, String> paths = Map.of("ok", "images/0000.png", "link-in", "link-in.png", "link-out", "link-out.png",
                "dir-out", "dir-out/private.png", "secret", "secret.png", "zero", "zero.png", "folder", "folder.png", "fifo", "fifo.png",
                "text", "text.png", "big", "big.png");
        StringBuilder jsonl = new StringBuilder();
        for (Map.Entry<String, String> e : paths.entrySet()) {
            jsonl.append("{\"id\":\"").append(e.getKey()).append("\",\"image\":\"").append(e.getValue())
                    .append("\",\"question\":\"What color?\",\"options\":[\"red\",\"blue\"]}\n");
        }
        Path input = tmp.resolve("hostile.jsonl");
        Files.writeString(input, jsonl);

        SparkSession spark = LocalSpark.session("local[2]", "hostile-images-test");
        try {
            InferOptions o = InferOptions.builder(input.toString(), demo.resolve("model").toString(), tmp.resolve("answers").toString())
                    .imageRoot(root.toString()).contextCol("").maxImageBytes(4000).batchSize(2).maxNewTokens(2).device("cpu").previewRows(0).partitions(2)
                    .build(spark.sparkContext().hadoopConfiguration());
            InferJob.Summary s = InferJob.run(spark, o, new PrintWriter(new StringWriter()));
            assertThat(s.outputRows()).isEqualTo(paths.size());
            List<Row> rows = spark.read().parquet(tmp.resolve("answers").toString()).select("id", "status", "error").collectAsList();
            assertThat(rows).hasSize(paths.size());
            Map<String, String> statuses = new HashMap<>();
            for (Row r : rows) {
                assertThat(statuses.put(r.getString(0), r.getString(1))).as("id %s once", r.getString(0)).isNull();
                String error = r.isNullAt(2) ? "" : r.getString(2);
                assertThat(error).as(r.getString(0)).doesNotContain(ImageResolverTest.SECRET).doesNotContain("0x5345");
            }
            assertThat(statuses).isEqualTo(expected);
        } finally {
            spark.stop();
        }
    }
}
