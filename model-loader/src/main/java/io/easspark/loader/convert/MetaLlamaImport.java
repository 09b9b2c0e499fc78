package io.easspark.loader.convert;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Meta's LLaMA release: {@code params.json} and {@code consolidated.NN.pth} tensor-parallel shards (DESIGN.md §3).
 * Shards are joined per tensor kind — wq, wk, wv, w1, w3, output along dim 0; wo, w2, tok_embeddings along dim 1;
 * norms replicated — and {@code rope.freqs} is ignored. Tensor names are already native.
 */
public final class MetaLlamaImport {

    private final JsonObject params;
    private final List<CheckpointTensors> shards;

    public MetaLlamaImport(String paramsJson, List<CheckpointTensors> shards) {
        if (shards.isEmpty()) {
            throw new IllegalArgumentException("no consolidated.NN.pth shards given");
        }
        try {
            this.params = JsonParser.parseString(paramsJson).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("params.json is not a JSON object: " + e.getMessage(), e);
        }
        this.shards = List.copyOf(shards);
    }

    /** How a tensor was split across shards: the axis to join on, or −1 when every shard holds a copy. */
    static int shardAxis(String name) {
        if (name.endsWith("norm.weight")) {
            return -1;
        }
        if (name.equals("tok_embeddings.weight") || name.endsWith("attention.wo.weight") || name.endsWith("feed_forward.w2.weight")) {
            return 1;
        }
        return 0;
    }

    /** The decoder sizes from params.json, each field type-checked and matched against the tensors' shapes. */
    public LlamaConfig config(int maxSeqLen) {
        if (maxSeqLen < 1 || maxSeqLen > LlamaConfig.MAX_SEQ_LEN) { // the caller's choice, not params.json's
            throw new IllegalArgumentException("--max-seq-len must be in 1.." + LlamaConfig.MAX_SEQ_LEN + ": " + maxSeqLen);
        }
        int dim = intField("dim", LlamaConfig.MAX_MATRIX_ELEMENTS);
        int nLayers = intField("n_layers", LlamaConfig.MAX_LAYERS);
        int nHeads = intField("n_heads", dim);
        int shardLayers = layerCount(shards.get(0));
        if (nLayers != shardLayers) {
            throw new IllegalArgumentException("params.json: 'n_layers' is " + nLayers + " but " + shards.get(0).location()
                    + " holds layers 0-" + (shardLayers - 1) + " (" + shardLayers + " layers)");
        }
        long[] embed = shards.get(0).shape("tok_embeddings.weight");
        if (embed == null || embed.length != 2) {
            throw new IllegalArgumentException("tensor tok_embeddings.weight: expected [vocab, dim] but found "
                    + (embed == null ? "none" : Arrays.toString(embed)) + " in " + shards.get(0).location());
        }
        long embedRows = embed[0];
        long vocab = embedRows; // Meta's params.json says -1: the tokenizer decides, the embedding table tells
        if (params.has("vocab_size") && number("vocab_size") != -1) {
            vocab = intField("vocab_size", LlamaConfig.MAX_MATRIX_ELEMENTS);
            if (vocab != embedRows) {
                throw new IllegalArgumentException("params.json: 'vocab_size' is " + vocab + " but tok_embeddings.weight has "
                        + embedRows + " rows in " + shards.get(0).location());
            }
        }
        if (vocab > LlamaConfig.MAX_MATRIX_ELEMENTS) {
            throw new IllegalArgumentException("tensor tok_embeddings.weight: " + vocab + " rows in " + shards.get(0).location()
                    + " exceed " + LlamaConfig.MAX_MATRIX_ELEMENTS);
        }
        int multipleOf = params.has("multiple_of") ? intField("multiple_of", LlamaConfig.MAX_MATRIX_ELEMENTS) : 256;
        // LLaMA's FeedForward: hidden = multiple_of · ceil((2/3 · 4·dim [· ffn_dim_multiplier]) / multiple_of)
        double hidden = (int) (2 * (4.0 * dim) / 3);
        if (params.has("ffn_dim_multiplier") && !params.get("ffn_dim_multiplier").isJsonNull()) {
            double multiplier = number("ffn_dim_multiplier");
            if (!(multiplier > 0) || multiplier > dim) {
                throw new IllegalArgumentException("params.json: 'ffn_dim_multiplier' must be in (0, dim]: " + multiplier);
            }
            hidden = (int) (multiplier * hidden);
        }
        long ffn = (long) (multipleOf * Math.ceil(hidden / multipleOf));
        long w1Rows = 0;
        for (CheckpointTensors s : shards) {
            long[] w1 = s.shape("layers.0.feed_forward.w1.weight");
            if (w1 == null) {
                throw new IllegalArgumentException("tensor layers.0.feed_forward.w1.weight is missing in " + s.location());
            }
            w1Rows += w1[0];
        }
        if (w1Rows != ffn) {
            throw new IllegalArgumentException("params.json (dim " + dim + ", multiple_of " + multipleOf + ") implies FFN " + ffn
                    + " but layers.0.feed_forward.w1.weight has " + w1Rows + " rows in " + shards.get(0).location());
        }
        double eps = 1e-6;
        if (params.has("norm_eps")) {
            eps = number("norm_eps");
        }
        try {
            return new LlamaConfig(dim, nLayers, nHeads, (int) ffn, (int) vocab, eps, 10000.0, maxSeqLen);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("params.json: " + e.getMessage(), e);
        }
    }

