package io.easspark.engine.model;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.vision.VisionConfig;

/**
 * A LaVIN-EAS model's sizes: the decoder, its adapters, and the optional image tower (null for a text-only model).
 * Read from the native model directory's {@code config.json} (schema in docs/FORMAT.md).
 *
 * @param text decoder sizes
 * @param adapter decoder PIA sizes
 * @param vision image tower, or null
 * @param nVisualTokens visual tokens per image (the tower's taps), 0 without a tower
 * @param skipPlan the plan stored with the model ("" for none); a job may override it
 * @param reparam the stored re-parameterisation mode name; a job may override it
 */
public record LavinConfig(LlamaConfig text, AdapterConfig adapter, VisionConfig vision, int nVisualTokens,
                          String skipPlan, String reparam) {

    public LavinConfig {
        if (text == null || adapter == null) {
            throw new IllegalArgumentException("config needs the decoder and adapter sizes");
        }
        int expected = vision == null ? 0 : vision.taps();
        if (nVisualTokens != expected) {
            throw new IllegalArgumentException("n_visual_tokens is " + nVisualTokens + " but the vision tower gives "
                    + expected + " (layers / tap_every)");
        }
        skipPlan = skipPlan == null ? "" : skipPlan;
        reparam = reparam == null ? "lowrank" : reparam;
    }

    public static LavinConfig fromJson(String json) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) { // Gson's syntax errors and "not a JSON object" alike
            throw new IllegalArgumentException("config.json is not a JSON object: " + e.getMessage(), e);
        }
        LlamaConfig text = new LlamaConfig(
                integer(o, "dim"), integer(o, "n_layers"), integer(o, "n_heads"), integer(o, "ffn_hidden"),
                integer(o, "vocab_size"), number(o, "norm_eps"), number(o, "rope_theta"), integer(o, "max_seq_len"));
        JsonObject a = object(o, "adapter");
        AdapterConfig adapter = new AdapterConfig(integer(a, "kept_rank"), integer(a, "skipped_rank"),
                integer(a, "groups"), number(a, "scale"), number(a, "router_temperature"));
        VisionConfig vision = null;
        if (o.has("vision") && !o.get("vision").isJsonNull()) {
            JsonObject v = object(o, "vision");
            vision = new VisionConfig(integer(v, "image_size"), integer(v, "patch_size"), integer(v, "width"),
                    integer(v, "layers"), integer(v, "heads"), number(v, "ln_eps"), integer(v, "adapter_rank"),
                    integer(v, "adapter_groups"), number(v, "adapter_scale"), number(v, "router_temperature"),
                    integer(v, "tap_every"), integer(v, "proj_hidden"),
                    floats(v, "mean", VisionConfig.IMAGENET_MEAN), floats(v, "std", VisionConfig.IMAGENET_STD));
        }
        String plan = "";
        if (o.has("skip_plan") && !o.get("skip_plan").isJsonNull()) {
            JsonElement p = o.get("skip_plan");
            plan = p.isJsonArray() ? p.getAsJsonArray().toString() : string(o, "skip_plan", "");
        }
        String reparam = string(o, "reparam", "lowrank");
        return new LavinConfig(text, adapter, vision, o.has("n_visual_tokens") ? integer(o, "n_visual_tokens") : 0, plan, reparam);
    }

    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("dim", text.dim());
        o.addProperty("n_layers", text.nLayers());
        o.addProperty("n_heads", text.nHeads());
        o.addProperty("ffn_hidden", text.ffnHidden());
        o.addProperty("vocab_size", text.vocabSize());
        o.addProperty("norm_eps", text.normEps());
        o.addProperty("rope_theta", text.ropeTheta());
        o.addProperty("max_seq_len", text.maxSeqLen());
        JsonObject a = new JsonObject();
        a.addProperty("kept_rank", adapter.keptRank());
        a.addProperty("skipped_rank", adapter.skippedRank());
        a.addProperty("groups", adapter.groups());
        a.addProperty("scale", adapter.scale());
        a.addProperty("router_temperature", adapter.routerTemperature());
        o.add("adapter", a);
        if (vision != null) {
            JsonObject v = new JsonObject();
            v.addProperty("image_size", vision.imageSize());
            v.addProperty("patch_size", vision.patchSize());
            v.addProperty("width", vision.width());
            v.addProperty("layers", vision.layers());
            v.addProperty("heads", vision.heads());
            v.addProperty("ln_eps", vision.lnEps());
            v.addProperty("adapter_rank", vision.adapterRank());
            v.addProperty("adapter_groups", vision.adapterGroups());
            v.addProperty("adapter_scale", vision.adapterScale());
            v.addProperty("router_temperature", vision.routerTemperature());
            v.addProperty("tap_every", vision.tapEvery());
            v.addProperty("proj_hidden", vision.projHidden());
            v.add("mean", array(vision.mean()));
            v.add("std", array(vision.std()));
            o.add("vision", v);
        } else {
            o.add("vision", null);
        }
        o.addProperty("n_visual_tokens", nVisualTokens);
        o.addProperty("skip_plan", skipPlan);
        o.addProperty("reparam", reparam);
        return o.toString();
    }

    private static JsonArray array(float[] values) {
        JsonArray arr = new JsonArray();
        for (float f : values) {
            arr.add(f);
        }
        return arr;
    }

    private static JsonObject object(JsonObject o, String key) {
        if (!o.has(key) || !o.get(key).isJsonObject()) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an object");
        }
        return o.getAsJsonObject(key);
    }

    /** A JSON number with no fractional part in int range: 64.5 and 2^40 are refused, not truncated. */
    private static int integer(JsonObject o, String key) {
        double d = number(o, key);
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an integer, found " + o.get(key));
        }
        if (Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an integer below 2^31, found " + o.get(key));
        }
        return (int) d;
    }

    private static double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be a number, found " + e);
        }
        double d = e.getAsDouble();
        if (!Double.isFinite(d)) { // Gson reads NaN and Infinity leniently, and 1e999 overflows to Infinity
            throw new IllegalArgumentException("config.json: '" + key + "' must be a finite number, found " + e);
        }
        return d;
    }

    private static float[] floats(JsonObject o, String key, float[] fallback) {
        if (!o.has(key)) {
            return fallback;
        }
        JsonElement e = o.get(key);
        if (!e.isJsonArray() || e.getAsJsonArray().size() > fallback.length) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an array of " + fallback.length
                    + " numbers, found " + e);
        }
        JsonArray arr = e.getAsJsonArray();
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) {
            JsonElement x = arr.get(i);
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                throw new IllegalArgumentException("config.json: '" + key + "' must be an array of numbers, found " + e);
            }
            f[i] = x.getAsFloat();
        }
        return f;
    }

    private static String string(JsonObject o, String key, String fallback) {
        JsonElement e = o.get(key);
        if (e == null || e.isJsonNull()) {
            return fallback;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be a string, found " + e);
        }
        return e.getAsString();
    }
}
