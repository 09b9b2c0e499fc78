package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.s3.S3Proxy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Input, images, model and output all on S3 (s3proxy on 127.0.0.1): the job reads and commits through s3a://. */
class InferS3Test {

    @Test
    @Timeout(300)
    void questionsImagesModelAndAnswersOnS3(@TempDir Path tmp) throws Exception {
        Path demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "12")).isZero();
        try (S3Proxy s3 = S3Proxy.start(tmp, "eas")) {
            Configuration conf = s3.hadoopConf();
            upload(demo, "s3a://eas/demo", conf);
            SparkSession spark = LocalSpark.session("local[2]", "infer-s3-test");
            try {
                Configuration sparkConf = spark.sparkContext().hadoopConfiguration();
                for (Map.Entry<String, String> e : conf) {
                    if (e.getKey().startsWith("fs.s3a.")) {
                        sparkConf.set(e.getKey(), e.getValue());
                    }
                }
                InferOptions o = InferOptions.builder("s3a://eas/demo/data/questions.jsonl", "s3a://eas/demo/model", "s3a://eas/answers")
                        .imageRoot("s3a://eas/demo/data").batchSize(4).maxNewTokens(3).device("cpu").previewRows(0).build(sparkConf);
                InferJob.Summary s = InferJob.run(spark, o, new PrintWriter(new StringWriter()));
                assertThat(s.outputRows()).isEqualTo(12);
                assertThat(s.byStatus()).containsEntry("ok", 10L).containsEntry("image_missing", 1L).containsEntry("empty_question", 1L);
                List<String> ids = spark.read().parquet("s3a://eas/answers").select("id").orderBy("id").as(org.apache.spark.sql.Encoders.STRING())
                        .collectAsList();
                assertThat(ids).hasSize(12).doesNotHaveDuplicates().startsWith("q0000", "q0001");
                // the committed files really are in the bucket (s3proxy's filesystem backend keeps them as files)
                try (Stream<Path> files = Files.walk(s3.baseDir().resolve("eas/answers"))) {
                    assertThat(files.filter(p -> p.getFileName().toString().endsWith(".parquet"))).isNotEmpty();
                }
            } finally {
                spark.stop();
            }
        }
    }

    /** Plain PUTs of every file under a folder (S3A's copyFromLocalFile needs commons-collections, absent here). */
    static void upload(Path local, String uri, Configuration conf) throws Exception {
        try (FileSystem fs = new org.apache.hadoop.fs.Path(uri).getFileSystem(conf); Stream<Path> files = Files.walk(local)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String rel = local.relativize(f).toString().replace('\\', '/');
                try (var out = fs.create(new org.apache.hadoop.fs.Path(uri + "/" + rel), true)) {
                    Files.copy(f, out);
                }
            }
        }
    }
}