    /** Decoder layers a shard holds: one more than the highest {@code layers.N.} index, counted without allocating per N. */
    private static int layerCount(CheckpointTensors shard) {
        int highest = -1;
        for (String name : shard.names()) {
            if (name.startsWith("layers.")) {
                int dot = name.indexOf('.', "layers.".length());
                String index = dot < 0 ? "" : name.substring("layers.".length(), dot);
                if (index.matches("\\d{1,4}")) {
                    highest = Math.max(highest, Integer.parseInt(index));
                }
            }
        }
        return highest + 1;
    }

    /** A JSON number with no fraction, in 1..max; 64.5 and "sixty-four" are refused naming the field. */
    private int intField(String key, long max) {
        double d = number(key);
        if (d != Math.rint(d)) {
            throw new IllegalArgumentException("params.json: '" + key + "' must be an integer, found " + params.get(key));
        }
        if (d < 1 || d > max) {
            throw new IllegalArgumentException("params.json: '" + key + "' must be in 1.." + max + ", found " + params.get(key));
        }
        return (int) d;
    }

    private double number(String key) {
        JsonElement e = params.get(key);
        if (e == null) {
            throw new IllegalArgumentException("params.json has no '" + key + "'");
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber() || !Double.isFinite(e.getAsDouble())) {
            throw new IllegalArgumentException("params.json: '" + key + "' must be a number, found " + e);
        }
        return e.getAsDouble();
    }

    /** Every decoder tensor of the first shard's key set, joined across shards when produced. */
    public List<ImportedTensor> tensors() {
        CheckpointTensors first = shards.get(0);
        List<ImportedTensor> out = new ArrayList<>();
        for (String name : first.names()) {
            if (name.equals("rope.freqs")) {
                continue;
            }
            int axis = shardAxis(name);
            long[] shape = first.shape(name).clone();
            for (CheckpointTensors s : shards.subList(1, shards.size())) {
                long[] other = s.shape(name);
                if (other == null) {
                    throw new IllegalArgumentException("tensor " + name + ": in " + first.location() + " but missing in " + s.location());
                }
                if (axis >= 0 && shape.length == 2) {
                    shape[axis] += other[axis];
                } else if (!Arrays.equals(other, shape)) {
                    throw new IllegalArgumentException("tensor " + name + ": replicated but " + Arrays.toString(shape) + " in "
                            + first.location() + " vs " + Arrays.toString(other) + " in " + s.location());
                }
            }
            out.add(new ImportedTensor(name, first.dtype(name), shape, first.location(), () -> join(name, axis)));
        }
        return out;
    }

    private TensorData join(String name, int axis) throws IOException {
        if (shards.size() == 1 || axis < 0) {
            return shards.get(0).read(name);
        }
        List<TensorData> parts = new ArrayList<>();
        for (CheckpointTensors s : shards) {
            parts.add(s.read(name));
        }
        return TensorOps.concat(name, parts, axis);
    }
}
