package io.easspark.udf.meter;

import io.easspark.engine.meter.MeterSkipSet;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * How METER rows are answered, parsed once where the settings come in (infer's flags) and passed unchanged to
 * every task: the model directory, the rows' task ({@code auto} decides per row), the skip indices 0..4F-1 with their
 * {@link MeterSkipSet.IndexMapping}, the VQA top-k and the batch budget in tokens. Immutable and serializable.
 *
 * @param task a fixed task for every row, or null for {@code auto} (a row with a second image is NLVR2, else VQA)
 * @param skips skip indices as given (DESIGN-METER.md §3.4), checked against the model's fusion layers
 */
public record MeterRequest(String modelUri, MeterTask task, List<Integer> skips, MeterSkipSet.IndexMapping mapping, int topK,
        long maxBatchTokens) implements Serializable {

    /** One top answer per VQA row unless asked for more. */
    public static final int DEFAULT_TOP_K = 1;
    /**
     * 8 rows of METER-base at S = 384 (50 text + 577 image tokens each): the LaVIN default batch of 8, in tokens;
     * a smaller model fits proportionally more rows.
     */
    public static final long DEFAULT_MAX_BATCH_TOKENS = 8L * (50 + 577);
    /** The paper's set as ranges (= {@link MeterSkipSet#PAPER_DEFAULT}), the value {@code --skip-plan paper} names. */
    public static final String PAPER_PLAN = "0-2,4,6,8,12-13,17,23";

    public MeterRequest {
        Objects.requireNonNull(modelUri, "modelUri");
        Objects.requireNonNull(mapping, "mapping");
        skips = List.copyOf(skips);
        if (topK < 1) {
            throw new IllegalArgumentException("--top-k must be >= 1: " + topK);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("--max-batch-tokens must be >= 1: " + maxBatchTokens);
        }
    }

    /** The same settings with other skip indices (evaluate runs one per plan). */
    public MeterRequest withSkips(List<Integer> other) {
        return new MeterRequest(modelUri, task, other, mapping, topK, maxBatchTokens);
    }

    /** The skip set on a model with {@code layers} fusion layers; an index out of range fails naming it. */
    public MeterSkipSet skipSet(int layers) {
        try {
            return MeterSkipSet.of(layers, skips, mapping);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--skip-plan: " + e.getMessage(), e);
        }
    }

    /** The plan as the output's skip_plan column writes it: indices, then the mapping when it matters. */
    public String planText() {
        if (skips.isEmpty()) {
            return "none";
        }
        StringBuilder b = new StringBuilder();
        for (int k : skips) {
            b.append(b.length() == 0 ? "" : ",").append(k);
        }
        return mapping == MeterSkipSet.IndexMapping.ORIGINAL ? b + " (original mapping)" : b.toString();
    }

    /** {@code vqa}, {@code nlvr2}, {@code itm} or {@code auto} (null). */
    public static MeterTask parseTask(String value) {
        if (value == null || value.isBlank() || value.strip().equalsIgnoreCase("auto")) {
            return null;
        }
        try {
            return MeterTask.of(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--task must be vqa, nlvr2, itm or auto: " + value, e);
        }
    }

    public static MeterSkipSet.IndexMapping parseMapping(String value) {
        String v = value == null ? "intended" : value.strip().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "intended" -> MeterSkipSet.IndexMapping.INTENDED;
            case "original" -> MeterSkipSet.IndexMapping.ORIGINAL;
            default -> throw new IllegalArgumentException("--index-mapping must be intended or original: " + value);
        };
    }

    /**
     * {@code none} (or blank: the default, no skipping), {@code paper}, or indices and ranges: {@code 0-2,4,6}.
     * Range checks against the model happen in {@link #skipSet}.
     */
    public static List<Integer> parseSkips(String value) {
        if (value == null || value.isBlank() || value.strip().equalsIgnoreCase("none")) {
            return List.of();
        }
        String text = value.strip().equalsIgnoreCase("paper") ? PAPER_PLAN : value;
        List<Integer> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.strip();
            try {
                int dash = p.indexOf('-', 1);
                if (dash < 0) {
                    out.add(Integer.parseInt(p));
                } else {
                    int from = Integer.parseInt(p.substring(0, dash).strip());
                    int to = Integer.parseInt(p.substring(dash + 1).strip());
                    if (to < from) {
                        throw new IllegalArgumentException("--skip-plan range " + p + " runs backwards");
                    }
                    for (int k = from; k <= to; k++) {
                        out.add(k);
                    }
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--skip-plan for a METER model takes indices 0-23, ranges, none or paper: " + value);
            }
        }
        return out;
    }
}
