package io.easspark.engine.generate;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import io.easspark.engine.testing.RouterWeights;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine against the independent PyTorch reference (tools/reference/lavin_eas_ref.py, float64) on the tiny
 * models: every layer's output, prefill logits, router weights, greedy tokens, in both position conventions.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public class LavinParityTest {

    /** fp32 against the float64 reference (the bar). */
    public static final double REFERENCE_TOLERANCE = 1e-4;
    /** Router weights are softmaxes of small logits: tighter. */
    static final double ROUTER_TOLERANCE = 1e-5;

    Fixture lavin;
    Fixture pinned;

    @BeforeAll
    void load() {
        lavin = Fixture.load("lavin_tiny");
        pinned = Fixture.load("pinned_tiny");
    }

    public static SkipPlan plan(Fixture f, String name) {
        int n = f.config().text().nLayers();
        return switch (name) {
            case "none" -> SkipPlan.none(n);
            case "some" -> n == 4 ? SkipPlan.of(n, 1, 3) : SkipPlan.of(n, 1);
            case "allbutone" -> n == 4 ? SkipPlan.of(n, 0, 1, 2) : SkipPlan.of(n, 0, 2);
            case "all" -> SkipPlan.parse("0-" + (n - 1), n);
            default -> throw new IllegalArgumentException(name);
        };
    }

    static LavinModel model(Fixture f, String planName, ReparamMode mode) {
        LavinModel model = LavinModel.load(f.config(), f.weights(), plan(f, planName), mode, Device.cpu());
        // weights made from Java buffers must not depend on buffers the GC may free: collect before using them
        System.gc();
        return model;
    }

    Fixture fixture(String name) {
        return name.equals("lavin") ? lavin : pinned;
    }

    @ParameterizedTest(name = "{0} plan {1}")
    @CsvSource({"lavin,none", "lavin,some", "lavin,allbutone", "lavin,all", "pinned,none", "pinned,some", "pinned,allbutone"})
    void everyLayerAndLogitsMatchReferenceRowByRow(String fixtureName, String planName) {
        Fixture f = fixture(fixtureName);
        try (LavinModel model = model(f, planName, ReparamMode.LOWRANK); NDManager scope = model.newScope()) {
            BatchGenerator gen = new BatchGenerator(model);
            int d = f.config().text().dim();
            for (int r = 0; r < f.rowCount(); r++) {
                String key = planName + "_r" + r;
                BatchGenerator.Prefill p = gen.prefillForTest(List.of(f.row(r)), scope);
                float[] refHidden = f.expected(key + "_hidden").floats(); // [L, T, D]
                int t = f.row(r).length(f.config().nVisualTokens());
                for (int l = 0; l < model.layerCount(); l++) {
                    float[] ours = p.hidden().get(l).toFloatArray();
                    float[] ref = java.util.Arrays.copyOfRange(refHidden, l * t * d, (l + 1) * t * d);
                    assertClose(key + " layer " + l + " output", ours, ref, REFERENCE_TOLERANCE);
                }
                assertClose(key + " prefill logits", p.logits().toFloatArray(), f.expected(key + "_logits").floats(),
                        REFERENCE_TOLERANCE);
                assertClose(key + " router weights", RouterWeights.of(p.states()), f.expected(key + "_router").floats(), ROUTER_TOLERANCE);
            }
        }
    }

    @ParameterizedTest(name = "{0} plan {1} originalPositions={2}")
    @CsvSource({"lavin,none,false", "lavin,some,false", "lavin,allbutone,false", "lavin,all,false",
        "lavin,none,true", "lavin,some,true", "lavin,all,true", "pinned,some,false", "pinned,allbutone,true"})
    void greedyTokensAndStepLogitsMatchReference(String fixtureName, String planName, boolean original) {
        Fixture f = fixture(fixtureName);
        try (LavinModel model = model(f, planName, ReparamMode.LOWRANK)) {
            BatchGenerator gen = new BatchGenerator(model);
            GenerationConfig cfg = GenerationConfig.greedy(8).withOriginalPositions(original).withRecordLogits(true);
            for (int r = 0; r < f.rowCount(); r++) {
                String key = planName + "_r" + r + (original ? "_greedy_origpos" : "_greedy");
                Generation g = gen.generate(List.of(f.row(r)), cfg).get(0);
                assertThat(g.tokens()).as(key).containsExactly(f.expected(key).longs());
                float[] ref = f.expected(key + "_logits").floats();
                float[] ours = new float[ref.length];
                int v = f.config().text().vocabSize();
                for (int k = 0; k < g.stepLogits().length; k++) {
                    System.arraycopy(g.stepLogits()[k], 0, ours, k * v, v);
                }
                assertClose(key + " step logits", ours, ref, REFERENCE_TOLERANCE);
            }
        }
    }

    @Test
    void visualTokensMatchReference() {
        try (LavinModel model = model(lavin, "none", ReparamMode.LOWRANK); NDManager scope = model.newScope()) {
            for (int r = 0; r < lavin.rowCount(); r++) {
                if (!lavin.row(r).hasImage()) {
                    continue;
                }
                NDArray pixels = scope.create(lavin.row(r).pixels(), new ai.djl.ndarray.types.Shape(1, 3,
                        lavin.config().vision().imageSize(), lavin.config().vision().imageSize()));
                assertClose("r" + r + " class-token taps", model.vision().taps(pixels).toFloatArray(),
                        lavin.expected("r" + r + "_vit_taps").floats(), REFERENCE_TOLERANCE);
                assertClose("r" + r + " visual tokens", model.vision().visualTokens(pixels).toFloatArray(),
                        lavin.expected("r" + r + "_visual").floats(), REFERENCE_TOLERANCE);
            }
        }
    }

    @AfterAll
    void done() {
        // fixtures hold only Java arrays; models are closed per test
    }
}
