package io.easspark.engine.meter;

import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.engine.vision.ImageDecoder;
import io.easspark.engine.vision.ImagePreprocessor;
import io.easspark.engine.vision.PilBicubicResize;
import io.easspark.engine.vision.RgbImage;

/**
 * METER's evaluation image transform (DESIGN-METER.md §1, the original's {@code clip_transform(S)}): resize so the
 * shorter side is S and the longer {@code floor(S·long/short)} with Pillow's bicubic, centre-crop S×S at
 * {@code round((w' − S)/2)}, {@code round((h' − S)/2)} (half to even, as Python's {@code round}), /255, CLIP mean
 * and std. Images with alpha lose it at decode (PIL {@code convert('RGB')}); the original resamples them
 * premultiplied, so only they can differ (docs/ENGINE.md).
 */
public final class MeterImageTransform {

    /** CLIP's statistics, not ImageNet's (§1). */
    static final float[] CLIP_MEAN = {0.48145466f, 0.4578275f, 0.40821073f};
    static final float[] CLIP_STD = {0.26862954f, 0.26130258f, 0.27577711f};

    private final int size;
    private final ImagePreprocessor normalise;

    public MeterImageTransform(int size) {
        // an S×S crop passes through the preprocessor's resize unchanged, so it only normalises
        this.normalise = new ImagePreprocessor(size, CLIP_MEAN, CLIP_STD);
        this.size = size;
    }

    public int size() {
        return size;
    }

    /** Decodes {@code encoded} and returns {@link #pixels(RgbImage)}. */
    public float[] pixels(byte[] encoded) throws ImageDecodeException {
        return pixels(ImageDecoder.decode(encoded));
    }

    /** Normalised pixels [3, S, S], channel-first. */
    public float[] pixels(RgbImage img) {
        return normalise.pixels(crop(img));
    }

    /** The resized and centre-cropped 8-bit image, before normalisation. */
    public RgbImage crop(RgbImage img) {
        int w = img.width();
        int h = img.height();
        int outW;
        int outH;
        // torchvision's Resize(int): the shorter side becomes S, the longer int(S * long / short)
        if (w <= h) {
            outW = size;
            outH = (int) ((double) ((long) size * h) / w);
        } else {
            outH = size;
            outW = (int) ((double) ((long) size * w) / h);
        }
        RgbImage resized = PilBicubicResize.resize(img, outW, outH);
        int left = (int) Math.rint((outW - size) / 2.0);
        int top = (int) Math.rint((outH - size) / 2.0);
        byte[] out = new byte[size * size * RgbImage.CHANNELS];
        byte[] src = resized.rgb();
        int row = size * RgbImage.CHANNELS;
        for (int y = 0; y < size; y++) {
            System.arraycopy(src, ((top + y) * outW + left) * RgbImage.CHANNELS, out, y * row, row);
        }
        return new RgbImage(size, size, out);
    }
}
