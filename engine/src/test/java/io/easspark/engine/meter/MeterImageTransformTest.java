package io.easspark.engine.meter;

import static io.easspark.engine.testing.Close.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.engine.testing.Npz;
import io.easspark.engine.vision.ImageDecoder;
import io.easspark.engine.vision.RgbImage;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * METER's eval transform against the original's (torchvision {@code Resize(S, BICUBIC)}, {@code CenterCrop(S)},
 * {@code ToTensor}, CLIP {@code Normalize}) on the committed test images: the 8-bit crops byte for byte at
 * S = 40 and 57 (odd offsets round half to even), at METER's S = 288 and 384 by SHA-256, and the normalised
 * pixels at S = 40.
 */
class MeterImageTransformTest {

    static final Map<String, Npz.Array> EXPECTED = Npz.readResource("/fixtures/meter_tiny/pixels.npz");
    /** Normalisation is the same float32 ops in the same order: no tolerance beyond exact is needed. */
    static final double NORM_TOLERANCE = 0;

    static RgbImage image(String name) throws Exception {
        try (InputStream in = MeterImageTransformTest.class.getResourceAsStream("/fixtures/images/" + name + ".png")) {
            return ImageDecoder.decode(in.readAllBytes());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"down", "up", "nonsquare", "gray", "alpha"})
    void cropsAndPixelsEqualTheOriginalTransform(String name) throws Exception {
        RgbImage img = image(name);
        for (int size : new int[] {40, 57}) {
            assertThat(new MeterImageTransform(size).crop(img).rgb()).as("%s at %d", name, size)
                    .isEqualTo(EXPECTED.get(name + "_" + size).bytes());
        }
        for (int size : new int[] {288, 384}) {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(new MeterImageTransform(size).crop(img).rgb());
            assertThat(sha).as("%s at %d (SHA-256 of the crop)", name, size)
                    .isEqualTo(EXPECTED.get(name + "_" + size + "_sha256").bytes());
        }
        float[] pixels = new MeterImageTransform(40).pixels(img);
        assertThat(maxAbsDiff(pixels, EXPECTED.get(name + "_40_norm").floats())).as("%s normalised", name)
                .isLessThanOrEqualTo(NORM_TOLERANCE);
    }
}
