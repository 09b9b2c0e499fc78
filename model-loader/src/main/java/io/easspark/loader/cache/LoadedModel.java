package io.easspark.loader.cache;

import ai.djl.Device;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.IOException;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A model and its tokenizer as one executor shares them through {@link ModelCache}. */
public final class LoadedModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LoadedModel.class);

    private final LavinModel model;
    private final LlamaTokenizer tokenizer;

    private LoadedModel(LavinModel model, LlamaTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /**
     * The model for a request from this JVM's cache, loading it once. The key is the parsed spec and the device the
     * task really gets, so every spelling of one plan, and "the stored plan" given or not, share one load.
     *
     * @param gpuAddress the Spark task's GPU address, or null
     */
    public static ModelCache.Lease<LoadedModel> acquire(ModelSpec spec, Configuration conf, String gpuAddress) {
        Device d = DeviceChoice.choose(spec.device(), gpuAddress);
        ModelCache.Key key = new ModelCache.Key(spec.uri(), d.toString(), "fp32", spec.plan(), spec.reparam());
        return ModelCache.global().acquire(key, k -> load(spec, conf, d));
    }

    static LoadedModel load(ModelSpec spec, Configuration conf, Device device) throws IOException {
        long t0 = System.nanoTime();
        NativeModelDirectory dir = NativeModelDirectory.open(spec.uri(), conf);
        SkipPlan plan = spec.plan();
        if (plan.layerCount() != dir.config().text().nLayers()) {
            // the directory changed between the driver's check and this load
            throw new IllegalArgumentException("skip plan " + plan + " is for " + plan.layerCount() + " layers but model "
                    + spec.uri() + " has " + dir.config().text().nLayers());
        }
        ReparamMode mode = spec.reparam();
        LavinModel model = dir.load(plan, mode, device);
        LlamaTokenizer tokenizer;
        try {
            tokenizer = dir.tokenizer();
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
        double s = (System.nanoTime() - t0) / 1e9;
        long bytes = dir.weightBytes();
        LOG.info(String.format(Locale.ROOT, "loaded model %s on %s (plan %s, reparam %s): %.1f MiB in %.1f s (%.1f MiB/s)",
                spec.uri(), device, plan, mode.cliName(), bytes / 1048576.0, s, bytes / 1048576.0 / Math.max(s, 1e-9)));
        return new LoadedModel(model, tokenizer);
    }

    public LavinModel model() {
        return model;
    }

    public LlamaTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }
}
