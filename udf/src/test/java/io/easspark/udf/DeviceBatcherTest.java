package io.easspark.udf;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptFormat;
import io.easspark.udf.testing.DemoFixture;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Rows of concurrent tasks meet in one batch, and get the same answers as when each task batches alone. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DeviceBatcherTest {

    LavinModel model;
    LlamaTokenizer tokenizer;
    ExecutorService tasks = Executors.newFixedThreadPool(3);

    DemoFixture demo;

    @BeforeAll
    void load() throws Exception {
        demo = DemoFixture.load();
        model = demo.model();
        tokenizer = demo.tokenizer();
    }

    @AfterAll
    void close() {
        tasks.shutdownNow();
        demo.close();
    }

    /** Three tasks' rows, each task's list including rows that never reach the engine. */
    static List<List<QuestionRow>> perTask() throws Exception {
        List<QuestionRow> all = new BatchAnswererTest().rows();
        List<List<QuestionRow>> out = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        for (int i = 0; i < all.size(); i++) {
            out.get(i % 3).add(all.get(i));
        }
        return out;
    }

    List<List<AnswerRow>> concurrently(AnswerOptions options, long lingerMillis, List<List<QuestionRow>> rows) throws Exception {
        List<RowAnswerer> joined = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            joined.add(DeviceBatcher.join(model, tokenizer, "demo", options, lingerMillis));
        }
        CyclicBarrier start = new CyclicBarrier(rows.size());
        List<Future<List<AnswerRow>>> futures = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            RowAnswerer a = joined.get(i);
            List<QuestionRow> mine = rows.get(i);
            futures.add(tasks.submit(() -> {
                start.await();
                try (a) {
                    return a.answer(mine);
                }
            }));
        }
        List<List<AnswerRow>> out = new ArrayList<>();
        for (Future<List<AnswerRow>> f : futures) {
            out.add(f.get());
        }
        return out;
    }

    @Test
    void sharedBatchesGiveTheSameAnswersAsEachTaskAlone() throws Exception {
        AnswerOptions options = new AnswerOptions(PromptFormat.QCM, GenerationConfig.greedy(8), 4);
        List<List<QuestionRow>> rows = perTask();
        List<List<AnswerRow>> shared = concurrently(options, 50, rows);
        for (int t = 0; t < rows.size(); t++) {
            List<AnswerRow> alone = new BatchAnswerer(model, tokenizer, "demo", options).answer(rows.get(t));
            assertThat(shared.get(t)).extracting(AnswerRow::id).containsExactlyElementsOf(rows.get(t).stream().map(QuestionRow::id).toList());
            for (int i = 0; i < alone.size(); i++) {
                AnswerRow a = alone.get(i);
                AnswerRow s = shared.get(t).get(i);
                assertThat(s.status()).as(a.id()).isEqualTo(a.status());
                assertThat(s.answerText()).as(a.id()).isEqualTo(a.answerText());
                assertThat(s.error()).as(a.id()).isEqualTo(a.error());
                assertThat(s.generatedTokens()).as(a.id()).isEqualTo(a.generatedTokens());
            }
        }
    }

    @Test
    void rowsOfThreeTasksMeetInOneFullBatch() throws Exception {
        List<List<QuestionRow>> rows = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            rows.add(List.of(new QuestionRow("t" + t + "a", null, null, "Which color is first?", null, List.of("red", "blue")),
                    new QuestionRow("t" + t + "b", null, null, "Is the square blue?", "A blue square.", List.of("yes", "no"))));
        }
        long[] before = DeviceBatcher.totals();
        // a long linger: the worker must wait for all three tasks, however slowly this machine schedules them
        List<List<AnswerRow>> out = concurrently(new AnswerOptions(PromptFormat.QCM, GenerationConfig.greedy(4), 6), 20_000, rows);
        long[] after = DeviceBatcher.totals();
        assertThat(out).allSatisfy(task -> assertThat(task).extracting(AnswerRow::status).containsOnly("ok"));
        assertThat(after[1] - before[1]).isEqualTo(6);
        assertThat(after[0] - before[0]).as("engine batches for 6 rows of 3 tasks with batch size 6").isEqualTo(1);
    }

    @Test
    void theWorkerStopsWhenTheLastTaskLeaves() throws Exception {
        AnswerOptions options = new AnswerOptions(PromptFormat.VQA, GenerationConfig.greedy(2), 2);
        concurrently(options, 10, List.of(List.of(new QuestionRow("x", null, null, "Why?", null, List.of()))));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (workerAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(workerAlive()).isFalse();
    }

    private static boolean workerAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().startsWith("eas-device-batcher-") && t.isAlive());
    }
}
