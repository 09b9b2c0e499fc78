package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * A forward frees each layer's intermediates when the layer ends (one sub-scope per RoBERTa layer, ViT block and
 * fusion layer): what stays in the batch's scope is the inputs, the 2 × 6 fusion outputs that {@link
 * MeterModel.Fusion} returns, the pooled features and a handful of stream-setup arrays — not the hundreds of arrays
 * (gigabytes at batch 64) the layers create.
 */
class MeterScopeTest {

    /** Arrays one fuse may leave in the scope: 12 layer outputs + pooled + inputs + setup (embeddings, masks, transforms). */
    static final int MAX_ARRAYS_LEFT = 60;

    @Test
    void aForwardLeavesOnlyItsOutputsInTheBatchScope() {
        MeterFixture f = MeterFixture.load();
        try (MeterModel model = MeterModel.load(f.config, f.weights(), Device.cpu())) {
            System.gc();
            MeterSkipSet skips = MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED);
            try (NDManager scope = model.newScope()) {
                MeterModel.Fusion fusion = model.fuse(f.ids(), f.pixels("pixels0", scope), MeterModel.TYPE_IMAGE, skips, scope);
                assertThat(fusion.text()).hasSize(6);
                assertThat(scope.getManagedArrays().size()).isLessThanOrEqualTo(MAX_ARRAYS_LEFT);
                // the outputs stay readable after their layers' scopes closed
                assertThat(fusion.text().get(0).toFloatArray()).isNotEmpty();
                assertThat(fusion.image().get(5).toFloatArray()).isNotEmpty();
            }
        }
    }
}
