package io.easspark.jobs.tune;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.search.ScoredRow;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptEncoder;
import io.easspark.engine.text.PromptFormat;
import io.easspark.engine.tune.SceneExample;
import io.easspark.engine.tune.TuningExample;
import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.engine.vision.ImagePreprocessor;
import io.easspark.jobs.scienceqa.SceneLabels;
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

    private final Path folder;
    private final JsonObject problems;
    private final JsonObject splits;
    private final AnswerTarget target;

    private TuningData(Path folder, JsonObject problems, JsonObject splits, AnswerTarget target) {
        this.folder = folder;
        this.problems = problems;
        this.splits = splits;
        this.target = target;
    }

    /** The folder's problems with LaVIN's target, {@code The answer is X.}. */
    public static TuningData open(Path folder) throws IOException {
        return open(folder, AnswerTarget.A);
    }

    public static TuningData open(Path folder, AnswerTarget target) throws IOException {
        return new TuningData(folder, json(folder.resolve("problems.json")), json(folder.resolve("pid_splits.json")), target);
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
        return examples(split, limit, tokenizer, images, maxSeqLen, nVisualTokens, 1, 0);
    }

    /**
     * Encodes up to {@code limit} problems of a split, each {@code orders} times: first with its choices as written,
     * then in {@code orders − 1} further random orders (seeded) with the target letter moved along. A small model
     * trained on one fixed order per problem learns which letter each training prompt ends in instead of the answer
     * (docs/TUNING.md, runs 16-17); the extra orders take that shortcut away. The picture is decoded once per problem
     * and shared by its orders.
     */
    public List<TuningExample> examples(String split, int limit, LlamaTokenizer tokenizer, ImagePreprocessor images,
            int maxSeqLen, int nVisualTokens, int orders, long seed) throws IOException {
        if (orders < 1) {
            throw new IllegalArgumentException("orders must be >= 1: " + orders);
        }
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, target.reserve());
        java.util.Random random = new java.util.Random(seed);
        List<String> pids = pids(split, limit);
        int n = pids.size();
        List<TuningExample> out = new ArrayList<>(n * orders);
        for (int i = 0; i < n; i++) {
            String pid = pids.get(i);
            JsonObject p = problem(pid);
            String image = string(p, "image");
            float[] pixels = image == null || image.isBlank() ? null : picture(split, pid, image, images);
            String hint = string(p, "hint");
            String category = pixels != null ? "IMG" : hint != null && !hint.isBlank() ? "TXT" : "NO";
            List<String> written = choices(p);
            String right = written.get(answer(p));
            for (int o = 0; o < orders; o++) {
                List<String> choices = new ArrayList<>(written);
                if (o > 0) {
                    java.util.Collections.shuffle(choices, random);
                }
                String letter = String.valueOf((char) ('A' + choices.indexOf(right)));
                out.add(row(encoder, pid, string(p, "question"), hint, choices, pixels, i,
                        tokenizer.encode(targetText(pid, p, letter), false), category, letter));
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
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, target.reserve());
        java.util.Random random = new java.util.Random(seed);
        List<String> pids = pids(split, limit);
        int n = pids.size();
        List<TuningExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> options = shuffledChoices(pids.get(i), random);
            int pick = random.nextInt(options.size());
            String letter = String.valueOf((char) ('A' + pick));
            out.add(row(encoder, pids.get(i), "Which option is " + options.get(pick) + "?", "", options, null, i,
                    tokenizer.encode(target.option(options.get(pick), letter), false), "OPT", letter));
        }
        return out;
    }

    /**
     * Caption rows: each picture of a split with its description from {@code captions.json} as the target
     * ({@code Describe the picture.}, no options; the target is the caption + EOS, every word supervised). The
     * stand-in for CLIP's image-text pre-training: an IMG question teaches the vision tower through one letter, a
     * caption through every colour, shape and place in the picture. Category {@code CAP}; none when the folder has
     * no {@code captions.json}.
     */
    public List<TuningExample> captionRows(String split, int limit, LlamaTokenizer tokenizer, ImagePreprocessor images,
            int maxSeqLen, int nVisualTokens) throws IOException {
        JsonObject captions = captions();
        if (captions == null) {
            return List.of();
        }
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, 64);
        List<String> pids = pids(split, limit);
        int n = pids.size();
        List<TuningExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String pid = pids.get(i);
            String image = string(problem(pid), "image");
            JsonElement caption = captions.get(pid);
            if (image == null || image.isBlank() || caption == null || caption.isJsonNull()) {
                continue;
            }
            out.add(row(encoder, pid, "Describe the picture.", "", List.of(), picture(split, pid, image, images), i,
                    tokenizer.encode(caption.getAsString(), false), "CAP", "-"));
        }
        return out;
    }

    /** pid → caption from {@code captions.json}, or null when the folder has none. */
    private JsonObject captions() throws IOException {
        Path file = folder.resolve("captions.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonElement c = json(file).get("captions");
        if (c == null || !c.isJsonObject()) {
            throw new IllegalArgumentException(file + " has no \"captions\" object");
        }
        return c.getAsJsonObject();
    }

    /**
     * Scene rows for the vision tower's pre-training ({@code --vision-steps}): each picture of a split with its
     * caption read back as labels per grid cell ({@link SceneLabels}). Pictures whose
     * caption is not one the generator writes are left out; none when the folder has no {@code captions.json}.
     */
    public List<SceneExample> sceneRows(String split, int limit, ImagePreprocessor images) throws IOException {
        JsonObject captions = captions();
        if (captions == null) {
            return List.of();
        }
        List<SceneExample> out = new ArrayList<>();
        for (String pid : pids(split, limit)) {
            String image = string(problem(pid), "image");
            JsonElement caption = captions.get(pid);
            if (image == null || image.isBlank() || caption == null || !caption.isJsonPrimitive()) {
                continue;
            }
            int[] labels = SceneLabels.parse(caption.getAsString());
            if (labels != null) {
                out.add(new SceneExample(picture(split, pid, image, images), labels));
            }
        }
        return out;
    }

    /**
     * Dense option-reading rows: a problem's choices in a fresh order, and as the target every option named with its
     * letter in another random order ({@code lamp is B. hammer is A.}): one row teaches the binding of each option
     * to its letter, where an option-reading row teaches one. Category {@code BIND}.
     */
    public List<TuningExample> denseBinding(String split, int limit, LlamaTokenizer tokenizer, int maxSeqLen, int nVisualTokens,
            long seed) throws IOException {
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, 64);
        java.util.Random random = new java.util.Random(seed);
        List<String> pids = pids(split, limit);
        int n = pids.size();
        List<TuningExample> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            List<String> options = shuffledChoices(pids.get(i), random);
            List<Integer> asked = new ArrayList<>();
            for (int j = 0; j < options.size(); j++) {
                asked.add(j);
            }
            java.util.Collections.shuffle(asked, random);
            StringBuilder target = new StringBuilder();
            for (int j : asked) {
                target.append(target.length() == 0 ? "" : " ").append(options.get(j)).append(" is ").append((char) ('A' + j)).append('.');
            }
            out.add(row(encoder, pids.get(i), "Which letter does each option have?", "", options, null, i,
                    tokenizer.encode(target.toString(), false), "BIND", "-"));
        }
        return out;
    }

    /**
     * Hint-reading rows: each problem whose hint states two or more sentences, with the hint as the context, no
     * options, and as the target the hint's sentences in another random order ({@code Dina likes to eat plums. Nora
     * likes to eat grapes.}). Every sentence after its first word is a look-up in the hint keyed by that word, the
     * skill a TXT question needs once per row; this row supervises it once per sentence. The stand-in for the reading
     * LLaMA learns in pre-training, as captions stand in for CLIP's. Category {@code HINT}.
     */
    public List<TuningExample> hintRows(String split, int limit, LlamaTokenizer tokenizer, int maxSeqLen, int nVisualTokens,
            long seed) throws IOException {
        return fromHints(split, limit, tokenizer, maxSeqLen, nVisualTokens, seed, "HINT", (hint, random) -> {
            List<String> sentences = sentences(hint);
            if (new java.util.HashSet<>(sentences).size() < 2) {
                return null; // one distinct sentence has no other order
            }
            List<String> order = new ArrayList<>(sentences);
            while (order.equals(sentences)) { // another order than the hint's, so the row cannot be a plain copy
                java.util.Collections.shuffle(order, random);
            }
            return new String[] {"Say what the hint says, in another order.", String.join(" ", order)};
        });
    }

    /**
     * Reverse look-up rows: each problem whose hint states two or more facts with distinct first and last words
     * ({@code Nora likes to eat grapes. Dina likes to eat plums.}), with the hint as the context, the facts' last words
     * in a random order as the question, no options, and as the target each last word with the first word of its
     * sentence ({@code plums: Dina. grapes: Nora.}). To answer, the model finds the word in the hint by its identity and
     * reads the person three or four tokens before it: the one-hop shape option reading learns fast, and it needs each value in
     * the hint to carry its sentence's person, the half of a TXT look-up that causal attention cannot take from the
     * person's own token. Hints whose sentences share a first word ({@code The hammer weighs ...}) give no row.
     * Category {@code REV}.
     */
    public List<TuningExample> reverseRows(String split, int limit, LlamaTokenizer tokenizer, int maxSeqLen, int nVisualTokens,
            long seed) throws IOException {
        return fromHints(split, limit, tokenizer, maxSeqLen, nVisualTokens, seed, "REV", (hint, random) -> {
            List<String[]> facts = facts(sentences(hint));
            if (facts.size() < 2) {
                return null;
            }
            List<String[]> order = new ArrayList<>(facts);
            java.util.Collections.shuffle(order, random);
            List<String> values = new ArrayList<>();
            StringBuilder target = new StringBuilder();
            for (String[] f : order) {
                values.add(f[1]);
                target.append(target.isEmpty() ? "" : " ").append(f[1]).append(": ").append(f[0]).append('.');
            }
            return new String[] {"Whose are these: " + String.join(", ", values) + "?", target.toString()};
        });
    }

    /** Makes a row's question and target from a hint, or null when the hint gives no such row. */
    private interface HintTask {
        String[] make(String hint, java.util.Random random);
    }

    /** One row per problem whose hint the task accepts: the hint as the context, no options, no picture. */
    private List<TuningExample> fromHints(String split, int limit, LlamaTokenizer tokenizer, int maxSeqLen, int nVisualTokens,
            long seed, String category, HintTask task) throws IOException {
        PromptEncoder encoder = new PromptEncoder(tokenizer, PromptFormat.QCM, maxSeqLen, nVisualTokens, 96);
        java.util.Random random = new java.util.Random(seed);
        List<TuningExample> out = new ArrayList<>();
        List<String> pids = pids(split, limit);
        for (int i = 0; i < pids.size(); i++) {
            String hint = string(problem(pids.get(i)), "hint");
            String[] questionAndTarget = hint == null ? null : task.make(hint, random);
            if (questionAndTarget != null) {
                out.add(row(encoder, pids.get(i), questionAndTarget[0], hint, List.of(), null, i,
                        tokenizer.encode(questionAndTarget[1], false), category, "-"));
            }
        }
        return out;
    }

    /**
     * Each sentence's first word and last word (without its full stop), or nothing when the sentences are fewer than
     * two or share a first or a last word: then a first word does not name one fact.
     */
    static List<String[]> facts(List<String> sentences) {
        List<String[]> out = new ArrayList<>();
        java.util.Set<String> firsts = new java.util.HashSet<>();
        java.util.Set<String> lasts = new java.util.HashSet<>();
        for (String s : sentences) {
            String[] words = s.replaceAll("[.!?]+$", "").split("\\s+");
            if (words.length < 2 || !firsts.add(words[0]) || !lasts.add(words[words.length - 1])) {
                return List.of();
            }
            out.add(new String[] {words[0], words[words.length - 1]});
        }
        return out;
    }

    /** A text's sentences (split after '.', '!' or '?' followed by white space), trimmed, empty ones dropped. */
    static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        for (String s : text.strip().split("(?<=[.!?])\\s+")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** A problem's choices in a fresh random order. */
    private List<String> shuffledChoices(String pid, java.util.Random random) {
        List<String> options = new ArrayList<>(choices(problem(pid)));
        java.util.Collections.shuffle(options, random);
        return options;
    }

    /** The first {@code limit} pids of a split (all when {@code limit} ≤ 0). */
    private List<String> pids(String split, int limit) {
        List<String> pids = pids(split);
        return limit > 0 && limit < pids.size() ? pids.subList(0, limit) : pids;
    }

    /** One encoded row with its target + EOS; a prompt the encoder refuses names its problem. */
    private static TuningExample row(PromptEncoder encoder, String pid, String question, String hint, List<String> options,
            float[] pixels, long key, long[] target, String category, String answer) throws IOException {
        try {
            PromptEncoder.Encoded enc = encoder.encode(question, hint, options, pixels, key);
            return new TuningExample(new ScoredRow(enc.sequence(), withEos(target)), category, answer, Math.max(1, options.size()));
        } catch (PromptEncoder.RejectedPrompt e) {
            throw new IOException("problem " + pid + ": " + e.getMessage(), e);
        }
    }

    /** A problem's picture through the model's preprocessing; an undecodable file names its problem and path. */
    private float[] picture(String split, String pid, String image, ImagePreprocessor images) throws IOException {
        Path file = folder.resolve("images").resolve(split).resolve(pid).resolve(image);
        try {
            return images.pixels(Files.readAllBytes(file));
        } catch (ImageDecodeException e) {
            throw new IOException("problem " + pid + ": " + file + ": " + e.getMessage(), e);
        }
    }

    private static long[] withEos(long[] ids) {
        long[] out = java.util.Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = GenerationConfig.LLAMA_EOS;
        return out;
    }

    private JsonObject problem(String pid) {
        JsonElement e = problems.get(pid);
        if (e == null || !e.isJsonObject()) {
            throw new IllegalArgumentException("problems.json has no problem " + pid);
        }
        return e.getAsJsonObject();
    }

    private String target(JsonObject p) {
        return targetText(null, p, String.valueOf((char) ('A' + answer(p))));
    }

    /** This data's target for a problem and letter; a problem the target cannot be made for is named. */
    private String targetText(String pid, JsonObject p, String letter) {
        try {
            return target.text(string(p, "solution"), letter);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("problems.json: problem " + (pid != null ? pid : string(p, "question")) + ": " + e.getMessage(), e);
        }
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
        JsonElement parsed;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            parsed = JsonParser.parseReader(r);
        } catch (com.google.gson.JsonParseException e) {
            // Gson names the line and column, not the file: a user with three JSON files needs both
            throw new IllegalArgumentException(file + " is not valid JSON: " + rootMessage(e));
        }
        if (!parsed.isJsonObject()) {
            throw new IllegalArgumentException(file + " is not a JSON object");
        }
        return parsed.getAsJsonObject();
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
