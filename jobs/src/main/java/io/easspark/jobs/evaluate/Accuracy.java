package io.easspark.jobs.evaluate;

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
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Accuracy per plan, overall and per category, from per-row results (columns plan, correct, parsed, answered,
 * categories). A row without a parsed choice, or without an answer at all, counts as wrong.
 */
public final class Accuracy {

    /** One table cell: category "all" is the overall line. */
    public record Cell(String plan, String category, String value, long correct, long total, long unparsed, long unanswered) {
        public double percent() {
            return total == 0 ? Double.NaN : 100.0 * correct / total;
        }
    }

    private Accuracy() {
    }

    static List<Cell> compute(Dataset<Row> results) {
        List<Cell> cells = new ArrayList<>();
        for (Row r : results.groupBy("plan").agg(sum(when(col("correct"), 1).otherwise(0)), count(lit(1)),
                sum(when(col("answered").and(not(col("parsed"))), 1).otherwise(0)), sum(when(not(col("answered")), 1).otherwise(0)))
                .collectAsList()) {
            cells.add(new Cell(r.getString(0), "all", "all", r.getLong(1), r.getLong(2), r.getLong(3), r.getLong(4)));
        }
        Dataset<Row> exploded = results.select(col("plan"), col("correct"), col("parsed"), col("answered"), explode(col("categories")).as("c"));
        for (Row r : exploded.groupBy(col("plan"), col("c.category"), col("c.value")).agg(sum(when(col("correct"), 1).otherwise(0)),
                count(lit(1)), sum(when(col("answered").and(not(col("parsed"))), 1).otherwise(0)),
                sum(when(not(col("answered")), 1).otherwise(0))).collectAsList()) {
            cells.add(new Cell(r.getString(0), r.getString(1), r.getString(2), r.getLong(3), r.getLong(4), r.getLong(5), r.getLong(6)));
        }
        cells.sort(Comparator.comparing(Cell::plan).thenComparing(c -> c.category().equals("all") ? "" : Categories.sortKey(c.value())));
        return cells;
    }
}
