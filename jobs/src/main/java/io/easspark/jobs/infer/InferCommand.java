package io.easspark.jobs.infer;

import io.easspark.jobs.spark.LocalSpark;
import io.easspark.udf.AnswerRequest;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eas infer}: answer every row of a question dataset with a LaVIN-EAS model, on Spark. */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = {"Answer image-question rows with a LaVIN-EAS model on Spark; one output row per input row (Parquet).",
            "Row problems (missing or corrupt image, empty question, over-long prompt) become a status on that row."},
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
    @Option(names = "--skip-plan", description = "override the model's skip plan: e.g. 19,21-31, none, or a skip_plan.json from calibrate")
    String skipPlan;
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
                .previewRows(preview).partitionBy(partitionBy).resume(resume).build(conf, out);
    }
}
