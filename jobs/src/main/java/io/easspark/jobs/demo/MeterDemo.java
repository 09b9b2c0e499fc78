package io.easspark.jobs.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.loader.nativeformat.MeterDemoModel;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * {@code demo --family meter}: a small METER-shaped model with random weights ({@link MeterDemoModel}) and the two
 * task formats a METER model answers by classification, as JSONL plus PNG files:
 * <ul>
 * <li>{@code data/vqa.jsonl}: {@code id, image, question, answers} (ten annotator answers, VQAv2's soft score);</li>
 * <li>{@code data/nlvr2.jsonl}: {@code id, image, image2, statement, label} (true/false about the pair).</li>
 * </ul>
 * A few rows are bad on purpose (a missing image, an empty question, a missing second image) so the statuses show.
 */
final class MeterDemo {

    static final String VQA = "vqa.jsonl";
    static final String NLVR2 = "nlvr2.jsonl";
    private static final String[] COLOR_NAMES = {"red", "green", "blue", "yellow", "purple", "orange"};
    private static final Color[] COLORS = DemoCommand.COLORS;
    private static final String[] SHAPES = {"circle", "square", "triangle"};
    /** VQAv2 has ten human answers per question. */
    private static final int ANNOTATORS = 10;

    /** VQA rows when --rows is not given (the LaVIN demo's 240 would only slow the first look down). */
    static final int DEFAULT_ROWS = 12;

    private MeterDemo() {
    }

    /** The command: same output rules as the LaVIN demo (ErrorIfExists, --overwrite only over a finished demo). */
    static int run(Path output, boolean overwrite, int rows, long seed, PrintWriter out) throws IOException {
        if (rows < 6) {
            throw new IllegalArgumentException("--rows must be >= 6 for --family meter: " + rows);
        }
        OutputGuard.prepareLocal(output, overwrite, "demo", List.of(), OutputGuard.hasAll("model/config.json", "data/" + VQA));
        write(output, rows, seed);
        out.println("demo: wrote a METER model to " + output.resolve("model") + ", " + rows + " VQA rows to "
                + output.resolve("data").resolve(VQA) + " and " + rows / 2 + " NLVR2 rows to " + output.resolve("data").resolve(NLVR2));
        return 0;
    }

    /** Writes model/ and data/ into {@code output}: {@code rows} VQA rows and {@code rows / 2} NLVR2 rows (at least 3 each). */
    static void write(Path output, int rows, long seed) throws IOException {
        if (rows < 6) {
            throw new IllegalArgumentException("--rows must be >= 6 for --family meter: " + rows);
        }
        MeterDemoModel.write(output.resolve("model"), seed);
        Path data = output.resolve("data");
        Path images = Files.createDirectories(data.resolve("images"));
        Random random = new Random(seed);
        try (Writer w = Files.newBufferedWriter(data.resolve(VQA), StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows; i++) {
                int color = random.nextInt(COLORS.length);
                int shape = random.nextInt(SHAPES.length);
                String file = String.format("v%03d.png", i);
                if (i != 1) { // row 1's image does not exist: image_missing
                    draw(images.resolve(file), color, shape, random);
                }
                boolean askColor = random.nextBoolean();
                String truth = askColor ? COLOR_NAMES[color] : SHAPES[shape];
                JsonObject row = new JsonObject();
                row.addProperty("id", String.format("vqa%03d", i));
                row.addProperty("image", "images/" + file);
                row.addProperty("question", i == 2 ? "" : askColor ? "What color is the " + SHAPES[shape] + "?" : "Which shape is it?");
                JsonArray answers = new JsonArray();
                for (int a = 0; a < ANNOTATORS; a++) { // most annotators agree; a few say something else, as in VQAv2
                    answers.add(random.nextInt(5) == 0 ? (askColor ? COLOR_NAMES[random.nextInt(COLOR_NAMES.length)]
                            : SHAPES[random.nextInt(SHAPES.length)]) : truth);
                }
                row.add("answers", answers);
                w.write(row.toString());
                w.write('\n');
            }
        }
        try (Writer w = Files.newBufferedWriter(data.resolve(NLVR2), StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows / 2; i++) {
                int[] colors = {random.nextInt(COLORS.length), random.nextInt(COLORS.length)};
                int[] shapes = {random.nextInt(SHAPES.length), random.nextInt(SHAPES.length)};
                String left = String.format("n%03d-0.png", i);
                String right = String.format("n%03d-1.png", i);
                draw(images.resolve(left), colors[0], shapes[0], random);
                if (i != 1) { // row 1's second image does not exist: image_missing
                    draw(images.resolve(right), colors[1], shapes[1], random);
                }
                int asked = random.nextInt(COLORS.length);
                JsonObject row = new JsonObject();
                row.addProperty("id", String.format("nlvr%03d", i));
                row.addProperty("image", "images/" + left);
                row.addProperty("image2", "images/" + right);
                row.addProperty("statement", "At least one image shows a " + COLOR_NAMES[asked] + " shape.");
                row.addProperty("label", colors[0] == asked || colors[1] == asked);
                w.write(row.toString());
                w.write('\n');
            }
        }
    }

    private static void draw(Path file, int color, int shape, Random random) throws IOException {
        DemoCommand.draw(file, COLORS[color], shape, random);
    }
}
