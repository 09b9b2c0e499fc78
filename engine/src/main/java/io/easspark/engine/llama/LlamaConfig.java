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

    public LlamaConfig {
        positive("dim", dim);
        positive("n_layers", nLayers);
        positive("n_heads", nHeads);
        positive("ffn_hidden", ffnHidden);
        positive("vocab_size", vocabSize);
        positive("max_seq_len", maxSeqLen);
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

    static void positive(String name, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be > 0: " + value);
        }
    }
}
