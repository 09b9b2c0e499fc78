package io.easspark.jobs.evaluate;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.when;

import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.jobs.infer.MeterInput;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF5;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;

/**
 * evaluate on a METER model: runs infer once per skip set and gives every labelled row a credit — VQA rows the
 * VQAv2 soft score ({@link VqaSoftScore}: against the annotators' answers, or a single label), NLVR2 rows 1 when
 * "true"/"false" equals the label. The results have EvaluateJob's columns plus {@code credit}, and one category, the
 * row's task, so the report shows accuracy by task. ITM rows carry no answer to score and are left out.
 */
final class MeterEvaluation {

    /** The per-row results (EvaluateJob's columns and credit) and the plans in run order. */
    record Scored(Dataset<Row> results, List<String> plans) {
    }

    private MeterEvaluation() {
    }

    static Scored score(SparkSession spark, EvaluateJob.Options o, PrintWriter out) throws IOException {
        InferOptions infer = o.infer();
        Dataset<Row> raw = InferJob.read(spark, o.input());
        Dataset<Row> labels = raw.select(col(infer.idCol()).cast("string").as("id"), gold(raw, o.answerCol(), o.labelCol()).as("g"))
                .select(col("id"), col("g.answers").as("gold_answers"), col("g.label").as("gold_label"))
                .where(col("gold_answers").isNotNull().or(col("gold_label").isNotNull()));
        String runTask = infer.meter().task() == null ? null : infer.meter().task().name().toLowerCase(Locale.ROOT);
        Dataset<Row> tasks = MeterInput.canonical(raw, infer).select(col("id").as("tid"), coalesce(lower(trim(col("task"))),
                lit(runTask).cast("string"), when(col("image2_bytes").isNotNull().or(col("image2_path").isNotNull()), lit("nlvr2"))
                        .otherwise(lit("vqa"))).as("task"));
        labels = labels.join(tasks, labels.col("id").equalTo(tasks.col("tid"))).drop("tid").where(col("task").notEqual("itm"));

        List<List<Integer>> plans = o.meterPlans().isEmpty() ? List.of(infer.meter().skips()) : o.meterPlans();
        Map<String, Dataset<Row>> answersByPlan = new LinkedHashMap<>();
        for (List<Integer> plan : plans) {
            InferOptions run = infer.withMeterSkips(plan);
            String label = run.meter().planText();
            if (answersByPlan.containsKey(label)) {
                continue;
            }
            String dir = o.output().resolve("answers").resolve("plan-" + answersByPlan.size()).toUri().toString();
            out.printf(Locale.ROOT, "evaluate: METER skip set %s (%d candidates skipped)%n", label, plan.size());
            out.flush();
            InferJob.run(spark, run.withOutput(dir), new PrintWriter(new StringWriter()));
            answersByPlan.put(label, spark.read().parquet(dir));
        }
        UserDefinedFunction credit = org.apache.spark.sql.functions.udf(
                (UDF5<String, String, String, Seq<String>, String, Double>) (task, status, predicted, answers, label) ->
                        credit(task, status, predicted, answers == null ? null : scala.collection.JavaConverters.seqAsJavaList(answers), label),
                DataTypes.DoubleType);
        Dataset<Row> results = null;
        for (Map.Entry<String, Dataset<Row>> e : answersByPlan.entrySet()) {
            Dataset<Row> a = e.getValue().select(col("id").as("aid"), col("answer_text").as("predicted"), col("status"));
            Dataset<Row> joined = labels.join(a, labels.col("id").equalTo(a.col("aid")), "left")
                    .withColumn("status", coalesce(col("status"), lit("not_in_answers")))
                    .withColumn("credit", credit.apply(col("task"), col("status"), col("predicted"), col("gold_answers"), col("gold_label")))
                    .select(lit(e.getKey()).as("plan"), col("id"), coalesce(col("gold_label"),
                                    org.apache.spark.sql.functions.concat_ws("|", col("gold_answers"))).as("gold"), col("predicted"),
                            col("status"), col("credit").geq(1.0).as("correct"), col("predicted").isNotNull().as("parsed"),
                            col("status").equalTo("ok").as("answered"),
                            array(struct(lit("task").as("category"), col("task").as("value"))).as("categories"), col("credit"));
            results = results == null ? joined : results.unionByName(joined);
        }
        return new Scored(results, new ArrayList<>(answersByPlan.keySet()));
    }

    /**
     * The gold of a row as a struct (answers: array of strings, label: string): --answer-col holds the annotators'
     * answers when it is an array, a single label otherwise; --label-col always holds a single label (NLVR2's
     * true/false, or one VQA answer).
     */
    private static Column gold(Dataset<Row> raw, String answerCol, String labelCol) {
        List<String> cols = Arrays.asList(raw.columns());
        Column answers = lit(null).cast(DataTypes.createArrayType(DataTypes.StringType));
        Column label = lit(null).cast("string");
        boolean any = false;
        if (answerCol != null && cols.contains(answerCol)) {
            any = true;
            if (raw.schema().apply(answerCol).dataType() instanceof ArrayType) {
                answers = col(answerCol).cast(DataTypes.createArrayType(DataTypes.StringType));
            } else {
                label = col(answerCol).cast("string");
            }
        }
        if (labelCol != null) {
            if (!cols.contains(labelCol)) {
                throw new IllegalArgumentException("--label-col " + labelCol + ": no such column; the input has " + cols);
            }
            any = true;
            label = coalesce(col(labelCol).cast("string"), label);
        }
        if (!any) {
            throw new IllegalArgumentException("--answer-col " + answerCol + ": no such column and no --label-col; evaluate on a METER model "
                    + "needs the annotators' answers (an array, e.g. --answer-col answers) or a label (--label-col); the input has " + cols);
        }
        return struct(answers.as("answers"), label.as("label"));
    }

    /**
     * A row's credit in [0, 1]: 0 unless answered ok; NLVR2 1 when the answer equals the label read as a boolean
     * (true/1/yes); VQA the soft score against the annotators' answers, or against the label when there are none.
     */
    static Double credit(String task, String status, String predicted, List<String> answers, String label) {
        if (!"ok".equals(status) || predicted == null) {
            return 0.0;
        }
        if ("nlvr2".equals(task)) {
            if (label == null) {
                return null;
            }
            String l = label.strip().toLowerCase(Locale.ROOT);
            String truth = l.equals("true") || l.equals("1") || l.equals("yes") ? "true" : "false";
            return truth.equals(predicted) ? 1.0 : 0.0;
        }
        if (answers != null && !answers.isEmpty()) {
            return VqaSoftScore.accuracy(predicted, answers);
        }
        return label == null ? null : VqaSoftScore.accuracy(predicted, label);
    }
}
