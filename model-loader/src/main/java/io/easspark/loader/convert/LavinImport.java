package io.easspark.loader.convert;

import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.vision.VisionConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Puts the three original sources together — Meta's LLaMA shards, the EAS adapter checkpoint, OpenAI's CLIP —
 * into one native config and one {@link ImportPlan}. Sizes come from params.json and the tensors' shapes.
 */
public final class LavinImport {

    /** LaVIN's adapter scale and router temperature (DESIGN.md §1.3): not stored in the checkpoint. */
    static final double ADAPTER_SCALE = 1.0;
    static final double ROUTER_TEMPERATURE = 10.0;

    public record Result(LavinConfig config, ImportPlan plan) {
    }

    private LavinImport() {
    }

    /**
     * @param clip the CLIP tower, or null for a text-only model
     * @param skipPlan the plan to store with the model (the checkpoint holds none), e.g. {@code 19,21-31}
     * @param visionHeadDim the image tower's head size (64 for CLIP; not visible in the weights' shapes)
     */
    public static Result plan(MetaLlamaImport meta, EasAdapterImport adapters, ClipImport clip, int maxSeqLen,
            int visualTokens, int visionHeadDim, String skipPlan) {
        LlamaConfig text = meta.config(maxSeqLen);
        SkipPlan plan = SkipPlan.parse(skipPlan, text.nLayers()); // a bad plan fails before anything else is read
        List<ImportedTensor> offered = new ArrayList<>(meta.tensors());
        List<ImportedTensor> adapterTensors = adapters.tensors();
        offered.addAll(adapterTensors);
        AdapterConfig ac = adapterConfig(adapterTensors);
        VisionConfig vision = null;
        if (clip != null) {
            offered.addAll(clip.tensors());
            vision = VisionShapes.infer(offered, visualTokens, visionHeadDim);
        }
        LavinConfig config = new LavinConfig(text, ac, vision, vision == null ? 0 : vision.taps(), plan.toString().equals("none") ? "" : plan.toString(), "lowrank");
        return new Result(config, ImportPlan.of(config, offered));
    }

    private static AdapterConfig adapterConfig(List<ImportedTensor> tensors) {
        Map<String, long[]> s = new HashMap<>();
        tensors.forEach(t -> s.put(t.name(), t.shape()));
        long[] keptA = need(s, "layers.0.adapter_attn.conv_A.weight");
        long[] keptB = need(s, "layers.0.adapter_attn.conv_B.weight");
        long[] skippedA = need(s, "layers.0.replaced_adapter.conv_A.weight");
        int groups = (int) (keptA[0] / keptB[1]);
        return new AdapterConfig((int) keptA[0], (int) skippedA[0], groups, ADAPTER_SCALE, ROUTER_TEMPERATURE);
    }

    private static long[] need(Map<String, long[]> s, String name) {
        long[] shape = s.get(name);
        if (shape == null) {
            throw new IllegalArgumentException("tensor " + name + " is missing from the EAS adapter checkpoint "
                    + "(every layer must carry adapter_attn and replaced_adapter)");
        }
        return shape;
    }
}
