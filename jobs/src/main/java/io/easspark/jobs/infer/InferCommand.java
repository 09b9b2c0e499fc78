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
        exitCodeList = {"0:every row written", "1:the job failed", "2:bad arguments, model or input columns (checked before any task runs)"})
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
    @Option(names = "--output", required = true, description = "answers (Parquet, any Hadoop URI); overwritten unless --resume")
    String output;
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
        SparkSession spark = LocalSpark.session(answering.master(), "eas-infer");
        try {
            InferJob.run(spark, o, spec.commandLine().getOut());
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
