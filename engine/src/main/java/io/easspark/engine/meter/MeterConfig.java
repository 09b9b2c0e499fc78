package io.easspark.engine.meter;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

/**
 * Shapes of a METER-EAS model (DESIGN-METER.md): RoBERTa text encoder, CLIP ViT image encoder, the co-attention
 * fusion and the heads. Read from a model directory's {@code config.json} ({@code "family": "meter"}).
 *
 * @param hidden d, the width of RoBERTa and of the fusion
 * @param heads attention heads of RoBERTa and the fusion (d / heads = 64 in METER-base)
 * @param intermediate FFN width of RoBERTa and the fusion layers
 * @param vocabSize RoBERTa vocabulary
 * @param maxPositions rows of RoBERTa's position table (ids start at padding_idx + 1 = 2)
 * @param textLayers RoBERTa layers
 * @param textLnEps RoBERTa LayerNorm eps (1e-5)
 * @param imageSize S, the square input side (384 VQAv2, 288 NLVR2)
 * @param patchSize ViT patch side (16)
 * @param vitWidth ViT width (768)
 * @param vitHeads ViT heads (width / 64)
 * @param vitBlocks ViT blocks actually run (11 of CLIP's 12, §2)
 * @param vitLnEps CLIP LayerNorm eps (1e-5)
 * @param fusionLayers co-attention layers per stream (6; the skip candidates are 4 per layer)
 * @param fusionLnEps fusion LayerNorm eps (1e-12, §5)
 * @param adapterHidden hidden size of the kept modules' adapters (96)
 * @param piaHidden hidden size of the PIA that replaces a skipped attention (144)
 * @param adapterGroups groups of the adapters' up-projection (2)
 * @param vqaLabels VQA answer vocabulary size (3,129 for VQAv2); 0 for a model without a VQA head
 * @param maxTextLen L, every row is padded to exactly L tokens (§1: 50 VQAv2/NLVR2, 40 F30K)
 */
public record MeterConfig(int hidden, int heads, int intermediate, int vocabSize, int maxPositions, int textLayers,
        double textLnEps, int imageSize, int patchSize, int vitWidth, int vitHeads, int vitBlocks, double vitLnEps,
        int fusionLayers, double fusionLnEps, int adapterHidden, int piaHidden, int adapterGroups, int vqaLabels,
        int maxTextLen) {

    /** The family name in config.json. */
    public static final String FAMILY = "meter";

    public MeterConfig {
        positive("hidden", hidden);
        positive("heads", heads);
        positive("intermediate", intermediate);
        positive("vocab_size", vocabSize);
        positive("text_layers", textLayers);
        positive("image_size", imageSize);
        positive("patch_size", patchSize);
        positive("vit_width", vitWidth);
        positive("vit_heads", vitHeads);
        positive("vit_blocks", vitBlocks);
        positive("fusion_layers", fusionLayers);
        positive("adapter_groups", adapterGroups);
        if (vqaLabels < 0) {
            throw new IllegalArgumentException("config.json: 'vqa_labels' must be 0 (no VQA head) or positive: " + vqaLabels);
        }
        positive("max_text_len", maxTextLen);
        if (hidden % heads != 0) {
            throw new IllegalArgumentException("config.json: 'hidden' " + hidden + " must be a multiple of 'heads' " + heads);
        }
        if (vitWidth % vitHeads != 0) {
            throw new IllegalArgumentException("config.json: 'vit_width' " + vitWidth + " must be a multiple of 'vit_heads' " + vitHeads);
        }
        if (imageSize % patchSize != 0) {
            throw new IllegalArgumentException("config.json: 'image_size' " + imageSize + " must be a multiple of 'patch_size' " + patchSize);
        }
        for (int[] g : new int[][] {{adapterHidden, 0}, {piaHidden, 1}, {hidden, 2}}) {
            if (g[0] <= 0 || g[0] % adapterGroups != 0) {
                String name = new String[] {"adapter_hidden", "pia_hidden", "hidden"}[g[1]];
                throw new IllegalArgumentException("config.json: '" + name + "' " + g[0]
                        + " must be a positive multiple of 'adapter_groups' " + adapterGroups);
            }
        }
        // RoBERTa positions run from padding_idx + 1 = 2 to L + 1
        if (maxPositions < maxTextLen + 2) {
            throw new IllegalArgumentException("config.json: 'max_positions' " + maxPositions
                    + " must be at least 'max_text_len' + 2 = " + (maxTextLen + 2));
        }
    }

    public int headDim() {
        return hidden / heads;
    }

    /** (S/p)² patches plus the class token. */
    public int imageTokens() {
        int g = imageSize / patchSize;
        return g * g + 1;
    }

    /** Skip candidates: text self, text cross, image self, image cross per fusion layer (§3.4). */
    public int candidates() {
        return 4 * fusionLayers;
    }

    /** The config.json of a model directory (the keys {@link #fromJson} reads, plus the family). */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("family", FAMILY);
        o.addProperty("hidden", hidden);
        o.addProperty("heads", heads);
        o.addProperty("intermediate", intermediate);
        o.addProperty("vocab_size", vocabSize);
        o.addProperty("max_positions", maxPositions);
        o.addProperty("text_layers", textLayers);
        o.addProperty("text_ln_eps", textLnEps);
        o.addProperty("image_size", imageSize);
        o.addProperty("patch_size", patchSize);
        o.addProperty("vit_width", vitWidth);
        o.addProperty("vit_heads", vitHeads);
        o.addProperty("vit_blocks", vitBlocks);
        o.addProperty("vit_ln_eps", vitLnEps);
        o.addProperty("fusion_layers", fusionLayers);
        o.addProperty("fusion_ln_eps", fusionLnEps);
        o.addProperty("adapter_hidden", adapterHidden);
        o.addProperty("pia_hidden", piaHidden);
        o.addProperty("adapter_groups", adapterGroups);
        o.addProperty("vqa_labels", vqaLabels);
        o.addProperty("max_text_len", maxTextLen);
        return o.toString();
    }

    public static MeterConfig fromJson(String json) {
        JsonObject o;
        try {
            o = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config.json is not a JSON object: " + e.getMessage(), e);
        }
        JsonElement family = o.get("family");
        if (family == null || !family.isJsonPrimitive() || !FAMILY.equals(family.getAsString())) {
            throw new IllegalArgumentException("config.json: 'family' must be \"" + FAMILY + "\", found " + family);
        }
        return new MeterConfig(integer(o, "hidden"), integer(o, "heads"), integer(o, "intermediate"),
                integer(o, "vocab_size"), integer(o, "max_positions"), integer(o, "text_layers"),
                number(o, "text_ln_eps"), integer(o, "image_size"), integer(o, "patch_size"), integer(o, "vit_width"),
                integer(o, "vit_heads"), integer(o, "vit_blocks"), number(o, "vit_ln_eps"),
                integer(o, "fusion_layers"), number(o, "fusion_ln_eps"), integer(o, "adapter_hidden"),
                integer(o, "pia_hidden"), integer(o, "adapter_groups"), integer(o, "vqa_labels"),
                integer(o, "max_text_len"));
    }

    private static void positive(String key, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be positive: " + value);
        }
    }

    private static int integer(JsonObject o, String key) {
        double d = number(o, key);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be an integer: " + o.get(key));
        }
        return (int) d;
    }

    private static double number(JsonObject o, String key) {
        JsonElement e = o.get(key);
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new IllegalArgumentException("config.json: '" + key + "' must be a number, found " + e);
        }
        return e.getAsDouble();
    }
}
