package io.easspark.engine.vision;

/**
 * Pillow's {@code Image.resize((w, h), Image.BICUBIC)} for 8-bit RGB, bit for bit (DESIGN.md
 * section 1.1): the evaluation this project reproduces fed CLIP with Pillow-resized images, and a
 * plain float bicubic without antialiasing moves normalised pixels by up to 2.5.
 *
 * <p>The algorithm, as Pillow's {@code libImaging/Resample.c} does it:
 *
 * <ul>
 *   <li>separable: a horizontal pass into an intermediate 8-bit image, then a vertical pass; a pass
 *       whose size does not change is skipped;
 *   <li>antialiased: when shrinking, the kernel is stretched by the scale factor, so every source
 *       pixel contributes (support 2 becomes {@code 2 * in / out});
 *   <li>the weights of each output pixel are computed in double, normalised to sum 1, then
 *       rounded to signed fixed point with {@value #PRECISION_BITS} fraction bits;
 *   <li>each pass accumulates in 32-bit ints starting at one half (rounding), shifts the fraction
 *       away and clamps to 0..255, so the intermediate image is rounded exactly like Pillow's.
 * </ul>
 */
public final class PilBicubicResize {

    /** Pillow's Keys cubic parameter {@code a} for BICUBIC. */
    private static final double CUBIC_A = -0.5;

    /** Kernel radius in source pixels before widening for a downscale. */
    private static final double SUPPORT = 2.0;

    /**
     * Fraction bits of the fixed-point weights: 32 bits minus 8 for the pixel value minus 2 so
     * that negative lobes and sums above 1 cannot overflow an int (Pillow's choice for 8 bits).
     */
    static final int PRECISION_BITS = 32 - 8 - 2;

    private static final int HALF = 1 << (PRECISION_BITS - 1);

    private PilBicubicResize() {}

    /** Resizes {@code src} to {@code outW x outH}; returns {@code src} itself if the size is unchanged. */
    public static RgbImage resize(RgbImage src, int outW, int outH) {
        if (outW <= 0 || outH <= 0) {
            throw new IllegalArgumentException(
                    "resize target must be > 0 in both dimensions but was " + outW + " x " + outH);
        }
        RgbImage out = src;
        if (outW != src.width()) {
            out = horizontal(out, Weights.of(src.width(), outW));
        }
        if (outH != src.height()) {
            out = vertical(out, Weights.of(src.height(), outH));
        }
        return out;
    }

    private static RgbImage horizontal(RgbImage in, Weights w) {
        int inW = in.width();
        int h = in.height();
        int outW = w.outSize();
        byte[] src = in.rgb();
        byte[] dst = new byte[outW * h * RgbImage.CHANNELS];
        for (int y = 0; y < h; y++) {
            int row = y * inW * RgbImage.CHANNELS;
            for (int xx = 0; xx < outW; xx++) {
                int first = w.first()[xx];
                int count = w.count()[xx];
                int k0 = xx * w.ksize();
                int r = HALF;
                int g = HALF;
                int b = HALF;
                for (int i = 0; i < count; i++) {
                    int k = w.coeffs()[k0 + i];
                    int p = row + (first + i) * RgbImage.CHANNELS;
                    r += (src[p] & 0xFF) * k;
                    g += (src[p + 1] & 0xFF) * k;
                    b += (src[p + 2] & 0xFF) * k;
                }
                int o = (y * outW + xx) * RgbImage.CHANNELS;
                dst[o] = clip8(r);
                dst[o + 1] = clip8(g);
                dst[o + 2] = clip8(b);
            }
        }
        return new RgbImage(outW, h, dst);
    }

    private static RgbImage vertical(RgbImage in, Weights w) {
        int width = in.width();
        int outH = w.outSize();
        int stride = width * RgbImage.CHANNELS;
        byte[] src = in.rgb();
        byte[] dst = new byte[outH * stride];
        for (int yy = 0; yy < outH; yy++) {
            int first = w.first()[yy];
            int count = w.count()[yy];
            int k0 = yy * w.ksize();
            for (int x = 0; x < width; x++) {
                int r = HALF;
                int g = HALF;
                int b = HALF;
                for (int i = 0; i < count; i++) {
                    int k = w.coeffs()[k0 + i];
                    int p = (first + i) * stride + x * RgbImage.CHANNELS;
                    r += (src[p] & 0xFF) * k;
                    g += (src[p + 1] & 0xFF) * k;
                    b += (src[p + 2] & 0xFF) * k;
                }
                int o = yy * stride + x * RgbImage.CHANNELS;
                dst[o] = clip8(r);
                dst[o + 1] = clip8(g);
                dst[o + 2] = clip8(b);
            }
        }
        return new RgbImage(width, outH, dst);
    }

    /** Drops the fraction bits (arithmetic shift, like Pillow's lookup index) and clamps to a byte. */
    private static byte clip8(int acc) {
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    /** Keys' cubic convolution kernel with a = -0.5, written in Pillow's evaluation order. */
    static double bicubic(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((CUBIC_A + 2.0) * x - (CUBIC_A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * CUBIC_A;
        }
        return 0.0;
    }

    /**
     * Fixed-point weights of one pass: output pixel {@code o} reads {@code count[o]} source pixels
     * from {@code first[o]} with weights {@code coeffs[o * ksize ..]}.
     */
    record Weights(int outSize, int ksize, int[] first, int[] count, int[] coeffs) {

        static Weights of(int inSize, int outSize) {
            // Pillow passes the box edges as floats and the scale as a double; for whole-image
            // resizes both are exact, so plain doubles give the same bits.
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            int[] first = new int[outSize];
            int[] count = new int[outSize];
            int[] coeffs = new int[outSize * ksize];
            double invScale = 1.0 / filterScale;
            double[] k = new double[ksize];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                // (int) truncates toward zero as C does; negative values are clamped right after.
                int lo = Math.max((int) (center - support + 0.5), 0);
                int hi = Math.min((int) (center + support + 0.5), inSize);
                int n = hi - lo;
                double sum = 0.0;
                for (int i = 0; i < n; i++) {
                    // Same operation order as Pillow so the doubles round identically.
                    k[i] = bicubic((i + lo - center + 0.5) * invScale);
                    sum += k[i];
                }
                for (int i = 0; i < n; i++) {
                    double normalised = sum != 0.0 ? k[i] / sum : k[i];
                    coeffs[o * ksize + i] = toFixed(normalised);
                }
                first[o] = lo;
                count[o] = n;
            }
            return new Weights(outSize, ksize, first, count, coeffs);
        }

        /** Rounds half away from zero, then truncates toward zero: Pillow's normalize_coeffs_8bpc. */
        private static int toFixed(double w) {
            double scaled = w * (1 << PRECISION_BITS);
            return (int) (w < 0 ? scaled - 0.5 : scaled + 0.5);
        }
    }
}
