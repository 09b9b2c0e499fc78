package io.easspark.jobs.infer;

import io.easspark.jobs.spark.LocalSpark;
import java.util.concurrent.Callable;
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
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--top-p", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--output", required = true, description = "answers (Parquet, any Hadoop URI); overwritten unless --resume")
    String output;
    @Option(names = "--partition-by", description = "partition the output by this column: an output column (e.g. status) or an input column, carried over")
    String partitionBy;
    @Option(names = "--resume", description = "answer only the ids missing from an existing --output and append them")
    boolean resume;
    @Option(names = "--preview", defaultValue = "10", description = "rows of the output to print (default: ${DEFAULT-VALUE})")
    int preview;

    @Override
    public Integer call() throws Exception {
        InferOptions o = answering.apply(in.builder(answering.model(), output)).skipPlan(skipPlan).sampling(temperature, topP, seed)
                .previewRows(preview).partitionBy(InputMixin.blankToNull(partitionBy)).resume(resume).build();
        SparkSession spark = LocalSpark.session(answering.master(), "eas-infer");
        try {
            InferJob.run(spark, o, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }

}
