package io.easspark.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.Styler;

/** The report's PNG plots of the sweeps (XChart, headless). */
final class BenchCharts {

    static {
        System.setProperty("java.awt.headless", "true"); // benchmark machines and CI have no display
    }

    static final String THROUGHPUT = "throughput_vs_batch.png";
    static final String SPEEDUP = "speedup_vs_k.png";
    private static final int WIDTH = 700;
    private static final int HEIGHT = 450;
    private static final Color PREFILL = new Color(0x1f77b4);
    private static final Color DECODE = new Color(0xff7f0e);

    private BenchCharts() {
    }

    /** Two panels side by side, decode and prefill tok/s against batch size, one series per plan. */
    static void throughputVsBatch(Path png, List<Sweep.BatchPoint> points) throws IOException {
        BufferedImage decode = BitmapEncoder.getBufferedImage(
                perPlan("Decode", "decode tok/s", points, Sweep.BatchPoint::decodeTokS));
        BufferedImage prefill = BitmapEncoder.getBufferedImage(
                perPlan("Prefill", "prefill tok/s", points, Sweep.BatchPoint::prefillTokS));
        BufferedImage both = new BufferedImage(decode.getWidth() + prefill.getWidth(),
                Math.max(decode.getHeight(), prefill.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, both.getWidth(), both.getHeight());
            g.drawImage(decode, 0, 0, null);
            g.drawImage(prefill, decode.getWidth(), 0, null);
        } finally {
            g.dispose();
        }
        ImageIO.write(both, "png", png.toFile());
    }

    private static XYChart perPlan(String title, String yTitle, List<Sweep.BatchPoint> points,
            ToDoubleFunction<Sweep.BatchPoint> y) {
        XYChart chart = chart(title + " throughput vs batch size", "batch size", yTitle);
        Map<String, List<Sweep.BatchPoint>> byPlan = new LinkedHashMap<>();
        for (Sweep.BatchPoint p : points) {
            byPlan.computeIfAbsent(p.plan(), k -> new ArrayList<>()).add(p);
        }
        byPlan.forEach((plan, ps) -> chart.addSeries("plan " + plan,
                ps.stream().mapToDouble(Sweep.BatchPoint::batch).toArray(), ps.stream().mapToDouble(y).toArray()));
        return chart;
    }

    /** Measured and predicted prefill and decode speed-ups over k = 0, against the layers skipped. */
    static void speedupVsK(Path png, List<Sweep.KPoint> points, int batch) throws IOException {
        XYChart chart = chart("EAS speed-up vs skipped layers, batch " + batch, "k (MHA layers skipped)", "speed-up over k = 0");
        double[] k = points.stream().mapToDouble(Sweep.KPoint::k).toArray();
        // one colour per phase; the prediction dashed beside its measurement
        series(chart, "prefill measured", k, points, Sweep.KPoint::prefillSpeedup, PREFILL, SeriesLines.SOLID);
        series(chart, "prefill predicted (FLOPs)", k, points, Sweep.KPoint::predictedPrefill, PREFILL, SeriesLines.DASH_DASH);
        series(chart, "decode measured", k, points, Sweep.KPoint::decodeSpeedup, DECODE, SeriesLines.SOLID);
        series(chart, "decode predicted (bytes)", k, points, Sweep.KPoint::predictedDecode, DECODE, SeriesLines.DASH_DASH);
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void series(XYChart chart, String name, double[] x, List<Sweep.KPoint> points,
            ToDoubleFunction<Sweep.KPoint> y, Color color, BasicStroke line) {
        XYSeries s = chart.addSeries(name, x, points.stream().mapToDouble(y).toArray());
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineStyle(line);
    }

    private static XYChart chart(String title, String xTitle, String yTitle) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle(xTitle).yAxisTitle(yTitle).build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        return chart;
    }
}
