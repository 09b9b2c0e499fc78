package io.easspark.jobs.infer;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.upper;
import static org.apache.spark.sql.functions.when;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * When the input carries gold answer letters (a column {@code answer}, as ScienceQA's layout and evaluate's default
 * have it), infer ends with one line of accuracy on those rows, so a labelled run shows at a glance whether the
 * answers are right. Rows that were not answered (a status other than ok or prompt_truncated) count as wrong, as in
 * evaluate; evaluate gives the same number by category.
 */
final class LabelledAccuracy {

    static final String ANSWER_COLUMN = "answer";

    private LabelledAccuracy() {
    }

    /** Prints the line and returns the accuracy in percent, or NaN when the input has no answers. */
    static double print(PrintWriter out, Dataset<Row> raw, String idCol, Dataset<Row> written) {
        if (!Arrays.asList(raw.columns()).contains(ANSWER_COLUMN)) {
            return Double.NaN;
        }
        Dataset<Row> gold = raw.select(col(idCol).cast("string").as("gold_id"), upper(trim(col(ANSWER_COLUMN).cast("string"))).as("gold"))
                .where(col("gold").isNotNull().and(col("gold").notEqual("")));
        Row r = written.join(gold, written.col("id").equalTo(gold.col("gold_id")))
                .agg(count(lit(1)), count(when(col("answer_choice").equalTo(col("gold")), lit(1)))).first();
        long labelled = r.getLong(0);
        if (labelled == 0) {
            return Double.NaN;
        }
        double pct = 100.0 * r.getLong(1) / labelled;
        out.printf(Locale.ROOT, "infer: accuracy %.1f%% (%d of %d rows with a gold answer in column '%s'; "
                + "`eas evaluate` breaks it down by category)%n", pct, r.getLong(1), labelled, ANSWER_COLUMN);
        out.flush();
        return pct;
    }
}
