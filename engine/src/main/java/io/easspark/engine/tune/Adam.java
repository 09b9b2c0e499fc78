package io.easspark.engine.tune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam with decoupled weight decay (AdamW) and global-norm gradient clipping, written on NDArrays so that the update
 * is plain libtorch arithmetic outside any gradient recording. One instance owns the moment estimates of the leaves
 * it was given; a leaf without a gradient after backward (a weight the step's skip plan did not use) is left alone and
 * its moments do not advance, as PyTorch's Adam skips parameters whose {@code grad} is None.
 *
 * <p>Deterministic: the same leaves, gradients and schedule give the same bits (libtorch's CPU kernels for these
 * element-wise ops do not reorder reductions between runs; the gradient norm is summed in a fixed leaf order).
 */
public final class Adam implements AutoCloseable {

    /** Hyper-parameters; {@code clipNorm} ≤ 0 turns clipping off, {@code weightDecay} applies to matrices only. */
    public record Settings(double beta1, double beta2, double eps, double weightDecay, double clipNorm) {

        public Settings {
            if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0) || weightDecay < 0) {
                throw new IllegalArgumentException("Adam needs 0 <= beta < 1, eps > 0, weight decay >= 0: " + this);
            }
        }

        /** β = (0.9, 0.98), ε = 1e-8, decay 0.01, clip 1.0: a common setting for small transformers. */
        public static Settings transformer() {
            return new Settings(0.9, 0.98, 1e-8, 0.01, 1.0);
        }
    }

    private final Settings settings;
    private final NDManager manager;
    private final Map<String, NDArray> leaves;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final Map<String, Integer> steps = new LinkedHashMap<>();
    private double lastGradNorm = Double.NaN;

    /**
     * @param leaves the trainable leaves by name (each must require a gradient); their order fixes the norm's order
     */
    public Adam(Map<String, NDArray> leaves, Settings settings, NDManager parent) {
        this.settings = settings;
        this.manager = parent.newSubManager();
        this.leaves = new LinkedHashMap<>(leaves);
        for (var e : this.leaves.entrySet()) {
            if (!e.getValue().hasGradient()) {
                throw new IllegalArgumentException(e.getKey() + " does not require a gradient");
            }
            m.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            primeGradient(e.getValue());
            v.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            steps.put(e.getKey(), 0);
        }
    }

    /** The global gradient norm before clipping at the last {@link #step} (NaN before the first). */
    public double lastGradNorm() {
        return lastGradNorm;
    }

    /**
     * One update at learning rate {@code lr}, then zeroes every gradient (libtorch accumulates them across backward
     * calls). A non-finite gradient norm skips the update and reports it.
     *
     * @return false when the gradients were not finite and nothing was updated
     */
    public boolean step(double lr) {
        try (NDManager tmp = manager.newSubManager()) {
            // DJL hands out a new handle to a leaf's gradient on every getGradient(), owned by the leaf's manager:
            // take one per leaf per step, in this step's scope, or they pile up for the whole run
            Map<String, NDArray> grads = new LinkedHashMap<>();
            double sq = 0;
            for (var e : leaves.entrySet()) {
                NDArray g = own(tmp, e.getValue().getGradient());
                grads.put(e.getKey(), g);
                sq += own(tmp, own(tmp, g.square()).sum()).getFloat();
            }
            lastGradNorm = Math.sqrt(sq);
            boolean finite = Double.isFinite(lastGradNorm);
            double clip = settings.clipNorm() > 0 && lastGradNorm > settings.clipNorm() ? settings.clipNorm() / lastGradNorm : 1.0;
            for (var e : leaves.entrySet()) {
                NDArray g = grads.get(e.getKey());
                if (finite && own(tmp, own(tmp, g.abs()).max()).getFloat() > 0f) {
                    update(e.getKey(), e.getValue(), g, clip, lr, tmp);
                }
                g.set(ALL, 0f); // not g − g: a NaN would survive that and stop every later step
            }
            return finite;
        }
    }

    /** Every result of an op lands in its input's manager; temporaries are moved to the step's scope. */
    private static NDArray own(NDManager tmp, NDArray a) {
        a.attach(tmp);
        return a;
    }

    private void update(String name, NDArray leaf, NDArray grad, double clip, double lr, NDManager tmp) {
        int t = steps.merge(name, 1, Integer::sum);
        NDArray g = own(tmp, grad.mul((float) clip));
        NDArray mi = m.get(name);
        NDArray vi = v.get(name);
        mi.muli((float) settings.beta1()).addi(g.mul((float) (1 - settings.beta1())));
        vi.muli((float) settings.beta2()).addi(g.square().muli((float) (1 - settings.beta2())));
        double c1 = 1 - Math.pow(settings.beta1(), t);
        double c2 = 1 - Math.pow(settings.beta2(), t);
        NDArray denom = own(tmp, vi.div((float) c2)).sqrt().addi((float) settings.eps());
        NDArray delta = own(tmp, mi.div((float) c1)).divi(denom).muli((float) lr);
        // write through a detached alias of the leaf (same storage): libtorch refuses an in-place op on a leaf that
        // requires grad whenever grad mode is on, and grad mode is per thread (on by default in a new one)
        NDArray data = own(tmp, leaf.stopGradient());
        if (settings.weightDecay() > 0 && leaf.getShape().dimension() > 1) {
            data.muli((float) (1 - lr * settings.weightDecay()));
        }
        data.subi(delta);
    }

    private static final NDIndex ALL = new NDIndex("...");

    /**
     * Gives the leaf a defined, zero gradient. libtorch leaves a gradient undefined until a backward pass reaches the
     * leaf, and reading an undefined one through DJL gave uninitialised memory: a first batch without images left the
     * image tower's "gradients" as garbage (measured: a NaN gradient norm in some runs, different losses in others).
     */
    private static void primeGradient(NDArray leaf) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray scaled = leaf.mul(0f);
            NDArray zero = scaled.sum();
            gc.backward(zero);
            zero.close();
            scaled.close();
        }
        try (NDArray g = leaf.getGradient()) {
            g.set(ALL, 0f);
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
