package io.easspark.engine.eas;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The set of decoder layers whose MHA is skipped (DESIGN.md §2). Written as 0-based layer indices with ranges,
 * e.g. the published LaVIN-EAS-7B plan {@code 19,21-31}. Immutable, and serializable so a parsed plan travels to
 * executors as itself (never as text to parse again).
 */
public final class SkipPlan implements java.io.Serializable {

    private static final long serialVersionUID = 1L;

    /** The 12-of-32 plan of the published LaVIN-EAS-7B checkpoint. */
    public static final String PUBLISHED_7B = "19,21-31";

    private final BitSet skipped;
    private final int nLayers;

    private SkipPlan(BitSet skipped, int nLayers) {
        this.skipped = skipped;
        this.nLayers = nLayers;
    }

    /** Keeps every MHA. */
    public static SkipPlan none(int nLayers) {
        return new SkipPlan(new BitSet(), nLayers);
    }

    public static SkipPlan of(int nLayers, int... layers) {
        BitSet set = new BitSet();
        for (int layer : layers) {
            checkLayer(layer, nLayers, String.valueOf(layer));
            if (set.get(layer)) {
                throw new IllegalArgumentException("skip plan names layer " + layer + " twice");
            }
            set.set(layer);
        }
        return new SkipPlan(set, nLayers);
    }

    /**
     * Parses {@code "19,21-31"} (0-based, ranges inclusive, blanks ignored); an empty string or {@code "none"} keeps
     * every layer.
     */
    public static SkipPlan parse(String text, int nLayers) {
        if (nLayers <= 0) {
            throw new IllegalArgumentException("skip plan needs a positive layer count: " + nLayers);
        }
        String trimmed = text == null ? "" : text.replace(" ", "").trim();
        if (trimmed.isEmpty() || trimmed.equalsIgnoreCase("none") || trimmed.equals("[]")) {
            return none(nLayers);
        }
        if (trimmed.startsWith("[") && trimmed.endsWith("]")) {
            trimmed = trimmed.substring(1, trimmed.length() - 1);
        }
        List<Integer> layers = new ArrayList<>();
        for (String part : trimmed.split(",")) {
            if (part.isEmpty()) {
                throw new IllegalArgumentException("skip plan has an empty entry: '" + text + "'");
            }
            int dash = part.indexOf('-', 1);
            if (dash > 0) {
                int from = parseLayer(part.substring(0, dash), text, nLayers);
                int to = parseLayer(part.substring(dash + 1), text, nLayers);
                if (to < from) {
                    throw new IllegalArgumentException("skip plan range runs backwards: '" + part + "' in '" + text + "'");
                }
                for (int i = from; i <= to; i++) {
                    layers.add(i);
                }
            } else {
                layers.add(parseLayer(part, text, nLayers));
            }
        }
        return of(nLayers, layers.stream().mapToInt(Integer::intValue).toArray());
    }

    private static int parseLayer(String s, String text, int nLayers) {
        int layer;
        try {
            layer = Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("skip plan entry is not a layer index: '" + s + "' in '" + text + "'");
        }
        checkLayer(layer, nLayers, text);
        return layer;
    }

    private static void checkLayer(int layer, int nLayers, String text) {
        if (layer < 0 || layer >= nLayers) {
            throw new IllegalArgumentException("skip plan names layer " + layer + " but the model has layers 0-"
                    + (nLayers - 1) + ": '" + text + "'");
        }
    }

    public boolean isSkipped(int layer) {
        if (layer < 0 || layer >= nLayers) {
            throw new IndexOutOfBoundsException("layer " + layer + " of " + nLayers);
        }
        return skipped.get(layer);
    }

    public int layerCount() {
        return nLayers;
    }

    public int skippedCount() {
        return skipped.cardinality();
    }

    public int keptCount() {
        return nLayers - skipped.cardinality();
    }

    public int[] skippedLayers() {
        return skipped.stream().toArray();
    }

    /** Compact form with ranges, the same syntax {@link #parse} reads; {@code none} for no skipping. */
    @Override
    public String toString() {
        if (skipped.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        int i = skipped.nextSetBit(0);
        while (i >= 0) {
            int end = skipped.nextClearBit(i) - 1;
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(i);
            if (end > i) {
                sb.append('-').append(end);
            }
            i = skipped.nextSetBit(end + 1);
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SkipPlan other && other.nLayers == nLayers && other.skipped.equals(skipped);
    }

    @Override
    public int hashCode() {
        return skipped.hashCode() * 31 + nLayers;
    }
}
