package io.easspark.jobs.evaluate;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Accuracy per plan, overall and per category, from per-row results (columns plan, correct, parsed, answered,
 * categories). A row without a parsed choice, or without an answer at all, counts as wrong.
 */
public final class Accuracy {

    /**
     * One table cell: category "all" is the overall line.
     *
     * @param correct rows with full credit
     * @param credit the sum of the rows' credit: {@code correct} for right/wrong answers, more for VQA's soft score
     *     (a row with 3 of 10 annotators agreeing earns 0.9)
     */
    public record Cell(String plan, String category, String value, long correct, long total, long unparsed, long unanswered,
                       double credit) {
        public double percent() {
            return total == 0 ? Double.NaN : 100.0 * credit / total;
        }
    }

    /** Each row's credit: the {@code credit} column where the results have one (METER), else 1 for a correct row. */
    private static Column credit(Dataset<Row> results) {
        return java.util.Arrays.asList(results.columns()).contains("credit") ? coalesce(col("credit"), lit(0.0))
                : when(col("correct"), 1.0).otherwise(0.0);
    }

    private Accuracy() {
    }

    static List<Cell> compute(Dataset<Row> results) {
        List<Cell> cells = new ArrayList<>();
        Dataset<Row> credited = results.withColumn("row_credit", credit(results));
        for (Row r : credited.groupBy("plan").agg(sum(when(col("correct"), 1).otherwise(0)), count(lit(1)),
                sum(when(col("answered").and(not(col("parsed"))), 1).otherwise(0)), sum(when(not(col("answered")), 1).otherwise(0)),
                sum(col("row_credit"))).collectAsList()) {
            cells.add(new Cell(r.getString(0), "all", "all", r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4), r.getDouble(5)));
        }
        Dataset<Row> exploded = credited.select(col("plan"), col("correct"), col("parsed"), col("answered"), col("row_credit"),
                explode(col("categories")).as("c"));
        for (Row r : exploded.groupBy(col("plan"), col("c.category"), col("c.value")).agg(sum(when(col("correct"), 1).otherwise(0)),
                count(lit(1)), sum(when(col("answered").and(not(col("parsed"))), 1).otherwise(0)),
                sum(when(not(col("answered")), 1).otherwise(0)), sum(col("row_credit"))).collectAsList()) {
            cells.add(new Cell(r.getString(0), r.getString(1), r.getString(2), r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6),
                    r.getDouble(7)));
        }
        cells.sort(Comparator.comparing(Cell::plan).thenComparing(c -> c.category().equals("all") ? "" : Categories.sortKey(c.value())));
        return cells;
    }
}
