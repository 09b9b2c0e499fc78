package io.easspark.jobs.infer;

import io.easspark.loader.nativeformat.ModelFamily;
import java.io.IOException;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import picocli.CommandLine.ParseResult;

/**
 * Flags that only one model family understands, refused in one line (exit 2) before Spark when given for the other:
 * a LaVIN generation setting means nothing to a METER classifier and would otherwise be silently ignored, and the
 * other way round. Only flags the user wrote count (picocli's parse result), not defaults.
 */
public final class FamilyFlags {

    /** LaVIN's generation and batching settings: METER runs one forward per batch, cut by --max-batch-tokens. */
    static final List<String> LAVIN_ONLY = List.of("--max-new-tokens", "--prompt-format", "--temperature", "--top-p", "--seed",
            "--reparam", "--batch-size", "--kv-budget-mib", "--cross-task-batching", "--context-col", "--options-col",
            "--options-delimiter");
    static final List<String> METER_ONLY = List.of("--task", "--task-col", "--image2-col", "--index-mapping", "--top-k",
            "--max-batch-tokens");

    private FamilyFlags() {
    }

    public static void check(ParseResult parsed, String model, Configuration conf) {
        ModelFamily family;
        try {
            family = ModelFamily.ofDirectory(model, conf);
        } catch (IOException | IllegalArgumentException e) {
            return; // a missing or broken directory: the model's own check names it, as it does without these flags
        }
        boolean meter = family == ModelFamily.METER;
        if (meter && "gpu".equalsIgnoreCase(String.valueOf(parsed.matchedOptionValue("--device", "auto")).strip())) {
            // LoadedMeterModel loads on the CPU; a silent fallback would hide a misconfigured cluster
            throw new IllegalArgumentException("--device gpu: METER models run on the CPU in this version (" + model + ")");
        }
        for (String flag : meter ? LAVIN_ONLY : METER_ONLY) {
            if (parsed.hasMatchedOption(flag)) {
                throw new IllegalArgumentException(flag + " does not apply to " + model + ", a " + (meter ? "METER" : "LaVIN")
                        + " model (config.json family); " + (meter ? "METER answers by classification: see --task, --top-k, --max-batch-tokens"
                        : "it is a METER setting"));
            }
        }
    }
}
