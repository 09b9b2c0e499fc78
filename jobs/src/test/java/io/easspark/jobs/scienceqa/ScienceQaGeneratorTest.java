package io.easspark.jobs.scienceqa;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The generated benchmark: bytes fixed by the seed, ScienceQA's field names and files, uniform letters, true answers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScienceQaGeneratorTest {

    /** ScienceQA's problems.json fields, in its order. */
    static final List<String> FIELDS = List.of("question", "choices", "answer", "hint", "image", "task", "grade", "subject",
            "topic", "category", "skill", "lecture", "solution", "split");
    static final ScienceQaGenerator.Spec SMALL = new ScienceQaGenerator.Spec(3, 400, 60, 60, 64);

    Path tmp;
    Path a;
    JsonObject problems;
    JsonObject splits;

    @BeforeAll
    void generate() throws IOException {
        tmp = Files.createTempDirectory("gen-scienceqa");
        a = tmp.resolve("a");
        ScienceQaGenerator.write(a, SMALL);
        problems = JsonParser.parseString(Files.readString(a.resolve("problems.json"))).getAsJsonObject();
        splits = JsonParser.parseString(Files.readString(a.resolve("pid_splits.json"))).getAsJsonObject();
    }

    @Test
    void sameSeedSameBytesOtherSeedOtherProblems() throws IOException {
        Path b = tmp.resolve("b");
        ScienceQaGenerator.write(b, SMALL);
        Map<String, byte[]> left = files(a);
        Map<String, byte[]> right = files(b);
        assertThat(right.keySet()).isEqualTo(left.keySet());
        left.forEach((name, bytes) -> assertThat(right.get(name)).as(name).isEqualTo(bytes));

        Path c = tmp.resolve("c");
        ScienceQaGenerator.write(c, new ScienceQaGenerator.Spec(4, 400, 60, 60, 64));
        assertThat(Files.readString(c.resolve("problems.json"))).isNotEqualTo(Files.readString(a.resolve("problems.json")));
    }

    @Test
    void picturesOfOneSplitOnlyAreTheSameBytes() throws IOException {
        Path t = tmp.resolve("test-pictures");
        ScienceQaGenerator.write(t, SMALL, java.util.Set.of("test"));
        Map<String, byte[]> whole = files(a);
        Map<String, byte[]> part = files(t);
        Map<String, byte[]> expected = new java.util.TreeMap<>();
        whole.forEach((name, bytes) -> {
            if (!name.startsWith("images/") || name.startsWith("images/test/")) {
                expected.put(name, bytes);
            }
        });
        assertThat(expected.keySet()).anyMatch(n -> n.startsWith("images/test/")).contains("problems.json", "captions.json");
        assertThat(part.keySet()).isEqualTo(expected.keySet());
        expected.forEach((name, bytes) -> assertThat(part.get(name)).as(name).isEqualTo(bytes));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ScienceQaGenerator.write(tmp.resolve("typo"), SMALL, java.util.Set.of("tset")))
                .hasMessageContaining("picture splits must be among train, val, test");
        assertThat(tmp.resolve("typo")).doesNotExist();
    }

    @Test
    void layoutHasScienceQasFieldsSplitsAndImages() throws IOException {
        assertThat(splits.keySet()).containsExactly("train", "val", "test", "trainval");
        assertThat(splits.getAsJsonArray("train")).hasSize(400);
        assertThat(splits.getAsJsonArray("val")).hasSize(60);
        assertThat(splits.getAsJsonArray("test")).hasSize(60);
        assertThat(splits.getAsJsonArray("trainval")).hasSize(460);
        assertThat(problems.size()).isEqualTo(520);
        Map<String, Integer> kinds = new TreeMap<>();
        Map<String, Integer> subjects = new TreeMap<>();
        Map<Boolean, Integer> lowGrade = new HashMap<>();
        for (String split : List.of("train", "val", "test")) {
            for (JsonElement id : splits.getAsJsonArray(split)) {
                JsonObject p = problems.getAsJsonObject(id.getAsString());
                assertThat(new ArrayList<>(p.keySet())).as("pid " + id).isEqualTo(FIELDS);
                assertThat(p.get("split").getAsString()).isEqualTo(split);
                int n = p.getAsJsonArray("choices").size();
                assertThat(n).isBetween(2, 5);
                assertThat(p.get("answer").getAsInt()).isBetween(0, n - 1);
                assertThat(p.get("grade").getAsString()).matches("grade([1-9]|1[0-2])");
                Path png = a.resolve("images").resolve(split).resolve(id.getAsString()).resolve("image.png");
                boolean hasImage = !p.get("image").isJsonNull();
                assertThat(Files.exists(png)).as(png.toString()).isEqualTo(hasImage);
                if (hasImage) {
                    assertThat(p.get("image").getAsString()).isEqualTo("image.png");
                    BufferedImage img = ImageIO.read(png.toFile());
                    assertThat(img.getWidth()).isEqualTo(64);
                }
                String kind = hasImage ? "IMG" : p.get("hint").getAsString().isEmpty() ? "NO" : "TXT";
                kinds.merge(kind, 1, Integer::sum);
                subjects.merge(p.get("subject").getAsString(), 1, Integer::sum);
                lowGrade.merge(Integer.parseInt(p.get("grade").getAsString().substring(5)) <= 6, 1, Integer::sum);
            }
        }
        // every category evaluate reports is populated
        assertThat(kinds.keySet()).containsExactly("IMG", "NO", "TXT");
        assertThat(kinds.get("IMG")).isBetween(180, 290);
        assertThat(subjects.keySet()).containsExactly("language science", "natural science", "social science");
        assertThat(lowGrade.keySet()).containsExactlyInAnyOrder(true, false);
        try (Stream<Path> pngs = Files.walk(a.resolve("images"))) {
            assertThat(pngs.filter(p -> p.toString().endsWith(".png")).count()).isEqualTo((long) kinds.get("IMG"));
        }
    }

    @Test
    void answerPositionsAreUniformForEachChoiceCount() {
        // 20,000 questions straight from the factory: for each count n, every position holds the answer ~1/n of the time
        ProblemFactory f = new ProblemFactory(64);
        SplittableRandom r = new SplittableRandom(11);
        Map<Integer, int[]> byCount = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            Problem p = f.draw(List.of("IMG", "TXT", "NO").get(i % 3), r);
            byCount.computeIfAbsent(p.choices().size(), n -> new int[n])[p.answer()]++;
        }
        assertThat(byCount.keySet()).containsExactlyInAnyOrder(2, 3, 4, 5);
        byCount.forEach((n, counts) -> {
            int total = java.util.Arrays.stream(counts).sum();
            double chi2 = 0;
            for (int c : counts) {
                double e = (double) total / n;
                chi2 += (c - e) * (c - e) / e;
            }
            // 99.9% quantile of chi-square with n-1 <= 4 degrees of freedom is 18.5
            assertThat(chi2).as("chi-square of answer positions among " + n + " choices " + java.util.Arrays.toString(counts)).isLessThan(18.5);
        });
    }

    @Test
    void imageAnswersAreInThePicture() {
        // the colour asked about is drawn at the object's centre; a count question counts drawn objects of that shape
        ProblemFactory f = new ProblemFactory(64);
        SplittableRandom r = new SplittableRandom(5);
        int checked = 0;
        for (int i = 0; i < 600; i++) {
            Problem p = f.draw("IMG", r);
            BufferedImage img = p.image().render();
            String right = p.choices().get(p.answer());
            for (Scene.Shape s : p.image().shapes()) {
                assertThat(img.getRGB(s.x(), s.y()) & 0xFFFFFF).as(p.question()).isNotEqualTo(p.image().background().getRGB() & 0xFFFFFF);
            }
            if (p.question().startsWith("What color is the ")) {
                String shape = p.question().substring("What color is the ".length(), p.question().length() - 1);
                List<Scene.Shape> matching = p.image().shapes().stream().filter(s -> Scene.SHAPE_NAMES.get(s.shape()).equals(shape)).toList();
                assertThat(matching).hasSize(1);
                assertThat(Scene.COLOR_NAMES.get(matching.get(0).color())).isEqualTo(right);
                checked++;
            } else if (p.question().startsWith("How many ")) {
                String shape = p.question().substring("How many ".length(), p.question().indexOf("s are"));
                long n = p.image().shapes().stream().filter(s -> Scene.SHAPE_NAMES.get(s.shape()).equals(shape)).count();
                assertThat(String.valueOf(n)).isEqualTo(right);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(150);
    }

    @Test
    void captionsDescribeEachPictureInReadingOrder() throws IOException {
        // 64 px: cells of 21 px; sizes under 10 px are "small", over 16 px "large", between them unnamed
        Scene scene = new Scene(64, java.awt.Color.WHITE, List.of(
                new Scene.Shape(2, 0, 50, 55, 8),    // red triangle, bottom right, small
                new Scene.Shape(0, 5, 32, 32, 18),   // orange circle, centre, large
                new Scene.Shape(1, 2, 5, 10, 12)),   // blue square, top left
                1L);
        assertThat(scene.caption()).isEqualTo(
                "A blue square at the top left. A large orange circle at the centre. A small red triangle at the bottom right.");

        JsonObject captions = JsonParser.parseString(Files.readString(a.resolve("captions.json"))).getAsJsonObject()
                .getAsJsonObject("captions");
        int images = 0;
        for (Map.Entry<String, JsonElement> e : problems.entrySet()) {
            boolean hasImage = !e.getValue().getAsJsonObject().get("image").isJsonNull();
            assertThat(captions.has(e.getKey())).as(e.getKey()).isEqualTo(hasImage);
            images += hasImage ? 1 : 0;
        }
        assertThat(images).isGreaterThan(100);
        // a colour question's answer is in its picture's caption, next to the shape asked about
        for (Map.Entry<String, JsonElement> e : problems.entrySet()) {
            JsonObject p = e.getValue().getAsJsonObject();
            String q = p.get("question").getAsString();
            if (q.startsWith("What color is the ")) {
                String shape = q.substring("What color is the ".length(), q.length() - 1);
                String right = p.getAsJsonArray("choices").get(p.get("answer").getAsInt()).getAsString();
                assertThat(captions.get(e.getKey()).getAsString()).contains(right + " " + shape + " at");
            }
        }
    }

    private static Map<String, byte[]> files(Path root) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                out.put(root.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }
}
