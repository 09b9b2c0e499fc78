package io.easspark.engine.vision;

import java.util.Arrays;

/**
 * Turns an image into the ViT's input (DESIGN.md section 1.1): resize to exactly
 * {@code size x size} with Pillow's bicubic (aspect ratio not kept, no crop), scale to [0, 1],
 * then normalise each channel with a mean and std. Output is channel-first, {@code [3, S, S]}
 * flattened (C = channel, S = size).
 *
 * <p>The arithmetic is float32 in torchvision's order ({@code ToTensor}: v / 255, then
 * {@code Normalize}: (x - mean) / std), so results equal the reference to the bit.
 */
public final class ImagePreprocessor {

    /** ImageNet statistics, which the LaVIN-EAS evaluation uses instead of CLIP's own. */
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};

    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    private static final float MAX_8BIT = 255f;

    private final int size;
    private final float[] mean;
    private final float[] std;

    public ImagePreprocessor(int size, float[] mean, float[] std) {
        if (size <= 0) {
            throw new IllegalArgumentException("image size must be > 0 but was " + size);
        }
        this.size = size;
        this.mean = checkThree("mean", mean);
        this.std = checkThree("std", std);
        for (int c = 0; c < RgbImage.CHANNELS; c++) {
            if (!Float.isFinite(this.mean[c])) {
                throw new IllegalArgumentException("mean[" + c + "] must be finite but was " + this.mean[c]);
            }
            if (!(this.std[c] > 0) || !Float.isFinite(this.std[c])) {
                throw new IllegalArgumentException("std[" + c + "] must be finite and > 0 but was " + this.std[c]);
            }
        }
    }

    /** The evaluation's preprocessing: ImageNet mean and std at {@code size} pixels. */
    /** The preprocessing a model's image tower expects: its size, mean and std. */
    public static ImagePreprocessor forConfig(VisionConfig config) {
        return new ImagePreprocessor(config.imageSize(), config.mean(), config.std());
    }

    public static ImagePreprocessor imagenet(int size) {
        return new ImagePreprocessor(size, IMAGENET_MEAN, IMAGENET_STD);
    }

    public int size() {
        return size;
    }

    /** Decodes {@code encoded} and returns its pixels as {@link #pixels(RgbImage)} does. */
    public float[] pixels(byte[] encoded) throws ImageDecodeException {
        return pixels(ImageDecoder.decode(encoded));
    }

    /** The normalised pixels of {@code img}, {@code [3, size, size]} channel-first. */
    public float[] pixels(RgbImage img) {
        RgbImage resized = PilBicubicResize.resize(img, size, size);
        int plane = size * size;
        float[] out = new float[RgbImage.CHANNELS * plane];
        byte[] rgb = resized.rgb();
        for (int c = 0; c < RgbImage.CHANNELS; c++) {
            float m = mean[c];
            float s = std[c];
            for (int i = 0; i < plane; i++) {
                float x = (rgb[i * RgbImage.CHANNELS + c] & 0xFF) / MAX_8BIT;
                out[c * plane + i] = (x - m) / s;
            }
        }
        return out;
    }

    private static float[] checkThree(String name, float[] values) {
        if (values == null || values.length != RgbImage.CHANNELS) {
            throw new IllegalArgumentException(name + " must have 3 values (R, G, B) but has "
                    + (values == null ? "none" : values.length + ": " + Arrays.toString(values)));
        }
        return values.clone();
    }
}
