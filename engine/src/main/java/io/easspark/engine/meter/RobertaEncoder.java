package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.model.WeightReader;

/**
 * RoBERTa-base as METER runs it (DESIGN-METER.md §2): embeddings {@code LN(word + pos + type[0])} with position
 * ids {@code padding_idx + cumsum(id ≠ pad)} on real tokens and {@code padding_idx} on pads, then post-LN BERT
 * layers {@code h = LN(h + Attn(h))}, {@code h = LN(h + W2·gelu(W1 h))}. Attention adds {@code −10000} per masked
 * key; pads are computed too.
 *
 * <p>Letters: B rows, L tokens (every row padded to L), d width.
 */
final class RobertaEncoder {

    /** RoBERTa's {@code <pad>} id, also its {@code padding_idx} for positions. */
    static final long PAD = 1;
    /** BERT's additive mask value for a padded key (not −∞: §2). */
    static final float MASKED = -10000f;

    private record Layer(NDArray qkvT, NDArray qkvB, Affine attnOut, Norm attnNorm, Affine intermediate, Affine output,
                         Norm outputNorm) {
    }

    private final NDArray words; // [V, d]
    private final NDArray positions; // [P, d]
    private final NDArray tokenType; // [1, d]
    private final Norm embedNorm;
    private final Layer[] layers;
    private final MultiHeadAttention attention;

    private RobertaEncoder(NDArray words, NDArray positions, NDArray tokenType, Norm embedNorm, Layer[] layers,
            MultiHeadAttention attention) {
        this.words = words;
        this.positions = positions;
        this.tokenType = tokenType;
        this.embedNorm = embedNorm;
        this.layers = layers;
        this.attention = attention;
    }

    static RobertaEncoder read(WeightReader r, MeterConfig c, MultiHeadAttention attention) {
        int d = c.hidden();
        double eps = c.textLnEps();
        String p = "text_transformer.";
        Layer[] layers = new Layer[c.textLayers()];
        for (int i = 0; i < layers.length; i++) {
            String q = p + "encoder.layer." + i + ".";
            String s = q + "attention.self.";
            layers[i] = new Layer(
                    NDArrays.concat(new NDList(r.readTransposed(s + "query.weight", d, d),
                            r.readTransposed(s + "key.weight", d, d), r.readTransposed(s + "value.weight", d, d)), 1),
                    NDArrays.concat(new NDList(r.read(s + "query.bias", d), r.read(s + "key.bias", d),
                            r.read(s + "value.bias", d))),
                    Affine.read(r, q + "attention.output.dense", d, d),
                    Norm.read(r, q + "attention.output.LayerNorm", d, eps),
                    Affine.read(r, q + "intermediate.dense", c.intermediate(), d),
                    Affine.read(r, q + "output.dense", d, c.intermediate()),
                    Norm.read(r, q + "output.LayerNorm", d, eps));
        }
        return new RobertaEncoder(
                r.read(p + "embeddings.word_embeddings.weight", c.vocabSize(), d),
                r.read(p + "embeddings.position_embeddings.weight", c.maxPositions(), d),
                r.read(p + "embeddings.token_type_embeddings.weight", 1, d),
                Norm.read(r, p + "embeddings.LayerNorm", d, eps), layers, attention);
    }

    /** Additive key mask [B, 1, 1, L]: 0 on real tokens, {@link #MASKED} on pads. */
    static NDArray keyMask(long[][] ids, NDManager scope) {
        int b = ids.length;
        int l = ids[0].length;
        float[] mask = new float[b * l];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < l; j++) {
                mask[i * l + j] = ids[i][j] == PAD ? MASKED : 0f;
            }
        }
        return scope.create(mask, new Shape(b, 1, 1, l));
    }

    /** ids [B][L] (already padded) → [B, L, d] */
    NDArray forward(long[][] ids, NDArray mask, NDManager scope) {
        int b = ids.length;
        int l = ids[0].length;
        long[] flat = new long[b * l];
        long[] pos = new long[b * l];
        for (int i = 0; i < b; i++) {
            long real = 0;
            for (int j = 0; j < l; j++) {
                flat[i * l + j] = ids[i][j];
                // RoBERTa's create_position_ids_from_input_ids: pads get padding_idx, real tokens count from it + 1
                real += ids[i][j] == PAD ? 0 : 1;
                pos[i * l + j] = ids[i][j] == PAD ? PAD : PAD + real;
            }
        }
        NDArray e = lookup(words, scope.create(flat, new Shape(b, l)))
                .add(lookup(positions, scope.create(pos, new Shape(b, l))))
                .add(tokenType.get(scope, new NDIndex(":"))); // [B, L, d]
        NDArray h = embedNorm.apply(e);
        for (Layer layer : layers) {
            // one scope per layer: only its output outlives it
            try (NDManager step = scope.newSubManager()) {
                h.attach(step); // the layer's input is not needed after it
                NDArray qkv = h.matMul(layer.qkvT()).add(layer.qkvB()); // [B, L, 3d]
                NDArray a = layer.attnNorm().apply(h.add(layer.attnOut().apply(attention.forward(qkv, (NDList) null, null, mask))));
                NDArray f = layer.output().apply(Activation.gelu(layer.intermediate().apply(a))); // [B, L, d]
                h = layer.outputNorm().apply(a.add(f));
                h.attach(scope);
            }
        }
        return h;
    }

    private static NDArray lookup(NDArray table, NDArray ids) {
        NDArray e = Embedding.embedding(ids, table, SparseFormat.DENSE).singletonOrThrow();
        e.attach(ids.getManager());
        return e;
    }
}
