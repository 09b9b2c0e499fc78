package io.easspark.jobs.infer;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import io.easspark.loader.nativeformat.ModelFamily;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.udf.AnswerRequest;
import io.easspark.udf.meter.MeterRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Serializable;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Objects;
import org.apache.hadoop.conf.Configuration;

/**
 * One infer run, parsed and checked once where its settings come in ({@link Builder#build}, before any SparkSession)
 * and passed unchanged to the executors: the input and its columns ({@link InputSpec}), how rows are answered
 * ({@link AnswerRequest}: model, parsed plan, re-parameterisation, device, decoding, prompt format, batch size — also
 * the executors' model cache key), and the job's own settings. Immutable and serializable.
 *
 * @param planFile the skip_plan.json --skip-plan named, or null when the plan was given inline or is the model's own
 * @param output answers (Parquet, any Hadoop URI)
 * @param partitions repartition the input into this many partitions before answering (0: as read)
 * @param partitionBy output column to partition the Parquet output by: an output column (e.g. status) or an input
 *     column, which is then carried into the output; null for none
 * @param resume answer only the ids missing from an existing output and append them
 * @param progressSeconds seconds between progress lines on the driver (0: none)
 * @param meter how a METER model answers (then {@code request} is null), or null for a LaVIN model
 * @param meterInput METER's extra input columns (second image, per-row task)
 */
