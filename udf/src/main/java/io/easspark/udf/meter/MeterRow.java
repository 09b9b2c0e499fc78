package io.easspark.udf.meter;

import io.easspark.engine.RowStatus;

/**
 * One input row for a METER model, after the Spark side resolved its image columns.
 *
 * @param task what the row asks: a VQA question, an NLVR2 statement about two images, or an image–text match
 * @param text the question (VQA), the statement (NLVR2) or the caption (ITM)
 * @param image encoded bytes of the (first) image, or null when it could not be read
 * @param imageStatus why {@code image} is null ({@code image_missing}, {@code image_too_large}), or null
 * @param imageProblem the reader's one-line reason, or null
 * @param image2 NLVR2's second image (null for other tasks)
 */
public record MeterRow(String id, MeterTask task, String text, byte[] image, RowStatus imageStatus, String imageProblem,
        byte[] image2, RowStatus image2Status, String image2Problem) {

    /** A VQA or ITM row (one image). */
    public static MeterRow single(String id, MeterTask task, String text, byte[] image, RowStatus imageStatus, String imageProblem) {
        return new MeterRow(id, task, text, image, imageStatus, imageProblem, null, null, null);
    }
}
