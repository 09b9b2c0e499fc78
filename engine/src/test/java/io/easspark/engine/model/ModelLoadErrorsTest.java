package io.easspark.engine.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.testing.Fixture;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A malformed checkpoint fails at load with the tensor, the expected and the found shape. */
class ModelLoadErrorsTest {

    final Fixture lavin = Fixture.load("lavin_tiny");

    @Test
    void wrongShapeNamesTensorExpectedAndFound() {
        Map<String, float[][]> bad = new HashMap<>();
        bad.put("layers.2.attention.wq.weight", new float[64][63]);
        assertThatThrownBy(() -> LavinModel.load(lavin.config(), lavin.weights(bad), SkipPlan.none(4), ReparamMode.LOWRANK, Device.cpu()))
                .isInstanceOf(WeightShapeException.class)
                .hasMessage("tensor layers.2.attention.wq.weight: expected [64, 64] but found [64, 63] in fixture lavin_tiny");
    }

    @Test
    void missingTensorIsNamed() {
        Map<String, float[][]> bad = new HashMap<>();
        bad.put("layers.3.replaced_adapter.conv_C.weight", null);
        assertThatThrownBy(() -> LavinModel.load(lavin.config(), lavin.weights(bad), SkipPlan.none(4), ReparamMode.LOWRANK, Device.cpu()))
                .isInstanceOf(WeightShapeException.class)
                .hasMessageContaining("tensor layers.3.replaced_adapter.conv_C.weight: expected [32, 64] but it is missing");
    }

    @Test
    void planForAnotherModelIsRefused() {
        assertThatThrownBy(() -> LavinModel.load(lavin.config(), lavin.weights(), SkipPlan.parse(SkipPlan.PUBLISHED_7B, 32),
                ReparamMode.LOWRANK, Device.cpu()))
                .hasMessageContaining("skip plan is for 32 layers but the model has 4");
    }

    @Test
    void configErrorsNameTheField() {
        String json = lavin.config().toJson().replace("\"n_heads\":4", "\"n_heads\":5");
        assertThatThrownBy(() -> LavinConfig.fromJson(json)).hasMessageContaining("dim must be a multiple of n_heads: dim 64, n_heads 5");
        assertThatThrownBy(() -> LavinConfig.fromJson("{\"dim\":\"x\"}")).hasMessageContaining("'dim' must be a number");
    }
}
