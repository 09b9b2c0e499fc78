package io.easspark.udf;

import io.easspark.engine.RowStatus;
import java.util.List;

/**
 * One input row as the executor sees it, after the Spark side resolved the image column.
 *
 * @param id the row's id (output rows carry it back)
 * @param image encoded image bytes, or null for a row without an image
 * @param imageMissing why a referenced image could not be read (e.g. its path does not exist), or null
 * @param imageStatus the row's status when {@code imageMissing} is set: {@code image_missing} or {@code image_too_large}
 * @param question the question text
 * @param context the hint, or null
 * @param options answer options (may be empty for free-form questions)
 */
public record QuestionRow(String id, byte[] image, String imageMissing, RowStatus imageStatus, String question, String context,
                          List<String> options) {

    /** A row whose image, if it has a problem, is missing. */
    public QuestionRow(String id, byte[] image, String imageMissing, String question, String context, List<String> options) {
        this(id, image, imageMissing, imageMissing == null ? null : RowStatus.IMAGE_MISSING, question, context, options);
    }

    public QuestionRow {
        if (imageMissing != null && imageStatus == null) {
            imageStatus = RowStatus.IMAGE_MISSING;
        }
        // a null option (a hole in the input array) stays in place as "": dropping it would shift every later letter
        options = options == null ? List.of() : options.stream().map(o -> o == null ? "" : o).toList();
    }
}
