package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.s3.S3Proxy;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Images on S3 while the endpoint goes away. A read that fails for any reason but "not there" (here: connection
 * refused) fails the task, Spark retries it, and once the endpoint is back every row is answered; before, those rows
 * were written as image_missing and --resume never redid them. An outage that outlasts the retries fails the job with
 * one line naming the image and the cause.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class InferS3OutageTest {

    /** The S3 proxy, reachable from the partition wrapper (local mode: tasks run in this JVM). */
    static volatile S3Proxy proxy;
    static final AtomicInteger OUTAGES = new AtomicInteger();

    Path tmp;
    Path demo;

    @BeforeAll
    void setUp() throws Exception {
        tmp = java.nio.file.Files.createTempDirectory("infer-s3-outage");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "12")).isZero();
        proxy = S3Proxy.start(tmp, "eas");
        InferS3Test.upload(demo.resolve("data"), "s3a://eas/data", proxy.hadoopConf());
    }

    @AfterAll
    void tearDown() throws Exception {
        proxy.close();
    }

    SparkSession session(String master, Configuration s3) {
        SparkSession spark = LocalSpark.session(master, "infer-s3-outage-test");
        Configuration c = spark.sparkContext().hadoopConfiguration();
        for (Map.Entry<String, String> e : s3) {
            if (e.getKey().startsWith("fs.s3a.")) {
                c.set(e.getKey(), e.getValue());
            }
        }
        return spark;
    }

    InferOptions options(SparkSession spark, String output) {
        return InferOptions.builder(demo.resolve("data/questions.jsonl").toString(), demo.resolve("model").toString(), output)
                .imageRoot("s3a://eas/data").batchSize(4).maxNewTokens(2).device("cpu").previewRows(0).partitions(2)
                .build(spark.sparkContext().hadoopConfiguration());
    }

    @Test
    @Timeout(300)
    void anOutageMidRunIsRetriedAndEveryRowIsAnswered() throws Exception {
        // one task at a time, up to 20 attempts each; the second partition's first attempt takes the endpoint down
        // for 5 s and a restart, longer than one attempt's S3A retries (about 1.5 s), far shorter than all attempts
        Configuration s3 = proxy.hadoopConf();
        s3.setInt("fs.s3a.retry.limit", 2);
        s3.set("fs.s3a.retry.interval", "500ms");
        SparkSession spark = session("local[1,20]", s3);
        AtomicInteger failedTasks = new AtomicInteger();
        spark.sparkContext().addSparkListener(new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    failedTasks.incrementAndGet();
                }
            }
        });
        try {
            String out = tmp.resolve("answers-outage").toString();
            InferJob.Summary s = InferJob.run(spark, options(spark, out), new PrintWriter(new StringWriter()), OutageAtSecondPartition::new);
            assertThat(OUTAGES.get()).isEqualTo(1);
            assertThat(failedTasks.get()).as("the outage failed at least one task attempt").isPositive();
            assertThat(s.outputRows()).isEqualTo(12);
            // the demo's two planned bad rows, and nothing else: no transient failure became a status
            assertThat(s.byStatus()).containsEntry("ok", 10L).containsEntry("image_missing", 1L).containsEntry("empty_question", 1L);
            assertThat(spark.read().parquet(out).select("id").distinct().count()).isEqualTo(12);
        } finally {
            spark.stop();
        }
    }

    @Test
    @Timeout(300)
    void anOutageThatOutlastsTheRetriesFailsTheJobNamingTheImage() throws Exception {
        SparkSession spark = session("local[1,2]", proxy.hadoopConf());
        try {
            InferOptions o = options(spark, tmp.resolve("answers-down").toString());
            proxy.stop();
            try {
                assertThatThrownBy(() -> InferJob.run(spark, o, new PrintWriter(new StringWriter())))
                        .satisfies(e -> assertThat(EasCli.oneLine(e)).startsWith("reading image s3a://eas/data/images/")
                                .contains("failed").doesNotContain("\tat "));
            } finally {
                proxy.restart();
            }
        } finally {
            spark.stop();
        }
    }

    /** Test-only wrapper: the first attempt of partition 1 starts with the endpoint down, back 5 s (and a restart) later. */
    static final class OutageAtSecondPartition implements MapPartitionsFunction<Row, Row> {
        private static final long serialVersionUID = 1L;
        private final MapPartitionsFunction<Row, Row> delegate;

        OutageAtSecondPartition(MapPartitionsFunction<Row, Row> delegate) {
            this.delegate = delegate;
        }

        @Override
        public Iterator<Row> call(Iterator<Row> input) throws Exception {
            TaskContext tc = TaskContext.get();
            if (tc.partitionId() == 1 && tc.attemptNumber() == 0 && OUTAGES.getAndIncrement() == 0) {
                proxy.stop();
                Thread restart = new Thread(() -> {
                    try {
                        Thread.sleep(5000);
                        proxy.restart();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                restart.setDaemon(true);
                restart.start();
            }
            return delegate.call(input);
        }
    }
}
