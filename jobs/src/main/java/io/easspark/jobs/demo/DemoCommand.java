package io.easspark.jobs.demo;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.loader.nativeformat.DemoModel;
import io.easspark.loader.nativeformat.ModelFamily;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Writes the demo: a small native model with seeded random weights and the demo tokenizer, and a dataset of
 * generated images (shapes in colours) with questions about them, as JSONL plus PNG files. Two rows are bad on
 * purpose (a missing image, an empty question) so the job shows its statuses.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Write the demo model and a sample dataset (JSONL + PNG files). By default the EAS-tuned model shipped with",
            "the jar and the 1,000 held-out test problems of the generated ScienceQA-style benchmark it was tuned on;",
            "--weights random writes a model with seeded random weights and simple shape questions instead."})
public final class DemoCommand implements Callable<Integer> {

    private static final String[] COLOR_NAMES = {"red", "green", "blue", "yellow", "purple", "orange"};
    /** The demo pictures' colours (MeterDemo draws with the same ones). */
    static final Color[] COLORS = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, new Color(128, 0, 128), Color.ORANGE};
    private static final String[] SHAPES = {"circle", "square", "triangle"};
    /** ScienceQA's subjects, so evaluate has categories to report on the demo. */
    private static final String[] SUBJECTS = {"natural science", "social science", "language science"};

    @Spec
    CommandSpec spec;

    @Option(names = "--output", defaultValue = "demo", description = "folder to write model/ and data/ into (default: ${DEFAULT-VALUE})")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished demo output")
    boolean overwrite;
    @Option(names = "--rows", defaultValue = "240",
            description = "dataset rows (default: all 1000 test problems with the tuned model, ${DEFAULT-VALUE} with random weights)")
    int rows;
    @Option(names = "--seed", defaultValue = "7", description = "random weights: seed for weights and data (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--weights", defaultValue = "tuned", paramLabel = "tuned|random",
            description = "lavin: tuned = the EAS-tuned model shipped with the jar (docs/TUNING.md); random = seeded random weights"
                    + " (tests and benchmarks) (default: ${DEFAULT-VALUE})")
    String weights;
    @Option(names = "--family", defaultValue = "lavin", paramLabel = "lavin|meter",
            description = "lavin: a LaVIN-EAS model and multiple-choice questions; meter: a METER-EAS model, VQA rows"
                    + " (data/vqa.jsonl) and NLVR2 rows with two images (data/nlvr2.jsonl) (default: ${DEFAULT-VALUE})")
    String family;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (ModelFamily.ofFlag(family) == ModelFamily.METER) {
            int meterRows = spec.commandLine().getParseResult().hasMatchedOption("--rows") ? rows : MeterDemo.DEFAULT_ROWS;
            return MeterDemo.run(output, overwrite, meterRows, seed, out);
        }
        boolean rowsGiven = spec.commandLine().getParseResult().hasMatchedOption("--rows");
        switch (weights) {
            case "tuned" -> {
                return TunedDemo.run(output, overwrite, rowsGiven ? rows : TunedDemo.BENCHMARK.test(), out);
            }
            case "random" -> {
                // below
            }
            default -> throw new IllegalArgumentException("--weights must be tuned or random: " + weights);
        }
        if (rows < 3) {
            throw new IllegalArgumentException("--rows must be >= 3: " + rows);
        }
        OutputGuard.prepareLocal(output, overwrite, "demo", java.util.List.of(), OutputGuard.hasAll("model/config.json", "data/questions.jsonl"));
        write(output, rows, seed);
        out.println("demo: wrote model to " + output.resolve("model") + " and " + rows + " rows to "
                + output.resolve("data").resolve("questions.jsonl"));
        return 0;
    }

    /** Writes the demo model and dataset into {@code output} (benchmarks call this directly, not the command line). */
    public static void write(Path output, int rows, long seed) throws java.io.IOException {
        if (rows < 3) {
            throw new IllegalArgumentException("--rows must be >= 3: " + rows);
        }
        Path model = output.resolve("model");
        DemoModel.write(model, seed);
        Path data = output.resolve("data");
        Path images = data.resolve("images");
        Files.createDirectories(images);
        Random random = new Random(seed);
        Random labels = new Random(seed + 1); // categories for evaluate, without disturbing the rows' own stream
        try (Writer w = Files.newBufferedWriter(data.resolve("questions.jsonl"), StandardCharsets.UTF_8)) {
            for (int i = 0; i < rows; i++) {
                int color = random.nextInt(COLORS.length);
                int shape = random.nextInt(SHAPES.length);
                String file = String.format("%04d.png", i);
                if (i != 1) { // row 1 points at an image that does not exist: status image_missing
                    draw(images.resolve(file), COLORS[color], shape, random);
                }
                JsonObject row = new JsonObject();
                row.addProperty("id", String.format("q%04d", i));
                row.addProperty("image", "images/" + file);
                boolean askColor = random.nextBoolean();
                row.addProperty("question", i == 2 ? "" : askColor ? "What color is the " + SHAPES[shape] + "?" : "Which shape is in the image?");
                row.addProperty("context", "A generated picture of one shape.");
                JsonArray options = new JsonArray();
                List<String> names = askColor ? List.of(COLOR_NAMES) : List.of(SHAPES);
                for (int k = 0; k < Math.min(4, names.size()); k++) {
                    options.add(names.get(k));
                }
                row.add("options", options);
                row.addProperty("subject", SUBJECTS[labels.nextInt(SUBJECTS.length)]);
                row.addProperty("grade", "grade" + (1 + labels.nextInt(12)));
                row.addProperty("answer", String.valueOf((char) ('A' + Math.min(askColor ? color : shape, options.size() - 1))));
                w.write(row.toString());
                w.write('\n');
            }
        }
    }

    /** One shape (0 circle, 1 square, 2 triangle) in a colour on a white 96-pixel square, at a seeded place and size. */
    static void draw(Path file, Color color, int shape, Random random) throws java.io.IOException {
        BufferedImage img = new BufferedImage(96, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 96, 96);
        g.setColor(color);
        int x = 10 + random.nextInt(30);
        int y = 10 + random.nextInt(30);
        int s = 30 + random.nextInt(20);
        switch (shape) {
            case 0 -> g.fillOval(x, y, s, s);
            case 1 -> g.fillRect(x, y, s, s);
            default -> g.fillPolygon(new int[] {x, x + s, x + s / 2}, new int[] {y + s, y + s, y}, 3);
        }
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }
}
