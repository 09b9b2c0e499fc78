package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.jobs.EasCli;
import io.easspark.jobs.spark.LocalSpark;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * --resume after a crash, the crash reproduced file by file as a killed process leaves it: each id comes out exactly
 * once whatever an earlier run left in the output folder, and a write that breaks that is never exit 0.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResumeAfterCrashTest {

    SparkSession spark;
    Path tmp;
    Path demo;
    Path firstTen;
    Path lastFourteen;
    List<String> inputIds;

    @BeforeAll
    void setUp() throws Exception {
        tmp = Files.createTempDirectory("resume-crash");
        demo = tmp.resolve("demo");
        assertThat(EasCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                "demo", "--weights", "random", "--output", demo.toString(), "--rows", "24")).isZero();
        List<String> lines = Files.readAllLines(demo.resolve("data/questions.jsonl"));
        firstTen = Files.write(tmp.resolve("first-ten.jsonl"), lines.subList(0, 10));
        lastFourteen = Files.write(tmp.resolve("last-fourteen.jsonl"), lines.subList(10, 24));
        spark = LocalSpark.session("local[2,2]", "resume-crash-test");
        inputIds = spark.read().json(demo.resolve("data/questions.jsonl").toString()).select("id").orderBy("id")
                .collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    @AfterAll
    void tearDown() {
        spark.stop();
    }

    InferOptions.Builder options(Path input, Path output) {
        return InferOptions.builder(input.toString(), demo.resolve("model").toString(), output.toString())
                .imageRoot(demo.resolve("data").toString()).batchSize(4).maxNewTokens(2).device("cpu").previewRows(0);
    }

    String run(InferOptions o) throws Exception {
        StringWriter out = new StringWriter();
        InferJob.run(spark, o, new PrintWriter(out, true));
        return out.toString();
    }

    List<String> outputIds(Path output) {
        return spark.read().parquet(output.toString()).select("id").orderBy("id").collectAsList().stream().map(r -> r.getString(0)).toList();
    }

    /** The visible Parquet part files of a finished output. */
    static List<Path> partFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("part-") || p.getFileName().toString().startsWith("run-"))
                    .filter(p -> p.toString().endsWith(".parquet")).sorted().toList();
        }
    }

    /** A finished output holding the answers of the last 14 rows, in 3 part files: what a killed run had written. */
    Path answersOfTheLastFourteen(String name) throws Exception {
        Path side = tmp.resolve(name);
        run(options(lastFourteen, side).partitions(3).build(spark.sparkContext().hadoopConfiguration()));
        assertThat(partFiles(side)).hasSize(3);
        return side;
    }

    @Test
    void committedTaskFoldersOfAKilledAppendAreNeverMerged() throws Exception {
        Path output = tmp.resolve("killed-append");
        run(options(firstTen, output).build(spark.sparkContext().hadoopConfiguration()));
        // A --resume killed after its tasks committed but before job commit leaves Hadoop's committed task folders
        // (FileOutputCommitter algorithm 1) under _temporary/0; a later job commit into the same folder merges them.
        Path side = answersOfTheLastFourteen("killed-append-tasks");
        Path task = Files.createDirectories(output.resolve("_temporary/0/task_202612020000_0001_m_000000"));
        for (Path part : partFiles(side)) {
            Files.copy(part, task.resolve(part.getFileName()));
        }

        String out = run(options(demo.resolve("data/questions.jsonl"), output).resume(true).build(spark.sparkContext().hadoopConfiguration()));

        assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);
        assertThat(out).contains("resume: removed _temporary", "resume: 10 of 24 input rows already in");
        assertThat(output.resolve("_temporary")).doesNotExist();
        assertThat(output.resolve("_SUCCESS")).exists();
    }

    @Test
    void aDriverKilledHalfWayThroughMovingFilesInLeavesNoDuplicate() throws Exception {
        Path output = tmp.resolve("killed-publish");
        run(options(firstTen, output).build(spark.sparkContext().hadoopConfiguration()));
        // The state after a driver killed during StagedOutput.publish: _SUCCESS removed, one of the run's three part
        // files already moved into the output, the other two still in the run's staging folder.
        Path side = answersOfTheLastFourteen("killed-publish-run");
        List<Path> parts = partFiles(side);
        Files.delete(output.resolve("_SUCCESS"));
        Files.move(parts.get(0), output.resolve("run-1-killed-" + parts.get(0).getFileName()));
        Path staged = Files.createDirectories(output.resolve("_staging/run-1-killed"));
        for (Path part : parts.subList(1, parts.size())) {
            Files.move(part, staged.resolve(part.getFileName()));
        }
        long published = spark.read().parquet(output.toString()).count();

        String out = run(options(demo.resolve("data/questions.jsonl"), output).resume(true).build(spark.sparkContext().hadoopConfiguration()));

        assertThat(out).contains("resume: removed _staging", "resume: " + published + " of 24 input rows already in");
        assertThat(outputIds(output)).containsExactlyElementsOf(inputIds);
        assertThat(output.resolve("_staging")).doesNotExist();
        assertThat(output.resolve("_SUCCESS")).exists();
    }

    @Test
    void aPlainRunLeavesNoStagingAndNamesItsFilesByRun() throws Exception {
        Path output = tmp.resolve("plain");
        run(options(firstTen, output).partitions(2).build(spark.sparkContext().hadoopConfiguration()));
        assertThat(output.resolve("_staging")).doesNotExist();
        assertThat(output.resolve("_temporary")).doesNotExist();
        assertThat(partFiles(output)).hasSize(2).allSatisfy(p -> assertThat(p.getFileName().toString()).startsWith("run-"));
        assertThat(outputIds(output)).hasSize(10).doesNotHaveDuplicates();
    }

    @Test
    void aWriteThatLeavesAnIdTwiceFailsNamingTheCounts() throws Exception {
        Path output = tmp.resolve("duplicated");
        run(options(firstTen, output).build(spark.sparkContext().hadoopConfiguration()));
        // an earlier version's crash (or a hand copy) left a part file twice under two visible names
        Path part = partFiles(output).get(0);
        long copied = spark.read().parquet(part.toString()).count();
        Files.copy(part, output.resolve("copy-" + part.getFileName()));

        assertThatThrownBy(() -> run(options(demo.resolve("data/questions.jsonl"), output).resume(true).build(spark.sparkContext().hadoopConfiguration())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("output check failed for " + output)
                .hasMessageContaining((24 + copied) + " rows, 24 distinct ids, 0 input ids missing");
    }
}
