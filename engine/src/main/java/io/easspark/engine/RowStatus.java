package io.easspark.engine;

import java.util.Locale;

/** What happened to one input row (DESIGN.md §4). Every input row gets exactly one. */
public enum RowStatus {
    OK,
    IMAGE_MISSING,
    IMAGE_CORRUPT,
    /** The image file is over --max-image-bytes, or its pixels exceed the decompression-bomb limit. */
    IMAGE_TOO_LARGE,
    /** The prompt was shortened (context first, then question) to fit the context limit; still answered. */
    PROMPT_TRUNCATED,
    EMPTY_QUESTION,
    ERROR;

    /** The value written to the output's {@code status} column. */
    public String columnValue() {
        return name().toLowerCase(Locale.ROOT);
    }
}
