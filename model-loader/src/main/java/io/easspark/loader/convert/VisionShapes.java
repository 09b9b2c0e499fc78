package io.easspark.loader.convert;

import io.easspark.engine.vision.VisionConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Derives the image tower's sizes from the imported tensors (CLIP ViT-L/14 and the EAS adapters): width, patch,
 * image size, blocks, adapter rank and groups, adapter_proj's hidden size. Heads and taps are not visible in the
 * shapes: CLIP uses 64-wide heads, LaVIN taps 6 tokens.
 */
final class VisionShapes {

    /** CLIP's attention heads are 64 wide (ViT-L/14: width 1024, 16 heads). */
    static final int CLIP_HEAD_DIM = 64;

    private VisionShapes() {
    }

    static VisionConfig infer(List<ImportedTensor> tensors, int visualTokens, int headDim) {
        Map<String, long[]> s = new HashMap<>();
        tensors.forEach(t -> s.put(t.name(), t.shape()));
        String v = "backbone.visual.";
        long[] cls = require(s, v + "class_embedding");
        long[] conv = require(s, v + "conv1.weight");
        long[] pos = require(s, v + "positional_embedding");
        int width = (int) cls[0];
        if (headDim <= 0 || width % headDim != 0) {
            throw new IllegalArgumentException("vision head size " + headDim + " does not divide the tower's width " + width);
        }
        int patch = (int) conv[2];
        int grid = (int) Math.round(Math.sqrt(pos[0] - 1));
        if ((long) grid * grid + 1 != pos[0]) {
            throw new IllegalArgumentException("tensor " + v + "positional_embedding: " + pos[0] + " rows is not a square grid plus the class token");
        }
        int layers = 0;
        while (s.containsKey(v + "transformer.resblocks." + layers + ".ln_1.weight")) {
            layers++;
        }
        if (layers == 0 || layers % visualTokens != 0) {
            throw new IllegalArgumentException("the image tower has " + layers + " blocks, which " + visualTokens
                    + " visual tokens (one tap every layers/tokens blocks) do not divide");
        }
        long[] a = require(s, v + "transformer.resblocks.0.adapter_attn.conv_A.weight");
        long[] b = require(s, v + "transformer.resblocks.0.adapter_attn.conv_B.weight");
        long[] proj = require(s, "adapter_proj.conv_A.weight");
        int rank = (int) a[0];
        return new VisionConfig(grid * patch, patch, width, layers, width / headDim, 1e-5, rank, (int) (rank / b[1]),
                1.0, 10.0, layers / visualTokens, (int) proj[0], VisionConfig.IMAGENET_MEAN, VisionConfig.IMAGENET_STD);
    }

    private static long[] require(Map<String, long[]> s, String name) {
        long[] shape = s.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing: is the CLIP checkpoint (and the EAS adapter checkpoint) given?");
        }
        return shape;
    }
}