public record InferOptions(InputSpec in, AnswerRequest request, CrossTaskBatching crossTaskBatching, String planFile,
                           String output, int previewRows, int partitions, String partitionBy, boolean resume,
                           int progressSeconds, MeterRequest meter, MeterColumns meterInput) implements Serializable {

    /**
     * METER's input columns beside InputSpec's.
     *
     * @param image2Col NLVR2's second image (bytes or path); the default may be absent from a VQA-only input
     * @param taskCol a per-row task (vqa, nlvr2, itm), or null
     */
    public record MeterColumns(String image2Col, String taskCol) implements Serializable {
        public static final String DEFAULT_IMAGE2_COL = "image2";

        public MeterColumns {
            image2Col = InputSpec.blankToNull(image2Col);
            taskCol = InputSpec.blankToNull(taskCol);
        }
    }

    public static final int DEFAULT_PREVIEW_ROWS = 10;
    public static final int DEFAULT_PROGRESS_SECONDS = 10;

    public InferOptions {
        Objects.requireNonNull(in, "input");
        if ((request == null) == (meter == null)) {
            throw new IllegalArgumentException("exactly one of a LaVIN request and a METER request");
        }
        Objects.requireNonNull(crossTaskBatching, "crossTaskBatching");
        partitionBy = InputSpec.blankToNull(partitionBy);
        if (partitions < 0) {
            throw new IllegalArgumentException("--partitions must be >= 0 (0: as read): " + partitions);
        }
        if (progressSeconds < 0) {
            throw new IllegalArgumentException("--progress-seconds must be >= 0: " + progressSeconds);
        }
    }

    /** Whether rows meet in one batcher per device, for a task on a GPU or not. */
    public boolean sharesBatches(boolean gpu) {
        return crossTaskBatching.shares(gpu);
    }

    /** The model directory's URI, as given. */
    public String model() {
        return meter != null ? meter.modelUri() : request.model().uri();
    }

    /** Whether the model is a METER classifier (else LaVIN). */
    public boolean isMeter() {
        return meter != null;
    }

    /** The plan in effect as the output's skip_plan column and the console write it. */
    public String planText() {
        return meter != null ? meter.planText() : plan().toString();
    }

    /** The plan in effect (the model's stored plan when none was given). */
    public SkipPlan plan() {
        return request.model().plan();
    }

    public int batchSize() {
        return request.batchSize();
    }

    public String input() {
        return in.input();
    }

    public String imageRoot() {
        return in.imageRoot();
    }

    public long maxImageBytes() {
        return in.maxImageBytes();
    }

    public String idCol() {
        return in.idCol();
    }

    public String imageCol() {
        return in.imageCol();
    }

    public String questionCol() {
        return in.questionCol();
    }

    public String contextCol() {
        return in.contextCol();
    }

    public String optionsCol() {
        return in.optionsCol();
    }

    public String optionsDelimiter() {
        return in.optionsDelimiter();
    }

    /** The same run with another plan, on the same model (evaluate runs one per plan). */
    public InferOptions withPlan(SkipPlan plan) {
        return new InferOptions(in, request.withModel(request.model().withPlan(plan)), crossTaskBatching, null, output,
                previewRows, partitions, partitionBy, resume, progressSeconds, meter, meterInput);
    }

    /** The same METER run with other skip indices (evaluate runs one per plan). */
    public InferOptions withMeterSkips(java.util.List<Integer> skips) {
        return new InferOptions(in, request, crossTaskBatching, null, output, previewRows, partitions, partitionBy, resume,
                progressSeconds, meter.withSkips(skips), meterInput);
    }

    public InferOptions withOutput(String other) {
        return new InferOptions(in, request, crossTaskBatching, planFile, other, previewRows, partitions, partitionBy, resume,
                progressSeconds, meter, meterInput);
    }

    public InferOptions withInput(String other) {
        return new InferOptions(in.withInput(other), request, crossTaskBatching, planFile, output, previewRows, partitions,
                partitionBy, resume, progressSeconds, meter, meterInput);
    }

    public InferOptions withCrossTaskBatching(CrossTaskBatching other) {
        return new InferOptions(in, request, other, planFile, output, previewRows, partitions, partitionBy, resume,
                progressSeconds, meter, meterInput);
    }

    public static Builder builder(String input, String model, String output) {
        return new Builder(input, model, output);
    }

    /** A setting's name on the command line, from its field name: {@code maxNewTokens} is {@code --max-new-tokens}. */
    static String flag(String field) {
        return "--" + field.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    /**
     * The settings as the user wrote them; mutable only until {@link #build}. Answering defaults are
     * {@link AnswerRequest}'s, column defaults {@link InputSpec}'s, the rest here: each written once.
     */
    public static final class Builder {
        private final String input;
        private final String model;
        private final String output;
        private final AnswerRequest.Builder answering;
        private String inputFormat;
        private String split;
        private String imageRoot;
        private String idCol = InputSpec.DEFAULT_ID_COL;
        private String imageCol = InputSpec.DEFAULT_IMAGE_COL;
        private String questionCol = InputSpec.DEFAULT_QUESTION_COL;
        private String contextCol = InputSpec.DEFAULT_CONTEXT_COL;
        private String optionsCol = InputSpec.DEFAULT_OPTIONS_COL;
        private String optionsDelimiter = InputSpec.DEFAULT_OPTIONS_DELIMITER;
        private long maxImageBytes = InputSpec.DEFAULT_MAX_IMAGE_BYTES;
        private String skipPlan;
        private int previewRows = DEFAULT_PREVIEW_ROWS;
        private int partitions;
        private String partitionBy;
        private boolean resume;
        private String crossTaskBatching = CrossTaskBatching.DEFAULT;
        private int progressSeconds = DEFAULT_PROGRESS_SECONDS;
        private int kvBudgetMib;
        private boolean meterAllowed;
        private String task;
        private String taskCol;
        private String image2Col = MeterColumns.DEFAULT_IMAGE2_COL;
        private String indexMapping;
        private int topK = MeterRequest.DEFAULT_TOP_K;
        private long maxBatchTokens = MeterRequest.DEFAULT_MAX_BATCH_TOKENS;

        private Builder(String input, String model, String output) {
            this.input = input;
            this.model = model;
            this.output = output;
            this.answering = AnswerRequest.builder(model);
        }

        public Builder inputFormat(String v) { inputFormat = v; return this; }
        /** With --input-format scienceqa: the pid_splits.json list (default test). */
        public Builder split(String v) { split = v; return this; }
        public Builder imageRoot(String v) { imageRoot = v; return this; }
        public Builder idCol(String v) { idCol = v; return this; }
        public Builder imageCol(String v) { imageCol = v; return this; }
        public Builder questionCol(String v) { questionCol = v; return this; }
        public Builder contextCol(String v) { contextCol = v; return this; }
        public Builder optionsCol(String v) { optionsCol = v; return this; }
        public Builder optionsDelimiter(String v) { optionsDelimiter = v; return this; }
        public Builder maxImageBytes(long v) { maxImageBytes = v; return this; }
        /** A plan ({@code 19,21-31}, {@code none}) or a skip_plan.json's URI; null or blank for the model's own. */
        public Builder skipPlan(String v) { skipPlan = v; return this; }
        public Builder reparam(String v) { answering.reparam(v); return this; }
        public Builder batchSize(int v) { answering.batchSize(v); return this; }
        public Builder maxNewTokens(int v) { answering.maxNewTokens(v); return this; }
        public Builder promptFormat(String v) { answering.promptFormat(v); return this; }
        public Builder sampling(double temperature, double topP, long seed) {
            answering.sampling(temperature, topP, seed);
            return this;
        }
        public Builder device(String v) { answering.device(v); return this; }
        public Builder previewRows(int v) { previewRows = v; return this; }
        public Builder partitions(int v) { partitions = v; return this; }
        public Builder partitionBy(String v) { partitionBy = v; return this; }
        public Builder resume(boolean v) { resume = v; return this; }
        public Builder crossTaskBatching(String v) { crossTaskBatching = v; return this; }
        public Builder crossTaskBatching(boolean v) { crossTaskBatching = v ? "on" : "off"; return this; }
        public Builder progressSeconds(int v) { progressSeconds = v; return this; }
        public Builder kvBudgetMib(int v) { kvBudgetMib = v; return this; }
        /** Whether the caller answers METER models (infer does; commands that do not yet are refused in one line). */
        public Builder meterAllowed(boolean v) { meterAllowed = v; return this; }
        /** METER: vqa, nlvr2, itm or auto (null). */
        public Builder task(String v) { task = v; return this; }
        public Builder taskCol(String v) { taskCol = v; return this; }
        public Builder image2Col(String v) { image2Col = v; return this; }
        /** METER: intended or original (DESIGN-METER.md §3.4). */
        public Builder indexMapping(String v) { indexMapping = v; return this; }
        public Builder topK(int v) { topK = v; return this; }
        public Builder maxBatchTokens(long v) { maxBatchTokens = v; return this; }

        /** {@link #build(Configuration, PrintWriter)} without the --kv-budget-mib line. */
        public InferOptions build(Configuration conf) {
            return build(conf, new PrintWriter(new StringWriter()));
        }

        /**
         * Parses and checks everything that needs no Spark: the input's format, the columns' flags, the model
         * directory (its config.json and stored plan only), the plan against its layer count, decoding settings
         * against its max_seq_len, the batch size (or the one --kv-budget-mib allows). Bad values throw
         * IllegalArgumentException naming the flag.
         *
         * @param conf where --model and a skip_plan.json are read from
         * @param out where the batch size chosen by --kv-budget-mib is reported
         */
        public InferOptions build(Configuration conf, PrintWriter out) {
            InputSpec inputSpec = InputSpec.of(input, inputFormat, split, imageRoot, idCol, imageCol, questionCol, contextCol, optionsCol,
                    optionsDelimiter, maxImageBytes);
            CrossTaskBatching sharing = CrossTaskBatching.parse(crossTaskBatching);
            if (kvBudgetMib < 0) {
                throw new IllegalArgumentException("--kv-budget-mib must be >= 0 (0: use --batch-size): " + kvBudgetMib);
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("--model is required");
            }
            if (meterAllowed && isMeterDirectory(model, conf)) {
                return buildMeter(inputSpec, sharing, conf);
            }
            NativeModelDirectory dir;
            String planText;
            try {
                try {
                    dir = NativeModelDirectory.validate(model, conf); // config, plan, headers, tokenizer: before any task
                } catch (java.io.FileNotFoundException e) {
                    throw new IllegalArgumentException("--model: " + e.getMessage(), e);
                }
                planText = SkipPlanArgument.resolve(skipPlan, conf);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            AnswerRequest request = answering.skipPlan(planText).build(dir, InferOptions::flag);
            if (kvBudgetMib > 0) {
                request = request.withBatchSize(KvBudget.batchSize(kvBudgetMib, request.batchSize(), dir.config(),
                        request.model().plan(), out));
            }
            String planFile = SkipPlanArgument.isFile(skipPlan) ? skipPlan.strip() : null;
            return new InferOptions(inputSpec, request, sharing, planFile, output, previewRows, partitions, partitionBy, resume,
                    progressSeconds, null, null);
        }

        private static boolean isMeterDirectory(String model, Configuration conf) {
            try {
                return ModelFamily.ofDirectory(model, conf) == ModelFamily.METER;
            } catch (java.io.FileNotFoundException e) {
                throw new IllegalArgumentException("--model: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        /** A METER run: the directory checked (config, headers, tokenizer, answers), the skip set against its layers. */
        private InferOptions buildMeter(InputSpec inputSpec, CrossTaskBatching sharing, Configuration conf) {
            MeterModelDirectory dir;
            String[] planAndMapping;
            try {
                dir = MeterModelDirectory.validate(model, conf);
                planAndMapping = SkipPlanArgument.resolveMeter(skipPlan, indexMapping, conf);
            } catch (java.io.FileNotFoundException e) {
                throw new IllegalArgumentException("--model: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            MeterRequest request = new MeterRequest(model, MeterRequest.parseTask(task), MeterRequest.parseSkips(planAndMapping[0]),
                    MeterRequest.parseMapping(planAndMapping[1]), topK, maxBatchTokens);
            request.skipSet(dir.config().fusionLayers()); // an index past 4F-1 or a repeat fails here, not in a task
            return new InferOptions(inputSpec, null, sharing, null, output, previewRows, partitions, partitionBy, resume,
                    progressSeconds, request, new MeterColumns(image2Col, taskCol));
        }
    }
}
