package io.easspark.engine.vision;

import static io.easspark.engine.vision.PilBicubicResizeTest.fixtureBytes;
import static io.easspark.engine.vision.PilBicubicResizeTest.maxAbsDiff;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.easspark.engine.testing.Npz;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** Decoding must give the bytes Pillow's {@code Image.open(f).convert('RGB')} gives. */
class ImageDecoderTest {

    /** Lossy JPEG of a flat colour: the codec may move each channel by a few levels. */
    private static final int JPEG_LEVEL_TOLERANCE = 3;

    /** Gray levels where a linear-gray to sRGB conversion would visibly change the value. */
    private static final int[] GRAY_LEVELS = {0, 1, 17, 64, 128, 200, 254, 255};

    @Test
    void grayAndAlphaFixturesMatchPillowAfterResize() throws Exception {
        var pillow = Npz.readResource("/fixtures/pixels.npz");
        for (String name : new String[] {"gray", "alpha"}) {
            RgbImage img = ImageDecoder.decode(fixtureBytes(name));

            RgbImage resized = PilBicubicResize.resize(img, 224, 224);

            assertThat(maxAbsDiff(resized.rgb(), pillow.get(name + "_224").bytes())).as(name)
                    .isLessThanOrEqualTo(PilBicubicResizeTest.MAX_LEVEL_DIFF);
        }
    }

    @Test
    void grayFixtureHasEqualChannels() throws Exception {
        RgbImage img = ImageDecoder.decode(fixtureBytes("gray"));

        for (int i = 0; i < img.rgb().length; i += 3) {
            assertThat(img.rgb()[i + 1]).isEqualTo(img.rgb()[i]);
            assertThat(img.rgb()[i + 2]).isEqualTo(img.rgb()[i]);
        }
    }

    @Test
    void graySampleIsCopiedToRgbUnchanged() throws Exception {
        BufferedImage gray = new BufferedImage(GRAY_LEVELS.length, 1, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < GRAY_LEVELS.length; x++) {
            gray.getRaster().setSample(x, 0, 0, GRAY_LEVELS[x]);
        }

        RgbImage img = ImageDecoder.decode(encode(gray, "png"));

        for (int x = 0; x < GRAY_LEVELS.length; x++) {
            assertThat(new int[] {img.get(x, 0, 0), img.get(x, 0, 1), img.get(x, 0, 2)})
                    .as("gray level %d", GRAY_LEVELS[x])
                    .containsExactly(GRAY_LEVELS[x], GRAY_LEVELS[x], GRAY_LEVELS[x]);
        }
    }

    @Test
    void grayWithAlphaDropsAlphaWithoutCompositing() throws Exception {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY),
                true, false, Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster raster = cm.createCompatibleWritableRaster(2, 1);
        raster.setPixel(0, 0, new int[] {90, 0});
        raster.setPixel(1, 0, new int[] {200, 128});
        BufferedImage la = new BufferedImage(cm, raster, false, null);

        RgbImage img = ImageDecoder.decode(encode(la, "png"));

