package io.easspark.jobs.infer;

import io.easspark.jobs.scienceqa.ScienceQaInput;
import picocli.CommandLine.Option;

/** The question dataset and how its columns map, shared by infer, evaluate and calibrate. */
public final class InputMixin {

    @Option(names = "--input", required = true, description = "questions: Parquet, JSONL or CSV (any Hadoop URI)")
    String input;
    @Option(names = "--input-format", description = "parquet, json, csv (default: from the extension), or scienceqa: --input is a folder in ScienceQA's layout")
    String inputFormat;
    @Option(names = "--split", description = "with --input-format scienceqa: the pid_splits.json list to read (default: test)")
    String split;
    @Option(names = "--image-root", description = "folder that relative image paths resolve against; paths may not escape it")
    String imageRoot;
    @Option(names = "--id-col", defaultValue = "id", description = "(default: ${DEFAULT-VALUE})")
    String idCol;
    @Option(names = "--image-col", defaultValue = "image", description = "binary image bytes or a path; '' for none (default: ${DEFAULT-VALUE})")
    String imageCol;
    @Option(names = "--question-col", defaultValue = "question", description = "(default: ${DEFAULT-VALUE})")
    String questionCol;
    @Option(names = "--context-col", defaultValue = "context", description = "'' for none (default: ${DEFAULT-VALUE})")
    String contextCol;
    @Option(names = "--options-col", defaultValue = "options", description = "array, or a string split by --options-delimiter; '' for none (default: ${DEFAULT-VALUE})")
    String optionsCol;
    @Option(names = "--options-delimiter", defaultValue = "|", description = "(default: ${DEFAULT-VALUE})")
    String optionsDelimiter;
    @Option(names = "--partitions", defaultValue = "0", description = "repartition the input into this many tasks; 0 = as read (default: ${DEFAULT-VALUE})")
    int partitions;

    /** The user's image column, or null when there is none. */
    public String imageColumn() {
        return blankToNull(imageCol);
    }

    /** The user's context column, or null when there is none. */
    public String contextColumn() {
        return blankToNull(contextCol);
    }

    public String input() {
        return input;
    }

    public InferOptions.Builder builder(String model, String output) {
        return InferOptions.builder(input, model, output).inputFormat(ScienceQaInput.withSplit(inputFormat, split)).imageRoot(imageRoot).idCol(idCol)
                .imageCol(imageColumn()).questionCol(questionCol).contextCol(contextColumn()).optionsCol(blankToNull(optionsCol))
                .optionsDelimiter(optionsDelimiter).partitions(partitions);
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
