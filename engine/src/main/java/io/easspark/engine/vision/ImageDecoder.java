package io.easspark.engine.vision;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes encoded image bytes (PNG, JPEG incl. CMYK and progressive, WebP, GIF, BMP, ... through
 * ImageIO and the TwelveMonkeys plugins) to 8-bit RGB the way Pillow's
 * {@code Image.open(f).convert('RGB')} does, because the reference evaluation preprocessed with
 * Pillow (DESIGN.md section 1.1):
 *
 * <ul>
 *   <li>alpha is dropped, not composited over a background;
 *   <li>gray and gray+alpha images copy the stored gray sample to R, G and B (Java's colour
 *       conversion would treat the gray as linear and change it);
 *   <li>16 bits per sample keep the high byte;
 *   <li>only the first frame of an animation is read, and EXIF orientation is not applied.
 * </ul>
 */
public final class ImageDecoder {

    /**
     * Pillow's decompression-bomb limit ({@code 2 * Image.MAX_IMAGE_PIXELS}), checked from the
     * header before any pixel is decoded so a hostile file cannot exhaust an executor's heap.
     */
    static final long MAX_PIXELS = 2L * 89_478_485;

    /**
     * Most bytes one decoded raster may take (an 8-bit RGB photo of 44 megapixels). A larger image is decoded with
     * source subsampling — every n-th pixel and row, which the decoders do while reading, so the full raster never
     * exists — to the smallest size within this budget: a 13300 x 13300 16-bit RGBA PNG (1.4 GB decoded) then takes
     * about this much, not gigabytes. The model needs only a few hundred pixels a side, so the answer hardly
     * changes; images within the budget decode exactly as Pillow does.
     */
    static final long MAX_DECODED_BYTES = 128L << 20;

    /** "RIFF", then the little-endian size of everything after these 8 bytes. */
    private static final int RIFF_HEADER_BYTES = 8;

    private ImageDecoder() {}

    /**
     * Decodes {@code bytes} to RGB; never returns null.
     *
     * @throws ImageDecodeException for empty input, an unrecognised format, or corrupt data
     */
    public static RgbImage decode(byte[] bytes) throws ImageDecodeException {
        if (bytes == null || bytes.length == 0) {
            throw new ImageDecodeException("cannot decode an image from empty input (0 bytes)");
        }
        BufferedImage image = read(bytes);
        return toRgb(image);
    }

