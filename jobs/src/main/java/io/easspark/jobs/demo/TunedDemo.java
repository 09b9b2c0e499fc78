package io.easspark.jobs.demo;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.scienceqa.ScienceQaGenerator;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * {@code demo} with {@code --weights tuned} (the default): the EAS-tuned model committed with the jar (made by
 * {@code eas tune}, the command in its {@code skip_plan.json}; docs/TUNING.md) and the held-out test split of the
 * generated benchmark it was tuned on, as JSONL plus PNG files in the columns {@code infer} and {@code evaluate} read
 * by default. The two bad rows (a missing image, an empty question) carry no gold answer, so the accuracy {@code infer}
 * prints is over the benchmark's rows only.
 */
final class TunedDemo {

    /** gen-scienceqa's defaults: the splits the committed model was tuned on, so its test rows are held out. */
    static final ScienceQaGenerator.Spec BENCHMARK = new ScienceQaGenerator.Spec(14, 40_000, 1000, 1000, 64);
    static final String RESOURCES = "/io/easspark/jobs/demo/tuned/";
    static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.model", "skip_plan.json");
    static final String QUESTIONS = "questions.jsonl";

    private TunedDemo() {
    }

    static int run(Path output, boolean overwrite, int rows, PrintWriter out) throws IOException {
        check(rows);
        OutputGuard.prepareLocal(output, overwrite, "demo", List.of(), OutputGuard.hasAll("model/config.json", "data/" + QUESTIONS));
        out.println("demo: generating the benchmark's test split (gen-scienceqa's seed " + BENCHMARK.seed() + ")");
        out.flush();
        write(output, rows);
        out.println("demo: wrote the EAS-tuned model to " + output.resolve("model") + " and " + rows + " test rows (+2 bad ones) to "
                + output.resolve("data").resolve(QUESTIONS));
        return 0;
    }

    private static void check(int rows) {
        if (rows < 1 || rows > BENCHMARK.test()) {
            throw new IllegalArgumentException("--rows must be in 1.." + BENCHMARK.test() + " (the test split's size) for --weights tuned: " + rows);
        }
    }

    /** Writes model/ (the committed files) and data/ (the first {@code rows} test problems and two bad rows). */
    static void write(Path output, int rows) throws IOException {
        check(rows);
        Path model = output.resolve("model");
        Files.createDirectories(model);
        for (String f : MODEL_FILES) {
            try (InputStream in = TunedDemo.class.getResourceAsStream(RESOURCES + f)) {
                if (in == null) {
                    throw new IllegalStateException("the tuned demo model's " + f + " is missing from the jar (" + RESOURCES + ")");
                }
                Files.copy(in, model.resolve(f));
            }
        }
        Path data = output.resolve("data");
        Path images = data.resolve("images");
        Files.createDirectories(images);
        // the generator draws every split (the test split's pids depend on the others); only the test pictures are
        // rendered and only the test rows kept; the scratch copy is ours to delete
        Path scratch = Files.createTempDirectory("eas-demo-scienceqa");
        try {
            ScienceQaGenerator.write(scratch, BENCHMARK, java.util.Set.of("test"));
            JsonObject problems = json(scratch.resolve("problems.json"));
            List<JsonElement> test = json(scratch.resolve("pid_splits.json")).getAsJsonArray("test").asList();
            try (Writer w = Files.newBufferedWriter(data.resolve(QUESTIONS), StandardCharsets.UTF_8)) {
                for (JsonElement e : test.subList(0, rows)) {
                    String pid = e.getAsString();
                    JsonObject p = problems.getAsJsonObject(pid);
                    JsonObject row = new JsonObject();
                    row.addProperty("id", pid);
                    if (p.get("image").isJsonNull()) {
                        row.add("image", com.google.gson.JsonNull.INSTANCE);
                    } else {
                        String file = pid + ".png";
                        Files.copy(scratch.resolve("images/test").resolve(pid).resolve(p.get("image").getAsString()), images.resolve(file));
                        row.addProperty("image", "images/" + file);
                    }
                    row.add("question", p.get("question"));
                    row.add("context", p.get("hint"));
                    row.add("options", p.get("choices"));
                    row.addProperty("answer", String.valueOf((char) ('A' + p.get("answer").getAsInt())));
                    for (String f : List.of("subject", "grade", "skill", "solution")) {
                        row.add(f, p.get(f));
                    }
                    w.write(row.toString());
                    w.write('\n');
                }
                w.write(bad("bad-missing-image", "images/missing.png", "What color is the circle?") + "\n");
                w.write(bad("bad-empty-question", null, "") + "\n");
            }
        } finally {
            try (Stream<Path> s = Files.walk(scratch)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** A row that gets a status instead of an answer; no gold letter, so it does not count in the accuracy. */
    private static String bad(String id, String image, String question) {
        JsonObject row = new JsonObject();
        row.addProperty("id", id);
        row.addProperty("image", image);
        row.addProperty("question", question);
        row.addProperty("context", "");
        com.google.gson.JsonArray options = new com.google.gson.JsonArray();
        options.add("red");
        options.add("blue");
        row.add("options", options);
        return row.toString();
    }

    private static JsonObject json(Path file) throws IOException {
        return JsonParser.parseString(Files.readString(file, StandardCharsets.UTF_8)).getAsJsonObject();
    }
}
