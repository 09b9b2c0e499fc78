package io.easspark.engine.vision;

import io.easspark.engine.llama.LlamaConfig;
import java.util.Arrays;

/**
 * Sizes of the CLIP ViT image tower, its PIA adapters and {@code adapter_proj} (DESIGN.md §1.1). ViT-L/14 is
 * image 224, patch 14, width 1024, 24 blocks, 16 heads, LayerNorm eps 1e-5, taps every 4th block (6 tokens).
 *
 * @param imageSize square input size S after preprocessing
 * @param patchSize patch size p (S must be a multiple)
 * @param width ViT width W
 * @param layers ViT blocks
 * @param heads attention heads (W / heads per head)
 * @param lnEps LayerNorm epsilon
 * @param adapterRank PIAv bottleneck (8)
 * @param adapterGroups PIAv B/D groups (2)
 * @param adapterScale PIAv scale s (1)
 * @param routerTemperature PIAv router temperature (10)
 * @param tapEvery the class token is tapped after every {@code tapEvery}-th block (4)
 * @param projHidden hidden size of {@code adapter_proj} (128)
 * @param mean per-channel normalisation mean (ImageNet's, not CLIP's, as the original evaluation)
 * @param std per-channel normalisation std
 */
public record VisionConfig(
        int imageSize, int patchSize, int width, int layers, int heads, double lnEps,
        int adapterRank, int adapterGroups, double adapterScale, double routerTemperature,
        int tapEvery, int projHidden, float[] mean, float[] std) {

    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** Upper bound on the input side: CLIP towers use 224-448; the patch grid and positional table derive from it. */
    public static final int MAX_IMAGE_SIZE = 4096;

    public VisionConfig {
        if (imageSize > MAX_IMAGE_SIZE) {
            throw new IllegalArgumentException("vision image_size must be at most " + MAX_IMAGE_SIZE + ": " + imageSize);
        }
        if (layers > LlamaConfig.MAX_LAYERS) {
            throw new IllegalArgumentException("vision layers must be at most " + LlamaConfig.MAX_LAYERS
                    + ": " + layers);
        }
        // the MLP's [4W, W] weight and adapter_proj's [proj_hidden, W] must each fit one buffer
        if (4L * width * width > LlamaConfig.MAX_MATRIX_ELEMENTS
                || (long) projHidden * width > LlamaConfig.MAX_MATRIX_ELEMENTS) {
            throw new IllegalArgumentException("vision width " + width + " (or proj_hidden " + projHidden
                    + ") gives a weight matrix over " + LlamaConfig.MAX_MATRIX_ELEMENTS + " elements");
        }
        if (imageSize <= 0 || patchSize <= 0 || imageSize % patchSize != 0) {
            throw new IllegalArgumentException("vision image_size must be a positive multiple of patch_size: image_size "
                    + imageSize + ", patch_size " + patchSize);
        }
        if (width <= 0 || heads <= 0 || width % heads != 0) {
            throw new IllegalArgumentException("vision width must be a multiple of heads: width " + width + ", heads " + heads);
        }
        if (layers <= 0 || tapEvery <= 0 || layers % tapEvery != 0) {
            throw new IllegalArgumentException("vision layers must be a multiple of tap_every: layers " + layers
                    + ", tap_every " + tapEvery);
        }
        if (adapterRank <= 0 || adapterGroups <= 0 || adapterRank % adapterGroups != 0 || width % adapterGroups != 0) {
            throw new IllegalArgumentException("vision adapter_groups must divide adapter_rank and width: groups "
                    + adapterGroups + ", rank " + adapterRank + ", width " + width);
        }
        if (projHidden <= 0) {
            throw new IllegalArgumentException("vision proj_hidden must be > 0: " + projHidden);
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException("vision mean and std need 3 values each: mean " + Arrays.toString(mean)
                    + ", std " + Arrays.toString(std));
        }
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("vision std values must be > 0: " + Arrays.toString(std));
            }
        }
        mean = mean.clone();
        std = std.clone();
        if (!(routerTemperature > 0)) {
            throw new IllegalArgumentException("vision router_temperature must be > 0: " + routerTemperature);
        }
    }

    public int patchesPerSide() {
        return imageSize / patchSize;
    }

    /** Patch tokens plus the class token. */
    public int tokens() {
        return patchesPerSide() * patchesPerSide() + 1;
    }

    /** Class-token taps, one visual token each. */
    public int taps() {
        return layers / tapEvery;
    }

    public int headDim() {
        return width / heads;
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }
}
