package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The FLOP model against counts done by hand for a tiny config, and the skip-index mapping it inherits. */
class MeterFlopsTest {

    /** d 8, FFN 16, adapters 4 (groups 2), PIA 6; L = 3; a 32 px image of 16 px patches: 5 image tokens. */
    static final MeterConfig TINY = new MeterConfig(8, 2, 16, 10, 5, 1, 1e-5, 32, 16, 8, 2, 1, 1e-5, 6, 1e-12, 4, 6, 2, 3, 3);

    @Test
    void skippingOneTextSelfAttentionSavesItsAttentionAndAdapterLessThePia() {
        // kept: adapter 2·3·8·4 + 2·3·8·2 = 288; q k v o 8·3·8² = 1536; scores and values 4·3²·8 = 288 → 2112
        // PIA(h, h): C 2·3·8·6 = 288, A 288, B 2·3·8·3 = 144 → 720; saved 1392
        double none = MeterFlops.perRow(TINY, 3, MeterSkipSet.none(6));
        double one = MeterFlops.perRow(TINY, 3, MeterSkipSet.of(6, List.of(0), MeterSkipSet.IndexMapping.INTENDED));
        assertThat(none - one).isEqualTo(1392.0);
    }

    @Test
    void skippingATextCrossAttentionCountsTheOtherStreamsKeysAndValues() {
        // kept cross of 3 text tokens over 5 image tokens: adapter 288; q, o 4·3·64 = 768; k, v 4·5·64 = 1280;
        // scores and values 4·3·5·8 = 480 → 2816. PIA(h, o): C 288, A on 5 tokens 2·5·8·6 = 480, B 144 → 912
        double none = MeterFlops.perRow(TINY, 3, MeterSkipSet.none(6));
        double cross = MeterFlops.perRow(TINY, 3, MeterSkipSet.of(6, List.of(6), MeterSkipSet.IndexMapping.INTENDED));
        assertThat(none - cross).isEqualTo(2816.0 - 912.0);
    }

    @Test
    void theOriginalMappingOf18To23CostsWhatImageSelfSkipsCost() {
        double imageSelf = MeterFlops.perRow(TINY, 3, MeterSkipSet.of(6, List.of(12), MeterSkipSet.IndexMapping.INTENDED));
        double original18 = MeterFlops.perRow(TINY, 3, MeterSkipSet.of(6, List.of(18), MeterSkipSet.IndexMapping.ORIGINAL));
        double intended18 = MeterFlops.perRow(TINY, 3, MeterSkipSet.of(6, List.of(18), MeterSkipSet.IndexMapping.INTENDED));
        assertThat(original18).isEqualTo(imageSelf);
        assertThat(intended18).isNotEqualTo(imageSelf);
    }

    @Test
    void thePredictedSpeedupIsTheRatioOfFlops() {
        double none = MeterFlops.perRow(TINY, 3, MeterSkipSet.none(6));
        MeterSkipSet one = MeterSkipSet.of(6, List.of(0), MeterSkipSet.IndexMapping.INTENDED);
        assertThat(MeterFlops.predictedSpeedup(TINY, 3, MeterSkipSet.none(6))).isEqualTo(1.0);
        assertThat(MeterFlops.predictedSpeedup(TINY, 3, one)).isEqualTo(none / (none - 1392.0));
    }
}
