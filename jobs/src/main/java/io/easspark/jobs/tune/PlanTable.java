package io.easspark.jobs.tune;

import ai.djl.Device;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.Generation;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.WeightSource;
import io.easspark.engine.text.AnswerParser;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.tune.TuningExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Accuracy and measured speed of skip plans on labelled rows, the way {@code infer} answers them: greedy generation
 * in batches, the answer letter parsed from the generated text. Every plan runs the same rows in the same batches on
 * the same loaded weights, one after another, so the speed-ups are ratios from one run on one machine.
 */
final class PlanTable {

    /** One plan's line: accuracy overall and per category (percent), rows per second. */
    record Line(int k, SkipPlan plan, double accuracy, Map<String, Double> byCategory, double rowsPerSecond) {
    }

    private PlanTable() {
    }

    static List<Line> measure(LavinConfig config, WeightSource weights, LlamaTokenizer tokenizer, List<SkipPlan> plans,
            List<TuningExample> rows, int batchSize) {
        List<Line> out = new ArrayList<>();
        // room for the longest target (an explanation-first target runs to ~20 tokens) and a few more
        int longest = 0;
        for (TuningExample e : rows) {
            longest = Math.max(longest, e.row().answerIds().length);
        }
        GenerationConfig greedy = GenerationConfig.greedy(Math.max(16, longest + 4));
        try (LavinModel base = LavinModel.load(config, weights, SkipPlan.none(config.text().nLayers()), ReparamMode.LOWRANK, Device.cpu())) {
            // one untimed pass: the first batches pay libtorch's warm-up
            run(new BatchGenerator(base), rows.subList(0, Math.min(rows.size(), 2 * batchSize)), batchSize, greedy, tokenizer);
            for (SkipPlan plan : plans) {
                BatchGenerator gen = new BatchGenerator(base.withPlan(plan));
                long t0 = System.nanoTime();
                boolean[] correct = run(gen, rows, batchSize, greedy, tokenizer);
                double seconds = (System.nanoTime() - t0) / 1e9;
                Map<String, double[]> by = new TreeMap<>();
                int ok = 0;
                for (int i = 0; i < rows.size(); i++) {
                    double[] c = by.computeIfAbsent(rows.get(i).category(), x -> new double[2]);
                    c[0] += correct[i] ? 1 : 0;
                    c[1]++;
                    ok += correct[i] ? 1 : 0;
                }
                Map<String, Double> pct = new TreeMap<>();
                by.forEach((cat, c) -> pct.put(cat, 100.0 * c[0] / c[1]));
                out.add(new Line(plan.skippedCount(), plan, 100.0 * ok / rows.size(), pct, rows.size() / seconds));
            }
        }
        return out;
    }

    private static boolean[] run(BatchGenerator gen, List<TuningExample> rows, int batchSize, GenerationConfig cfg, LlamaTokenizer tok) {
        boolean[] correct = new boolean[rows.size()];
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<TuningExample> chunk = rows.subList(from, Math.min(rows.size(), from + batchSize));
            List<PromptSequence> prompts = new ArrayList<>(chunk.size());
            chunk.forEach(e -> prompts.add(e.row().prompt()));
            List<Generation> g = gen.generate(prompts, cfg);
            for (int i = 0; i < chunk.size(); i++) {
                long[] tokens = g.get(i).tokens();
                AnswerParser.Result r = AnswerParser.parse(tok.decode(tokens), chunk.get(i).options());
                correct[from + i] = r.parsed() && r.letter().equals(chunk.get(i).answer());
            }
        }
        return correct;
    }
}
