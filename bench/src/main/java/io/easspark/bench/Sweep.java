package io.easspark.bench;

import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.FlopModel;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinModel;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The two sweeps behind the report's plots: throughput against batch size per plan, and the speed-up of skipping k
 * layers (measured and predicted) at one batch size. Every plan is a {@link LavinModel#withPlan} view of one model
 * loaded without skipping, so the sweep loads nothing.
 */
final class Sweep {

    /** Throughput of one plan at one batch size. */
    record BatchPoint(String plan, int batch, double prefillTokS, double decodeTokS) {
    }

    /** Skipping k layers: speed-ups over k = 0, measured (tok/s ratios) and predicted by {@link FlopModel}. */
    record KPoint(int k, String plan, double prefillSpeedup, double decodeSpeedup, double predictedPrefill,
            double predictedDecode) {
    }

    /**
     * @param newTokens generated tokens per row in every sweep timing
     * @param repeat timed runs per point
     * @param kBatch the batch size of the k sweep
     */
    record Result(List<BatchPoint> batches, List<KPoint> ks, int newTokens, int repeat, int kBatch) {
    }

    private final LavinModel model;
    private final EngineTimer timer;
    private final int prompt;
    private final int newTokens;
    private final int repeat;
    private final PrintWriter progress;

    Sweep(LavinModel model, EngineTimer timer, int prompt, int newTokens, int repeat, PrintWriter progress) {
        this.model = model;
        this.timer = timer;
        this.prompt = prompt;
        this.newTokens = newTokens;
        this.repeat = repeat;
        this.progress = progress;
    }

    Result run(List<SkipPlan> plans, int[] batches, SkipOrder order, int[] ks, int kBatch) {
        return new Result(throughputVsBatch(plans, batches), speedupVsK(order, ks, kBatch), newTokens, repeat, kBatch);
    }

    private List<BatchPoint> throughputVsBatch(List<SkipPlan> plans, int[] batches) {
        List<BatchPoint> points = new ArrayList<>();
        // plans alternate within each batch size, so a slow spell of a shared machine does not favour one plan
        for (int b : batches) {
            for (SkipPlan p : plans) {
                Timing t;
                try (LavinModel view = model.withPlan(p)) {
                    t = timer.time(view, b, newTokens, repeat);
                }
                BatchPoint point = new BatchPoint(p.toString(), b, (double) b * prompt / t.prefillSeconds(),
                        (double) b * newTokens / t.decodeSeconds());
                progress.printf(Locale.ROOT, "  sweep plan %-9s batch %2d: prefill %9.1f tok/s, decode %8.1f tok/s%n",
                        point.plan(), b, point.prefillTokS(), point.decodeTokS());
                points.add(point);
            }
        }
        // grouped by plan, in batch order: one line per plan in the plot and the table
        points.sort(Comparator.comparingInt((BatchPoint p) -> plans.stream().map(SkipPlan::toString).toList().indexOf(p.plan()))
                .thenComparingInt(BatchPoint::batch));
        return points;
    }

    /** {@code ks} starts with 0: the other points are speed-ups over it. */
    private List<KPoint> speedupVsK(SkipOrder order, int[] ks, int batch) {
        if (ks.length == 0 || ks[0] != 0) {
            throw new IllegalArgumentException("the k sweep must start at k = 0, its baseline");
        }
        LlamaConfig text = model.config().text();
        AdapterConfig adapter = model.config().adapter();
        int meanContext = prompt + newTokens / 2;
        FlopModel baseCost = new FlopModel(text, adapter, order.first(0));
        Timing base = null;
        List<KPoint> points = new ArrayList<>();
        for (int k : ks) {
            SkipPlan p = order.first(k);
            Timing t;
            try (LavinModel view = model.withPlan(p)) {
                t = timer.time(view, batch, newTokens, repeat);
            }
            base = base == null ? t : base;
            FlopModel cost = new FlopModel(text, adapter, p);
            // same batch and token counts as the baseline: the tok/s ratio is the inverse ratio of seconds
            KPoint point = new KPoint(k, p.toString(), base.prefillSeconds() / t.prefillSeconds(),
                    base.decodeSeconds() / t.decodeSeconds(),
                    baseCost.prefillFlops(batch, prompt) / cost.prefillFlops(batch, prompt),
                    baseCost.decodeBytes(batch, meanContext) / cost.decodeBytes(batch, meanContext));
            progress.printf(Locale.ROOT, "  sweep k %2d, batch %d: prefill %.2fx (predicted %.2fx), decode %.2fx (predicted %.2fx)%n",
                    k, batch, point.prefillSpeedup(), point.predictedPrefill(), point.decodeSpeedup(), point.predictedDecode());
            points.add(point);
        }
        return points;
    }
}
