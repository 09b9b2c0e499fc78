package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.jobs.spark.LocalSpark;
import io.easspark.jobs.testing.CliRun;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Hostile input fails before any task with the real reason (file and line of a malformed line, the repeated ids, a
 * missing --input in one line), or is skipped and counted on request; and a run that answered nothing, or too
 * little, exits 3 so a scheduler can tell.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputAndExitCodesTest {

    Path tmp;
    Path demo;
    List<String> lines;

    @BeforeAll
    void demo() throws Exception {
        tmp = Files.createTempDirectory("bad-input");
        demo = tmp.resolve("demo");
        CliRun r = CliRun.of("demo", "--weights", "random", "--output", demo.toString(), "--rows", "12");
        assertThat(r.exit()).as(r.err()).isZero();
        lines = Files.readAllLines(demo.resolve("data/questions.jsonl"));
    }

    @AfterAll
    void stopSpark() {
        SparkSession.getActiveSession().foreach(s -> {
            s.stop();
            return null;
        });
    }

    String[] infer(Path input, String output, String... extra) {
        List<String> args = new ArrayList<>(List.of("infer", "--master", "local[1]", "--input", input.toString(), "--image-root",
                demo.resolve("data").toString(), "--model", demo.resolve("model").toString(), "--output", tmp.resolve(output).toString(),
                "--max-new-tokens", "2", "--batch-size", "4", "--preview", "0"));
        args.addAll(List.of(extra));
        return args.toArray(String[]::new);
    }

    List<String> outputIds(String output) {
        SparkSession spark = LocalSpark.session("local[1]", "bad-input-reader");
        return spark.read().parquet(tmp.resolve(output).toString()).select("id").orderBy("id").collectAsList().stream()
                .map(r -> r.getString(0)).toList();
    }

    /** The demo's 12 lines with line 5 cut in half and line 9 holding bytes that are not UTF-8. */
    Path twoMalformedLines() throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (i == 4) {
                b.writeBytes(l.substring(0, l.length() / 2).getBytes(StandardCharsets.UTF_8));
            } else if (i == 8) {
                String q = "\"question\":\"";
                int at = l.indexOf(q) + q.length();
                b.writeBytes(l.substring(0, at).getBytes(StandardCharsets.UTF_8));
                b.writeBytes(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
                b.writeBytes(l.substring(at).getBytes(StandardCharsets.UTF_8));
            } else {
                b.writeBytes(l.getBytes(StandardCharsets.UTF_8));
            }
            b.write('\n');
        }
        return Files.write(tmp.resolve("malformed.jsonl"), b.toByteArray());
    }

    @Test
    void malformedJsonLinesFailBeforeAnyTaskNamingFileAndLine() throws Exception {
        Path in = twoMalformedLines();
        CliRun r = CliRun.of(infer(in, "malformed-fail"));
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--input: 2 malformed lines", "malformed.jsonl line 5",
                "--on-malformed skip").doesNotContain("is null");
        assertThat(r.out()).doesNotContain("answering");
        assertThat(tmp.resolve("malformed-fail")).doesNotExist();
    }

    @Test
    void onMalformedSkipAnswersTheRestAndCountsTheSkippedLines() throws Exception {
        CliRun r = CliRun.of(infer(twoMalformedLines(), "malformed-skip", "--on-malformed", "skip"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("skipped 2 malformed input line(s)", "10 rows in, 10 answered, 10 rows in");
        assertThat(outputIds("malformed-skip")).hasSize(10).doesNotContain("q0004", "q0008");
    }

    @Test
    void aCsvRowWithTheWrongColumnCountIsNamed() throws Exception {
        Path csv = Files.writeString(tmp.resolve("questions.csv"), """
                id,question,image,options
                q0000,Which shape is in the image?,images/0000.png,circle|square
                q0003,Which shape?,images/0003.png,circle|square,an extra column
                q0004,Which shape?,images/0004.png,circle|square
                """);
        CliRun r = CliRun.of(infer(csv, "csv-fail", "--context-col", ""));
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--input: 1 malformed line", "questions.csv line 3");

        CliRun skipped = CliRun.of(infer(csv, "csv-skip", "--context-col", "", "--on-malformed", "skip"));
        assertThat(skipped.exit()).as(skipped.out() + skipped.err()).isZero();
        assertThat(outputIds("csv-skip")).containsExactly("q0000", "q0004");
    }

    @Test
    void aMissingInputIsOneLine() {
        CliRun r = CliRun.of(infer(tmp.resolve("no-such.jsonl"), "missing-input"));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eas infer: --input " + tmp.resolve("no-such.jsonl") + " does not exist");
    }

    @Test
    void repeatedIdsFailBeforeAnyTaskUnlessAllowed() throws Exception {
        List<String> twice = new ArrayList<>(lines.subList(0, 4));
        twice.add(lines.get(0));
        twice.add(lines.get(3));
        twice.add(lines.get(3));
        Path in = Files.write(tmp.resolve("repeated.jsonl"), twice);
        CliRun r = CliRun.of(infer(in, "repeated"));
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("2 ids repeat in --input", "q0000 (2 times)", "q0003 (3 times)",
                "--allow-duplicate-ids");
        assertThat(r.out()).doesNotContain("answering");

        CliRun allowed = CliRun.of(infer(in, "repeated-allowed", "--allow-duplicate-ids"));
        assertThat(allowed.exit()).as(allowed.out() + allowed.err()).isZero();
        assertThat(outputIds("repeated-allowed")).hasSize(7);
    }

    @Test
    void aRunWithNoOkRowExitsThreeAfterWritingItsOutput() throws Exception {
        Path five = Files.write(tmp.resolve("five.jsonl"), lines.subList(0, 5));
        List<String> args = new ArrayList<>(List.of(infer(five, "no-image-root")));
        int at = args.indexOf("--image-root");
        args.remove(at);
        args.remove(at); // the forgotten --image-root: no image resolves
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(3);
        assertThat(r.err().strip()).doesNotContain("\n").contains("none of the 5 rows answered is ok", "image_missing");
        assertThat(outputIds("no-image-root")).hasSize(5);
    }

    @Test
    void maxErrorFractionFailsARunWithTooManyRowsNotOk() throws Exception {
        // rows 1 (no image file) and 2 (empty question) of the first five are not ok: 2 of 5 = 0.4
        Path five = Files.write(tmp.resolve("five-again.jsonl"), lines.subList(0, 5));
        CliRun strict = CliRun.of(infer(five, "strict", "--max-error-fraction", "0.3"));
        assertThat(strict.exit()).as(strict.out() + strict.err()).isEqualTo(3);
        assertThat(strict.err().strip()).doesNotContain("\n").contains("2 of 5 rows answered are not ok", "--max-error-fraction 0.3");
        assertThat(outputIds("strict")).hasSize(5);

        CliRun lenient = CliRun.of(infer(five, "lenient", "--max-error-fraction", "0.4"));
        assertThat(lenient.exit()).as(lenient.out() + lenient.err()).isZero();
        assertThat(CliRun.of(infer(five, "bad-fraction", "--max-error-fraction", "1.5")).err()).contains("--max-error-fraction must be in 0..1");
    }

    @Test
    void helpListsTheExitCodes() {
        CliRun r = CliRun.of("infer", "--help");
        assertThat(r.out()).contains("Exit codes:");
        assertThat(r.out()).containsPattern("(?m)^\\s+2\\s+bad arguments");
        assertThat(r.out()).containsPattern("(?m)^\\s+3\\s+the output is written");
        assertThat(CliRun.of("--help").out()).containsPattern("(?m)^\\s+3\\s+infer wrote its output");
    }
}
