package io.easspark.engine.eas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.easspark.engine.llama.LlamaConfig;
import org.junit.jupiter.api.Test;

class FlopModelTest {

    /** d 4, 2 layers, 1 head, F 8, V 10; kept rank 2, skipped rank 4. */
    static final LlamaConfig TINY = new LlamaConfig(4, 2, 1, 8, 10, 1e-6, 10000, 16);
    static final AdapterConfig ADAPTERS = new AdapterConfig(2, 4, 2, 1.0, 10.0);

    @Test
    void noSkippingPredictsNoSpeedUp() {
        SkipPlan none = SkipPlan.none(2);
        assertThat(FlopModel.predictedPrefillSpeedup(TINY, ADAPTERS, none, 7)).isEqualTo(1.0);
        assertThat(FlopModel.predictedDecodeSpeedup(TINY, ADAPTERS, none, 7)).isEqualTo(1.0);
        LlamaConfig big = new LlamaConfig(4096, 32, 32, 11008, 32000, 1e-6, 10000, 512);
        assertThat(FlopModel.predictedPrefillSpeedup(big, AdapterConfig.lavinEas(), SkipPlan.none(32), 300)).isEqualTo(1.0);
    }

    @Test
    void handCountedTinyModel() {
        SkipPlan plan = SkipPlan.of(2, 1);
        // prefill, 1 row of 2 tokens:
        //   kept layer per token 2·(4d² + 3dF + 3d·r_kept) = 2·(64 + 96 + 24) = 368
        //   skipped layer per token 2·(3dF + 4d·r_skipped) = 2·(96 + 64) = 320
        //   attention 2·2·d·T(T+1)/2 = 2·2·4·3 = 48; head 2·d·V = 80
        //   no skip: 2·(368·2 + 48) + 80 = 1648; skip layer 1: (736 + 48) + 320·2 + 80 = 1504
        FlopModel none = new FlopModel(TINY, ADAPTERS, SkipPlan.none(2));
        FlopModel skip = new FlopModel(TINY, ADAPTERS, plan);
        assertThat(none.prefillFlops(1, 2)).isEqualTo(1648);
        assertThat(skip.prefillFlops(1, 2)).isEqualTo(1504);
        assertThat(skip.prefillFlops(3, 2)).isEqualTo(3 * 1504);
        assertThat(FlopModel.predictedPrefillSpeedup(TINY, ADAPTERS, plan, 2)).isCloseTo(1648.0 / 1504.0, within(1e-12));
        // decode bytes, 1 row, context 3 (fp32):
        //   kept weights (4d² + 3dF)·4 = 640, its KV 2·3·d·4 = 96; skipped weights 3dF·4 = 384; head d·V·4 = 160
        //   no skip: 2·(640 + 96) + 160 = 1632; skip layer 1: 736 + 384 + 160 = 1280
        assertThat(none.decodeBytes(1, 3)).isEqualTo(1632);
        assertThat(skip.decodeBytes(1, 3)).isEqualTo(1280);
        assertThat(FlopModel.predictedDecodeSpeedup(TINY, ADAPTERS, plan, 3)).isCloseTo(1632.0 / 1280.0, within(1e-12));
        // decode FLOPs, 1 row, context 3: kept 2·160 + 2·2·4·3 = 368, skipped 2·96 = 192, head 80
        assertThat(skip.decodeFlops(1, 3)).isEqualTo(368 + 192 + 80);
        assertThat(skip.kvBytesPerRow(3)).isEqualTo(96);
    }

    @Test
    void aPlanForAnotherLayerCountIsRefused() {
        assertThatThrownBy(() -> new FlopModel(TINY, ADAPTERS, SkipPlan.none(3)))
                .hasMessageContaining("skip plan is for 3 layers but the model has 2");
    }
}
