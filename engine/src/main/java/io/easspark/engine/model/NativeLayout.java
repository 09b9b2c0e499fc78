package io.easspark.engine.model;

import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.vision.VisionConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every tensor of the native model layout with its shape, derived from a config (docs/FORMAT.md). Used to make
 * random benchmark models and to verify converted checkpoints. Optional re-parameterisation biases are not listed.
 */
public final class NativeLayout {

    private NativeLayout() {
    }

    public static Map<String, long[]> tensors(LavinConfig config) {
        Map<String, long[]> t = new LinkedHashMap<>();
        LlamaConfig c = config.text();
        AdapterConfig a = config.adapter();
        long d = c.dim();
        long f = c.ffnHidden();
        t.put("tok_embeddings.weight", new long[] {c.vocabSize(), d});
        t.put("adapter_modality_embedding.weight", new long[] {2, d});
        for (int i = 0; i < c.nLayers(); i++) {
            String p = "layers." + i + ".";
            t.put(p + "attention_norm.weight", new long[] {d});
            t.put(p + "ffn_norm.weight", new long[] {d});
            for (String w : new String[] {"wq", "wk", "wv", "wo"}) {
                t.put(p + "attention." + w + ".weight", new long[] {d, d});
            }
            t.put(p + "feed_forward.w1.weight", new long[] {f, d});
            t.put(p + "feed_forward.w2.weight", new long[] {d, f});
            t.put(p + "feed_forward.w3.weight", new long[] {f, d});
            adapter(t, p + "adapter_attn.", d, a.keptRank(), a.groups(), false);
            adapter(t, p + "replaced_adapter.", d, a.skippedRank(), a.groups(), true);
        }
        t.put("norm.weight", new long[] {d});
        t.put("output.weight", new long[] {c.vocabSize(), d});
        VisionConfig v = config.vision();
        if (v != null) {
            long w = v.width();
            String b = "backbone.visual.";
            t.put(b + "conv1.weight", new long[] {w, 3, v.patchSize(), v.patchSize()});
            t.put(b + "class_embedding", new long[] {w});
            t.put(b + "positional_embedding", new long[] {v.tokens(), w});
            t.put(b + "ln_pre.weight", new long[] {w});
            t.put(b + "ln_pre.bias", new long[] {w});
            for (int j = 0; j < v.layers(); j++) {
                String p = b + "transformer.resblocks." + j + ".";
                t.put(p + "ln_1.weight", new long[] {w});
                t.put(p + "ln_1.bias", new long[] {w});
                t.put(p + "attn.in_proj_weight", new long[] {3 * w, w});
                t.put(p + "attn.in_proj_bias", new long[] {3 * w});
                t.put(p + "attn.out_proj.weight", new long[] {w, w});
                t.put(p + "attn.out_proj.bias", new long[] {w});
                t.put(p + "ln_2.weight", new long[] {w});
                t.put(p + "ln_2.bias", new long[] {w});
                t.put(p + "mlp.c_fc.weight", new long[] {4 * w, w});
                t.put(p + "mlp.c_fc.bias", new long[] {4 * w});
                t.put(p + "mlp.c_proj.weight", new long[] {w, 4 * w});
                t.put(p + "mlp.c_proj.bias", new long[] {w});
                adapter(t, p + "adapter_attn.", w, v.adapterRank(), v.adapterGroups(), false);
            }
            t.put("adapter_proj.conv_A.weight", new long[] {v.projHidden(), w});
            t.put("adapter_proj.conv_A.bias", new long[] {v.projHidden()});
            t.put("adapter_proj.conv_B.weight", new long[] {d, v.projHidden()});
            t.put("adapter_proj.conv_B.bias", new long[] {d});
        }
        return t;
    }

    private static void adapter(Map<String, long[]> t, String p, long d, int rank, int groups, boolean skippedForm) {
        t.put(p + "conv_A.weight", new long[] {rank, d});
        t.put(p + "conv_A.bias", new long[] {rank});
        t.put(p + "conv_B.weight", new long[] {d, rank / groups});
        t.put(p + "conv_B.bias", new long[] {d});
        t.put(p + "conv_D.weight", new long[] {d, rank / groups});
        t.put(p + "conv_D.bias", new long[] {d});
        if (skippedForm) {
            t.put(p + "conv_C.weight", new long[] {rank, d});
            t.put(p + "conv_C.bias", new long[] {rank});
        }
        t.put(p + "expert_weights.weight", new long[] {2, d});
        t.put(p + "expert_weights.bias", new long[] {2});
    }
}
