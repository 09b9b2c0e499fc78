package io.easspark.bench;

import java.util.ArrayList;
import java.util.List;

/** Renders the goals: a Markdown table for the report, aligned plain text for the console. */
final class GoalTable {

    private GoalTable() {
    }

    static String markdown(List<Goal> goals) {
        StringBuilder sb = new StringBuilder("| goal | target | measured | ratio | met | reproduce |\n|---|---|---|---:|---|---|\n");
        for (Goal g : goals) {
            sb.append("| ").append(cell(g.goal())).append(" | ").append(cell(g.target())).append(" | ")
                    .append(cell(g.measured())).append(" | ").append(g.ratioText()).append(" | ")
                    .append(g.status() == Goal.Status.YES ? "**yes**" : g.status()).append(" | `")
                    .append(cell(g.reproduce().replace("`", "'"))).append("` |\n");
        }
        return sb.toString();
    }

    /** One line per goal, columns padded to the widest cell: goal, measured, ratio, target, met. */
    static String plain(List<Goal> goals) {
        List<String[]> lines = new ArrayList<>();
        lines.add(new String[] {"goal", "measured", "ratio", "target", "met"});
        for (Goal g : goals) {
            lines.add(new String[] {g.goal(), g.measured(), g.ratioText(), g.target(), g.status().toString()});
        }
        int[] width = new int[lines.get(0).length];
        for (String[] line : lines) {
            for (int c = 0; c < line.length; c++) {
                width[c] = Math.max(width[c], line[c].length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (String[] line : lines) {
            StringBuilder l = new StringBuilder();
            for (int c = 0; c < line.length; c++) {
                l.append(c == 0 ? "" : "  ").append(line[c]).append(" ".repeat(width[c] - line[c].length()));
            }
            sb.append(l.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** GitHub's tables split on every pipe, in code spans too, unless it is escaped. */
    private static String cell(String text) {
        return text.replace("|", "\\|");
    }
}
