package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchChartsTest {

    @TempDir
    Path dir;

    @Test
    void throughputHasTwoPanelsSideBySide() throws Exception {
        Path png = dir.resolve(BenchCharts.THROUGHPUT);
        BenchCharts.throughputVsBatch(png, List.of(
                new Sweep.BatchPoint("none", 1, 100, 10), new Sweep.BatchPoint("none", 4, 300, 35),
                new Sweep.BatchPoint("19,21-31", 1, 120, 12), new Sweep.BatchPoint("19,21-31", 4, 360, 42)));

        BufferedImage image = ImageIO.read(png.toFile());
        assertThat(image.getWidth()).isEqualTo(2 * image.getHeight() * 700 / 450);
    }

    @Test
    void speedupPlotIsAPng() throws Exception {
        Path png = dir.resolve(BenchCharts.SPEEDUP);
        BenchCharts.speedupVsK(png, List.of(new Sweep.KPoint(0, "none", 1, 1, 1, 1),
                new Sweep.KPoint(12, "19,21-31", 1.2, 1.1, 1.14, 1.13)), 4);

        assertThat(ImageIO.read(png.toFile()).getWidth()).isEqualTo(700);
    }
}
