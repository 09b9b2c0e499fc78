package io.easspark.jobs.calibrate;

import io.easspark.jobs.infer.InputMixin;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.udf.AnswerRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eas calibrate}: choose the k MHAs to skip on a labelled validation set. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Choose which k attention layers (MHAs) to skip on a labelled validation set (EAS redundancy search):",
            "rl (the paper's policy gradient), leave-one-out or greedy. Writes skip_plan.json, curve.md and curve.png."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:plan written", "1:the job failed", "2:bad arguments, model or input columns"})
public final class CalibrateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    InputMixin in;
    @Option(names = "--model", required = true, description = "native model directory (any Hadoop URI)")
    String model;
    @Option(names = "--answer-col", defaultValue = "answer", description = "the gold option letter (default: ${DEFAULT-VALUE})")
    String answerCol;
    @Option(names = "--strategy", defaultValue = "rl", description = "rl, leave-one-out or greedy (default: ${DEFAULT-VALUE})")
    String strategy;
    @Option(names = "--k", required = true, description = "MHAs to skip")
    int k;
    @Option(names = "--max-k", defaultValue = "0", description = "the curve covers k = 0..max-k (default: k)")
    int maxK;
    @Option(names = "--rounds", defaultValue = "20", description = "rl: search rounds (default: ${DEFAULT-VALUE})")
    int rounds;
    @Option(names = "--plans-per-round", defaultValue = "3", description = "rl: plans sampled per round, n (default: ${DEFAULT-VALUE})")
    int plansPerRound;
    @Option(names = "--lr", defaultValue = "2.0", description = "rl: learning rate of the layer scores; 2.0 ScienceQA, 1.0 VQA (default: ${DEFAULT-VALUE})")
    double lr;
    @Option(names = "--seed", defaultValue = "0", description = "rl: sampling seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--batch-size", defaultValue = "" + AnswerRequest.DEFAULT_BATCH_SIZE, description = "(default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--prompt-format", defaultValue = AnswerRequest.DEFAULT_PROMPT_FORMAT, description = "(default: ${DEFAULT-VALUE})")
    String promptFormat;
    @Option(names = "--device", defaultValue = AnswerRequest.DEFAULT_DEVICE, description = "cpu, gpu or auto (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;
    @Option(names = "--output", required = true, description = "local folder for skip_plan.json, curve.md and curve.png")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished calibrate output")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        // flags, model directory and settings checked before Spark starts
        CalibrateJob.Options o = new CalibrateJob.Options(in.builder(model, output.toString()).batchSize(batchSize)
                .promptFormat(promptFormat).device(device).build(LocalSpark.hadoopConf()), answerCol, strategy, k, maxK, rounds,
                plansPerRound, lr, seed, output);
        o.check();
        OutputGuard.prepareLocal(output, overwrite, "calibrate", List.of(new OutputGuard.Read("--input", in.input()),
                new OutputGuard.Read("--image-root", in.imageRoot()), new OutputGuard.Read("--model", model)),
                OutputGuard.hasAll("skip_plan.json"));
        SparkSession spark = LocalSpark.session(master, "eas-calibrate");
        try {
            CalibrateJob.run(spark, o, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }
}
