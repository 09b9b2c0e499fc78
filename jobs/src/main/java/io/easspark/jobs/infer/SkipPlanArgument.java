package io.easspark.jobs.infer;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.loader.hadoop.HadoopInputFile;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code --skip-plan} is a plan ({@code 19,21-31}, {@code none}) or the URI of a {@code skip_plan.json} that
 * calibrate wrote; read once where the flags are parsed, before Spark starts ({@link InferOptions.Builder#build}),
 * so executors only ever see the parsed plan.
 */
public final class SkipPlanArgument {

    private SkipPlanArgument() {
    }

    /** Whether the argument names a skip_plan.json rather than a plan. */
    static boolean isFile(String arg) {
        return arg != null && arg.strip().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    /**
     * What a skip_plan.json says: the plan text, the model family it was searched on (null: LaVIN, whose calibrate
     * writes no family) and, for METER, the index mapping its indices were read under (null when not recorded).
     */
    record PlanFile(String plan, String family, String indexMapping) {
    }

    /** The plan text for a LaVIN model, or null/blank as given (the model's stored plan). */
    static String resolve(String arg, Configuration conf) throws IOException {
        if (!isFile(arg)) {
            return arg;
        }
        PlanFile f = read(arg, conf);
        if (f.family() != null && !f.family().equals("lavin")) {
            // a METER plan's "0-2,4" names fusion-layer MHAs; read as decoder layers it would skip the wrong layers silently
            throw new IllegalArgumentException("--skip-plan " + arg + " was searched on a " + f.family() + " model (\"family\": \""
                    + f.family() + "\"); --model is a LaVIN model");
        }
        return f.plan();
    }

    /** Reads a skip_plan.json (any family); a missing file or one without a plan is named in one line. */
    static PlanFile read(String arg, Configuration conf) throws IOException {
        byte[] bytes;
        try {
            bytes = NativeModelDirectory.readSmall(HadoopInputFile.of(arg.strip(), conf));
        } catch (FileNotFoundException e) {
            throw new IllegalArgumentException("--skip-plan " + arg + " does not exist", e);
        }
        try {
            JsonObject o = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8)).getAsJsonObject();
            JsonElement plan = o.get("plan");
            if (plan == null || plan.isJsonNull()) {
                throw new IllegalArgumentException("--skip-plan " + arg + " has no \"plan\" field");
            }
            // calibrate writes "1,3"; a list of layer indices reads the same way
            String text = plan.isJsonArray() ? plan.getAsJsonArray().toString().replaceAll("[\\[\\]]", "") : plan.getAsString();
            return new PlanFile(text, string(o, "family"), string(o, "index_mapping"));
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("--skip-plan " + arg + " is not a skip_plan.json: " + e.getMessage(), e);
        }
    }

    /**
     * A METER model's skip indices and index mapping from {@code --skip-plan} and {@code --index-mapping}: a
     * skip_plan.json must come from a METER calibrate, and its recorded mapping is used unless the flag names one; a
     * flag that contradicts the file is refused (the same indices mean other modules under the other mapping).
     *
     * @return the plan text ({@code none}, {@code paper}, indices) and the mapping name (null: the default)
     */
    public static String[] resolveMeter(String arg, String indexMapping, Configuration conf) throws IOException {
        if (!isFile(arg)) {
            return new String[] {arg, indexMapping};
        }
        PlanFile f = read(arg, conf);
        if (!"meter".equals(f.family())) {
            throw new IllegalArgumentException("--skip-plan " + arg + " was searched on a " + (f.family() == null ? "LaVIN" : f.family())
                    + " model; --model is a METER model (a METER calibrate writes \"family\": \"meter\")");
        }
        if (indexMapping != null && f.indexMapping() != null
                && !indexMapping.strip().equalsIgnoreCase(f.indexMapping())) {
            throw new IllegalArgumentException("index mapping " + indexMapping + " (--index-mapping, default intended) contradicts --skip-plan " + arg
                    + ", searched under index mapping " + f.indexMapping());
        }
        return new String[] {f.plan(), indexMapping != null ? indexMapping : f.indexMapping()};
    }

    private static String string(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }
}
