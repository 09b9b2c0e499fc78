package io.easspark.engine.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.AdapterState;
import io.easspark.engine.eas.PiaAdapter;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.DecoderLayer;
import io.easspark.engine.llama.Linear;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.llama.RmsNorm;
import io.easspark.engine.llama.RopeTable;
import io.easspark.engine.vision.ClipVit;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A loaded LaVIN-EAS model: token and modality embeddings, the decoder with its skip plan and re-parameterisation,
 * the optional image tower, the output head. Immutable after load and shared by every thread of a JVM; all
 * per-batch state lives in the generator. Owns its {@link NDManager}.
 *
 * <p>Letters: B batch rows, T tokens, D width, V vocabulary.
 */
public final class LavinModel implements AutoCloseable {

    /** Modality rows of {@code adapter_modality_embedding} (DESIGN.md §1.2). */
    public static final int MODALITY_TEXT = 0;
    public static final int MODALITY_IMAGE = 1;

    private final LavinConfig config;
    private final SkipPlan plan;
    private final ReparamMode mode;
    private final NDManager manager;
    private final NDArray tokEmbeddings; // [V, D]
    private final NDArray modality; // [2, D]
    private final NDArray finalNorm; // [D]
    private final NDArray output; // [V, D]
    private final NDArray outputT; // [D, V], a view of output
    private final DecoderLayer[] layers;
    private final ClipVit vision;
    private final RopeTable rope;
    /** False for a {@link #withPlan} view: the weights belong to the model it was made from. */
    private final boolean ownsWeights;

    private LavinModel(LavinConfig config, SkipPlan plan, ReparamMode mode, NDManager manager, NDArray tokEmbeddings,
            NDArray modality, NDArray finalNorm, NDArray output, NDArray outputT, DecoderLayer[] layers, ClipVit vision,
            RopeTable rope, boolean ownsWeights) {
        this.config = config;
        this.plan = plan;
        this.mode = mode;
        this.manager = manager;
        this.tokEmbeddings = tokEmbeddings;
        this.modality = modality;
        this.finalNorm = finalNorm;
        this.output = output;
        this.outputT = outputT;
        this.layers = layers;
        this.vision = vision;
        this.rope = rope;
        this.ownsWeights = ownsWeights;
    }

