package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * The task loss METER-EAS's search rewards ({@code objectives.py}: {@code compute_vqa}, {@code compute_nlvr2}), row by
 * row, with what METER's own validation metric credits each row:
 * <ul>
 *   <li>VQA: binary cross-entropy with logits against the soft targets, summed over the answer classes (the original
 *       takes the mean over B × C and multiplies by C, i.e. the batch mean of this per-row sum). Credit: the target
 *       score of the argmax class ({@code VQAScore}).</li>
 *   <li>NLVR2: cross-entropy over (false, true), index 1 = true (§4). Credit: 1 when the argmax is the label.</li>
 * </ul>
 * A batch's loss is the mean of its rows' losses. Each call is one forward (two fusions for NLVR2) in its own scope;
 * the caller cuts batches. Logits are fp32 (§5); the loss is summed in double.
 *
 * <p>Letters: B rows, C answer classes.
 */
public final class MeterTaskLoss {

    /** One row's loss (nats) and its credit in [0, 1]. */
    public record RowLoss(double loss, double credit) {
    }

    /** A VQA row ready to run: ids padded to L, normalised pixels [3, S, S], its soft targets. */
    public record VqaRow(long[] ids, float[] pixels, VqaTarget target) {
    }

    /** An NLVR2 row ready to run: ids padded to L, both images' pixels, the true/false label. */
    public record Nlvr2Row(long[] ids, float[] pixels, float[] pixels2, boolean label) {
    }

    private MeterTaskLoss() {
    }

    /** The VQA loss of every row, one forward for all of them; results in input order. */
    public static List<RowLoss> vqa(MeterModel model, MeterSkipSet skips, List<VqaRow> rows) {
        int s = model.config().imageSize();
        long[][] ids = new long[rows.size()][];
        float[][] pixels = new float[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            ids[b] = rows.get(b).ids();
            pixels[b] = rows.get(b).pixels();
        }
        int classes = model.config().vqaLabels();
        float[] logits;
        try (NDManager scope = model.newScope()) {
            NDArray pooled = model.fuse(ids, stack(scope, pixels, s), MeterModel.TYPE_IMAGE, skips, scope).pooled();
            logits = model.vqaLogits(pooled).toFloatArray(); // [B, C]
        }
        List<RowLoss> out = new ArrayList<>(rows.size());
        for (int b = 0; b < rows.size(); b++) {
            out.add(vqaRow(logits, b * classes, classes, rows.get(b).target()));
        }
        return out;
    }

    /** The NLVR2 loss of every row, one forward (image 0 with token type 1, image 1 with 2) for all of them. */
    public static List<RowLoss> nlvr2(MeterModel model, MeterSkipSet skips, List<Nlvr2Row> rows) {
        int s = model.config().imageSize();
        long[][] ids = new long[rows.size()][];
        float[][] first = new float[rows.size()][];
        float[][] second = new float[rows.size()][];
        for (int b = 0; b < rows.size(); b++) {
            ids[b] = rows.get(b).ids();
            first[b] = rows.get(b).pixels();
            second[b] = rows.get(b).pixels2();
        }
        float[] logits;
        try (NDManager scope = model.newScope()) {
            NDArray pooled0 = model.fuse(ids, stack(scope, first, s), MeterModel.TYPE_IMAGE, skips, scope).pooled();
            NDArray pooled1 = model.fuse(ids, stack(scope, second, s), MeterModel.TYPE_SECOND_IMAGE, skips, scope).pooled();
            logits = model.nlvr2Logits(pooled0, pooled1).toFloatArray(); // [B, 2]
        }
        List<RowLoss> out = new ArrayList<>(rows.size());
        for (int b = 0; b < rows.size(); b++) {
            out.add(nlvr2Row(logits[2 * b], logits[2 * b + 1], rows.get(b).label()));
        }
        return out;
    }

    /**
     * One row's VQA loss from its logits {@code logits[offset, offset + classes)}: the sum over classes of
     * {@code max(x, 0) − x·t + log(1 + exp(−|x|))}, which is {@code −t·log σ(x) − (1 − t)·log(1 − σ(x))} without
     * overflow for large |x| (as PyTorch computes it).
     */
    public static RowLoss vqaRow(float[] logits, int offset, int classes, VqaTarget target) {
        if (target.maxLabel() >= classes) {
            throw new IllegalArgumentException("VQA target names class " + target.maxLabel() + " but the head has " + classes);
        }
        double[] t = target.dense(classes);
        double loss = 0;
        int argmax = 0;
        for (int c = 0; c < classes; c++) {
            double x = logits[offset + c];
            loss += Math.max(x, 0) - x * t[c] + Math.log1p(Math.exp(-Math.abs(x)));
            if (logits[offset + c] > logits[offset + argmax]) {
                argmax = c; // the first maximum, as torch.argmax
            }
        }
        return new RowLoss(loss, t[argmax]);
    }

    /** One row's NLVR2 loss: {@code logsumexp(f, t) − x_label}; credit 1 when the larger logit is the label's. */
    public static RowLoss nlvr2Row(float logitFalse, float logitTrue, boolean label) {
        double f = logitFalse;
        double t = logitTrue;
        double max = Math.max(f, t);
        double logSumExp = max + Math.log(Math.exp(f - max) + Math.exp(t - max));
        boolean predicted = t > f; // ties: argmax takes index 0, false
        return new RowLoss(logSumExp - (label ? t : f), predicted == label ? 1 : 0);
    }

    private static NDArray stack(NDManager scope, float[][] pixels, int s) {
        int per = 3 * s * s;
        float[] all = new float[pixels.length * per];
        for (int b = 0; b < pixels.length; b++) {
            if (pixels[b].length != per) {
                throw new IllegalArgumentException("row " + b + " has " + pixels[b].length + " pixel values; expected 3 x " + s + " x " + s);
            }
            System.arraycopy(pixels[b], 0, all, b * per, per);
        }
        return scope.create(all, new Shape(pixels.length, 3, s, s)); // [B, 3, S, S]
    }
}