        assertThat(img.get(0, 0, 0)).isEqualTo(90);
        assertThat(img.get(0, 0, 2)).isEqualTo(90);
        assertThat(img.get(1, 0, 1)).isEqualTo(200);
    }

    @Test
    void rgbaDropsAlphaWithoutCompositing() throws Exception {
        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_INT_ARGB);
        rgba.setRGB(0, 0, 0x00_10_80_F0); // fully transparent: colour must survive
        rgba.setRGB(1, 0, 0x40_FF_00_7F);

        RgbImage img = ImageDecoder.decode(encode(rgba, "png"));

        assertThat(new int[] {img.get(0, 0, 0), img.get(0, 0, 1), img.get(0, 0, 2)})
                .containsExactly(0x10, 0x80, 0xF0);
        assertThat(new int[] {img.get(1, 0, 0), img.get(1, 0, 1), img.get(1, 0, 2)})
                .containsExactly(0xFF, 0x00, 0x7F);
    }

    @Test
    void sixteenBitSamplesKeepTheHighByte() throws Exception {
        BufferedImage gray16 = new BufferedImage(1, 1, BufferedImage.TYPE_USHORT_GRAY);
        gray16.getRaster().setSample(0, 0, 0, 0xABCD);
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
                false, false, Transparency.OPAQUE, DataBuffer.TYPE_USHORT);
        WritableRaster raster = cm.createCompatibleWritableRaster(1, 1);
        raster.setPixel(0, 0, new int[] {0x12FF, 0x8000, 0xFF01});
        BufferedImage rgb16 = new BufferedImage(cm, raster, false, null);

        RgbImage gray = ImageDecoder.decode(encode(gray16, "png"));
        RgbImage rgb = ImageDecoder.decode(encode(rgb16, "png"));

        assertThat(gray.get(0, 0, 0)).isEqualTo(0xAB);
        assertThat(gray.get(0, 0, 2)).isEqualTo(0xAB);
        assertThat(new int[] {rgb.get(0, 0, 0), rgb.get(0, 0, 1), rgb.get(0, 0, 2)})
                .containsExactly(0x12, 0x80, 0xFF);
    }

    @Test
    void paletteImageUsesPaletteColours() throws Exception {
        byte[] r = {(byte) 255, 0, 7};
        byte[] g = {0, (byte) 255, 8};
        byte[] b = {0, 0, 9};
        BufferedImage indexed = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_INDEXED,
                new IndexColorModel(2, 3, r, g, b));
        indexed.getRaster().setPixels(0, 0, 3, 1, new int[] {2, 0, 1});

        RgbImage img = ImageDecoder.decode(encode(indexed, "png"));

        assertThat(new int[] {img.get(0, 0, 0), img.get(0, 0, 1), img.get(0, 0, 2)}).containsExactly(7, 8, 9);
        assertThat(img.get(1, 0, 0)).isEqualTo(255);
        assertThat(img.get(2, 0, 1)).isEqualTo(255);
    }

    @Test
    void decodesJpeg() throws Exception {
        BufferedImage flat = new BufferedImage(32, 24, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) {
            for (int x = 0; x < 32; x++) {
                flat.setRGB(x, y, 0x3C_96_D2);
            }
        }

        RgbImage img = ImageDecoder.decode(encode(flat, "jpg"));

        assertThat(img.width()).isEqualTo(32);
        assertThat(img.height()).isEqualTo(24);
        assertThat(img.get(10, 10, 0)).isCloseTo(0x3C, within(JPEG_LEVEL_TOLERANCE));
        assertThat(img.get(10, 10, 1)).isCloseTo(0x96, within(JPEG_LEVEL_TOLERANCE));
        assertThat(img.get(10, 10, 2)).isCloseTo(0xD2, within(JPEG_LEVEL_TOLERANCE));
    }

    @Test
    void emptyInputIsRejected() {
        assertThatThrownBy(() -> ImageDecoder.decode(new byte[0]))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("empty input (0 bytes)");
        assertThatThrownBy(() -> ImageDecoder.decode(null))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("empty input");
    }

    @Test
    void randomBytesAreAnUnknownFormat() {
        byte[] noise = new byte[1000];
        new Random(42).nextBytes(noise);
        noise[0] = 'Z'; // no format starts with 'Z', so the prefix below is deterministic

        assertThatThrownBy(() -> ImageDecoder.decode(noise))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("no image decoder recognises these 1000 bytes (not a PNG").hasMessageNotContaining("0x5a");
    }

    @Test
    void truncatedPngIsCorrupt() throws Exception {
        byte[] png = fixtureBytes("down");
        byte[] half = Arrays.copyOf(png, png.length / 2);

        assertThatThrownBy(() -> ImageDecoder.decode(half))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("corrupt or truncated png image (" + half.length + " bytes)");
    }

    @Test
    void truncatedJpegIsCorruptAsInPillow() throws Exception {
        // The JPEG decoder would fill the missing scan with gray and only warn; Pillow raises.
        BufferedImage noise = new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB);
        Random random = new Random(7);
        for (int y = 0; y < 48; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, random.nextInt());
            }
        }
        byte[] jpeg = encode(noise, "jpg");
        byte[] half = Arrays.copyOf(jpeg, jpeg.length / 2);

        assertThatThrownBy(() -> ImageDecoder.decode(half))
                .isInstanceOf(ImageDecodeException.class)
                .hasMessageContaining("corrupt or truncated JPEG image (" + half.length + " bytes)");
    }

    private static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as("an ImageIO writer for %s", format).isTrue();
        return out.toByteArray();
    }

    @Test
    void anImageOverTheDecodeBudgetIsDecodedSubsampled() throws Exception {
        // 8000 x 6000 RGBA: 192 MB as a raster, over the 128 MiB budget; every 2nd pixel and row fits
        byte[] png = blankPng(8000, 6000, 6, 8);
        RgbImage img = ImageDecoder.decode(png);
        assertThat(img.width()).isEqualTo(4000);
        assertThat(img.height()).isEqualTo(3000);
    }

    @Test
    void theSubsamplingStepIsTheSmallestWithinTheBudget() {
        assertThat(ImageDecoder.subsampling(6000, 4000, 4)).isEqualTo(1); // a 24-megapixel photo decodes whole
        // the 13300 x 13300 16-bit RGBA PNG: 1.4 GB decoded in full, at most 128 MiB with a step of 4
        int step = ImageDecoder.subsampling(13300, 13300, 8);
        assertThat(step).isEqualTo(4);
        assertThat((long) Math.ceil(13300.0 / step) * Math.ceil(13300.0 / step) * 8).isLessThanOrEqualTo(ImageDecoder.MAX_DECODED_BYTES);
        assertThat((long) Math.ceil(13300.0 / (step - 1)) * Math.ceil(13300.0 / (step - 1)) * 8).isGreaterThan(ImageDecoder.MAX_DECODED_BYTES);
    }

    @Test
    void aHeaderBeyondThePixelLimitIsTooLargeNotCorrupt() throws Exception {
        // only the header is read: 20000 x 20000 exceeds Pillow's bomb limit, whatever the data
        byte[] png = pngHeaderOnly(20000, 20000);
        assertThatThrownBy(() -> ImageDecoder.decode(png)).isInstanceOf(ImageTooLargeException.class)
                .hasMessageContaining("20000 x 20000");
    }

    /** A PNG of zero samples written by hand, row by row, so the test never holds the raster. */
    static byte[] blankPng(int w, int h, int colorType, int bitDepth) throws Exception {
        int channels = colorType == 6 ? 4 : colorType == 2 ? 3 : 1;
        int rowBytes = 1 + w * channels * bitDepth / 8;
        java.io.ByteArrayOutputStream idat = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream z = new java.util.zip.DeflaterOutputStream(idat,
                new java.util.zip.Deflater(java.util.zip.Deflater.BEST_SPEED), 1 << 16)) {
            byte[] row = new byte[rowBytes];
            for (int y = 0; y < h; y++) {
                z.write(row);
            }
        }
        return png(w, h, colorType, bitDepth, idat.toByteArray());
    }

    static byte[] pngHeaderOnly(int w, int h) throws Exception {
        return png(w, h, 2, 8, new byte[0]);
    }

    private static byte[] png(int w, int h, int colorType, int bitDepth, byte[] idat) throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        java.nio.ByteBuffer ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bitDepth).put((byte) colorType)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", idat);
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) throws Exception {
        java.io.DataOutputStream d = new java.io.DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
