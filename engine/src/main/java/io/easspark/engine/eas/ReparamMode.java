package io.easspark.engine.eas;

import java.util.Locale;

/**
 * How the per-row affine PIA map {@code p = M·a + c} reaches the next weights (DESIGN.md §1.4). All exact modes
 * agree to fp32 round-off.
 */
public enum ReparamMode {
    /** Apply {@code a + U_w(V·a) + c} per row: exact at any batch size, about 2·D·r extra FLOPs a token. Default. */
    LOWRANK,
    /** Fold M and c into per-row weight copies (the paper's mode); batch size 1 only. */
    MERGED,
    /**
     * The original batch-1 code's fold, whose bias uses the already-folded weight ({@code Wq·M·c}). Parity tests
     * only: it is not the EAS math.
     */
    MERGED_BUG,
    /** The router is pinned: fold once at load into the shared weights; zero extra cost at any batch size. */
    STATIC;

    public static ReparamMode parse(String text) {
        String key = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown reparam mode '" + text + "': expected lowrank, merged, static (or merged_bug for parity tests)");
        }
    }

    /** True where weights are folded per row, which only batch size 1 allows. */
    public boolean perRowWeights() {
        return this == MERGED || this == MERGED_BUG;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
