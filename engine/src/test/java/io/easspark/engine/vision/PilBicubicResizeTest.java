package io.easspark.engine.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.easspark.engine.testing.Npz;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Compares against Pillow's own output ({@code fixtures/pixels.npz}, written by real Pillow). */
class PilBicubicResizeTest {

    /**
     * Levels (of 255) we allow per channel. The re-implementation is bit-exact (measured: 0 on
     * every fixture); DESIGN.md accepts 2 and we hold to 1, so a regression shows before it matters.
     */
    static final int MAX_LEVEL_DIFF = 1;

    private static Map<String, Npz.Array> pillow;

    @BeforeAll
    static void loadReference() {
        pillow = Npz.readResource("/fixtures/pixels.npz");
    }

    @ParameterizedTest(name = "{0} to {1}x{1}")
    @CsvSource({
        "down, 224", "down, 56",
        "up, 224", "up, 56",
        "nonsquare, 224", "nonsquare, 56",
        "gray, 224", "gray, 56",
        "alpha, 224", "alpha, 56",
    })
    void matchesPillowBicubic(String name, int size) throws Exception {
        RgbImage src = ImageDecoder.decode(fixtureBytes(name));

        RgbImage out = PilBicubicResize.resize(src, size, size);

        Npz.Array expected = pillow.get(name + "_" + size);
        assertThat(expected.shape()).containsExactly(size, size, 3);
        assertThat(out.width()).isEqualTo(size);
        assertThat(out.height()).isEqualTo(size);
        assertThat(maxAbsDiff(out.rgb(), expected.bytes())).isLessThanOrEqualTo(MAX_LEVEL_DIFF);
    }

    @Test
    void constantImageStaysConstantUpAndDown() {
        // Fixed-point weights must still sum to one: no drift at 0 or 255, no overflow past 255.
        for (int value : new int[] {0, 1, 128, 254, 255}) {
            RgbImage flat = filled(37, 23, value);
            for (int[] size : new int[][] {{224, 224}, {5, 3}, {37, 100}, {1, 1}}) {
                RgbImage out = PilBicubicResize.resize(flat, size[0], size[1]);
                for (byte b : out.rgb()) {
                    assertThat(b & 0xFF).as("value %d to %dx%d", value, size[0], size[1]).isEqualTo(value);
                }
            }
        }
    }

    @Test
    void sameSizeIsReturnedUnchanged() {
        RgbImage img = random(12, 7, 3);

        assertThat(PilBicubicResize.resize(img, 12, 7)).isSameAs(img);
    }

    @Test
    void onlyTheChangedDimensionIsResampled() {
        // Pillow skips a pass when its size is unchanged, so each row of a horizontal-only
        // resize is the 1-D resize of that row alone, and columns stay untouched vertically.
        RgbImage img = random(40, 9, 5);

        RgbImage wide = PilBicubicResize.resize(img, 13, 9);

        for (int y = 0; y < 9; y++) {
            byte[] row = new byte[40 * 3];
            System.arraycopy(img.rgb(), y * 40 * 3, row, 0, row.length);
            RgbImage alone = PilBicubicResize.resize(new RgbImage(40, 1, row), 13, 1);
            for (int x = 0; x < 13; x++) {
                for (int c = 0; c < 3; c++) {
                    assertThat(wide.get(x, y, c)).isEqualTo(alone.get(x, 0, c));
                }
            }
        }
    }

    @Test
    void fixedPointWeightsFollowPillowRounding() {
        // Shrinking 4 -> 2 pixels: scale 2, support 4; for output 0 the centre is 1.0.
        PilBicubicResize.Weights w = PilBicubicResize.Weights.of(4, 2);

        assertThat(w.first()[0]).isZero();
        assertThat(w.count()[0]).isEqualTo(4);
        long sum = 0;
        for (int i = 0; i < w.count()[0]; i++) {
            sum += w.coeffs()[i];
        }
        assertThat(sum).isCloseTo(1L << PilBicubicResize.PRECISION_BITS, within(4L));
        assertThat(PilBicubicResize.bicubic(0)).isEqualTo(1.0);
        assertThat(PilBicubicResize.bicubic(1)).isEqualTo(0.0);
        assertThat(PilBicubicResize.bicubic(0.5)).isEqualTo(0.5625);
        assertThat(PilBicubicResize.bicubic(-1.5)).isEqualTo(-0.0625);
        assertThat(PilBicubicResize.bicubic(2)).isEqualTo(0.0);
    }

    @Test
    void rejectsEmptyTargetNamingTheSize() {
        RgbImage img = random(4, 4, 1);

        assertThatThrownBy(() -> PilBicubicResize.resize(img, 0, 224))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 x 224");
    }

    static byte[] fixtureBytes(String name) throws IOException {
        try (InputStream in = PilBicubicResizeTest.class.getResourceAsStream("/fixtures/images/" + name + ".png")) {
            assertThat(in).as("fixture image %s.png", name).isNotNull();
            return in.readAllBytes();
        }
    }

    static int maxAbsDiff(byte[] a, byte[] b) {
        assertThat(a).hasSameSizeAs(b);
        int max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((a[i] & 0xFF) - (b[i] & 0xFF)));
        }
        return max;
    }

    private static RgbImage filled(int w, int h, int value) {
        byte[] rgb = new byte[w * h * 3];
        Arrays.fill(rgb, (byte) value);
        return new RgbImage(w, h, rgb);
    }

    private static RgbImage random(int w, int h, long seed) {
        byte[] rgb = new byte[w * h * 3];
        new Random(seed).nextBytes(rgb);
        return new RgbImage(w, h, rgb);
    }
}
