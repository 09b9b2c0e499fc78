package io.easspark.engine.eas;

/**
 * Sizes of the decoder's PIA adapters (DESIGN.md §1.3).
 *
 * @param keptRank bottleneck of the adapter in front of a kept MHA (8 in LaVIN-EAS)
 * @param skippedRank bottleneck of the adapter that replaces a skipped MHA (32 in LaVIN-EAS)
 * @param groups groups of the B/D up-projections (2: block-diagonal over contiguous halves)
 * @param scale adapter scale s (1 in LaVIN-EAS)
 * @param routerTemperature router softmax temperature T (10 in LaVIN-EAS)
 */
public record AdapterConfig(int keptRank, int skippedRank, int groups, double scale, double routerTemperature) {

    /** A bottleneck wider than any model's width is not a bottleneck; bounds the [rank, dim] weights before reading. */
    public static final int MAX_RANK = 1 << 16;

    public AdapterConfig {
        if (keptRank <= 0 || skippedRank <= 0) {
            throw new IllegalArgumentException("adapter ranks must be > 0: kept_rank " + keptRank + ", skipped_rank " + skippedRank);
        }
        if (keptRank > MAX_RANK || skippedRank > MAX_RANK) {
            throw new IllegalArgumentException("adapter ranks must be at most " + MAX_RANK + ": kept_rank " + keptRank
                    + ", skipped_rank " + skippedRank);
        }
        if (groups <= 0 || keptRank % groups != 0 || skippedRank % groups != 0) {
            throw new IllegalArgumentException("adapter groups must divide both ranks: groups " + groups
                    + ", kept_rank " + keptRank + ", skipped_rank " + skippedRank);
        }
        if (!(routerTemperature > 0)) {
            throw new IllegalArgumentException("router_temperature must be > 0: " + routerTemperature);
        }
    }

    /** The values of LaVIN-EAS-7B. */
    public static AdapterConfig lavinEas() {
        return new AdapterConfig(8, 32, 2, 1.0, 10.0);
    }
}
