package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.SkipPlan;
import org.junit.jupiter.api.Test;

class SkipOrderTest {

    private static final int LAYERS = 32;
    private final SkipOrder order = new SkipOrder(SkipPlan.parse(SkipPlan.PUBLISHED_7B, LAYERS));

    @Test
    void publishedLayersFromTheTopThenTheRest() {
        assertThat(order.order()).startsWith(31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 19, 20, 18, 17, 16)
                .endsWith(1, 0).hasSize(LAYERS).doesNotHaveDuplicates();
    }

    @Test
    void twelveIsThePublishedPlan() {
        assertThat(order.first(12)).isEqualTo(SkipPlan.parse("19,21-31", LAYERS));
        assertThat(order.first(12).toString()).isEqualTo("19,21-31");
    }

    @Test
    void zeroSkipsNothingAndAllSkipsEveryLayer() {
        assertThat(order.first(0)).isEqualTo(SkipPlan.none(LAYERS));
        assertThat(order.first(4).toString()).isEqualTo("28-31");
        assertThat(order.first(13).toString()).isEqualTo("19-31");
        assertThat(order.first(LAYERS).skippedCount()).isEqualTo(LAYERS);
    }

    @Test
    void rejectsMoreLayersThanTheModelHas() {
        assertThatThrownBy(() -> order.first(LAYERS + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot skip 33 layers: the model has 32");
        assertThatThrownBy(() -> order.first(-1)).isInstanceOf(IllegalArgumentException.class);
    }
}
