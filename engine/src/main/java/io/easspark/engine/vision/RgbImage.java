package io.easspark.engine.vision;

/**
 * An 8-bit RGB image: {@code rgb} holds {@code height} rows of {@code width} pixels, each pixel
 * three bytes R, G, B (interleaved, row-major, HWC). Bytes are unsigned: read them with
 * {@code & 0xFF}.
 *
 * <p>The array is not copied; the record is a view over it and callers must not mutate it after
 * construction.
 */
public record RgbImage(int width, int height, byte[] rgb) {

    /** Channels per pixel. */
    public static final int CHANNELS = 3;

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(
                    "image size must be > 0 in both dimensions but was " + width + " x " + height);
        }
        if (rgb == null) {
            throw new IllegalArgumentException("rgb pixel array must not be null");
        }
        long expected = (long) width * height * CHANNELS;
        if (rgb.length != expected) {
            throw new IllegalArgumentException("rgb pixel array for a " + width + " x " + height
                    + " image must hold " + expected + " bytes but holds " + rgb.length);
        }
    }

    /** The unsigned value (0..255) of channel {@code c} of the pixel at column x, row y. */
    public int get(int x, int y, int c) {
        return rgb[(y * width + x) * CHANNELS + c] & 0xFF;
    }
}
