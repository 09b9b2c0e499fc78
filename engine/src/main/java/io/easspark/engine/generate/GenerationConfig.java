package io.easspark.engine.generate;

/**
 * How to generate (DESIGN.md §1.5). Greedy unless {@code temperature > 0}.
 *
 * @param maxNewTokens at most this many new tokens per row (64 in the original evaluation)
 * @param temperature 0 for greedy; otherwise softmax temperature
 * @param topP nucleus mass kept when sampling (the original used 0.75)
 * @param seed seeds every row's sampler together with the row's key
 * @param eosId stop token (2 for LLaMA)
 * @param originalPositions reproduce the original evaluation's decode positions (one less than consecutive)
 * @param recordLogits keep each step's logits in the result (tests and parity checks only)
 */
public record GenerationConfig(int maxNewTokens, double temperature, double topP, long seed, int eosId,
                               boolean originalPositions, boolean recordLogits) implements java.io.Serializable {

    public static final int LLAMA_EOS = 2;

    public GenerationConfig {
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("max_new_tokens must be >= 1: " + maxNewTokens);
        }
        if (!(temperature >= 0)) {
            throw new IllegalArgumentException("temperature must be >= 0: " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top_p must be in (0, 1]: " + topP);
        }
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 1, 0, LLAMA_EOS, false, false);
    }

    public GenerationConfig withOriginalPositions(boolean on) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosId, on, recordLogits);
    }

    public GenerationConfig withRecordLogits(boolean on) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosId, originalPositions, on);
    }

    public GenerationConfig withSampling(double temperature, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topP, seed, eosId, originalPositions, recordLogits);
    }

    public boolean greedy() {
        return temperature == 0;
    }
}
