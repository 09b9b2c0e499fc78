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
    @Option(names = "--output", required = true, description = "answers (Parquet, any Hadoop URI); overwritten")
    String output;
    @Option(names = "--master", defaultValue = "local[*]", description = "Spark master when not run by spark-submit (default: ${DEFAULT-VALUE})")
    String master;
    @Option(names = "--preview", defaultValue = "10", description = "rows of the output to print (default: ${DEFAULT-VALUE})")
    int preview;

    @Override
    public Integer call() throws Exception {
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be >= 1: " + batchSize);
        }
        InferOptions o = new InferOptions(input, inputFormat, imageRoot, idCol, blankToNull(imageCol), questionCol,
                blankToNull(contextCol), blankToNull(optionsCol), optionsDelimiter, model, skipPlan, reparam, batchSize,
                maxNewTokens, promptFormat, temperature, topP, seed, device, output, preview);
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
