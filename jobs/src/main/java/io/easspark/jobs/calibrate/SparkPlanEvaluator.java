package io.easspark.jobs.calibrate;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.search.PlanEvaluator;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Evaluates a round of plans with one Spark job over the validation partitions: each task scores its rows under
 * every plan of the round on its executor's model; the driver averages each plan's per-row losses in id order, so
 * the result does not depend on how the rows are partitioned. Also keeps each plan's accuracy (the mean of the rows'
 * credits) for the report. The model family decides what a task does ({@link PlanLossPartition} for LaVIN,
 * {@link MeterLossPartition} for METER); both emit rows of {@link #SCHEMA}.
 */
final class SparkPlanEvaluator implements PlanEvaluator {

    /** What one plan scored on the validation rows. */
    record Score(double loss, double accuracy, int rows) {
    }

    /**
     * What a task emits for each row it could score under each plan: the plan's index in the call, the row id, the
     * loss and the credit (1/0 for an exact LaVIN answer; METER's VQA score or NLVR2 hit).
     */
    static final StructType SCHEMA = new StructType()
            .add("plan", DataTypes.IntegerType, false)
            .add("id", DataTypes.StringType, false)
            .add("loss", DataTypes.DoubleType, false)
            .add("credit", DataTypes.DoubleType, false);

    private final Dataset<Row> validation;
    /** The task for one call's plans (built on the driver; the plans travel parsed). */
    private final Function<List<SkipPlan>, MapPartitionsFunction<Row, Row>> tasks;
    private final PrintWriter out;
    private final Map<SkipPlan, Score> scores = new HashMap<>();
    private int calls;
    private int plansEvaluated;

    SparkPlanEvaluator(Dataset<Row> validation, Function<List<SkipPlan>, MapPartitionsFunction<Row, Row>> tasks, PrintWriter out) {
        this.validation = validation;
        this.tasks = tasks;
        this.out = out;
    }

    @Override
    public double[] losses(List<SkipPlan> plans) {
        long t0 = System.nanoTime();
        List<Row> rows = validation.mapPartitions(tasks.apply(List.copyOf(plans)), Encoders.row(SCHEMA)).collectAsList();
        List<List<Row>> byPlan = new ArrayList<>();
        for (int p = 0; p < plans.size(); p++) {
            byPlan.add(new ArrayList<>());
        }
        for (Row r : rows) {
            byPlan.get(r.getInt(0)).add(r);
        }
        double[] losses = new double[plans.size()];
        for (int p = 0; p < plans.size(); p++) {
            List<Row> mine = byPlan.get(p);
            if (mine.isEmpty()) {
                throw new IllegalArgumentException("no validation row could be scored (every row lacks an answer, an image or a question)");
            }
            mine.sort(Comparator.comparing(r -> r.getString(1)));
            double sum = 0;
            double credit = 0;
            for (Row r : mine) {
                sum += r.getDouble(2);
                credit += r.getDouble(3);
            }
            losses[p] = sum / mine.size();
            scores.put(plans.get(p), new Score(losses[p], credit / mine.size(), mine.size()));
        }
        calls++;
        plansEvaluated += plans.size();
        out.printf(Locale.ROOT, "calibrate: evaluation %d, %d plan(s) on %d rows in %.1f s (%d plans so far)%n", calls, plans.size(),
                byPlan.get(0).size(), (System.nanoTime() - t0) / 1e9, plansEvaluated);
        out.flush();
        return losses;
    }

    Score score(SkipPlan plan) {
        Score s = scores.get(plan);
        if (s == null) {
            losses(List.of(plan));
            s = scores.get(plan);
        }
        return s;
    }

    int plansEvaluated() {
        return plansEvaluated;
    }
}
