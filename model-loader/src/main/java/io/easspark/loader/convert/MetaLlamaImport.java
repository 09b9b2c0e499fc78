package io.easspark.loader.convert;

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

    /** The decoder sizes from params.json, with the vocabulary and FFN size checked against the tensors. */
    public LlamaConfig config(int maxSeqLen) {
        int dim = requireInt("dim");
        long vocab = params.has("vocab_size") ? params.get("vocab_size").getAsLong() : -1;
        long embedRows = shards.get(0).shape("tok_embeddings.weight")[0];
        if (vocab <= 0) {
            vocab = embedRows; // Meta's params.json says -1: the tokenizer decides, the embedding table tells
        }
        int multipleOf = params.has("multiple_of") ? params.get("multiple_of").getAsInt() : 256;
        // LLaMA's FeedForward: hidden = multiple_of · ceil((2/3 · 4·dim [· ffn_dim_multiplier]) / multiple_of)
        double hidden = (int) (2 * (4.0 * dim) / 3);
        if (params.has("ffn_dim_multiplier") && !params.get("ffn_dim_multiplier").isJsonNull()) {
            hidden = (int) (params.get("ffn_dim_multiplier").getAsDouble() * hidden);
        }
        int ffn = (int) (multipleOf * Math.ceil(hidden / multipleOf));
        long w1Rows = 0;
        for (CheckpointTensors s : shards) {
            w1Rows += s.shape("layers.0.feed_forward.w1.weight")[0];
        }
        if (w1Rows != ffn) {
            throw new IllegalArgumentException("params.json (dim " + dim + ", multiple_of " + multipleOf + ") implies FFN " + ffn
                    + " but layers.0.feed_forward.w1.weight has " + w1Rows + " rows in " + shards.get(0).location());
        }
        double eps = params.has("norm_eps") ? params.get("norm_eps").getAsDouble() : 1e-6;
        return new LlamaConfig(dim, requireInt("n_layers"), requireInt("n_heads"), ffn, Math.toIntExact(vocab), eps, 10000.0, maxSeqLen);
    }

    private int requireInt(String key) {
        if (!params.has(key)) {
            throw new IllegalArgumentException("params.json has no '" + key + "'");
        }
        return params.get(key).getAsInt();
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
