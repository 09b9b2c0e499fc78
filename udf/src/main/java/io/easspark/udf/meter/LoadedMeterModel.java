package io.easspark.udf.meter;

import ai.djl.Device;
import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import org.apache.hadoop.conf.Configuration;

/**
 * A METER model with its tokenizer and answer vocabulary, loaded once per executor JVM through the
 * {@link ModelCache}. The skip set is an argument of every forward, not part of the weights, so one cached model
 * serves every plan: the key is the directory alone (CPU, fp32 — DESIGN-METER.md §5).
 */
public record LoadedMeterModel(MeterModel model, RobertaBpeTokenizer tokenizer, AnswerVocabulary answers) implements AutoCloseable {

    /** Marks METER entries in the shared cache so they never meet a LaVIN entry of the same URI. */
    private static final String DTYPE = "meter-fp32";

    public static ModelCache.Lease<LoadedMeterModel> acquire(String uri, Configuration conf) {
        return ModelCache.global().acquire(new ModelCache.Key(uri, "cpu", DTYPE, null, null), k -> {
            MeterModelDirectory dir = MeterModelDirectory.open(uri, conf);
            RobertaBpeTokenizer tokenizer = dir.tokenizer();
            try {
                return new LoadedMeterModel(dir.load(Device.cpu()), tokenizer, dir.answers());
            } catch (Exception e) {
                tokenizer.close();
                throw e;
            }
        });
    }

    /** An answerer for one task's rows with these settings. */
    public MeterAnswerer answerer(MeterRequest request) {
        return new MeterAnswerer(model, tokenizer, answers, request.skipSet(model.config().fusionLayers()), request.maxBatchTokens(),
                request.topK());
    }

    @Override
    public void close() {
        try (tokenizer) {
            model.close();
        }
    }
}
