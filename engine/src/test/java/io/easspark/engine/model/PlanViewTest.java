package io.easspark.engine.model;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.LavinParityTest;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.testing.Fixture;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link LavinModel#withPlan}: a view under another plan is the model loaded with that plan, and owns nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PlanViewTest {

    /** A view runs the same arrays through the same ops as a loaded model: only libtorch's own nondeterminism. */
    static final double VIEW_TOLERANCE = 1e-6;
    static final String[] PLANS = {"none", "some", "allbutone", "all"};

    Fixture lavin;

    @BeforeAll
    void load() {
        lavin = Fixture.load("lavin_tiny");
    }

    LavinModel loaded(String plan, ReparamMode mode) {
        return LavinModel.load(lavin.config(), lavin.weights(), LavinParityTest.plan(lavin, plan), mode, Device.cpu());
    }

    /** MERGED folds per row and needs batch size 1: score row 0 alone there, every row at once otherwise. */
    float[] logits(LavinModel model, ReparamMode mode) {
        List<PromptSequence> rows = mode.perRowWeights() ? List.of(lavin.row(0)) : lavin.rows();
        try (NDManager scope = model.newScope()) {
            return new BatchGenerator(model).prefillForTest(rows, scope).logits().toFloatArray();
        }
    }

    @ParameterizedTest
    @EnumSource(value = ReparamMode.class, names = {"LOWRANK", "MERGED", "MERGED_BUG"})
    void aViewGivesTheLogitsOfTheModelLoadedWithItsPlan(ReparamMode mode) {
        for (String from : new String[] {"none", "some"}) {
            try (LavinModel base = loaded(from, mode)) {
                for (String plan : PLANS) {
                    SkipPlan p = LavinParityTest.plan(lavin, plan);
                    float[] expected;
                    try (LavinModel reference = loaded(plan, mode)) {
                        expected = logits(reference, mode);
                    }
                    try (LavinModel view = base.withPlan(p)) {
                        assertThat(view.plan()).isEqualTo(p);
                        assertClose(mode + ": " + from + " viewed as " + plan, logits(view, mode), expected, VIEW_TOLERANCE);
                    }
                }
            }
        }
    }

    @Test
    void closingAViewLeavesTheModelUsable() {
        try (LavinModel model = loaded("none", ReparamMode.LOWRANK)) {
            float[] before = logits(model, ReparamMode.LOWRANK);
            LavinModel view = model.withPlan(LavinParityTest.plan(lavin, "some"));
            logits(view, ReparamMode.LOWRANK);
            view.close();
            view.close(); // idempotent: it owns nothing
            assertThat(model.manager().isOpen()).isTrue();
            assertClose("the original after its view was closed", logits(model, ReparamMode.LOWRANK), before, 0);
            assertThat(model.plan()).isEqualTo(SkipPlan.none(4));
        }
    }

    @Test
    void aPlanForAnotherLayerCountIsRefused() {
        try (LavinModel model = loaded("none", ReparamMode.LOWRANK)) {
            assertThatThrownBy(() -> model.withPlan(SkipPlan.of(3, 1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("skip plan is for 3 layers but the model has 4");
        }
    }

    @Test
    void staticModelsCannotSwitchPlans() {
        Fixture pinned = Fixture.load("pinned_tiny");
        try (LavinModel model = LavinModel.load(pinned.config(), pinned.weights(), LavinParityTest.plan(pinned, "some"),
                ReparamMode.STATIC, Device.cpu())) {
            assertThatThrownBy(() -> model.withPlan(SkipPlan.none(3)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("reparam static folded skip plan 1 into the weights");
            assertThatThrownBy(() -> model.layer(0).withSkipped(true))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("layer 0 was folded at load (reparam static)");
        }
    }
}
