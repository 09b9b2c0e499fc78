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
final class SkipPlanArgument {

    private SkipPlanArgument() {
    }

    /** Whether the argument names a skip_plan.json rather than a plan. */
    static boolean isFile(String arg) {
        return arg != null && arg.strip().toLowerCase(Locale.ROOT).endsWith(".json");
    }

    /** The plan text, or null/blank as given (the model's stored plan). */
    static String resolve(String arg, Configuration conf) throws IOException {
        if (!isFile(arg)) {
            return arg;
        }
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
            return plan.isJsonArray() ? plan.getAsJsonArray().toString().replaceAll("[\\[\\]]", "") : plan.getAsString();
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("--skip-plan " + arg + " is not a skip_plan.json: " + e.getMessage(), e);
        }
    }
}
