package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinModel;
import java.util.List;

/**
 * Evaluates plans in this JVM: each plan's loss is the {@link AnswerLoss#meanLoss mean} of the rows' answer losses,
 * in a fixed row order, on a {@link LavinModel#withPlan} view of one loaded model. The Spark job computes the same
 * mean over its partitions.
 */
public final class AnswerLossEvaluator implements PlanEvaluator {

    private final LavinModel model;
    private final List<ScoredRow> rows;
    private final int batchSize;

    public AnswerLossEvaluator(LavinModel model, List<ScoredRow> rows, int batchSize) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("the plan evaluator needs at least one validation row");
        }
        this.model = model;
        this.rows = List.copyOf(rows);
        this.batchSize = batchSize;
    }

    @Override
    public double[] losses(List<SkipPlan> plans) {
        double[] out = new double[plans.size()];
        for (int i = 0; i < out.length; i++) {
            try (LavinModel view = model.withPlan(plans.get(i))) {
                out[i] = AnswerLoss.meanLoss(AnswerLoss.score(view, rows, batchSize));
            }
        }
        return out;
    }
}
