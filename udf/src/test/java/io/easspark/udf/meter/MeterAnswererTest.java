package io.easspark.udf.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.RowStatus;
import io.easspark.engine.meter.MeterImageTransform;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.loader.nativeformat.MeterDemoModel;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * METER rows on the demo model: a status for every bad row, in input order; VQA top-k, NLVR2 and ITM results equal
 * to an oracle that runs the engine one row at a time; the same answers whatever the batch size.
 */
class MeterAnswererTest {

    /** Batched vs one row alone: GEMM summation order only. */
    static final double BATCH_TOLERANCE = 1e-5;

    @TempDir
    static Path tmp;
    static MeterModel model;
    static RobertaBpeTokenizer tokenizer;
    static MeterModelDirectory dir;
    static final MeterSkipSet SKIPS = MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED);

    @BeforeAll
    static void load() throws Exception {
        MeterDemoModel.write(tmp.resolve("model"), 7);
        dir = MeterModelDirectory.validate(tmp.resolve("model").toUri().toString(), new Configuration());
        model = dir.load(Device.cpu());
        tokenizer = dir.tokenizer();
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        model.close();
    }

    static byte[] png(Color c, int size) throws Exception {
        BufferedImage img = new BufferedImage(size, size + 10, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, size, size + 10);
        g.setColor(c);
        g.fillOval(5, 5, size / 2, size / 2);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    static List<MeterRow> rows() throws Exception {
        byte[] red = png(Color.RED, 80);
        byte[] blue = png(Color.BLUE, 70);
        List<MeterRow> rows = new ArrayList<>();
        rows.add(MeterRow.single("v0", MeterTask.VQA, "What color is the circle?", red, null, null));
        rows.add(MeterRow.single("missing", MeterTask.VQA, "What color?", null, RowStatus.IMAGE_MISSING, "images/x.png does not exist"));
        rows.add(new MeterRow("n0", MeterTask.NLVR2, "Both images show a circle.", red, null, null, blue, null, null));
        rows.add(MeterRow.single("corrupt", MeterTask.VQA, "What is it?", new byte[] {1, 2, 3, 4}, null, null));
        rows.add(MeterRow.single("v1", MeterTask.VQA, "Which shape is it?", blue, null, null));
        rows.add(MeterRow.single("empty", MeterTask.VQA, "  ", red, null, null));
        rows.add(new MeterRow("n-missing", MeterTask.NLVR2, "One image is red.", red, null, null, null, RowStatus.IMAGE_MISSING,
                "images/y.png does not exist"));
        rows.add(MeterRow.single("i0", MeterTask.ITM, "a red circle on white", red, null, null));
        rows.add(new MeterRow("n1", MeterTask.NLVR2, "The left image is blue.", blue, null, null, red, null, null));
        return rows;
    }

    /** The engine on one row alone: [fused pooled features] -> the head's raw outputs. */
    static float[] oracle(MeterRow r) throws Exception {
        MeterImageTransform t = new MeterImageTransform(model.config().imageSize());
        int s = model.config().imageSize();
        try (NDManager scope = model.newScope()) {
            long[][] ids = {tokenizer.encode(r.text())};
            NDArray p0 = model.fuse(ids, scope.create(t.pixels(r.image()), new Shape(1, 3, s, s)), MeterModel.TYPE_IMAGE, SKIPS, scope).pooled();
            return switch (r.task()) {
                case VQA -> model.vqaLogits(p0).toFloatArray();
                case ITM -> model.itmScore(p0).toFloatArray();
                case NLVR2 -> model.nlvr2Logits(p0, model.fuse(ids, scope.create(t.pixels(r.image2()), new Shape(1, 3, s, s)),
                        MeterModel.TYPE_SECOND_IMAGE, SKIPS, scope).pooled()).toFloatArray();
            };
        }
    }

    @Test
    void everyRowGetsItsStatusOrItsResultInInputOrder() throws Exception {
        List<MeterRow> rows = rows();
        List<MeterAnswer> out = new MeterAnswerer(model, tokenizer, dir.answers(), SKIPS, 1 << 20, 3).answer(rows);
        assertThat(out).extracting(MeterAnswer::id).containsExactly("v0", "missing", "n0", "corrupt", "v1", "empty", "n-missing", "i0", "n1");
        assertThat(out).extracting(MeterAnswer::status).containsExactly(RowStatus.OK, RowStatus.IMAGE_MISSING, RowStatus.OK,
                RowStatus.IMAGE_CORRUPT, RowStatus.OK, RowStatus.EMPTY_QUESTION, RowStatus.IMAGE_MISSING, RowStatus.OK, RowStatus.OK);
        assertThat(out.get(1).error()).isEqualTo("images/x.png does not exist");
        assertThat(out.get(3).error()).startsWith("image: ");
        assertThat(out.get(6).error()).isEqualTo("images/y.png does not exist");
        for (int i : new int[] {1, 3, 5, 6}) {
            assertThat(out.get(i).answer()).isNull();
            assertThat(out.get(i).score()).isNull();
        }
        for (int i = 0; i < rows.size(); i++) {
            MeterRow r = rows.get(i);
            MeterAnswer a = out.get(i);
            if (a.status() != RowStatus.OK) {
                continue;
            }
            float[] raw = oracle(r);
            switch (r.task()) {
                case VQA -> {
                    // the oracle's top 3 by logit, scored by sigmoid
                    Integer[] order = new Integer[raw.length];
                    for (int c = 0; c < raw.length; c++) {
                        order[c] = c;
                    }
                    java.util.Arrays.sort(order, (x, y) -> Float.compare(raw[y], raw[x]));
                    assertThat(a.topAnswers()).containsExactly(dir.answers().answer(order[0]), dir.answers().answer(order[1]),
                            dir.answers().answer(order[2]));
                    assertThat(a.answer()).isEqualTo(a.topAnswers().get(0));
                    assertThat(a.score()).isCloseTo(1 / (1 + Math.exp(-raw[order[0]])), within(BATCH_TOLERANCE));
                    assertThat(a.topScores()).isSortedAccordingTo((x, y) -> Double.compare(y, x));
                    assertThat(a.tokens()).isEqualTo(tokenizer.encode(r.text()).length
                            - (int) java.util.Arrays.stream(tokenizer.encode(r.text())).filter(id -> id == 1).count());
                }
                case NLVR2 -> {
                    assertThat(a.answer()).isEqualTo(raw[1] > raw[0] ? "true" : "false");
                    double pTrue = Math.exp(raw[1]) / (Math.exp(raw[0]) + Math.exp(raw[1]));
                    assertThat(a.score()).isCloseTo(raw[1] > raw[0] ? pTrue : 1 - pTrue, within(BATCH_TOLERANCE));
                    assertThat(a.score()).isGreaterThanOrEqualTo(0.5);
                }
                case ITM -> {
                    assertThat(a.answer()).isNull();
                    assertThat(a.score()).isCloseTo(raw[0], within(BATCH_TOLERANCE));
                }
            }
        }
    }

    @Test
    void theBatchSizeDoesNotChangeAnswers() throws Exception {
        List<MeterRow> rows = rows();
        int rowTokens = model.config().maxTextLen() + model.config().imageTokens();
        List<MeterAnswer> big = new MeterAnswerer(model, tokenizer, dir.answers(), SKIPS, 1 << 20, 1).answer(rows);
        List<MeterAnswer> one = new MeterAnswerer(model, tokenizer, dir.answers(), SKIPS, rowTokens, 1).answer(rows);
        for (int i = 0; i < rows.size(); i++) {
            assertThat(one.get(i).status()).isEqualTo(big.get(i).status());
            assertThat(one.get(i).answer()).isEqualTo(big.get(i).answer());
            if (big.get(i).score() != null) {
                assertThat(one.get(i).score()).isCloseTo(big.get(i).score(), within(BATCH_TOLERANCE));
            }
        }
    }
}
