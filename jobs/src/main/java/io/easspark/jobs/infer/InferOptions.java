package io.easspark.jobs.infer;

/**
 * Everything one infer run needs, immutable. Column names are the user's; null means "the input has none".
 */
public record InferOptions(String input, String inputFormat, String imageRoot, String idCol, String imageCol,
                           String questionCol, String contextCol, String optionsCol, String optionsDelimiter,
                           String model, String skipPlan, String reparam, int batchSize, int maxNewTokens,
                           String promptFormat, double temperature, double topP, long seed, String device, String output,
                           int previewRows) implements java.io.Serializable {

    /** The same options with an explicit input format. */
    public InferOptions withFormat(String format) {
        return new InferOptions(input, format, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol, optionsDelimiter,
                model, skipPlan, reparam, batchSize, maxNewTokens, promptFormat, temperature, topP, seed, device, output, previewRows);
    }
}
