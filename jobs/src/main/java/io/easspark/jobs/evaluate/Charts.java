package io.easspark.jobs.evaluate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/** PNG charts for the evaluation and calibration reports (XChart, headless). */
public final class Charts {

    static {
        System.setProperty("java.awt.headless", "true"); // executors and CI have no display
    }

    private Charts() {
    }

    /** A named series of y values over shared x labels. */
    public record Series(String name, List<Double> values) {
    }

    /** Grouped bars of percentages (axis 0-100): one group per x label, one bar per series. */
    public static void bars(Path png, String title, String yTitle, List<String> labels, List<Series> series) throws IOException {
        BitmapEncoder.saveBitmap(barChart(title, yTitle, labels, series), png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    static CategoryChart barChart(String title, String yTitle, List<String> labels, List<Series> series) {
        CategoryChart chart = new CategoryChartBuilder().width(900).height(500).title(title).yAxisTitle(yTitle).build();
        chart.getStyler().setYAxisMin(0.0);
        chart.getStyler().setYAxisMax(100.0);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        // each bar's value on it, turned upright to fit narrow bars and centred on the bar's top, so a low or zero
        // accuracy is still read off the chart, not guessed from the axis
        chart.getStyler().setLabelsVisible(true);
        chart.getStyler().setLabelsRotation(90);
        chart.getStyler().setLabelsPosition(1.0);
        chart.getStyler().setLabelsFontColorAutomaticEnabled(false);
        chart.getStyler().setLabelsFontColor(java.awt.Color.BLACK);
        chart.getStyler().setLabelsFont(new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, 10));
        chart.getStyler().setDecimalPattern("0.0");
        for (Series s : series) {
            chart.addSeries(s.name(), labels, s.values());
        }
        return chart;
    }

    /**
     * Lines over a numeric x, each series on the left axis unless listed in {@code rightAxis}: those share a
     * percentage axis (0-100) on the right, titled {@code rightTitle}.
     */
    public static void lines(Path png, String title, String xTitle, String yTitle, List<Double> x, List<Series> series,
            List<String> rightAxis, String rightTitle) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
        for (Series s : series) {
            var added = chart.addSeries(s.name(), x, s.values());
            if (rightAxis.contains(s.name())) {
                added.setYAxisGroup(1);
            }
        }
        if (!rightAxis.isEmpty()) {
            chart.setYAxisGroupTitle(1, rightTitle);
            chart.getStyler().setYAxisGroupPosition(1, Styler.YAxisPosition.Right);
            chart.getStyler().setYAxisMin(1, 0.0);
            chart.getStyler().setYAxisMax(1, 100.0);
        }
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
