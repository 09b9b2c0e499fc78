package io.easspark.jobs.evaluate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The categories a labelled row counts in, as an array of (category, value) structs. ScienceQA's, as the paper
 * reports them: subject NAT / SOC / LAN, context modality TXT / IMG / NO (a row with both a hint and an image counts
 * in TXT and IMG, as ScienceQA's own scorer does), grade G1-6 / G7-12; plus any extra column's values as they are.
 * A mapped column the input lacks simply drops its category.
 */
final class Categories {

    /** Display order of the known values; others follow alphabetically. */
    static final List<String> ORDER = List.of("NAT", "SOC", "LAN", "TXT", "IMG", "NO", "G1-6", "G7-12");

    private Categories() {
    }

    /**
     * @param imageCol the input's image column (bytes or path), or null
     * @param contextCol the hint column, or null
     */
    static Column column(Dataset<Row> raw, String subjectCol, String gradeCol, String imageCol, String contextCol, List<String> extra) {
        Set<String> have = Set.of(raw.columns());
        List<String> parts = new ArrayList<>();
        if (subjectCol != null && have.contains(subjectCol)) {
            String s = "lower(trim(CAST(" + q(subjectCol) + " AS STRING)))";
            parts.add(pair("subject", "CASE WHEN " + s + " LIKE 'natural%' THEN 'NAT' WHEN " + s + " LIKE 'social%' THEN 'SOC' "
                    + "WHEN " + s + " LIKE 'language%' THEN 'LAN' ELSE upper(" + s + ") END"));
        }
        boolean image = imageCol != null && have.contains(imageCol);
        boolean context = contextCol != null && have.contains(contextCol);
        if (image || context) {
            String hasImage = image ? "(" + q(imageCol) + " IS NOT NULL AND length(" + q(imageCol) + ") > 0)" : "false";
            String hasText = context ? "(" + q(contextCol) + " IS NOT NULL AND trim(CAST(" + q(contextCol) + " AS STRING)) <> '')" : "false";
            parts.add(pair("context", "CASE WHEN " + hasText + " THEN 'TXT' END"));
            parts.add(pair("context", "CASE WHEN " + hasImage + " THEN 'IMG' END"));
            parts.add(pair("context", "CASE WHEN NOT " + hasText + " AND NOT " + hasImage + " THEN 'NO' END"));
        }
        if (gradeCol != null && have.contains(gradeCol)) {
            String n = "CAST(regexp_extract(CAST(" + q(gradeCol) + " AS STRING), '([0-9]+)', 1) AS INT)";
            parts.add(pair("grade", "CASE WHEN " + n + " BETWEEN 1 AND 6 THEN 'G1-6' WHEN " + n + " BETWEEN 7 AND 12 THEN 'G7-12' END"));
        }
        for (String c : extra) {
            if (!have.contains(c)) {
                throw new IllegalArgumentException("--category-col " + c + ": no such column; the input has " + Arrays.toString(raw.columns()));
            }
            parts.add(pair(c, "CAST(" + q(c) + " AS STRING)"));
        }
        if (parts.isEmpty()) {
            return functions.expr("CAST(array() AS ARRAY<STRUCT<category: STRING, value: STRING>>)");
        }
        return functions.expr("filter(array(" + String.join(", ", parts) + "), x -> x.value IS NOT NULL)");
    }

    private static String pair(String category, String valueSql) {
        return "named_struct('category', '" + category.replace("'", "''") + "', 'value', " + valueSql + ")";
    }

    private static String q(String column) {
        return "`" + column.replace("`", "``") + "`";
    }

    /** Sort key: the known ScienceQA values in the paper's order, then the rest by name. */
    static String sortKey(String value) {
        int i = ORDER.indexOf(value);
        return i >= 0 ? String.format("%02d", i) : "99" + value;
    }
}
