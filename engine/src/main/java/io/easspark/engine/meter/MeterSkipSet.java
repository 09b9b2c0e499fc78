package io.easspark.engine.meter;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The attention modules METER-EAS skips, from its candidate indices (DESIGN-METER.md §3.4): for F fusion layers,
 * {@code 0..F-1} text self-attention, {@code F..2F-1} text cross-attention, {@code 2F..3F-1} image self-attention,
 * {@code 3F..4F-1} image cross-attention, layer = index mod F. Immutable.
 */
public final class MeterSkipSet {

    /** The paper's default 10-of-24 set, the only one the original applies ({@code nonas.py}). */
    public static final List<Integer> PAPER_DEFAULT = List.of(13, 8, 17, 4, 6, 12, 23, 2, 1, 0);

    /** How the last quarter of the indices is read. */
    public enum IndexMapping {
        /** 3F..4F-1 skip image cross-attention, as the paper describes. */
        INTENDED,
        /**
         * The original's {@code apply_flag}: 3F..4F-1 skip image <em>self</em>-attention again, so image
         * cross-attention is never skipped. Reproduces the released METER-EAS models' behaviour.
         */
        ORIGINAL
    }

    private static final int TEXT_SELF = 0;
    private static final int TEXT_CROSS = 1;
    private static final int IMAGE_SELF = 2;
    private static final int IMAGE_CROSS = 3;

    private final int layers;
    private final List<Integer> indices;
    /** bit kind·F + layer set when that module is skipped */
    private final BitSet skipped;

    private MeterSkipSet(int layers, List<Integer> indices, BitSet skipped) {
        this.layers = layers;
        this.indices = indices;
        this.skipped = skipped;
    }

    public static MeterSkipSet none(int layers) {
        return of(layers, List.of(), IndexMapping.INTENDED);
    }

    /** @throws IllegalArgumentException for an index outside {@code [0, 4F)} or a repeated index */
    public static MeterSkipSet of(int layers, List<Integer> indices, IndexMapping mapping) {
        if (layers <= 0) {
            throw new IllegalArgumentException("skip set needs a positive fusion layer count: " + layers);
        }
        BitSet seen = new BitSet();
        BitSet skipped = new BitSet();
        for (int k : indices) {
            if (k < 0 || k >= 4 * layers) {
                throw new IllegalArgumentException("skip index " + k + " is outside 0-" + (4 * layers - 1)
                        + " (4 candidates per fusion layer, " + layers + " layers)");
            }
            if (seen.get(k)) {
                throw new IllegalArgumentException("skip set names index " + k + " twice");
            }
            seen.set(k);
            int kind = k / layers;
            if (kind == IMAGE_CROSS && mapping == IndexMapping.ORIGINAL) {
                kind = IMAGE_SELF;
            }
            skipped.set(kind * layers + k % layers);
        }
        return new MeterSkipSet(layers, List.copyOf(indices), skipped);
    }

    public int layers() {
        return layers;
    }

    /** The candidate indices as given. */
    public List<Integer> indices() {
        return indices;
    }

    public boolean textSelf(int layer) {
        return skipped.get(TEXT_SELF * layers + layer);
    }

    public boolean textCross(int layer) {
        return skipped.get(TEXT_CROSS * layers + layer);
    }

    public boolean imageSelf(int layer) {
        return skipped.get(IMAGE_SELF * layers + layer);
    }

    public boolean imageCross(int layer) {
        return skipped.get(IMAGE_CROSS * layers + layer);
    }

    /** Distinct modules skipped (fewer than the indices under {@link IndexMapping#ORIGINAL}). */
    public int skippedModules() {
        return skipped.cardinality();
    }

    /**
     * Skipped modules as {@code fusion3.text_cross} (fusion layer, stream, attention), in the order of
     * {@link #moduleNames()}: what calibrate's skip_plan.json lists.
     */
    public List<String> modulePaths() {
        List<String> paths = new ArrayList<>();
        String[] kinds = {"text_self", "text_cross", "image_self", "image_cross"};
        for (int i = skipped.nextSetBit(0); i >= 0; i = skipped.nextSetBit(i + 1)) {
            paths.add("fusion" + (i % layers) + "." + kinds[i / layers]);
        }
        return paths;
    }

    /** Skipped modules as {@code t0s t0c i5s ...} (text/image, self/cross), for logs and reports. */
    public List<String> moduleNames() {
        List<String> names = new ArrayList<>();
        String[] kinds = {"t%ds", "t%dc", "i%ds", "i%dc"};
        for (int i = skipped.nextSetBit(0); i >= 0; i = skipped.nextSetBit(i + 1)) {
            names.add(String.format(kinds[i / layers], i % layers));
        }
        return names;
    }
}
