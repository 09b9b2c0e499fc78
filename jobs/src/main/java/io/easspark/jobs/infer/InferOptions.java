package io.easspark.jobs.infer;

/**
 * Everything one infer run needs, immutable. Column names are the user's; null means "the input has none".
 * Build it with {@link #builder(String, String, String)}: the defaults are the command line's.
 *
 * @param partitions repartition the input into this many partitions before answering (0: as read)
 * @param partitionBy output column to partition the Parquet output by: an output column (e.g. status) or an input
 *     column, which is then carried into the output; null for none
 * @param resume answer only the ids missing from an existing output and append them
 * @param crossTaskBatching whether the tasks of one executor share full batches on its device ({@link
 *     io.easspark.udf.DeviceBatcher}): {@code auto} (on for a GPU, off on the CPU, where two tasks' own batches on
 *     their own cores answer faster: docs/BENCHMARKS.md), {@code on} or {@code off}
 * @param progressSeconds seconds between progress lines on the driver (0: none)
 * @param kvBudgetMib when > 0, the batch size is the rows whose KV caches fit this many MiB (at max_seq_len; only kept
 *     layers cache, so a plan that skips more layers fits more rows); {@code batchSize} is then ignored
 */
public record InferOptions(String input, String inputFormat, String imageRoot, String idCol, String imageCol,
                           String questionCol, String contextCol, String optionsCol, String optionsDelimiter,
                           String model, String skipPlan, String reparam, int batchSize, int maxNewTokens,
                           String promptFormat, double temperature, double topP, long seed, String device, String output,
                           int previewRows, int partitions, String partitionBy, boolean resume, String crossTaskBatching,
                           int progressSeconds, int kvBudgetMib) implements java.io.Serializable {

    public InferOptions {
        if (!java.util.List.of("auto", "on", "off").contains(crossTaskBatching)) {
            throw new IllegalArgumentException("--cross-task-batching must be auto, on or off: " + crossTaskBatching);
        }
    }

    /** Whether rows meet in one batcher per device, for a task on a GPU or not. */
    public boolean sharesBatches(boolean gpu) {
        return crossTaskBatching.equals("on") || (crossTaskBatching.equals("auto") && gpu);
    }

    public static Builder builder(String input, String model, String output) {
        return new Builder(input, model, output);
    }

    /** These options as a builder, to change a few. */
    public Builder toBuilder() {
        Builder b = new Builder(input, model, output);
        b.inputFormat = inputFormat;
        b.imageRoot = imageRoot;
        b.idCol = idCol;
        b.imageCol = imageCol;
        b.questionCol = questionCol;
        b.contextCol = contextCol;
        b.optionsCol = optionsCol;
        b.optionsDelimiter = optionsDelimiter;
        b.skipPlan = skipPlan;
        b.reparam = reparam;
        b.batchSize = batchSize;
        b.maxNewTokens = maxNewTokens;
        b.promptFormat = promptFormat;
        b.temperature = temperature;
        b.topP = topP;
        b.seed = seed;
        b.device = device;
        b.previewRows = previewRows;
        b.partitions = partitions;
        b.partitionBy = partitionBy;
        b.resume = resume;
        b.crossTaskBatching = crossTaskBatching;
        b.progressSeconds = progressSeconds;
        b.kvBudgetMib = kvBudgetMib;
        return b;
    }

    /** Mutable on purpose, only until {@link #build()}; defaults as on the command line. */
    public static final class Builder {
        private String input;
        private String model;
        private String output;
        private String inputFormat;
        private String imageRoot;
        private String idCol = "id";
        private String imageCol = "image";
        private String questionCol = "question";
        private String contextCol = "context";
        private String optionsCol = "options";
        private String optionsDelimiter = "|";
        private String skipPlan;
        private String reparam = "lowrank";
        private int batchSize = 8;
        private int maxNewTokens = 64;
        private String promptFormat = "qcm";
        private double temperature;
        private double topP = 1;
        private long seed;
        private String device = "auto";
        private int previewRows = 10;
        private int partitions;
        private String partitionBy;
        private boolean resume;
        private String crossTaskBatching = "auto";
        private int progressSeconds = 10;
        private int kvBudgetMib;

        private Builder(String input, String model, String output) {
            this.input = input;
            this.model = model;
            this.output = output;
        }

        public Builder input(String v) { input = v; return this; }
        public Builder output(String v) { output = v; return this; }
        public Builder inputFormat(String v) { inputFormat = v; return this; }
        public Builder imageRoot(String v) { imageRoot = v; return this; }
        public Builder idCol(String v) { idCol = v; return this; }
        public Builder imageCol(String v) { imageCol = v; return this; }
        public Builder questionCol(String v) { questionCol = v; return this; }
        public Builder contextCol(String v) { contextCol = v; return this; }
        public Builder optionsCol(String v) { optionsCol = v; return this; }
        public Builder optionsDelimiter(String v) { optionsDelimiter = v; return this; }
        public Builder skipPlan(String v) { skipPlan = v; return this; }
        public Builder reparam(String v) { reparam = v; return this; }
        public Builder batchSize(int v) { batchSize = v; return this; }
        public Builder maxNewTokens(int v) { maxNewTokens = v; return this; }
        public Builder promptFormat(String v) { promptFormat = v; return this; }
        public Builder sampling(double temperature, double topP, long seed) {
            this.temperature = temperature;
            this.topP = topP;
            this.seed = seed;
            return this;
        }
        public Builder device(String v) { device = v; return this; }
        public Builder previewRows(int v) { previewRows = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder partitionBy(String v) { partitionBy = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder crossTaskBatching(String v) { crossTaskBatching = v; return this; }
        public Builder crossTaskBatching(boolean v) { crossTaskBatching = v ? "on" : "off"; return this; }
        public Builder progressSeconds(int v) { progressSeconds = v; return this; }
        public Builder kvBudgetMib(int v) { kvBudgetMib = v; return this; }

        public InferOptions build() {
            return new InferOptions(input, inputFormat, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol,
                    optionsDelimiter, model, skipPlan, reparam, batchSize, maxNewTokens, promptFormat, temperature, topP, seed,
                    device, output, previewRows, partitions, partitionBy, resume, crossTaskBatching, progressSeconds, kvBudgetMib);
        }
    }
}
