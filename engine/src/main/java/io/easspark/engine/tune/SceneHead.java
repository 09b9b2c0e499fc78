package io.easspark.engine.tune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * A linear read-out from the vision tower's class-token taps (all of them, concatenated) to several softmax groups at
 * once, e.g. the shape, colour and size of the object in each grid cell of a picture. It exists only for the tower's
 * supervised pre-training (stage 0, the stand-in for CLIP's): linear on purpose, so what it reads must be in the taps
 * the decoder's {@code adapter_proj} reads later; it is dropped afterwards and never part of a model directory.
 */
public final class SceneHead implements AutoCloseable {

    private final int[] groups;
    private final String[] kinds;
    private final NDManager manager;
    private final NDArray weight; // [in, Σ groups]
    private final NDArray bias; // [Σ groups]

    /**
     * @param in the taps' size, taps × width
     * @param groups classes per group
     * @param kinds what each group labels (accuracy is reported per kind)
     */
    public SceneHead(int in, int[] groups, String[] kinds, long seed, NDManager parent) {
        if (in <= 0 || groups.length == 0 || groups.length != kinds.length) {
            throw new IllegalArgumentException("a scene head needs an input size and one kind per group");
        }
        int total = 0;
        for (int g : groups) {
            if (g < 2) {
                throw new IllegalArgumentException("every group needs at least 2 classes");
            }
            total += g;
        }
        this.groups = groups.clone();
        this.kinds = kinds.clone();
        this.manager = parent.newSubManager();
        Random r = new Random(seed);
        float[] w = new float[in * total];
        double scale = 0.1 / Math.sqrt(in); // small: the first logits near 0, every class's gradient alive
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * scale);
        }
        weight = manager.create(w, new Shape(in, total));
        bias = manager.zeros(new Shape(total));
        weight.setRequiresGradient(true);
        bias.setRequiresGradient(true);
    }

    public int groupCount() {
        return groups.length;
    }

    public String kind(int group) {
        return kinds[group];
    }

    /** The head's trainable leaves, by name. */
    public Map<String, NDArray> leaves() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        m.put("scene_head.weight", weight);
        m.put("scene_head.bias", bias);
        return m;
    }

    /**
     * Logits [N, Σ groups] from taps [N, taps, width]. Each feature is first standardised over the batch (a batch of
     * one is left as it is): the tower has no ln_post, its class token's values reach tens around a large common
     * part, and a linear head on the raw taps moved its logits by several units per Adam step (measured: object
     * accuracy 16% after 1,250 steps). Accuracy is therefore measured in batches, as the training saw them.
     */
    public NDArray logits(NDArray taps) {
        long n = taps.getShape().get(0);
        NDArray x = taps.reshape(n, -1);
        if (n > 1) {
            NDArray centred = x.sub(x.mean(new int[] {0}, true));
            x = centred.div(centred.square().mean(new int[] {0}, true).add(1e-5f).sqrt());
        }
        return x.matMul(weight).add(bias);
    }

    /** Mean cross-entropy over the batch and the groups. */
    public NDArray loss(NDArray logits, int[][] labels) {
        long n = logits.getShape().get(0);
        NDArray sum = null;
        int offset = 0;
        for (int g = 0; g < groups.length; g++) {
            float[] oneHot = new float[(int) n * groups[g]];
            for (int i = 0; i < n; i++) {
                oneHot[i * groups[g] + label(labels[i], g)] = 1f;
            }
            NDArray target = logits.getManager().create(oneHot, new Shape(n, groups[g]));
            NDArray logp = logits.get(":, " + offset + ":" + (offset + groups[g])).logSoftmax(1);
            NDArray nll = logp.mul(target).sum().neg();
            sum = sum == null ? nll : sum.add(nll);
            offset += groups[g];
        }
        return sum.div((float) (n * groups.length));
    }

    /** The arg-max class of every group, [N][groups]. */
    public int[][] predict(NDArray logits) {
        long n = logits.getShape().get(0);
        int[][] out = new int[(int) n][groups.length];
        int offset = 0;
        for (int g = 0; g < groups.length; g++) {
            long[] best = logits.get(":, " + offset + ":" + (offset + groups[g])).argMax(1).toLongArray();
            for (int i = 0; i < n; i++) {
                out[i][g] = (int) best[i];
            }
            offset += groups[g];
        }
        return out;
    }

    private int label(int[] labels, int g) {
        if (labels.length != groups.length || labels[g] < 0 || labels[g] >= groups[g]) {
            throw new IllegalArgumentException("label " + (g < labels.length ? labels[g] : "missing") + " of group " + g
                    + " is outside its " + groups[g] + " classes");
        }
        return labels[g];
    }

    @Override
    public void close() {
        manager.close();
    }
}
