package io.easspark.engine.tune;

import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Initial weights for training a LaVIN-shaped model from scratch (stage 1 of {@code eas tune}) and for inserting
 * fresh PIA adapters (stage 2). Each tensor's values depend only on the seed and its name.
 *
 * <ul>
 *   <li>Matrices: normal with std 1/√fan-in; the two projections that write into a residual stream (attention
 *       {@code wo}, FFN {@code w2}, the ViT's {@code out_proj} and {@code c_proj}) are scaled by 1/√(2·layers) so the
 *       stream does not grow with depth (GPT-2's rule).</li>
 *   <li>Norm gains 1, biases 0; token embeddings std 1 (PyTorch's default); the ViT's class and positional embeddings std 1/√width, as
 *       CLIP initialises them.</li>
 *   <li>PIA adapters as LaVIN's RepAdapter initialises them: the down projections (A, C) random, the up projections
 *       (B, D) and every bias zero, so a fresh adapter is the identity and inserting it changes nothing; the router
 *       is zero, i.e. an even mix of B and D.</li>
 * </ul>
 */
public final class TrainingInit {

    private TrainingInit() {
    }

    /** True for the tensors of EAS's adapters (PIA in both towers and the modality embedding). */
    public static boolean isAdapter(String name) {
        return name.contains(".adapter_attn.") || name.contains(".replaced_adapter.")
                || name.startsWith("adapter_modality_embedding");
    }

    /** The initial values of {@code name}, row-major. */
    public static float[] values(LavinConfig config, String name, long seed) {
        long[] shape = NativeLayout.tensors(config).get(name);
        if (shape == null) {
            throw new IllegalArgumentException("no tensor " + name + " in the native layout");
        }
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        float[] v = new float[n];
        double std = std(config, name, shape);
        if (name.endsWith("norm.weight") || name.endsWith("ln_1.weight") || name.endsWith("ln_2.weight")
                || name.endsWith("ln_pre.weight")) {
            Arrays.fill(v, 1f);
        } else if (std > 0) {
            SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + name.hashCode());
            for (int i = 0; i < n; i++) {
                v[i] = (float) (random.nextGaussian() * std);
            }
        }
        return v;
    }

    private static double std(LavinConfig config, String name, long[] shape) {
        if (isAdapter(name)) {
            if (name.startsWith("adapter_modality_embedding")) {
                return 0.02;
            }
            boolean down = name.endsWith("conv_A.weight") || name.endsWith("conv_C.weight");
            return down ? 1.0 / Math.sqrt(shape[1]) : 0;
        }
        if (name.endsWith(".bias") || name.endsWith("in_proj_bias")) {
            return 0;
        }
        if (name.equals("tok_embeddings.weight")) {
            // PyTorch's nn.Embedding default, N(0, 1): with 0.02 a token's identity is a small part of the residual
            // stream once the first layers have added to it, and the copy-the-letter circuit the options need formed
            // later (OPT accuracy after 1,000 steps: 53% with 0.02, 63-70% with 1; docs/TUNING.md)
            return 1.0;
        }
        if (name.endsWith("class_embedding") || name.endsWith("positional_embedding")) {
            return 1.0 / Math.sqrt(config.vision().width());
        }
        if (name.endsWith("conv1.weight")) {
            return 1.0 / Math.sqrt(shape[1] * shape[2] * shape[3]);
        }
        double fanIn = 1.0 / Math.sqrt(shape[shape.length - 1]);
        if (name.endsWith("attention.wo.weight") || name.endsWith("feed_forward.w2.weight")) {
            return fanIn / Math.sqrt(2.0 * config.text().nLayers());
        }
        if (name.endsWith("attn.out_proj.weight") || name.endsWith("mlp.c_proj.weight")) {
            return fanIn / Math.sqrt(2.0 * config.vision().layers());
        }
        return fanIn;
    }
}
