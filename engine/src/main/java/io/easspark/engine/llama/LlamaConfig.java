package io.easspark.engine.llama;

/**
 * Sizes of the LLaMA decoder (DESIGN.md §1). Sizes are config, not code: LaVIN-7B is dim 4096, 32 layers,
 * 32 heads, FFN 11008, vocab 32000; tests use dim 64.
 *
 * @param dim model width D
 * @param nLayers decoder layers L
 * @param nHeads attention heads H; head size D / H
 * @param ffnHidden SwiGLU hidden size F
 * @param vocabSize vocabulary V
 * @param normEps RMSNorm epsilon, read from params.json (1e-6 for LLaMA-1 7B/13B)
 * @param ropeTheta RoPE base (10000 for LLaMA-1)
 * @param maxSeqLen context limit for prompt plus generation (512 in the original)
 */
public record LlamaConfig(
        int dim, int nLayers, int nHeads, int ffnHidden, int vocabSize, double normEps, double ropeTheta, int maxSeqLen) {

    /**
     * Upper bound on decoder layers: per-layer state (names, weights, KV cache) is allocated from this count before any
     * tensor is read, so a hostile config must not be able to ask for billions. The largest released LLaMA has 126.
     */
    public static final int MAX_LAYERS = 1024;

    /** Upper bound on the context: the RoPE table holds max_seq_len + 1 rows; LLaMA 3.1's 131072 is the largest released. */
    public static final int MAX_SEQ_LEN = 1 << 17;

    /** One weight matrix is read into one Java buffer, so its element count must stay below the largest array. */
    public static final long MAX_MATRIX_ELEMENTS = Integer.MAX_VALUE - 8;

    public LlamaConfig {
        positive("dim", dim);
        positive("n_layers", nLayers);
        positive("n_heads", nHeads);
        positive("ffn_hidden", ffnHidden);
        positive("vocab_size", vocabSize);
        positive("max_seq_len", maxSeqLen);
        atMost("n_layers", nLayers, MAX_LAYERS);
        atMost("max_seq_len", maxSeqLen, MAX_SEQ_LEN);
        matrix("vocab_size", vocabSize, dim);
        matrix("ffn_hidden", ffnHidden, dim);
        matrix("dim", dim, dim);
        if (dim % nHeads != 0) {
            throw new IllegalArgumentException("dim must be a multiple of n_heads: dim " + dim + ", n_heads " + nHeads);
        }
        if ((dim / nHeads) % 2 != 0) {
            throw new IllegalArgumentException("head size dim/n_heads must be even for RoPE pairs: " + dim / nHeads);
        }
        if (!(normEps > 0)) {
            throw new IllegalArgumentException("norm_eps must be > 0: " + normEps);
        }
        if (!(ropeTheta > 1)) {
            throw new IllegalArgumentException("rope_theta must be > 1: " + ropeTheta);
        }
    }

    public int headDim() {
        return dim / nHeads;
    }

    static void atMost(String name, int value, int limit) {
        if (value > limit) {
            throw new IllegalArgumentException(name + " must be at most " + limit + ": " + value);
        }
    }

    /** A [rows, dim] weight must fit one buffer: bounds every derived allocation, including [vocab, dim] logits per row. */
    private static void matrix(String name, int rows, int dim) {
        if ((long) rows * dim > MAX_MATRIX_ELEMENTS) {
            throw new IllegalArgumentException(name + " " + rows + " x dim " + dim + " exceeds the " + MAX_MATRIX_ELEMENTS
                    + " elements one weight matrix may hold");
        }
    }

    static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }
}
