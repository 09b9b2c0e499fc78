package io.easspark.engine.vision;

import static io.easspark.engine.vision.PilBicubicResizeTest.fixtureBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.testing.Npz;
import org.junit.jupiter.api.Test;

class ImagePreprocessorTest {

    /**
     * The fixture was normalised in float64 and cast to float32; we compute in float32 like
     * torchvision (bit-equal to it), so the two differ by float32 round-off (measured 4.8e-7).
     */
    private static final float NORM_TOLERANCE = 1e-6f;

    private static final int SIZE = 224;

    @Test
    void downMatchesPillowPlusTorchvisionNormalize() throws Exception {
        Npz.Array expected = Npz.readResource("/fixtures/pixels.npz").get("down_224_norm");

        float[] actual = ImagePreprocessor.imagenet(SIZE).pixels(fixtureBytes("down"));

        assertThat(expected.shape()).containsExactly(3, SIZE, SIZE);
        float[] ref = expected.floats();
        assertThat(actual).hasSameSizeAs(ref);
        float max = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(actual[i] - ref[i]));
        }
        assertThat(max).isLessThanOrEqualTo(NORM_TOLERANCE);
    }

    @Test
    void outputIsChannelFirstWithFloat32Arithmetic() {
        // Already at the target size, so the resize is the identity and each value is checkable.
        int s = 4;
        byte[] rgb = new byte[s * s * 3];
        int x = 3;
        int y = 1;
        int p = (y * s + x) * 3;
        rgb[p] = (byte) 255;
        rgb[p + 1] = (byte) 128;
        rgb[p + 2] = 7;
        float[] mean = {0.5f, 0.25f, 0.0f};
        float[] std = {0.5f, 2.0f, 1.0f};

        float[] out = new ImagePreprocessor(s, mean, std).pixels(new RgbImage(s, s, rgb));

        int plane = s * s;
        assertThat(out).hasSize(3 * plane);
        assertThat(out[0 * plane + y * s + x]).isEqualTo((255 / 255f - 0.5f) / 0.5f);
        assertThat(out[1 * plane + y * s + x]).isEqualTo((128 / 255f - 0.25f) / 2.0f);
        assertThat(out[2 * plane + y * s + x]).isEqualTo(7 / 255f);
        assertThat(out[0]).isEqualTo((0f - 0.5f) / 0.5f);
    }

    @Test
    void nonSquareInputIsStretchedToTheFullSquare() throws Exception {
        float[] out = ImagePreprocessor.imagenet(56).pixels(fixtureBytes("nonsquare"));

        assertThat(out).hasSize(3 * 56 * 56);
    }

    @Test
    void undecodableBytesSurfaceAsImageDecodeException() {
        assertThatThrownBy(() -> ImagePreprocessor.imagenet(SIZE).pixels(new byte[0]))
                .isInstanceOf(ImageDecodeException.class);
    }

    @Test
    void constructorNamesTheBadValue() {
        float[] three = {0.1f, 0.2f, 0.3f};
        assertThatThrownBy(() -> new ImagePreprocessor(0, three, three))
                .hasMessageContaining("image size must be > 0 but was 0");
        assertThatThrownBy(() -> new ImagePreprocessor(SIZE, new float[] {0.1f, 0.2f}, three))
                .hasMessageContaining("mean must have 3 values (R, G, B) but has 2");
        assertThatThrownBy(() -> new ImagePreprocessor(SIZE, three, new float[] {0.1f, 0f, 0.3f}))
                .hasMessageContaining("std[1] must be finite and > 0 but was 0.0");
        assertThatThrownBy(() -> new ImagePreprocessor(SIZE, three, null))
                .hasMessageContaining("std must have 3 values (R, G, B) but has none");
    }

    @Test
    void callerCannotMutateTheConstants() {
        float[] mean = {0f, 0f, 0f};
        float[] std = {1f, 1f, 1f};
        ImagePreprocessor pre = new ImagePreprocessor(1, mean, std);
        mean[0] = 100f;

        float[] out = pre.pixels(new RgbImage(1, 1, new byte[] {(byte) 255, 0, 0}));

        assertThat(out[0]).isEqualTo(1f);
    }
}
