package io.easspark.loader.cache;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.Serializable;
import java.util.Objects;

/**
 * Which model a request answers with, already parsed: the directory, the plan in effect (the model's stored plan
 * resolved to itself, so "no plan given" and the stored plan spelled out are one model), the re-parameterisation and
 * the device asked for. Together with the device a task really gets, it is the {@link ModelCache} identity: two
 * spellings of one plan ({@code 19,21-31}, {@code 19, 21-31}) are one value, hence one load.
 *
 * @param uri the native model directory (any Hadoop URI), as given
 */
public record ModelSpec(String uri, SkipPlan plan, ReparamMode reparam, DeviceRequest device) implements Serializable {

    public ModelSpec {
        Objects.requireNonNull(uri, "model uri");
        Objects.requireNonNull(plan, "skip plan");
        Objects.requireNonNull(reparam, "reparam");
        Objects.requireNonNull(device, "device");
    }

    /**
     * The plan a setting names for this model: null or blank means the one stored with the model; otherwise the
     * text is parsed against the model's layer count (from its config.json), so a wrong plan fails here, once.
     */
    public static SkipPlan plan(NativeModelDirectory dir, String text) {
        return text == null || text.isBlank() ? dir.storedPlan() : SkipPlan.parse(text, dir.config().text().nLayers());
    }

    /** The same model with another plan (calibrate and evaluate try several on one set of weights). */
    public ModelSpec withPlan(SkipPlan other) {
        return new ModelSpec(uri, other, reparam, device);
    }
}
