package io.easspark.jobs.evaluate;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.upper;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.jobs.infer.InputSpec;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * evaluate: accuracy of one or more skip plans on a labelled dataset, overall and by category. Runs infer once per
 * plan (or reads an existing infer output), joins the answers with the labels by id, and writes per-row results
 * (Parquet), report.md and PNG charts to a local folder.
 */
public final class EvaluateJob {

    /**
     * @param input the labelled dataset and its columns
     * @param infer the model and answering settings, its plan the model's own (plan and output are set per plan here);
     *     null when {@code answers} is given
     * @param plans plans to evaluate, parsed against the model (empty: the model's own); ignored when {@code answers} is given
     * @param answers an existing infer output to score instead of running the model, or null
     * @param output local folder for results.parquet, report.md and the charts
     * @param meterPlans METER skip sets to evaluate (empty: the run's own); used when {@code infer} is a METER run
     * @param labelCol METER: a column with a single gold label per row (NLVR2's true/false, or one VQA answer), or null
     */
    public record Options(InputSpec input, InferOptions infer, String answerCol, List<SkipPlan> plans, String answers,
                          String subjectCol, String gradeCol, List<String> categoryCols, Path output,
                          List<List<Integer>> meterPlans, String labelCol) {

        /** A LaVIN evaluation (or one scoring --answers). */
        public Options(InputSpec input, InferOptions infer, String answerCol, List<SkipPlan> plans, String answers,
                       String subjectCol, String gradeCol, List<String> categoryCols, Path output) {
            this(input, infer, answerCol, plans, answers, subjectCol, gradeCol, categoryCols, output, List.of(), null);
        }

        public Options {
            if (answers == null && infer == null) {
                throw new IllegalArgumentException("evaluate needs --model to answer with, or --answers to score");
            }
        }
    }

    /** What a run measured. */
    public record Result(List<Accuracy.Cell> cells, Path report, List<Path> charts) {
    }

    private EvaluateJob() {
    }

    public static Result run(SparkSession spark, Options o, PrintWriter out) throws IOException {
        if (o.infer() != null && o.infer().isMeter()) {
            Files.createDirectories(o.output());
            MeterEvaluation.Scored scored = MeterEvaluation.score(spark, o, out);
            return report(o, scored.results(), scored.plans(), out);
        }
        InputSpec in = o.input();
        Dataset<Row> raw = InferJob.read(spark, in);
        if (!Arrays.asList(raw.columns()).contains(o.answerCol())) {
            throw new IllegalArgumentException("--answer-col " + o.answerCol() + ": no such column; the input has " + Arrays.toString(raw.columns()));
        }
        Dataset<Row> labels = raw.select(col(in.idCol()).cast("string").as("id"), upper(trim(col(o.answerCol()).cast("string"))).as("gold"),
                Categories.column(raw, o.subjectCol(), o.gradeCol(), in.imageCol(), in.contextCol(), o.categoryCols()).as("categories"));
        Files.createDirectories(o.output());

        Map<String, Dataset<Row>> answersByPlan = new LinkedHashMap<>();
        if (o.answers() != null) {
            Dataset<Row> given = spark.read().parquet(o.answers());
            for (Row r : given.select("skip_plan").distinct().orderBy("skip_plan").collectAsList()) {
                answersByPlan.put(r.getString(0), given.filter(col("skip_plan").equalTo(r.getString(0))));
            }
        } else {
            List<SkipPlan> plans = o.plans().isEmpty() ? List.of(o.infer().plan()) : o.plans();
            for (SkipPlan plan : plans) {
                int layers = plan.layerCount();
                String label = plan.toString();
                if (answersByPlan.containsKey(label)) {
                    continue;
                }
                String dir = o.output().resolve("answers").resolve("plan-" + answersByPlan.size()).toUri().toString();
                out.printf(Locale.ROOT, "evaluate: plan %s (%d of %d MHAs skipped)%n", label, plan.skippedCount(), layers);
                out.flush();
                InferJob.run(spark, o.infer().withPlan(plan).withOutput(dir), new PrintWriter(new StringWriter()));
                answersByPlan.put(label, spark.read().parquet(dir));
            }
        }

        if (answersByPlan.isEmpty()) {
            throw new IllegalArgumentException("--answers " + o.answers() + " has no rows to score");
        }
        Dataset<Row> results = null;
        for (Map.Entry<String, Dataset<Row>> e : answersByPlan.entrySet()) {
            Dataset<Row> a = e.getValue().select(col("id").as("aid"), col("answer_choice").as("predicted"), col("status"));
            Dataset<Row> joined = labels.join(a, labels.col("id").equalTo(a.col("aid")), "left")
                    .select(lit(e.getKey()).as("plan"), col("id"), col("gold"), col("predicted"),
                            coalesce(col("status"), lit("not_in_answers")).as("status"),
                            coalesce(col("predicted").equalTo(col("gold")), lit(false)).as("correct"),
                            col("predicted").isNotNull().as("parsed"),
                            col("status").isin("ok", "prompt_truncated").as("answered_raw"), col("categories"))
                    .withColumn("answered", coalesce(col("answered_raw"), lit(false))).drop("answered_raw");
            results = results == null ? joined : results.unionByName(joined);
        }
        return report(o, results, new ArrayList<>(answersByPlan.keySet()), out);
    }

    /** Writes results.parquet, report.md and the charts; prints the table. */
    private static Result report(Options o, Dataset<Row> results, List<String> plans, PrintWriter out) throws IOException {
        results = results.cache();
        results.write().mode("overwrite").parquet(o.output().resolve("results.parquet").toUri().toString());
        List<Accuracy.Cell> cells = Accuracy.compute(results);
        results.unpersist();

        EvaluationReport report = new EvaluationReport(plans, cells);
        List<Path> charts = report.charts(o.output());
        Path md = o.output().resolve("report.md");
        Files.writeString(md, report.markdown(charts));
        out.print(report.console());
        out.println("evaluate: wrote " + md + ", " + o.output().resolve("results.parquet") + " and " + charts.size() + " chart(s)");
        out.flush();
        return new Result(cells, md, charts);
    }
}
