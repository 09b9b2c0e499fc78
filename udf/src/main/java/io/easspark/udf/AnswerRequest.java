package io.easspark.udf;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.cache.DeviceRequest;
import io.easspark.loader.cache.ModelSpec;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.Serializable;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How rows are answered, parsed and checked once where the settings come in (a command's flags, a session's
 * {@code spark.eas.*}) and passed unchanged to every task: the model ({@link ModelSpec}: directory, plan, re-
 * parameterisation, device; also the executor's model cache key), the prompt format, decoding settings and batch size.
 * Immutable and serializable; nothing in it is text that a task parses again.
 *
 * <p>The defaults live here, once: the {@link Builder} starts from them and the command line shows them.
 */
public record AnswerRequest(ModelSpec model, PromptFormat format, GenerationConfig generation, int batchSize) implements Serializable {

    public static final int DEFAULT_BATCH_SIZE = 8;
    public static final int DEFAULT_MAX_NEW_TOKENS = 64;
    public static final String DEFAULT_REPARAM = "lowrank";
    public static final String DEFAULT_DEVICE = "auto";
    public static final String DEFAULT_PROMPT_FORMAT = "qcm";
    public static final String DEFAULT_TEMPERATURE = "0";
    public static final String DEFAULT_TOP_P = "1";
    public static final long DEFAULT_SEED = 0;

    public AnswerRequest {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(generation, "generation");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1: " + batchSize);
        }
    }

    /** What the answering code takes. */
    public AnswerOptions answerOptions() {
        return new AnswerOptions(format, generation, batchSize);
    }

    public AnswerRequest withModel(ModelSpec other) {
        return new AnswerRequest(other, format, generation, batchSize);
    }

    public AnswerRequest withFormat(PromptFormat other) {
        return new AnswerRequest(model, other, generation, batchSize);
    }

    public AnswerRequest withBatchSize(int other) {
        return new AnswerRequest(model, format, generation, other);
    }

    public static Builder builder(String modelUri) {
        return new Builder(modelUri);
    }

    /** The settings as written; mutable only until {@link #build}. Unset values are the defaults above. */
    public static final class Builder {
        private final String modelUri;
        private String skipPlan;
        private String reparam = DEFAULT_REPARAM;
        private String device = DEFAULT_DEVICE;
        private String promptFormat = DEFAULT_PROMPT_FORMAT;
        private int maxNewTokens = DEFAULT_MAX_NEW_TOKENS;
        private double temperature = Double.parseDouble(DEFAULT_TEMPERATURE);
        private double topP = Double.parseDouble(DEFAULT_TOP_P);
        private long seed = DEFAULT_SEED;
        private int batchSize = DEFAULT_BATCH_SIZE;

        private Builder(String modelUri) {
            this.modelUri = modelUri;
        }

        /** A plan's text ({@code 19,21-31}, {@code none}); null or blank for the model's stored plan. */
        public Builder skipPlan(String v) { skipPlan = v; return this; }
        public Builder reparam(String v) { reparam = v; return this; }
        public Builder device(String v) { device = v; return this; }
        public Builder promptFormat(String v) { promptFormat = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder sampling(double temperature, double topP, long seed) {
            this.temperature = temperature;
            this.topP = topP;
            this.seed = seed;
            return this;
        }

        /**
         * Parses and checks every setting against the opened model directory (its config.json: layer count and
         * max_seq_len), with no Spark involved.
         *
         * @param flag the user's name of a setting, from its field name here ({@code batchSize} to
         *     {@code --batch-size} or {@code spark.eas.batchSize}), for one-line errors
         */
        public AnswerRequest build(NativeModelDirectory dir, UnaryOperator<String> flag) {
            if (batchSize < 1) {
                throw new IllegalArgumentException(flag.apply("batchSize") + " must be >= 1: " + batchSize);
            }
            int maxSeqLen = dir.config().text().maxSeqLen();
            if (maxNewTokens < 1 || maxNewTokens >= maxSeqLen) {
                throw new IllegalArgumentException(flag.apply("maxNewTokens") + " must be in 1.." + (maxSeqLen - 1)
                        + " for this model (max_seq_len " + maxSeqLen + "): " + maxNewTokens);
            }
            if (!(temperature >= 0)) {
                throw new IllegalArgumentException(flag.apply("temperature") + " must be >= 0: " + temperature);
            }
            if (!(topP > 0 && topP <= 1)) {
                throw new IllegalArgumentException(flag.apply("topP") + " must be in (0, 1]: " + topP);
            }
            ModelSpec model = new ModelSpec(modelUri, ModelSpec.plan(dir, skipPlan), ReparamMode.parse(reparam),
                    DeviceRequest.parse(device, flag.apply("device")));
            if (model.reparam().perRowWeights() && batchSize != 1) {
                // the engine would refuse every batch and fall back to row by row: say so once, here
                throw new IllegalArgumentException(flag.apply("reparam") + " " + model.reparam().cliName() + " folds weights per row and needs "
                        + flag.apply("batchSize") + " 1, got " + batchSize + " (lowrank is exact at any batch size)");
            }
            GenerationConfig gen = GenerationConfig.greedy(maxNewTokens).withSampling(temperature, topP, seed);
            return new AnswerRequest(model, PromptFormat.parse(promptFormat), gen, batchSize);
        }
    }
}
