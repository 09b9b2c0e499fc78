package io.easspark.engine.generate;

/**
 * One row's output.
 *
 * @param tokens generated ids, EOS included when it stopped there
 * @param stop why generation ended
 * @param promptPositions positions the prompt occupied (modality and visual tokens included)
 * @param stepLogits the logits that chose each token, when asked for ({@link GenerationConfig#recordLogits}); else null
 */
public record Generation(long[] tokens, StopReason stop, int promptPositions, float[][] stepLogits) {

    public enum StopReason {
        /** The model emitted EOS. */
        EOS,
        /** max_new_tokens reached. */
        MAX_NEW_TOKENS,
        /** The context limit (max_seq_len) reached. */
        CONTEXT
    }
}
