package io.easspark.udf;

import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.text.PromptFormat;

/**
 * How rows are answered.
 *
 * @param format QCM (ScienceQA-style options) or VQA (free form)
 * @param generation decoding settings
 * @param batchSize rows per engine batch
 */
public record AnswerOptions(PromptFormat format, GenerationConfig generation, int batchSize) {

    public AnswerOptions {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1: " + batchSize);
        }
    }
}
