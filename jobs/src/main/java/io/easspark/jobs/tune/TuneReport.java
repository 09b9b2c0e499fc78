package io.easspark.jobs.tune;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.tune.EasTuner;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The tuning report: {@code loss.png} (training loss, smoothed, and validation loss per stage over the global step),
 * {@code accuracy.png} (validation accuracy per stage), and {@code report.md} with the stage accuracies, the search's
 * outcome and the table of test accuracy and measured speed-up for k = 0..L skipped MHAs.
 */
final class TuneReport {

    /** Test accuracy of a model state, for the stage table. */
    record StageResult(String stage, SkipPlan plan, EasTuner.Accuracy accuracy) {
    }

    private TuneReport() {
    }

    static void write(Path dir, String command, List<EasTuner.CurvePoint> curve, List<StageResult> stages,
            EasTuner.SearchOutcome search, List<PlanTable.Line> table, double minutes) throws IOException {
        Files.createDirectories(dir);
        charts(dir, curve);
        StringBuilder md = new StringBuilder("# eas tune report\n\n");
        md.append("Command: `").append(command).append("`  \n");
        md.append(String.format(Locale.ROOT, "Wall time: %.1f min (all stages, the table included).%n%n", minutes));
        md.append("## Test accuracy after each stage\n\n");
        md.append("Exact answer under greedy decoding (the teacher-forced target reproduced), generated test split.\n\n");
        md.append("| stage | plan | all | IMG | TXT | NO | answer loss |\n|---|---|---|---|---|---|---|\n");
        for (StageResult s : stages) {
            EasTuner.Accuracy a = s.accuracy();
            md.append(String.format(Locale.ROOT, "| %s | %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.4f |%n", s.stage(), label(s.plan()),
                    a.overall(), a.percent("IMG"), a.percent("TXT"), a.percent("NO"), a.loss()));
        }
        md.append("\n## The search (during adapter training)\n\n");
        md.append(String.format(Locale.ROOT, "Chose `%s` after %d rounds. Final P by layer: ", search.plan(), search.rounds()));
        double[] p = search.probabilities();
        for (int i = 0; i < p.length; i++) {
            md.append(String.format(Locale.ROOT, "%s%d: %.3f", i == 0 ? "" : ", ", i, p[i]));
        }
        md.append(". Ranking (most skippable first): ").append(search.ranking()).append(".\n\n");
        md.append("## Accuracy and measured speed-up vs skipped MHAs\n\n");
        md.append("Plans: the search's ranking cut at k (k = the chosen plan is the plan the adapters were fine-tuned for). Accuracy: the "
                + "answer letter parsed from greedy generation, as `infer`/`evaluate` do, on the fp16-rounded weights. Speed: test rows "
                + "per second of batched generation, every plan on the same rows and batches in one run; speed-up = rows/s over k = 0's.\n\n");
        md.append("| k | plan | accuracy | IMG | TXT | NO | rows/s | speed-up |\n|---|---|---|---|---|---|---|---|\n");
        double base = table.isEmpty() ? Double.NaN : table.get(0).rowsPerSecond();
        for (PlanTable.Line l : table) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %.1f | %.2fx |%n", l.k(), label(l.plan()),
                    l.accuracy(), l.byCategory().getOrDefault("IMG", Double.NaN), l.byCategory().getOrDefault("TXT", Double.NaN),
                    l.byCategory().getOrDefault("NO", Double.NaN), l.rowsPerSecond(), l.rowsPerSecond() / base));
        }
        md.append("\n![loss](loss.png)\n\n![accuracy](accuracy.png)\n");
        Files.writeString(dir.resolve("report.md"), md, StandardCharsets.UTF_8);
    }

    private static String label(SkipPlan plan) {
        return plan.skippedCount() == 0 ? "none" : plan.toString();
    }

    private static void charts(Path dir, List<EasTuner.CurvePoint> curve) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart loss = chart("Answer loss per stage", "loss (nats per answer token)");
        XYChart acc = chart("Validation accuracy per stage", "accuracy (%)");
        acc.getStyler().setYAxisMin(0.0);
        acc.getStyler().setYAxisMax(100.0);
        Map<String, List<double[]>> train = new LinkedHashMap<>();
        Map<String, List<double[]>> val = new LinkedHashMap<>();
        Map<String, List<double[]>> va = new LinkedHashMap<>();
        double smooth = Double.NaN;
        String stage = null;
        for (int i = 0; i < curve.size(); i++) {
            EasTuner.CurvePoint p = curve.get(i);
            if (!p.stage().equals(stage)) {
                stage = p.stage();
                smooth = p.trainLoss();
            }
            smooth = 0.95 * smooth + 0.05 * p.trainLoss(); // the batch loss is noisy: an exponential moving average
            train.computeIfAbsent(stage, s -> new ArrayList<>()).add(new double[] {i + 1, smooth});
            if (!Double.isNaN(p.valLoss())) {
                val.computeIfAbsent(stage, s -> new ArrayList<>()).add(new double[] {i + 1, p.valLoss()});
                va.computeIfAbsent(stage, s -> new ArrayList<>()).add(new double[] {i + 1, p.valAccuracy()});
            }
        }
        train.forEach((s, pts) -> add(loss, s + " train (EMA)", pts, false));
        val.forEach((s, pts) -> add(loss, s + " val", pts, true));
        va.forEach((s, pts) -> add(acc, s, pts, true));
        BitmapEncoder.saveBitmap(loss, dir.resolve("loss.png").toString(), BitmapEncoder.BitmapFormat.PNG);
        BitmapEncoder.saveBitmap(acc, dir.resolve("accuracy.png").toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static XYChart chart(String title, String yTitle) {
        XYChart c = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle("step (all stages in order)").yAxisTitle(yTitle).build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        c.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        return c;
    }

    private static void add(XYChart chart, String name, List<double[]> pts, boolean markers) {
        double[] x = new double[pts.size()];
        double[] y = new double[pts.size()];
        for (int i = 0; i < pts.size(); i++) {
            x[i] = pts.get(i)[0];
            y[i] = pts.get(i)[1];
        }
        XYSeries s = chart.addSeries(name, x, y);
        s.setMarker(markers ? SeriesMarkers.CIRCLE : SeriesMarkers.NONE);
    }
}
