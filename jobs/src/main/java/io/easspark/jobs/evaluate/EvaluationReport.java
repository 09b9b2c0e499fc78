package io.easspark.jobs.evaluate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The accuracy table as Markdown and console text, and its charts. */
final class EvaluationReport {

    private final List<String> plans;
    private final List<Accuracy.Cell> cells;
    /** Category values in display order, "all" first. */
    private final List<String> columns;

    EvaluationReport(List<String> plans, List<Accuracy.Cell> cells) {
        this.plans = plans;
        this.cells = cells;
        Set<String> cols = new LinkedHashSet<>();
        cols.add("all");
        cells.stream().filter(c -> !c.category().equals("all")).map(Accuracy.Cell::value)
                .sorted(java.util.Comparator.comparing(Categories::sortKey)).forEach(cols::add);
        this.columns = new ArrayList<>(cols);
    }

    private Accuracy.Cell cell(String plan, String value) {
        return cells.stream().filter(c -> c.plan().equals(plan) && (value.equals("all") ? c.category().equals("all")
                : !c.category().equals("all") && c.value().equals(value))).findFirst().orElse(null);
    }

    String markdown(List<Path> charts) {
        StringBuilder sb = new StringBuilder("# Evaluation\n\nAccuracy (%) by skip plan, overall and by category; rows without a "
                + "parsed answer (unparsed) or without an answer at all (missing/corrupt image, empty question, error) count as wrong.\n\n");
        sb.append("| plan | ").append(String.join(" | ", columns)).append(" | rows | unparsed | not answered |\n|---|");
        sb.append("---:|".repeat(columns.size() + 3)).append('\n');
        for (String p : plans) {
            sb.append("| ").append(p.isEmpty() ? "none" : p);
            for (String c : columns) {
                Accuracy.Cell cell = cell(p, c);
                sb.append(" | ").append(cell == null ? "-" : String.format(Locale.ROOT, "%.2f", cell.percent()));
            }
            Accuracy.Cell all = cell(p, "all");
            sb.append(String.format(Locale.ROOT, " | %d | %d | %d |%n", all.total(), all.unparsed(), all.unanswered()));
        }
        sb.append("\nRows per category: ");
        List<String> counts = new ArrayList<>();
        for (String c : columns) {
            Accuracy.Cell cell = cell(plans.get(0), c);
            if (cell != null && !c.equals("all")) {
                counts.add(c + " " + cell.total());
            }
        }
        sb.append(String.join(", ", counts)).append(".\n\n");
        for (Path chart : charts) {
            sb.append("![").append(chart.getFileName()).append("](").append(chart.getFileName()).append(")\n\n");
        }
        return sb.toString();
    }

    String console() {
        StringBuilder sb = new StringBuilder();
        for (String p : plans) {
            Accuracy.Cell all = cell(p, "all");
            sb.append(String.format(Locale.ROOT, "  plan %-12s accuracy %6.2f%% (%d/%d), unparsed %d, not answered %d%n", p,
                    all.percent(), all.correct(), all.total(), all.unparsed(), all.unanswered()));
            for (String c : columns) {
                Accuracy.Cell cell = cell(p, c);
                if (cell != null && !c.equals("all")) {
                    sb.append(String.format(Locale.ROOT, "    %-8s %6.2f%% (%d/%d)%n", c, cell.percent(), cell.correct(), cell.total()));
                }
            }
        }
        return sb.toString();
    }

    List<Path> charts(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        List<Charts.Series> series = new ArrayList<>();
        for (String p : plans) {
            List<Double> values = new ArrayList<>();
            for (String c : columns) {
                Accuracy.Cell cell = cell(p, c);
                values.add(cell == null ? 0.0 : cell.percent());
            }
            series.add(new Charts.Series("plan " + p, values));
        }
        Path byCategory = dir.resolve("accuracy_by_category.png");
        Charts.bars(byCategory, "Accuracy by category", "accuracy (%)", columns, series);
        out.add(byCategory);
        if (plans.size() > 1) {
            List<Double> overall = new ArrayList<>();
            for (String p : plans) {
                overall.add(cell(p, "all").percent());
            }
            Path byPlan = dir.resolve("accuracy_vs_plan.png");
            Charts.bars(byPlan, "Accuracy vs skip plan", "accuracy (%)", plans.stream().map(p -> "plan " + p).toList(),
                    List.of(new Charts.Series("overall", overall)));
            out.add(byPlan);
        }
        return out;
    }
}
