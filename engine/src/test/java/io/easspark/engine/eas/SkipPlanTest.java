package io.easspark.engine.eas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SkipPlanTest {

    @Test
    void parsesThePublishedPlanAndPrintsItBack() {
        SkipPlan plan = SkipPlan.parse(SkipPlan.PUBLISHED_7B, 32);
        assertThat(plan.skippedLayers()).containsExactly(19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
        assertThat(plan.skippedCount()).isEqualTo(12);
        assertThat(plan.keptCount()).isEqualTo(20);
        assertThat(plan.toString()).isEqualTo("19,21-31");
        assertThat(SkipPlan.parse(plan.toString(), 32)).isEqualTo(plan);
    }

    @Test
    void acceptsNoneAndJsonLists() {
        assertThat(SkipPlan.parse("", 4).skippedCount()).isZero();
        assertThat(SkipPlan.parse("none", 4).toString()).isEqualTo("none");
        assertThat(SkipPlan.parse("[1, 3]", 4).skippedLayers()).containsExactly(1, 3);
    }

    @Test
    void namesTheLayerThatDoesNotExist() {
        assertThatThrownBy(() -> SkipPlan.parse("1,7", 4))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skip plan names layer 7 but the model has layers 0-3");
        assertThatThrownBy(() -> SkipPlan.parse("-1", 4)).hasMessageContaining("names layer -1 but the model has layers 0-3");
        assertThatThrownBy(() -> SkipPlan.parse("x-2", 4)).hasMessageContaining("not a layer index");
        assertThatThrownBy(() -> SkipPlan.parse("3-1", 4)).hasMessageContaining("runs backwards");
        assertThatThrownBy(() -> SkipPlan.parse("1,1", 4)).hasMessageContaining("names layer 1 twice");
        assertThatThrownBy(() -> SkipPlan.parse("a", 4)).hasMessageContaining("'a'");
    }
}
