package io.easspark.udf.sql;

import io.easspark.engine.eas.ReparamMode;
import java.io.Serializable;
import java.util.function.UnaryOperator;

/**
 * How {@code eas_answer} answers, from Spark settings ({@code --conf} or {@code SET}):
 * {@code spark.eas.model} (required: a native model directory, any Hadoop URI), {@code spark.eas.skipPlan},
 * {@code spark.eas.reparam}, {@code spark.eas.device}, {@code spark.eas.maxNewTokens}, {@code spark.eas.batchSize}.
 */
public record SqlAnswerSettings(String model, String skipPlan, String reparam, String device, int maxNewTokens, int batchSize)
        implements Serializable {

    public static final String PREFIX = "spark.eas.";

    public SqlAnswerSettings {
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("eas_answer needs a model: set spark.eas.model to a native model directory "
                    + "(e.g. --conf spark.eas.model=hdfs:///models/lavin-eas-7b)");
        }
        ReparamMode.parse(reparam);
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("spark.eas.maxNewTokens must be >= 1: " + maxNewTokens);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("spark.eas.batchSize must be >= 1: " + batchSize);
        }
    }

    /** @param conf a setting's value by its full name, or null when unset */
    public static SqlAnswerSettings from(UnaryOperator<String> conf) {
        return new SqlAnswerSettings(conf.apply(PREFIX + "model"), orElse(conf.apply(PREFIX + "skipPlan"), null),
                orElse(conf.apply(PREFIX + "reparam"), "lowrank"), orElse(conf.apply(PREFIX + "device"), "auto"),
                integer(conf, "maxNewTokens", 64), integer(conf, "batchSize", 8));
    }

    private static int integer(UnaryOperator<String> conf, String key, int fallback) {
        String v = conf.apply(PREFIX + key);
        try {
            return v == null ? fallback : Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be an integer: " + v, e);
        }
    }

    private static String orElse(String v, String fallback) {
        return v == null || v.isBlank() ? fallback : v;
    }
}
