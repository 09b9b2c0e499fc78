package io.easspark.udf.sql;

import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.udf.AnswerRequest;
import java.io.IOException;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;

/**
 * How {@code eas_answer} answers, from Spark settings ({@code --conf} or {@code SET}):
 * {@code spark.eas.model} (required: a native model directory, any Hadoop URI), {@code spark.eas.skipPlan},
 * {@code spark.eas.reparam}, {@code spark.eas.device}, {@code spark.eas.maxNewTokens}, {@code spark.eas.batchSize}.
 * Read on the driver into the same {@link AnswerRequest} the jobs build from their flags, with the same defaults.
 */
public final class SqlAnswerSettings {

    public static final String PREFIX = "spark.eas.";

    private SqlAnswerSettings() {
    }

    /**
     * @param conf a setting's value by its full name, or null when unset
     * @param hadoop where the model directory is read from (its small files only: config.json, the stored plan)
     */
    public static AnswerRequest request(UnaryOperator<String> conf, Configuration hadoop) {
        String model = conf.apply(PREFIX + "model");
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("eas_answer needs a model: set spark.eas.model to a native model directory "
                    + "(e.g. --conf spark.eas.model=hdfs:///models/lavin-eas-7b)");
        }
        NativeModelDirectory dir;
        try {
            dir = NativeModelDirectory.validate(model, hadoop); // on the driver, before any task
        } catch (IOException e) {
            throw new IllegalArgumentException("eas_answer: spark.eas.model " + model + ": " + e.getMessage(), e);
        }
        AnswerRequest.Builder b = AnswerRequest.builder(model).skipPlan(conf.apply(PREFIX + "skipPlan"));
        String reparam = conf.apply(PREFIX + "reparam");
        if (reparam != null && !reparam.isBlank()) {
            b.reparam(reparam);
        }
        String device = conf.apply(PREFIX + "device");
        if (device != null && !device.isBlank()) {
            b.device(device);
        }
        Integer maxNewTokens = integer(conf, "maxNewTokens");
        if (maxNewTokens != null) {
            b.maxNewTokens(maxNewTokens);
        }
        Integer batchSize = integer(conf, "batchSize");
        if (batchSize != null) {
            b.batchSize(batchSize);
        }
        return b.build(dir, name -> PREFIX + name);
    }

    private static Integer integer(UnaryOperator<String> conf, String key) {
        String v = conf.apply(PREFIX + key);
        try {
            return v == null || v.isBlank() ? null : Integer.valueOf(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(PREFIX + key + " must be an integer: " + v, e);
        }
    }
}
