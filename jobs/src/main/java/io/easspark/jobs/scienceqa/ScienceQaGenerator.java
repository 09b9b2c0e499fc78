package io.easspark.jobs.scienceqa;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;

/**
 * Writes a generated benchmark in ScienceQA's own layout: {@code problems.json} (pid → ScienceQA's fields, in its
 * order), {@code pid_splits.json} (train, val, test, trainval), {@code captions.json} (pid → a description of the
 * picture, for the problems that have one, as ScienceQA ships machine captions) and {@code images/<split>/<pid>/image.png} for the
 * questions that have a picture. Same seed and sizes → the same bytes: each problem draws from its own stream split
 * off the seed in pid order, and the split assignment from a second stream.
 */
public final class ScienceQaGenerator {

    /** Share of IMG, TXT and NO questions (ScienceQA has about half with an image). */
    static final double IMG_SHARE = 0.45;
    static final double TXT_SHARE = 0.30;

    /** What to generate. */
    public record Spec(long seed, int train, int val, int test, int imageSize) {

        public Spec {
            if (train < 1 || val < 1 || test < 1) {
                throw new IllegalArgumentException("--train, --val and --test must be >= 1: " + train + ", " + val + ", " + test);
            }
            if (imageSize < 24 || imageSize > 1024) {
                throw new IllegalArgumentException("--image-size must be in 24..1024 pixels: " + imageSize);
            }
        }

        int total() {
            return train + val + test;
        }
    }

    private ScienceQaGenerator() {
    }

    /** Writes the layout into {@code dir} (created); returns the number of problems per split. */
    public static Map<String, Integer> write(Path dir, Spec spec) throws IOException {
        return write(dir, spec, Set.of("train", "val", "test"));
    }

    /**
     * Writes the layout with the pictures of the named splits only ({@code problems.json}, {@code pid_splits.json} and
     * {@code captions.json} are whole): the same problems and bytes as {@link #write(Path, Spec)} for those splits,
     * without rendering the others (the demo needs the test split of a benchmark with 40,000 training problems).
     */
    public static Map<String, Integer> write(Path dir, Spec spec, Set<String> imageSplits) throws IOException {
        if (!Set.of("train", "val", "test").containsAll(imageSplits)) {
            // a misspelt split would otherwise leave its pictures unwritten without a word
            throw new IllegalArgumentException("picture splits must be among train, val, test: " + imageSplits);
        }
        Files.createDirectories(dir);
        ProblemFactory factory = new ProblemFactory(spec.imageSize());
        SplittableRandom root = new SplittableRandom(spec.seed());
        List<Problem> problems = new ArrayList<>();
        for (int i = 0; i < spec.total(); i++) {
            SplittableRandom r = root.split();
            double u = r.nextDouble();
            problems.add(factory.draw(u < IMG_SHARE ? "IMG" : u < IMG_SHARE + TXT_SHARE ? "TXT" : "NO", r));
        }
        // pids are 1..N as in ScienceQA; splits are a seeded shuffle of them, each list in pid order
        List<Integer> order = new ArrayList<>();
        for (int i = 1; i <= spec.total(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(spec.seed() ^ 0x5C1E_4CEL));
        Map<String, List<Integer>> splits = new LinkedHashMap<>();
        splits.put("train", sorted(order.subList(0, spec.train())));
        splits.put("val", sorted(order.subList(spec.train(), spec.train() + spec.val())));
        splits.put("test", sorted(order.subList(spec.train() + spec.val(), spec.total())));
        String[] splitOf = new String[spec.total() + 1];
        splits.forEach((name, pids) -> pids.forEach(p -> splitOf[p] = name));

        JsonObject all = new JsonObject();
        JsonObject captions = new JsonObject();
        for (int pid = 1; pid <= spec.total(); pid++) {
            Problem p = problems.get(pid - 1);
            all.add(String.valueOf(pid), json(p, splitOf[pid]));
            if (p.image() != null) {
                captions.addProperty(String.valueOf(pid), p.image().caption());
                if (!imageSplits.contains(splitOf[pid])) {
                    continue;
                }
                Path png = dir.resolve("images").resolve(splitOf[pid]).resolve(String.valueOf(pid)).resolve("image.png");
                Files.createDirectories(png.getParent());
                ImageIO.write(p.image().render(), "png", png.toFile());
            }
        }
        JsonObject pidSplits = new JsonObject();
        List<Integer> trainval = new ArrayList<>(splits.get("train"));
        trainval.addAll(splits.get("val"));
        splits.forEach((name, pids) -> pidSplits.add(name, ids(pids)));
        pidSplits.add("trainval", ids(sorted(trainval)));
        Gson gson = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
        try (Writer w = Files.newBufferedWriter(dir.resolve("problems.json"), StandardCharsets.UTF_8)) {
            gson.toJson(all, w);
        }
        try (Writer w = Files.newBufferedWriter(dir.resolve("pid_splits.json"), StandardCharsets.UTF_8)) {
            gson.toJson(pidSplits, w);
        }
        JsonObject captionFile = new JsonObject();
        captionFile.add("captions", captions);
        try (Writer w = Files.newBufferedWriter(dir.resolve("captions.json"), StandardCharsets.UTF_8)) {
            gson.toJson(captionFile, w);
        }
        Map<String, Integer> sizes = new LinkedHashMap<>();
        splits.forEach((name, pids) -> sizes.put(name, pids.size()));
        return sizes;
    }

    /** ScienceQA's fields in its order; {@code image} is "image.png" or null, {@code hint} "" when none. */
    private static JsonObject json(Problem p, String split) {
        JsonObject o = new JsonObject();
        o.addProperty("question", p.question());
        JsonArray choices = new JsonArray();
        p.choices().forEach(choices::add);
        o.add("choices", choices);
        o.addProperty("answer", p.answer());
        o.addProperty("hint", p.hint());
        if (p.image() == null) {
            o.add("image", JsonNull.INSTANCE);
        } else {
            o.addProperty("image", "image.png");
        }
        o.addProperty("task", "closed choice");
        o.addProperty("grade", p.grade());
        o.addProperty("subject", p.subject());
        o.addProperty("topic", p.topic());
        o.addProperty("category", p.category());
        o.addProperty("skill", p.skill());
        o.addProperty("lecture", p.lecture());
        o.addProperty("solution", p.solution());
        o.addProperty("split", split);
        return o;
    }

    private static List<Integer> sorted(List<Integer> pids) {
        List<Integer> s = new ArrayList<>(pids);
        Collections.sort(s);
        return s;
    }

    private static JsonArray ids(List<Integer> pids) {
        JsonArray a = new JsonArray();
        pids.forEach(p -> a.add(String.valueOf(p)));
        return a;
    }
}
