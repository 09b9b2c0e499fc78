package io.easspark.engine.meter;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every tensor a METER model directory holds, with its shape, in a fixed order: what {@link MeterModel#load} reads
 * (original state_dict names, 1×1 convs squeezed to [out, in/groups]). The import checks a checkpoint against it.
 */
public final class MeterLayout {

    /** Which task heads a model carries (a fine-tuned checkpoint has one; the pretrain none). */
    public record Heads(boolean vqa, boolean nlvr2, boolean itm) {
    }

    private MeterLayout() {
    }

    public static Map<String, long[]> tensors(MeterConfig c, Heads heads) {
        Map<String, long[]> t = new LinkedHashMap<>();
        int d = c.hidden();
        int f = c.intermediate();
        int w = c.vitWidth();
        int p = c.patchSize();
        // RoBERTa
        String e = "text_transformer.embeddings.";
        t.put(e + "word_embeddings.weight", shape(c.vocabSize(), d));
        t.put(e + "position_embeddings.weight", shape(c.maxPositions(), d));
        t.put(e + "token_type_embeddings.weight", shape(1, d));
        norm(t, e + "LayerNorm", d);
        for (int i = 0; i < c.textLayers(); i++) {
            String q = "text_transformer.encoder.layer." + i + ".";
            for (String n : new String[] {"query", "key", "value"}) {
                affine(t, q + "attention.self." + n, d, d);
            }
            affine(t, q + "attention.output.dense", d, d);
            norm(t, q + "attention.output.LayerNorm", d);
            affine(t, q + "intermediate.dense", f, d);
            affine(t, q + "output.dense", d, f);
            norm(t, q + "output.LayerNorm", d);
        }
        // CLIP ViT
        String v = "vit_model.visual.";
        t.put(v + "conv1.weight", shape(w, 3, p, p));
        t.put(v + "class_embedding", shape(w));
        t.put(v + "positional_embedding", shape(c.imageTokens(), w));
        norm(t, v + "ln_pre", w);
        for (int j = 0; j < c.vitBlocks(); j++) {
            String b = v + "transformer.resblocks." + j + ".";
            norm(t, b + "ln_1", w);
            t.put(b + "attn.in_proj_weight", shape(3L * w, w));
            t.put(b + "attn.in_proj_bias", shape(3L * w));
            affine(t, b + "attn.out_proj", w, w);
            norm(t, b + "ln_2", w);
            affine(t, b + "mlp.c_fc", 4L * w, w);
            affine(t, b + "mlp.c_proj", w, 4L * w);
        }
        norm(t, v + "ln_post", w);
        // fusion
        affine(t, "cross_modal_text_transform", d, d);
        affine(t, "cross_modal_image_transform", d, w);
        t.put("token_type_embeddings.weight", shape(3, d));
        t.put("token4classifier", shape(1, 1, d));
        int r = c.adapterHidden();
        int pr = c.piaHidden();
        int g = c.adapterGroups();
        for (String stream : new String[] {"text", "image"}) {
            for (int i = 0; i < c.fusionLayers(); i++) {
                String q = "cross_modal_" + stream + "_layers." + i + ".";
                for (String a : new String[] {"attention.", "crossattention."}) {
                    for (String n : new String[] {"query", "key", "value"}) {
                        affine(t, q + a + "self." + n, d, d);
                    }
                    affine(t, q + a + "output.dense", d, d);
                    norm(t, q + a + "output.LayerNorm", d);
                    affine(t, q + a + "adapter.conv_C", r, d);
                    affine(t, q + a + "adapter.conv_B", d, r / g);
                }
                affine(t, q + "intermediate.dense", f, d);
                affine(t, q + "intermediate.adapter.conv_C", r, d);
                affine(t, q + "intermediate.adapter.conv_B", d, r / g);
                affine(t, q + "output.dense", d, f);
                norm(t, q + "output.LayerNorm", d);
                for (String a : new String[] {"adapter_self_attn.", "adapter_cross_attn."}) {
                    affine(t, q + a + "conv_A", pr, d);
                    affine(t, q + a + "conv_C", pr, d);
                    affine(t, q + a + "conv_B", d, pr / g);
                }
            }
            affine(t, "cross_modal_" + stream + "_pooler.dense", d, d);
        }
        if (heads.vqa()) {
            classifier(t, "vqa_classifier", 2L * d, 2L * d, c.vqaLabels());
        }
        if (heads.nlvr2()) {
            classifier(t, "nlvr2_classifier", 4L * d, 2L * d, 2);
        }
        if (heads.itm()) {
            affine(t, "rank_output", 1, 2L * d);
        }
        return t;
    }

    private static void classifier(Map<String, long[]> t, String prefix, long in, long hidden, long classes) {
        affine(t, prefix + ".0", hidden, in);
        norm(t, prefix + ".1", hidden);
        affine(t, prefix + ".3", classes, hidden);
    }

    private static void affine(Map<String, long[]> t, String prefix, long out, long in) {
        t.put(prefix + ".weight", shape(out, in));
        t.put(prefix + ".bias", shape(out));
    }

    private static void norm(Map<String, long[]> t, String prefix, long n) {
        t.put(prefix + ".weight", shape(n));
        t.put(prefix + ".bias", shape(n));
    }

    private static long[] shape(long... dims) {
        return dims;
    }
}
