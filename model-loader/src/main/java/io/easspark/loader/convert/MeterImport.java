package io.easspark.loader.convert;

import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A METER or METER-EAS {@code state_dict} (DESIGN-METER.md §6) as a native METER model: names stay, 1×1 Conv1d
 * weights [out, in/groups, 1] are squeezed to [out, in/groups], every other tensor must already have the layout's
 * shape. Sizes come from the tensors' shapes; the head size (64 in METER) and the text length L are not visible in
 * the weights and are arguments. Unused tensors ({@code conv_D}, {@code expert_weights}, RoBERTa's pooler, CLIP's
 * 12th block, {@code position_ids}) are reported, not written.
 */
public final class MeterImport {

    /** LayerNorm eps the checkpoint does not store (DESIGN-METER.md §5). */
    static final double TEXT_LN_EPS = 1e-5;
    static final double VIT_LN_EPS = 1e-5;
    static final double FUSION_LN_EPS = 1e-12;

    public record Result(MeterConfig config, List<ImportedTensor> tensors, List<String> unused) {
    }

    private MeterImport() {
    }

    /**
     * @param headDim attention head size of RoBERTa, the fusion and the ViT (64 for METER-base)
     * @param maxTextLen L, the text length every row is padded to (50 VQAv2/NLVR2, 40 F30K)
     */
    public static Result plan(CheckpointTensors ckpt, int headDim, int maxTextLen) {
        MeterConfig config = infer(ckpt, headDim, maxTextLen);
        MeterLayout.Heads heads = new MeterLayout.Heads(ckpt.shape("vqa_classifier.0.weight") != null,
                ckpt.shape("nlvr2_classifier.0.weight") != null, ckpt.shape("rank_output.weight") != null);
        TreeSet<String> unused = new TreeSet<>(ckpt.names());
        List<ImportedTensor> out = new ArrayList<>();
        for (Map.Entry<String, long[]> need : MeterLayout.tensors(config, heads).entrySet()) {
            String name = need.getKey();
            long[] found = ckpt.shape(name);
            if (found == null) {
                throw new IllegalArgumentException("tensor " + name + ": expected " + Arrays.toString(need.getValue())
                        + " but it is missing in " + ckpt.location());
            }
            long[] squeezed = isConv(name) ? TensorOps.squeezeTrailing(found) : found;
            if (!Arrays.equals(squeezed, need.getValue())) {
                throw new IllegalArgumentException("tensor " + name + ": expected " + Arrays.toString(need.getValue())
                        + " but found " + Arrays.toString(found) + " in " + ckpt.location());
            }
            if (!ckpt.dtype(name).isFloating()) {
                throw new IllegalArgumentException("tensor " + name + ": expected a floating type but found "
                        + ckpt.dtype(name) + " in " + ckpt.location());
            }
            unused.remove(name);
            long[] shape = need.getValue();
            out.add(new ImportedTensor(name, ckpt.dtype(name), shape, ckpt.location(),
                    () -> TensorOps.reshape(ckpt.read(name), shape)));
        }
        return new Result(config, out, List.copyOf(unused));
    }

    /** The adapters' 1×1 Conv1d weights, stored [out, in/groups, 1]. */
    static boolean isConv(String name) {
        return name.contains(".conv_") && name.endsWith(".weight");
    }

    static MeterConfig infer(CheckpointTensors c, int headDim, int maxTextLen) {
        long[] words = need(c, "text_transformer.embeddings.word_embeddings.weight", 2);
        long[] positions = need(c, "text_transformer.embeddings.position_embeddings.weight", 2);
        long[] conv1 = need(c, "vit_model.visual.conv1.weight", 4);
        long[] vitPos = need(c, "vit_model.visual.positional_embedding", 2);
        int hidden = (int) words[1];
        int width = (int) conv1[0];
        int patch = (int) conv1[2];
        int grid = (int) Math.round(Math.sqrt(vitPos[0] - 1));
        if ((long) grid * grid + 1 != vitPos[0]) {
            throw new IllegalArgumentException("tensor vit_model.visual.positional_embedding: " + vitPos[0]
                    + " rows is not a square grid plus the class token in " + c.location());
        }
        long[] adapterC = need(c, "cross_modal_text_layers.0.attention.adapter.conv_C.weight", 0);
        long[] adapterB = need(c, "cross_modal_text_layers.0.attention.adapter.conv_B.weight", 0);
        long[] piaA = need(c, "cross_modal_text_layers.0.adapter_self_attn.conv_A.weight", 0);
        long[] vqa = c.shape("vqa_classifier.3.weight");
        if (hidden % headDim != 0 || width % headDim != 0) {
            throw new IllegalArgumentException("--head-dim " + headDim + " does not divide the text width " + hidden
                    + " and the image width " + width + " of " + c.location());
        }
        return new MeterConfig(hidden, hidden / headDim,
                (int) need(c, "text_transformer.encoder.layer.0.intermediate.dense.weight", 2)[0], (int) words[0],
                (int) positions[0], count(c, "text_transformer.encoder.layer.%d.attention.self.query.weight"), TEXT_LN_EPS,
                grid * patch, patch, width, width / headDim,
                count(c, "vit_model.visual.transformer.resblocks.%d.attn.in_proj_weight"), VIT_LN_EPS,
                count(c, "cross_modal_text_layers.%d.attention.self.query.weight"), FUSION_LN_EPS,
                (int) adapterC[0], (int) piaA[0], (int) (adapterC[0] / adapterB[1]), vqa == null ? 0 : (int) vqa[0],
                maxTextLen);
    }

    /** Layers 0, 1, ... present (a gap ends the count). */
    private static int count(CheckpointTensors c, String pattern) {
        int n = 0;
        while (c.shape(String.format(pattern, n)) != null) {
            n++;
        }
        return n;
    }

    private static long[] need(CheckpointTensors c, String name, int rank) {
        long[] s = c.shape(name);
        if (s == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing in " + c.location()
                    + ": not a METER state_dict");
        }
        if (rank > 0 && s.length != rank) {
            throw new IllegalArgumentException("tensor " + name + ": expected " + rank + " dimensions but found "
                    + Arrays.toString(s) + " in " + c.location());
        }
        return s;
    }
}
