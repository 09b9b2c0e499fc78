package io.easspark.jobs.infer;

import picocli.CommandLine.Option;

/** The question dataset and how its columns map, shared by infer, evaluate and calibrate; defaults are {@link InputSpec}'s. */
public final class InputMixin {

    @Option(names = "--input", required = true, description = "questions: Parquet, JSONL or CSV (any Hadoop URI)")
    String input;
    @Option(names = "--input-format", description = "parquet, json, csv (default: from the extension), or scienceqa: --input is a folder in ScienceQA's layout")
    String inputFormat;
    @Option(names = "--split", description = "with --input-format scienceqa: the pid_splits.json list to read (default: " + InputSpec.DEFAULT_SPLIT + ")")
    String split;
    @Option(names = "--image-root", description = "folder that relative image paths resolve against; paths may not escape it")
    String imageRoot;
    @Option(names = "--id-col", defaultValue = InputSpec.DEFAULT_ID_COL, description = "(default: ${DEFAULT-VALUE})")
    String idCol;
    @Option(names = "--image-col", defaultValue = InputSpec.DEFAULT_IMAGE_COL, description = "binary image bytes or a path; '' for none (default: ${DEFAULT-VALUE})")
    String imageCol;
    @Option(names = "--question-col", defaultValue = InputSpec.DEFAULT_QUESTION_COL, description = "(default: ${DEFAULT-VALUE})")
    String questionCol;
    @Option(names = "--context-col", defaultValue = InputSpec.DEFAULT_CONTEXT_COL, description = "'' for none (default: ${DEFAULT-VALUE})")
    String contextCol;
    @Option(names = "--options-col", defaultValue = InputSpec.DEFAULT_OPTIONS_COL, description = "array, or a string split by --options-delimiter; '' for none (default: ${DEFAULT-VALUE})")
    String optionsCol;
    @Option(names = "--options-delimiter", defaultValue = InputSpec.DEFAULT_OPTIONS_DELIMITER, description = "(default: ${DEFAULT-VALUE})")
    String optionsDelimiter;
    @Option(names = "--max-image-bytes", defaultValue = "" + InputSpec.DEFAULT_MAX_IMAGE_BYTES,
            description = "images larger than this are not read; their row gets status image_too_large (default: ${DEFAULT-VALUE})")
    long maxImageBytes;
    @Option(names = "--partitions", defaultValue = "0", description = "repartition the input into this many tasks; 0 = as read (default: ${DEFAULT-VALUE})")
    int partitions;

    public String input() {
        return input;
    }

    /** The input part alone, checked (evaluate scoring an existing output needs no model). */
    public InputSpec spec() {
        return InputSpec.of(input, inputFormat, split, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol, optionsDelimiter,
                maxImageBytes);
    }

    /** --image-root as given, or null. */
    public String imageRoot() {
        return imageRoot;
    }

    /** A builder for a run over this input; {@link InferOptions.Builder#build} checks it all, before Spark starts. */
    public InferOptions.Builder builder(String model, String output) {
        return InferOptions.builder(input, model, output).inputFormat(inputFormat).split(split).imageRoot(imageRoot).idCol(idCol)
                .imageCol(imageCol).questionCol(questionCol).contextCol(contextCol).optionsCol(optionsCol)
                .optionsDelimiter(optionsDelimiter).maxImageBytes(maxImageBytes).partitions(partitions);
    }
}
