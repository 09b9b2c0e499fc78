package io.easspark.jobs.infer;

import java.io.Serializable;
import java.util.Locale;

/**
 * Where the questions are and how their columns map, checked where the flags come in: the format is known (from
 * --input-format or the extension) before Spark starts. Column names are the user's; null means "the input has
 * none". Immutable and serializable; shared by infer, evaluate and calibrate.
 *
 * @param split with {@link Format#SCIENCEQA}: the pid_splits.json list to read; null for the other formats
 * @param imageRoot folder relative image paths resolve against, or null
 * @param maxImageBytes most bytes read for one image file
 */
public record InputSpec(String input, Format format, String split, String imageRoot, String idCol, String imageCol, String questionCol,
                        String contextCol, String optionsCol, String optionsDelimiter, long maxImageBytes) implements Serializable {

    /** The split a ScienceQA folder is read at when --split is not given. */
    public static final String DEFAULT_SPLIT = "test";

    public static final String DEFAULT_ID_COL = "id";
    public static final String DEFAULT_IMAGE_COL = "image";
    public static final String DEFAULT_QUESTION_COL = "question";
    public static final String DEFAULT_CONTEXT_COL = "context";
    public static final String DEFAULT_OPTIONS_COL = "options";
    public static final String DEFAULT_OPTIONS_DELIMITER = "|";
    /** 64 MiB: far above any real photo, far below what would hurt an executor. */
    public static final long DEFAULT_MAX_IMAGE_BYTES = 64L << 20;

    /** How Spark reads the input. */
    public enum Format {
        PARQUET,
        JSON,
        CSV,
        /** A folder in ScienceQA's layout (problems.json, pid_splits.json, images/): jobs.scienceqa.ScienceQaInput. */
        SCIENCEQA;

        /** From --input-format, or from --input's extension when that is null or blank. */
        static Format of(String input, String given) {
            if (given == null || given.isBlank()) {
                String in = input.toLowerCase(Locale.ROOT);
                Format f = in.endsWith(".parquet") ? PARQUET : in.endsWith(".csv") ? CSV
                        : in.endsWith(".jsonl") || in.endsWith(".json") ? JSON : null;
                if (f == null) {
                    throw new IllegalArgumentException("cannot tell the format of --input " + input + ": give --input-format parquet|json|csv|scienceqa");
                }
                return f;
            }
            return switch (given.trim().toLowerCase(Locale.ROOT)) {
                case "parquet" -> PARQUET;
                case "json", "jsonl" -> JSON;
                case "csv" -> CSV;
                case "scienceqa" -> SCIENCEQA;
                default -> throw new IllegalArgumentException("unknown --input-format " + given + ": expected parquet, json, csv or scienceqa");
            };
        }
    }

    public InputSpec {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("--input is required");
        }
        java.util.Objects.requireNonNull(format, "format");
        split = blankToNull(split);
        if (split != null && format != Format.SCIENCEQA) {
            throw new IllegalArgumentException("--split " + split + " needs --input-format scienceqa, found " + format.name().toLowerCase(Locale.ROOT));
        }
        if (format == Format.SCIENCEQA && split == null) {
            split = DEFAULT_SPLIT;
        }
        imageRoot = blankToNull(imageRoot);
        imageCol = blankToNull(imageCol);
        contextCol = blankToNull(contextCol);
        optionsCol = blankToNull(optionsCol);
        if (maxImageBytes < 1) {
            throw new IllegalArgumentException("--max-image-bytes must be >= 1: " + maxImageBytes);
        }
    }

    /**
     * @param format --input-format as given; null or blank: from the extension
     * @param split --split as given (scienceqa only), or null
     */
    public static InputSpec of(String input, String format, String split, String imageRoot, String idCol, String imageCol, String questionCol,
            String contextCol, String optionsCol, String optionsDelimiter, long maxImageBytes) {
        if (input == null || input.isBlank()) {
            throw new IllegalArgumentException("--input is required");
        }
        if (split != null && !split.isBlank() && (format == null || !format.trim().equalsIgnoreCase("scienceqa"))) {
            throw new IllegalArgumentException("--split " + split + " needs --input-format scienceqa"
                    + (format == null || format.isBlank() ? "" : ", found --input-format " + format));
        }
        return new InputSpec(input, Format.of(input, format), split, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol,
                optionsDelimiter, maxImageBytes);
    }

    /** The same columns over another file (benchmarks warm up on a few rows). */
    public InputSpec withInput(String other) {
        return new InputSpec(other, format, split, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol, optionsDelimiter,
                maxImageBytes);
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
