package io.easspark.udf.meter;

import java.util.Locale;

/** The three tasks a METER model answers by classification (DESIGN-METER.md §4). */
public enum MeterTask {
    /** top answer of the VQA head, its sigmoid score (METER trains VQA with binary cross-entropy on soft scores) */
    VQA,
    /** "true"/"false" about two images, the softmax probability of that class */
    NLVR2,
    /** image–text match: the rank_output score (a logit; higher = better match) */
    ITM;

    /** A task named in an input column ("vqa", "nlvr2", "itm"); an unknown name fails naming it. */
    public static MeterTask of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("task must be vqa, nlvr2 or itm: " + name);
        }
    }
}
