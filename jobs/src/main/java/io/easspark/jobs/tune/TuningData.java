package io.easspark.jobs.tune;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.search.ScoredRow;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptEncoder;
import io.easspark.engine.text.PromptFormat;
import io.easspark.engine.tune.TuningExample;
import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.engine.vision.ImagePreprocessor;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a split of a folder in ScienceQA's layout ({@code problems.json}, {@code pid_splits.json},
 * {@code images/<split>/<pid>/<image>}) into tuning examples, encoded exactly as {@code infer} encodes its rows (the
 * QCM prompt, the image through the model's preprocessing) and followed by LaVIN's training target
 * {@code The answer is X.} and EOS. The category is ScienceQA's context category: IMG with an image, TXT with a
 * hint, NO with neither.
 */
public final class TuningData {

    /** LaVIN's answer prefix; the rest of DESIGN.md §1.2's target (BECAUSE: lecture, solution) is left out, see docs/TUNING.md. */
    static final String TARGET = "The answer is %s.";

    private final Path folder;
    private final JsonObject problems;
    private final JsonObject splits;

    private TuningData(Path folder, JsonObject problems, JsonObject splits) {
        this.folder = folder;
        this.problems = problems;
        this.splits = splits;
    }

    public static TuningData open(Path folder) throws IOException {
        return new TuningData(folder, json(folder.resolve("problems.json")), json(folder.resolve("pid_splits.json")));
    }

    /** The pids of a split, in file order. */
    public List<String> pids(String split) {
        JsonElement e = splits.get(split);
        if (e == null || !e.isJsonArray()) {
            throw new IllegalArgumentException(folder.resolve("pid_splits.json") + " has no split '" + split + "'; it has " + splits.keySet());
        }
        List<String> out = new ArrayList<>();
        e.getAsJsonArray().forEach(p -> out.add(p.getAsString()));
        return out;
    }

    /** The QCM prompt text of a problem and its target, for the tokenizer corpus. */
    public List<String> texts(String pid) {
        JsonObject p = problem(pid);
        String prompt = PromptFormat.QCM.build(string(p, "question"), string(p, "hint"), choices(p));
        return List.of(PromptFormat.IMAGE_PREFIX.strip(), PromptFormat.NO_IMAGE_PREFIX, prompt, target(p));
    }

    /** Encodes up to {@code limit} problems of a split (all when {@code limit} ≤ 0). */
    public List<TuningExample> examples(String split, int limit, LlamaTokenizer tokenizer, ImagePreprocessor images,
            int maxSeqLen, int nVisualTokens) throws IOException {
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, 16);
        List<String> pids = pids(split);
        int n = limit > 0 ? Math.min(limit, pids.size()) : pids.size();
        List<TuningExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String pid = pids.get(i);
            JsonObject p = problem(pid);
            String image = string(p, "image");
            float[] pixels = null;
            if (image != null && !image.isBlank()) {
                Path file = folder.resolve("images").resolve(split).resolve(pid).resolve(image);
                try {
                    pixels = images.pixels(Files.readAllBytes(file));
                } catch (ImageDecodeException e) {
                    throw new IOException("problem " + pid + ": " + file + ": " + e.getMessage(), e);
                }
            }
            String hint = string(p, "hint");
            String category = pixels != null ? "IMG" : hint != null && !hint.isBlank() ? "TXT" : "NO";
            try {
                PromptEncoder.Encoded enc = encoder.encode(string(p, "question"), hint, choices(p), pixels, i);
                long[] t = tokenizer.encode(target(p), false);
                long[] answer = java.util.Arrays.copyOf(t, t.length + 1);
                answer[t.length] = GenerationConfig.LLAMA_EOS;
                out.add(new TuningExample(new ScoredRow(enc.sequence(), answer), category,
                        String.valueOf((char) ('A' + answer(p))), choices(p).size()));
            } catch (PromptEncoder.RejectedPrompt e) {
                throw new IOException("problem " + pid + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /**
     * Option-reading rows made from a split's problems: {@code Which option is X?} (unquoted, so X
     * is encoded with the same pieces as in the options) with the problem's own choices in
     * a fresh order and no image or hint; the target names the letter of X. They stand in for what pretraining gives
     * LLaMA (reading a list of options and naming the letter of the one meant): trained from scratch on the task alone,
     * the small base model stayed at the letter prior for 3,000 steps (docs/TUNING.md). Category {@code OPT}.
     */
    public List<TuningExample> optionReading(String split, int limit, LlamaTokenizer tokenizer, int maxSeqLen, int nVisualTokens,
            long seed) throws IOException {
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, 16);
        java.util.Random random = new java.util.Random(seed);
        List<String> pids = pids(split);
        int n = limit > 0 ? Math.min(limit, pids.size()) : pids.size();
        List<TuningExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> options = new ArrayList<>(choices(problem(pids.get(i))));
            java.util.Collections.shuffle(options, random);
            int pick = random.nextInt(options.size());
            String letter = String.valueOf((char) ('A' + pick));
            try {
                PromptEncoder.Encoded enc = encoder.encode("Which option is " + options.get(pick) + "?", "", options, null, i);
                long[] t = tokenizer.encode(String.format(TARGET, letter), false);
                long[] answer = java.util.Arrays.copyOf(t, t.length + 1);
                answer[t.length] = GenerationConfig.LLAMA_EOS;
                out.add(new TuningExample(new ScoredRow(enc.sequence(), answer), "OPT", letter, options.size()));
            } catch (PromptEncoder.RejectedPrompt e) {
                throw new IOException("problem " + pids.get(i) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private JsonObject problem(String pid) {
        JsonElement e = problems.get(pid);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException("problems.json has no problem " + pid);
        }
        return e.getAsJsonObject();
    }

    private static String target(JsonObject p) {
        return String.format(TARGET, (char) ('A' + answer(p)));
    }

    /** The gold answer's index, checked against the choices: a malformed problem is named, not a NullPointerException. */
    private static int answer(JsonObject p) {
        JsonElement a = p.get("answer");
        int n = choices(p).size();
        if (a == null || !a.isJsonPrimitive() || !a.getAsJsonPrimitive().isNumber() || a.getAsInt() < 0 || a.getAsInt() >= Math.min(n, 26)) {
            throw new IllegalArgumentException("problems.json: problem " + string(p, "question") + " has answer " + a
                    + ", expected an index into its " + n + " choices");
        }
        return a.getAsInt();
    }

    private static List<String> choices(JsonObject p) {
        JsonElement e = p.get("choices");
        if (e == null || !e.isJsonArray() || e.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException("problems.json: problem " + string(p, "question") + " has no choices array");
        }
        List<String> c = new ArrayList<>();
        e.getAsJsonArray().forEach(x -> c.add(x.getAsString()));
        return c;
    }

    private static String string(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }

    private static JsonObject json(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return JsonParser.parseReader(r).getAsJsonObject();
        }
    }
}