    /**
     * Loads the model from native-named tensors, checking every shape.
     *
     * @param plan the skip plan; must match the layer count
     * @param mode re-parameterisation; STATIC needs pinned routers and fails here otherwise
     * @param device where the weights live (CPU by default)
     */
    public static LavinModel load(LavinConfig config, WeightSource source, SkipPlan plan, ReparamMode mode, Device device) {
        LlamaConfig t = config.text();
        if (plan.layerCount() != t.nLayers()) {
            throw new IllegalArgumentException("skip plan is for " + plan.layerCount() + " layers but the model has " + t.nLayers());
        }
        NDManager manager = NDManager.newBaseManager(device);
        try {
            WeightReader r = new WeightReader(source, manager);
            int d = t.dim();
            int f = t.ffnHidden();
            NDArray tok = r.read("tok_embeddings.weight", t.vocabSize(), d);
            NDArray modality = r.read("adapter_modality_embedding.weight", 2, d);
            NDArray norm = r.read("norm.weight", d);
            NDArray outT = r.readTransposed("output.weight", t.vocabSize(), d);
            NDArray out = outT.transpose(); // the [V, D] storage again, for Linear
            MultiHeadAttention attention = new MultiHeadAttention(new MultiHeadAttention.Spec(t.nHeads(), t.headDim()));
            DecoderLayer[] layers = new DecoderLayer[t.nLayers()];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = loadLayer(i, config, plan.isSkipped(i), mode, attention, r);
                if (mode == ReparamMode.STATIC) {
                    layers[i].foldStatic(manager, "layers." + i + (plan.isSkipped(i) ? ".replaced_adapter" : ".adapter_attn"));
                }
            }
            ClipVit vision = config.vision() == null ? null : ClipVit.load(config.vision(), d, r);
            // weights only from here on: an op that would leave an array in the model's manager fails loudly
            // instead of growing a shared model's memory with every batch
            manager.cap();
            RopeTable rope = new RopeTable(t.headDim(), t.ropeTheta(), t.maxSeqLen() + 1);
            return new LavinModel(config, plan, mode, manager, tok, modality, norm, out, outT, layers, vision, rope, true);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    private static DecoderLayer loadLayer(int i, LavinConfig config, boolean skipped, ReparamMode mode,
            MultiHeadAttention attention, WeightReader r) {
        LlamaConfig t = config.text();
        AdapterConfig ac = config.adapter();
        NDManager m = r.manager();
        int d = t.dim();
        int f = t.ffnHidden();
        String p = "layers." + i + ".";
        NDArray wqkvT = fuse(m, List.of(
                r.read(p + "attention.wq.weight", d, d),
                r.read(p + "attention.wk.weight", d, d),
                r.read(p + "attention.wv.weight", d, d))); // [D, 3D]
        NDArray bqkv = null;
        NDArray bq = r.readOptional(p + "attention.wq.bias", d);
        if (bq != null) {
            bqkv = NDArrays.concat(new NDList(bq, r.read(p + "attention.wk.bias", d), r.read(p + "attention.wv.bias", d)));
        }
        NDArray w13T = fuse(m, List.of(
                r.read(p + "feed_forward.w1.weight", f, d),
                r.read(p + "feed_forward.w3.weight", f, d))); // [D, 2F]
        NDArray b13 = null;
        NDArray b1 = r.readOptional(p + "feed_forward.w1.bias", f);
        if (b1 != null) {
            b13 = NDArrays.concat(new NDList(b1, r.read(p + "feed_forward.w3.bias", f)));
        }
        PiaAdapter kept = readAdapter(m, r, p + "adapter_attn.", d, ac.keptRank(), false, ac);
        PiaAdapter replaced = readAdapter(m, r, p + "replaced_adapter.", d, ac.skippedRank(), true, ac);
        return new DecoderLayer(i, skipped, mode, t.normEps(), attention,
                r.read(p + "attention_norm.weight", d), r.read(p + "ffn_norm.weight", d),
                wqkvT, bqkv, r.readTransposed(p + "attention.wo.weight", d, d),
                w13T, b13, r.readTransposed(p + "feed_forward.w2.weight", d, f), kept, replaced);
    }

    /**
     * Stacks [out, in] weights along out into one libtorch-owned tensor and returns its transposed view [in, Σout];
     * the parts (and their Java buffers) are released.
     */
    private static NDArray fuse(NDManager m, List<NDArray> parts) {
        NDArray fused = NDArrays.concat(new NDList(parts), 0);
        fused.attach(m);
        parts.forEach(NDArray::close);
        NDArray view = fused.transpose();
        fused.close(); // libtorch owns the concatenated storage, so the view alone keeps it (and STATIC can free it)
        return view;
    }

    private static PiaAdapter readAdapter(NDManager m, WeightReader r, String p, int d, int rank, boolean skippedForm,
            AdapterConfig ac) {
        int half = rank / ac.groups();
        return PiaAdapter.create(m, new PiaAdapter.Tensors(
                r.read(p + "conv_A.weight", rank, d), r.read(p + "conv_A.bias", rank),
                r.read(p + "conv_B.weight", d, half), r.read(p + "conv_B.bias", d),
                r.read(p + "conv_D.weight", d, half), r.read(p + "conv_D.bias", d),
                skippedForm ? r.read(p + "conv_C.weight", rank, d) : null,
                skippedForm ? r.read(p + "conv_C.bias", rank) : null,
                r.read(p + "expert_weights.weight", 2, d), r.read(p + "expert_weights.bias", 2)),
                ac.groups(), ac.scale(), ac.routerTemperature());
    }

    /**
     * The same weights under another skip plan, for the redundancy search (DESIGN.md §2): every layer carries both
     * adapters, so a plan only chooses which path each layer runs. The view shares this model's manager, arrays,
     * image tower and RoPE table; closing it frees nothing, and it must not be used after this model is closed.
     * LOWRANK and MERGED/MERGED_BUG (which fold per row at prefill, from the unfolded shared weights) give exactly
     * what a model loaded with {@code plan} gives. STATIC is refused: its load folded each layer's active adapter
     * into the shared weights, so a layer cannot switch paths.
     *
     * @throws IllegalArgumentException if the plan is for another layer count
     * @throws IllegalStateException for a STATIC model
     */
    public LavinModel withPlan(SkipPlan plan) {
        if (plan.layerCount() != layers.length) {
            throw new IllegalArgumentException("skip plan is for " + plan.layerCount() + " layers but the model has " + layers.length);
        }
        if (mode == ReparamMode.STATIC) {
            throw new IllegalStateException("reparam static folded skip plan " + this.plan + " into the weights at load;"
                    + " load the model with reparam lowrank to evaluate plan " + plan);
        }
        DecoderLayer[] viewLayers = new DecoderLayer[layers.length];
        for (int i = 0; i < layers.length; i++) {
            viewLayers[i] = layers[i].isSkipped() == plan.isSkipped(i) ? layers[i] : layers[i].withSkipped(plan.isSkipped(i));
        }
        return new LavinModel(config, plan, mode, manager, tokEmbeddings, modality, finalNorm, output, outputT, viewLayers,
                vision, rope, false);
    }

    public LavinConfig config() {
        return config;
    }

    public SkipPlan plan() {
        return plan;
    }

    public ReparamMode mode() {
        return mode;
    }

    /** The manager that owns the weights; capped after load, so nothing else can attach to it. */
    public NDManager manager() {
        return manager;
    }

    /** A fresh manager on the model's device for one batch's (or one test's) arrays; close it when done. */
    public NDManager newScope() {
        return NDManager.newBaseManager(manager.getDevice());
    }

    public RopeTable rope() {
        return rope;
    }

    public int layerCount() {
        return layers.length;
    }

    public DecoderLayer layer(int i) {
        return layers[i];
    }

    /** The image tower, or null for a text-only model. */
    public ClipVit vision() {
        return vision;
    }

    /** Token embeddings [n, D] for ids [n] (int64), owned by the ids' manager. */
    public NDArray embedTokens(NDArray ids) {
        NDArray e = Embedding.embedding(ids, tokEmbeddings, SparseFormat.DENSE).singletonOrThrow();
        e.attach(ids.getManager());
        return e;
    }

    /** The modality token's embedding [1, D] (row 1 for an image row, 0 otherwise) in {@code scope}. */
    public NDArray modalityEmbedding(boolean image, NDManager scope) {
        return modality.get(scope, new ai.djl.ndarray.index.NDIndex((image ? MODALITY_IMAGE : MODALITY_TEXT) + ":"
                + ((image ? MODALITY_IMAGE : MODALITY_TEXT) + 1)));
    }

    /**
     * Runs every decoder layer and the final norm on x [B, T, D].
     *
     * @param states one per layer; filled at prefill ({@code pools} non-null)
     * @param stores the KV store of each layer (null for skipped layers or a cacheless pass)
     * @param hidden if non-null, receives each layer's output (for parity tests)
     * @return normalised hidden states [B, T, D]
     */
    public NDArray forward(NDArray x, AdapterState[] states, DecoderLayer.Pools pools, NDList ropeAngles,
            NDArray mask, IntFunction<MultiHeadAttention.KeyValueStore> stores, NDManager batchScope, List<NDArray> hidden) {
        for (DecoderLayer layer : layers) {
            DecoderLayer.AttentionInputs attn = layer.isSkipped() ? null
                    : new DecoderLayer.AttentionInputs(ropeAngles, stores.apply(layer.index()), mask);
            // one scope per layer: a layer's temporaries (a long prompt's [B, H, T, T] attention scores above all)
            // are freed before the next layer runs instead of piling up in the batch's scope until it ends.
            // Results follow their first operand's manager, so x is lent to the layer scope for the step; what must
            // outlive it (the adapter state) the layer attaches to batchScope itself, and KV writes go in place.
            try (NDManager layerScope = batchScope.newSubManager()) {
                x.tempAttach(layerScope);
                NDArray out = layer.forward(x, states[layer.index()], pools, attn, batchScope);
                out.attach(batchScope);
                x = out;
            }
            if (hidden != null) {
                hidden.add(x);
            }
        }
        return RmsNorm.apply(x, finalNorm, config.text().normEps());
    }

    /** Logits [.., V] from normalised hidden states [.., D]. */
    public NDArray logits(NDArray normed) {
        if (!Linear.weightFirst(normed)) {
            return normed.matMul(outputT);
        }
        // weight first: the product belongs to its first operand's manager, so the weight is lent as a local view
        return Linear.apply(normed, Linear.lend(output, normed.getManager()), outputT);
    }

    /** Frees the weights, unless this is a {@link #withPlan} view (whose weights belong to the model it came from). */
    @Override
    public void close() {
        if (ownsWeights) {
            manager.close();
        }
    }
}