    private static BufferedImage read(byte[] bytes) throws ImageDecodeException {
        // A memory-cached stream: ImageIO's default for streams is a temporary file per image.
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                // never quote the bytes: an image path may point at a file whose content is a secret
                throw new ImageDecodeException("no image decoder recognises these " + bytes.length
                        + " bytes (not a PNG, JPEG, GIF, BMP, WebP or other supported image)");
            }
            ImageReader reader = readers.next();
            String format = reader.getFormatName();
            if (isTruncatedRiff(bytes)) {
                throw corrupt(format, bytes, "RIFF header declares " + riffDeclaredLength(bytes) + " bytes");
            }
            try {
                reader.setInput(in, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                long pixels = (long) width * height;
                if (pixels > MAX_PIXELS) {
                    throw new ImageTooLargeException(format + " image of " + width + " x " + height
                            + " pixels exceeds the limit of " + MAX_PIXELS + " pixels");
                }
                ImageReadParam param = reader.getDefaultReadParam();
                int step = subsampling(width, height, bytesPerPixel(reader));
                if (step > 1) {
                    param.setSourceSubsampling(step, step, 0, 0);
                }
                List<String> truncation = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> {
                    if (isTruncationWarning(warning)) {
                        truncation.add(warning);
                    }
                });
                BufferedImage image = reader.read(0, param);
                if (image == null) {
                    throw new ImageDecodeException(format + " decoder returned no image for "
                            + bytes.length + " bytes");
                }
                if (!truncation.isEmpty()) {
                    throw corrupt(format, bytes, String.join("; ", truncation));
                }
                return image;
            } catch (IOException | RuntimeException e) {
                // Plugins report bad data with IIOException, EOFException, or unchecked exceptions
                // (array bounds, illegal arguments) thrown from deep inside their parsers.
                throw corrupt(format, bytes, describe(e), e);
            } finally {
                reader.dispose();
            }
        } catch (IOException e) {
            throw new ImageDecodeException("cannot read " + bytes.length + " bytes of image data: " + describe(e), e);
        }
    }

    /**
     * The JPEG decoder fills a truncated scan with gray and only warns; Pillow refuses such files
     * ("image file is truncated"), so we do too. Other warnings (a missing ICC profile, extraneous
     * bytes before a marker) are ones Pillow's libjpeg also ignores.
     */
    private static boolean isTruncationWarning(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return w.contains("truncated") || w.contains("premature end");
    }

    /**
     * The WebP decoder reads a cut-off file without complaint; its RIFF header states the full
     * length, so a shorter input is detectably truncated (Pillow's libwebp rejects it).
     */
    private static boolean isTruncatedRiff(byte[] bytes) {
        return bytes.length >= RIFF_HEADER_BYTES
                && bytes[0] == 'R' && bytes[1] == 'I' && bytes[2] == 'F' && bytes[3] == 'F'
                && riffDeclaredLength(bytes) > bytes.length;
    }

    /** Total file length from a RIFF header: the little-endian chunk size plus its 8-byte header. */
    private static long riffDeclaredLength(byte[] bytes) {
        long chunk = (bytes[4] & 0xFFL) | (bytes[5] & 0xFFL) << 8 | (bytes[6] & 0xFFL) << 16 | (bytes[7] & 0xFFL) << 24;
        return chunk + RIFF_HEADER_BYTES;
    }

    private static ImageDecodeException corrupt(String format, byte[] bytes, String why) {
        return corrupt(format, bytes, why, null);
    }

    private static ImageDecodeException corrupt(String format, byte[] bytes, String why, Throwable cause) {
        return new ImageDecodeException("corrupt or truncated " + format + " image (" + bytes.length
                + " bytes): " + why, cause);
    }

    /** The cause chain on one line: plugins often wrap the telling message in a generic one. */
    private static String describe(Throwable e) {
        StringBuilder text = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            text.append(" (caused by ").append(c).append(')');
        }
        return text.toString().replaceAll("\\s*\\R\\s*", " ");
    }

    private static RgbImage toRgb(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        if (cm instanceof IndexColorModel) {
            // Palette entries (and 1/2/4-bit gray ramps) are plain sRGB values: getRGB is exact.
            return viaGetRgb(image);
        }
        if (cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            return grayFromRaster(image.getRaster(), cm.getComponentSize(0));
        }
        if (cm.getColorSpace().isCS_sRGB() && !cm.isAlphaPremultiplied()) {
            return rgbFromRaster(image.getRaster(), cm.getComponentSize(0));
        }
        // CMYK, YCCK and other colour spaces: let the colour model convert to sRGB.
        return viaGetRgb(image);
    }

    private static RgbImage viaGetRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        byte[] rgb = new byte[w * h * RgbImage.CHANNELS];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int o = (y * w + x) * RgbImage.CHANNELS;
                int argb = row[x];
                rgb[o] = (byte) (argb >>> 16);
                rgb[o + 1] = (byte) (argb >>> 8);
                rgb[o + 2] = (byte) argb;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** Band 0 is the gray sample (a second band, if any, is alpha and is dropped). */
    private static RgbImage grayFromRaster(Raster raster, int bits) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] rgb = new byte[w * h * RgbImage.CHANNELS];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                byte v = (byte) to8Bits(row[x], bits);
                int o = (y * w + x) * RgbImage.CHANNELS;
                rgb[o] = v;
                rgb[o + 1] = v;
                rgb[o + 2] = v;
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** Bands 0..2 are R, G, B in colour-model order whatever the memory layout; alpha is dropped. */
    private static RgbImage rgbFromRaster(Raster raster, int bits) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] rgb = new byte[w * h * RgbImage.CHANNELS];
        int[] row = new int[w];
        for (int c = 0; c < RgbImage.CHANNELS; c++) {
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, c, row);
                for (int x = 0; x < w; x++) {
                    rgb[(y * w + x) * RgbImage.CHANNELS + c] = (byte) to8Bits(row[x], bits);
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    /** Keeps the high byte of wider samples (as Pillow's 16-bit unpackers do); stretches narrower ones. */
    private static int to8Bits(int sample, int bits) {
        if (bits == 8) {
            return sample;
        }
        if (bits > 8) {
            return sample >>> (bits - 8);
        }
        return sample * 255 / ((1 << bits) - 1);
    }

    /** The smallest whole step n for which every n-th pixel of every n-th row fits {@link #MAX_DECODED_BYTES}. */
    static int subsampling(int width, int height, int bytesPerPixel) {
        int step = 1;
        while ((long) ceilDiv(width, step) * ceilDiv(height, step) * bytesPerPixel > MAX_DECODED_BYTES) {
            step++;
        }
        return step;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /**
     * Bytes a decoded pixel takes, from the decoder's own destination type (a 16-bit RGBA PNG: 8); 4 when the
     * decoder does not say, as for an int-packed RGB image.
     */
    private static int bytesPerPixel(ImageReader reader) throws IOException {
        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
        if (types == null || !types.hasNext()) {
            return Integer.BYTES;
        }
        SampleModel sm = types.next().getSampleModel();
        int bits = 0;
        for (int size : sm.getSampleSize()) {
            bits += size;
        }
        // packed models store a pixel in a whole int whatever their bits; component models one sample per element
        return Math.max(Integer.BYTES, (bits + Byte.SIZE - 1) / Byte.SIZE);
    }
}
