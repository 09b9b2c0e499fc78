package io.easspark.jobs.tune;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.tune.EasTuner;
import io.easspark.loader.convert.ImportedTensor;
import io.easspark.loader.nativeformat.NativeModelWriter;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.Half;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Writes a tuned model as a native directory: fp16 safetensors, the tokenizer, the chosen plan and how it was found. */
final class TunedModel {

    private TunedModel() {
    }

    /** The values rounded to fp16 and back, i.e. what a model written by {@link #write} loads as. */
    static Map<String, float[]> roundedToHalf(Map<String, float[]> values) {
        Map<String, float[]> out = new LinkedHashMap<>();
        values.forEach((name, v) -> {
            float[] r = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                r[i] = Half.toFloat(Half.fromFloat(v[i]));
            }
            out.put(name, r);
        });
        return out;
    }

    static void write(Path dir, LavinConfig config, Map<String, float[]> values, byte[] tokenizer, EasTuner.SearchOutcome search,
            String command) throws IOException {
        List<ImportedTensor> tensors = new ArrayList<>();
        for (Map.Entry<String, long[]> e : NativeLayout.tensors(config).entrySet()) {
            String name = e.getKey();
            long[] shape = e.getValue();
            float[] v = values.get(name);
            tensors.add(new ImportedTensor(name, DType.F16, shape, "eas tune", () -> {
                ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : v) {
                    b.putShort(Half.fromFloat(x));
                }
                b.flip();
                return new TensorData(name, DType.F16, shape, b);
            }));
        }
        NativeModelWriter.writeVerified(dir, config, tensors, tokenizer, (i, n, name, bytes) -> { });
        JsonObject plan = new JsonObject();
        plan.addProperty("plan", search.plan().toString());
        plan.addProperty("strategy", "rl (during adapter training, eas tune)");
        plan.addProperty("k", search.plan().skippedCount());
        plan.addProperty("rounds", search.rounds());
        JsonArray p = new JsonArray();
        for (double x : search.probabilities()) {
            p.add(x);
        }
        plan.add("probabilities", p);
        JsonArray ranking = new JsonArray();
        search.ranking().forEach(ranking::add);
        plan.add("ranking", ranking);
        plan.addProperty("command", command);
        Files.writeString(dir.resolve("skip_plan.json"), new GsonBuilder().setPrettyPrinting().create().toJson(plan) + "\n",
                StandardCharsets.UTF_8);
    }

    /** The top-k layers of the search's ranking, for k = 0..L: the table's plans. */
    static List<SkipPlan> plansByK(EasTuner.SearchOutcome search, int layers) {
        List<SkipPlan> plans = new ArrayList<>();
        for (int k = 0; k <= layers; k++) {
            plans.add(k == search.plan().skippedCount() ? search.plan()
                    : SkipPlan.of(layers, search.ranking().subList(0, k).stream().mapToInt(Integer::intValue).toArray()));
        }
        return plans;
    }
}
