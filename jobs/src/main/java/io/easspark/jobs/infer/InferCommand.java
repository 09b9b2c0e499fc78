package io.easspark.jobs.infer;

import io.easspark.jobs.spark.LocalSpark;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
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

    @Option(names = "--input", required = true, description = "questions: Parquet, JSONL or CSV (any Hadoop URI)")
    String input;
    @Option(names = "--input-format", description = "parquet, json or csv (default: from the extension)")
    String inputFormat;
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
    @Option(names = "--model", required = true, description = "native model directory (any Hadoop URI)")
    String model;
    @Option(names = "--skip-plan", description = "override the model's skip plan, e.g. 19,21-31 or none")
    String skipPlan;
    @Option(names = "--reparam", defaultValue = "lowrank", description = "lowrank, merged (batch 1) or static (default: ${DEFAULT-VALUE})")
    String reparam;
    @Option(names = "--batch-size", defaultValue = "8", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "64", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--prompt-format", defaultValue = "qcm", description = "qcm (options) or vqa (free form) (default: ${DEFAULT-VALUE})")
    String promptFormat;
    @Option(names = "--temperature", defaultValue = "0", description = "0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;
    @Option(names = "--top-p", defaultValue = "1", description = "(default: ${DEFAULT-VALUE})")
    double topP;
    @Option(names = "--seed", defaultValue = "0", description = "sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--device", defaultValue = "auto", description = "cpu, gpu or auto (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--output", required = true, description = "answers (Parquet, any Hadoop URI); overwritten unless --resume")
    String output;
    @Option(names = "--partition-by", description = "partition the output by this column: an output column (e.g. status) or an input column, carried over")
    String partitionBy;
    @Option(names = "--resume", description = "answer only the ids missing from an existing --output and append them")
    boolean resume;
    @Option(names = "--partitions", defaultValue = "0", description = "repartition the input into this many tasks; 0 = as read (default: ${DEFAULT-VALUE})")
    int partitions;
    @Option(names = "--cross-task-batching", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "tasks of one executor share full batches on its device (default: ${DEFAULT-VALUE})")
    boolean crossTaskBatching;
    @Option(names = "--progress-seconds", defaultValue = "10", description = "seconds between progress lines; 0 = none (default: ${DEFAULT-VALUE})")
    int progressSeconds;
    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;
    @Option(names = "--preview", defaultValue = "10", description = "rows of the output to print (default: ${DEFAULT-VALUE})")
    int preview;

    @Override
    public Integer call() throws Exception {
        InferOptions o = InferOptions.builder(input, model, output).inputFormat(inputFormat).imageRoot(imageRoot).idCol(idCol)
                .imageCol(blankToNull(imageCol)).questionCol(questionCol).contextCol(blankToNull(contextCol))
                .optionsCol(blankToNull(optionsCol)).optionsDelimiter(optionsDelimiter).skipPlan(skipPlan).reparam(reparam)
                .batchSize(batchSize).maxNewTokens(maxNewTokens).promptFormat(promptFormat).sampling(temperature, topP, seed)
                .device(device).previewRows(preview).partitions(partitions).partitionBy(blankToNull(partitionBy)).resume(resume)
                .crossTaskBatching(crossTaskBatching).progressSeconds(progressSeconds).build();
        if (progressSeconds < 0) {
            throw new IllegalArgumentException("--progress-seconds must be >= 0: " + progressSeconds);
        }
        SparkSession spark = LocalSpark.session(master, "eas-infer");
        try {
            InferJob.run(spark, o, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }
}
