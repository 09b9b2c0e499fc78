package io.easspark.udf;

import io.easspark.engine.text.PromptEncoder;

/** A row that passed the checks and is ready for the engine: its prompt, tokens and pixels. */
public record EncodedRow(QuestionRow row, PromptEncoder.Encoded encoded) {

    /** Positions the row takes in a batch (tokens plus visual tokens): what length sorting sorts by. */
    public int length(int nVisualTokens) {
        return encoded.sequence().length(nVisualTokens);
    }
}
