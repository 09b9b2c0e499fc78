package io.easspark.jobs.calibrate;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.search.PlanEvaluator;
import io.easspark.jobs.infer.InferOptions;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * Evaluates a round of plans with one Spark job over the validation partitions: each task scores its rows under
 * every plan of the round on its executor's model; the driver averages each plan's per-row losses in id order, so
 * the result does not depend on how the rows are partitioned. Also keeps each plan's teacher-forced exact-answer
 * rate (the greedy answer equals the gold one) for the report.
 */
final class SparkPlanEvaluator implements PlanEvaluator {

    /** What one plan scored on the validation rows. */
    record Score(double loss, double accuracy, int rows) {
    }

    private final Dataset<Row> validation;
    private final InferOptions o;
    private final Map<String, String> hadoopConf;
    private final String goldCol;
    private final PrintWriter out;
    private final Map<SkipPlan, Score> scores = new HashMap<>();
    private int calls;
    private int plansEvaluated;

    SparkPlanEvaluator(Dataset<Row> validation, InferOptions o, Map<String, String> hadoopConf, String goldCol, PrintWriter out) {
        this.validation = validation;
        this.o = o;
        this.hadoopConf = hadoopConf;
        this.goldCol = goldCol;
        this.out = out;
    }

    @Override
    public double[] losses(List<SkipPlan> plans) {
        long t0 = System.nanoTime();
        List<Row> rows = validation.mapPartitions(new PlanLossPartition(o, hadoopConf, List.copyOf(plans), goldCol),
                        Encoders.row(PlanLossPartition.SCHEMA))
                .collectAsList();
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
            int exact = 0;
            for (Row r : mine) {
                sum += r.getDouble(2);
                exact += r.getBoolean(4) ? 1 : 0;
            }
            losses[p] = sum / mine.size();
            scores.put(plans.get(p), new Score(losses[p], (double) exact / mine.size(), mine.size()));
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
