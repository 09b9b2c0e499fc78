package io.easspark.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;

/** The accuracy bars carry their values, a zero bar included (the issue asks for charts readable at low accuracy). */
class ChartsTest {

    @Test
    void everyBarShowsItsValueEvenAtZero() {
        CategoryChart chart = Charts.barChart("Accuracy by category", "accuracy (%)", List.of("all", "IMG"),
                List.of(new Charts.Series("plan none", List.of(0.0, 37.5))));
        BufferedImage labelled = BitmapEncoder.getBufferedImage(chart);
        chart.getStyler().setLabelsVisible(false);
        BufferedImage bare = BitmapEncoder.getBufferedImage(chart);
        // where the two renders differ is the labels' ink: some of it in the left group (the zero bar, which has no
        // bar to see) and some in the right one
        int left = 0;
        int right = 0;
        for (int y = 0; y < bare.getHeight(); y++) {
            for (int x = 0; x < bare.getWidth(); x++) {
                if (labelled.getRGB(x, y) != bare.getRGB(x, y)) {
                    if (x < bare.getWidth() / 2) {
                        left++;
                    } else {
                        right++;
                    }
                }
            }
        }
        assertThat(left).as("the zero bar's label").isGreaterThan(20);
        assertThat(right).as("the 37.5 bar's label").isGreaterThan(20);
        assertThat(chart.getStyler().getDecimalPattern()).isEqualTo("0.0");
    }
}
