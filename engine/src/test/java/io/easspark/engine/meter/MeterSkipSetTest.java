package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.meter.MeterSkipSet.IndexMapping;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The 24 candidate indices and the original's 18–23 mapping (DESIGN-METER.md §3.4). */
class MeterSkipSetTest {

    @Test
    void paperDefaultSkipsTenModulesAsIntendedAndNineInTheOriginal() {
        MeterSkipSet intended = MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, IndexMapping.INTENDED);
        MeterSkipSet original = MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, IndexMapping.ORIGINAL);
        // DESIGN-METER.md §3.4's table: t0s t0c t1s t2s t2c t4s i0s i1s i5s (23 duplicates 17)
        assertThat(original.moduleNames()).containsExactly("t0s", "t1s", "t2s", "t4s", "t0c", "t2c", "i0s", "i1s", "i5s");
        assertThat(intended.moduleNames()).containsExactly("t0s", "t1s", "t2s", "t4s", "t0c", "t2c", "i0s", "i1s", "i5s",
                "i5c");
        assertThat(original.modulePaths()).startsWith("fusion0.text_self", "fusion1.text_self").endsWith("fusion5.image_self")
                .hasSize(9);
        assertThat(intended.modulePaths()).contains("fusion2.text_cross").endsWith("fusion5.image_cross");
        assertThat(intended.imageCross(5)).isTrue();
        assertThat(original.imageCross(5)).isFalse();
    }

    @Test
    void originalMappingNeverSkipsImageCrossAttention() {
        MeterSkipSet all = MeterSkipSet.of(6, java.util.stream.IntStream.range(0, 24).boxed().toList(), IndexMapping.ORIGINAL);
        assertThat(all.skippedModules()).isEqualTo(18);
        for (int i = 0; i < 6; i++) {
            assertThat(all.imageCross(i)).isFalse();
            assertThat(all.textSelf(i) && all.textCross(i) && all.imageSelf(i)).isTrue();
        }
    }

    @Test
    void badIndicesNameTheValue() {
        assertThatThrownBy(() -> MeterSkipSet.of(6, List.of(3, 24), IndexMapping.INTENDED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("skip index 24 is outside 0-23");
        assertThatThrownBy(() -> MeterSkipSet.of(6, List.of(5, 5), IndexMapping.INTENDED))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index 5 twice");
    }

    @Test
    void configRejectsAnUnknownFamilyAndTooFewPositions() {
        assertThatThrownBy(() -> MeterConfig.fromJson("{\"family\": \"lavin\"}"))
                .hasMessageContaining("'family' must be \"meter\"");
        String json = "{\"family\":\"meter\",\"hidden\":32,\"heads\":2,\"intermediate\":64,\"vocab_size\":64,"
                + "\"max_positions\":13,\"text_layers\":2,\"text_ln_eps\":1e-5,\"image_size\":48,\"patch_size\":16,"
                + "\"vit_width\":24,\"vit_heads\":2,\"vit_blocks\":2,\"vit_ln_eps\":1e-5,\"fusion_layers\":6,"
                + "\"fusion_ln_eps\":1e-12,\"adapter_hidden\":8,\"pia_hidden\":12,\"adapter_groups\":2,\"vqa_labels\":10,"
                + "\"max_text_len\":12}";
        assertThatThrownBy(() -> MeterConfig.fromJson(json))
                .hasMessageContaining("'max_positions' 13 must be at least 'max_text_len' + 2 = 14");
    }
}
