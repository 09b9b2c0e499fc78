package io.easspark.engine.meter;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One VQA row's soft targets: answer classes and their scores (the original's {@code vqa_labels}, {@code vqa_scores}),
 * built as METER's data preparation builds them ({@code write_vqa.py}): count each distinct annotator answer, drop
 * answers that are not in the answer vocabulary, score a class by {@link #score(int)} of its count. Answers are looked
 * up as given, without normalisation, as the original looks up VQAv2's annotator answers. Immutable.
 *
 * @param labels answer classes, in order of first appearance
 * @param scores their target scores in (0, 1]
 */
public record VqaTarget(int[] labels, double[] scores) {

    public VqaTarget {
        if (labels.length != scores.length) {
            throw new IllegalArgumentException(labels.length + " VQA target labels but " + scores.length + " scores");
        }
        labels = labels.clone();
        scores = scores.clone();
    }

    /**
     * VQAv2's score for an answer given by {@code count} of the annotators ({@code get_score}): 0, 0.3, 0.6, 0.9, then
     * 1 from four annotators on.
     */
    public static double score(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("annotator count must be >= 0: " + count);
        }
        return switch (count) {
            case 0 -> 0.0;
            case 1 -> 0.3;
            case 2 -> 0.6;
            case 3 -> 0.9;
            default -> 1.0;
        };
    }

    /** Targets from the annotators' answers; {@code ans2label} maps an answer to its class. */
    public static VqaTarget of(List<String> annotators, Map<String, Integer> ans2label) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (String a : annotators) {
            if (a != null) {
                counts.merge(a, 1, Integer::sum);
            }
        }
        int[] labels = new int[counts.size()];
        double[] scores = new double[counts.size()];
        int n = 0;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            Integer label = ans2label.get(e.getKey());
            if (label != null) {
                labels[n] = label;
                scores[n] = score(e.getValue());
                n++;
            }
        }
        return new VqaTarget(Arrays.copyOf(labels, n), Arrays.copyOf(scores, n));
    }

    /**
     * A single gold answer (no annotator counts): its class gets target 1, as if every annotator gave it; an answer
     * outside the vocabulary gives all-zero targets.
     */
    public static VqaTarget single(String answer, Map<String, Integer> ans2label) {
        Integer label = answer == null ? null : ans2label.get(answer);
        return label == null ? new VqaTarget(new int[0], new double[0]) : new VqaTarget(new int[] {label}, new double[] {1.0});
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    @Override
    public double[] scores() {
        return scores.clone();
    }

    /** The target of every class [C]; 0 for classes no annotator gave. */
    public double[] dense(int classes) {
        double[] t = new double[classes];
        for (int i = 0; i < labels.length; i++) {
            t[labels[i]] = scores[i];
        }
        return t;
    }

    /** The largest class named, or -1 for none. */
    int maxLabel() {
        return Arrays.stream(labels).max().orElse(-1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VqaTarget t && Arrays.equals(labels, t.labels) && Arrays.equals(scores, t.scores);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(labels) + Arrays.hashCode(scores);
    }

    @Override
    public String toString() {
        return "VqaTarget" + Arrays.toString(labels) + Arrays.toString(scores);
    }
}
