package io.easspark.engine.search;

import io.easspark.engine.eas.SkipPlan;
import java.util.List;

/**
 * Gives the validation loss of each of a list of skip plans (DESIGN.md §2): in-process with {@link
 * AnswerLossEvaluator}, or one Spark job per call over many plans × validation partitions. Strategies therefore ask
 * for as many plans per call as their algorithm allows.
 */
public interface PlanEvaluator {

    /**
     * @return one finite loss per plan, in the order given (lower is better)
     */
    double[] losses(List<SkipPlan> plans);
}
