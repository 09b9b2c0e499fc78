package io.easspark.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.easspark.engine.eas.SkipPlan;
import org.junit.jupiter.api.Test;

class KvCacheTest {

    @Test
    void skippedLayersHoldNoMemory() {
        try (NDManager m = NDManager.newBaseManager()) {
            SkipPlan published = SkipPlan.parse(SkipPlan.PUBLISHED_7B, 32);
            KvCache eas = new KvCache(m, published, 2, 4, 8, 16, DataType.FLOAT32);
            KvCache full = new KvCache(m, SkipPlan.none(32), 2, 4, 8, 16, DataType.FLOAT32);
            for (int layer = 0; layer < 32; layer++) {
                assertThat(eas.holds(layer)).as("layer %d", layer).isEqualTo(!published.isSkipped(layer));
            }
            // 2 rows x 4 heads x 16 positions x 8 dims x 4 bytes x (K and V) per kept layer
            assertThat(full.bytes()).isEqualTo(32L * 2 * 4 * 16 * 8 * 4 * 2);
            assertThat(eas.bytes()).isEqualTo(20L * 2 * 4 * 16 * 8 * 4 * 2);
            assertThat((double) eas.bytes() / full.bytes()).isEqualTo(1 - 12.0 / 32);
            assertThat(eas.bytesPerRowPerPosition()).isEqualTo(20L * 4 * 8 * 4 * 2);
            assertThatThrownBy(() -> eas.store(19, 0, m)).hasMessageContaining("layer 19 is skipped");
        }
    }
}
