package io.easspark.jobs.infer;

import io.easspark.jobs.spark.LocalSpark;
import io.easspark.udf.AnswerRequest;
import io.easspark.udf.meter.MeterRequest;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eas infer}: answer every row of a question dataset with a LaVIN-EAS model (generation) or a METER-EAS
 * model (classification: VQA, NLVR2, ITM), on Spark; the family is read from the model's config.json.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"Answer image-question rows with a LaVIN-EAS or METER-EAS model on Spark; one output row per input row (Parquet).",
            "Row problems (missing or corrupt image, empty question, over-long prompt) become a status on that row.",
            "METER models (config.json \"family\": \"meter\") classify: VQA rows get answer_text and score (top_answers/top_scores",
            "with --top-k), NLVR2 rows (two images + a statement) \"true\"/\"false\" and score, ITM rows a match score."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:every row written", "1:the job failed (or the written output did not hold each input id once)",
            "2:bad arguments, model, input columns, malformed lines, repeated ids or an unsafe --output (checked before any task runs)",
            "3:the output is written, but no row is ok, or more than --max-error-fraction of the rows are not"})
public final class InferCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    InputMixin in;
    @Mixin
    AnsweringMixin answering;
    @Option(names = "--skip-plan", description = {"override the model's skip plan: e.g. 19,21-31, none, or a skip_plan.json from calibrate;",
        "METER: indices 0-23 (DESIGN-METER.md §3.4), e.g. " + MeterRequest.PAPER_PLAN + " (= paper), default none"})
    String skipPlan;
    @Option(names = "--task", description = "METER: vqa, nlvr2, itm, or auto: a row with a value in --image2-col is nlvr2, else vqa (default: auto)")
    String task;
    @Option(names = "--task-col", description = "METER: a column naming each row's task (vqa, nlvr2, itm); overrides --task where set")
    String taskCol;
    @Option(names = "--image2-col", description = "METER: NLVR2's second image, bytes or a path (default: " + InferOptions.MeterColumns.DEFAULT_IMAGE2_COL
            + ", may be absent)")
    String image2Col;
    @Option(names = "--index-mapping", description = "METER: intended (18-23 = image cross-attention, as the paper says) or original "
            + "(18-23 = image self-attention again, as the released code does) (default: intended)")
    String indexMapping;
    @Option(names = "--top-k", description = "METER: VQA answers per row in top_answers/top_scores (default: " + MeterRequest.DEFAULT_TOP_K + ")")
    Integer topK;
    @Option(names = "--max-batch-tokens", description = "METER: most text + image tokens per forward (NLVR2 rows count twice) (default: "
            + MeterRequest.DEFAULT_MAX_BATCH_TOKENS + ")")
    Long maxBatchTokens;
    @Option(names = "--temperature", defaultValue = AnswerRequest.DEFAULT_TEMPERATURE, description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--top-p", defaultValue = AnswerRequest.DEFAULT_TOP_P, description = "(default: ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--seed", defaultValue = "" + AnswerRequest.DEFAULT_SEED, description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--output", required = true, description = "answers (Parquet, any Hadoop URI); must not exist unless --overwrite or --resume")
    String output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished infer output")
    boolean overwrite;
    @Option(names = "--on-malformed", defaultValue = "fail", description = "a malformed input line: fail (naming file and line) or skip it (default: ${DEFAULT-VALUE})")
    String onMalformed;
    @Option(names = "--allow-duplicate-ids", description = "answer rows whose id repeats instead of failing (--resume and evaluate cannot tell them apart)")
    boolean allowDuplicateIds;
    @Option(names = "--max-error-fraction", defaultValue = "1", description = "exit 3 when more than this share of the rows is not ok, after writing (default: ${DEFAULT-VALUE})")
    double maxErrorFraction;
    @Option(names = "--partition-by", description = "partition the output by this column: an output column (e.g. status) or an input column, carried over")
    String partitionBy;
    @Option(names = "--resume", description = "answer only the ids missing from an existing --output and append them")
    boolean resume;
    @Option(names = "--preview", defaultValue = "" + InferOptions.DEFAULT_PREVIEW_ROWS, description = "rows of the output to print (default: ${DEFAULT-VALUE})")
    int preview;

    @Override
    public Integer call() throws Exception {
        // every flag is parsed and checked (model directory and plan included) before Spark starts
        FamilyFlags.check(spec.commandLine().getParseResult(), answering.model(), LocalSpark.hadoopConf());
        InferOptions o = options(LocalSpark.hadoopConf(), spec.commandLine().getOut());
        if (overwrite && resume) {
            throw new IllegalArgumentException("--overwrite and --resume contradict each other: give one");
        }
        RunPolicy policy = new RunPolicy(overwrite, RunPolicy.parseOnMalformed(onMalformed), allowDuplicateIds, maxErrorFraction);
        if (InferOutput.isLocal(o.output())) {
            // before the SparkSession starts (seconds); a remote output is checked with Spark's Hadoop settings in run
            InferOutput.guard(LocalSpark.hadoopConf(), o, policy);
        }
        SparkSession spark = LocalSpark.session(answering.master(), "eas-infer");
        try {
            InferJob.run(spark, o, policy, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The run these flags describe, checked; tests compare it with the SQL function's request. */
    InferOptions options(Configuration conf, PrintWriter out) {
        return answering.apply(in.builder(answering.model(), output)).skipPlan(skipPlan).sampling(temperature, topP, seed)
                .previewRows(preview).partitionBy(partitionBy).resume(resume).meterAllowed(true).task(task).taskCol(taskCol)
                .image2Col(image2Col == null ? InferOptions.MeterColumns.DEFAULT_IMAGE2_COL : image2Col).indexMapping(indexMapping)
                .topK(topK == null ? MeterRequest.DEFAULT_TOP_K : topK)
                .maxBatchTokens(maxBatchTokens == null ? MeterRequest.DEFAULT_MAX_BATCH_TOKENS : maxBatchTokens).build(conf, out);
    }
}
