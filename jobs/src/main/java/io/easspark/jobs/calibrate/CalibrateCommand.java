package io.easspark.jobs.calibrate;

import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.jobs.infer.InputMixin;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.nativeformat.ModelFamily;
import io.easspark.udf.AnswerRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/** {@code eas calibrate}: choose the k MHAs to skip on a labelled validation set. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = {"Choose which k attention layers (MHAs) to skip on a labelled validation set (EAS redundancy search):",
            "rl (the paper's policy gradient; on a METER model METER-EAS's sigmoid gates over its 24 candidate MHAs),",
            "leave-one-out or greedy. Writes skip_plan.json, curve.md and curve.png. The family comes from the model's config.json."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:plan written", "1:the job failed", "2:bad arguments, model or input columns"})
public final class CalibrateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    InputMixin in;
    @Option(names = "--model", required = true, description = "native model directory (any Hadoop URI)")
    String model;
    @Option(names = "--answer-col", defaultValue = "answer", description = {"the gold option letter (default: ${DEFAULT-VALUE});",
        "METER: the annotators' answers (an array: VQAv2 soft targets) or one answer/label (default: answers, label or answer, the first present)"})
    String answerCol;
    @Option(names = "--solution-col", description = {"score '<solution> The answer is X.' with the solution from this column"
        + " (a model tuned with eas tune --target EA writes its solution first); default: 'The answer is X.' alone"})
    String solutionCol;
    @Option(names = "--label-col", description = "METER: a single gold value per row (NLVR2's true/false, or one VQA answer)")
    String labelCol;
    @Option(names = "--task", description = "METER: vqa, nlvr2 or auto: a row with a value in --image2-col is nlvr2 (default: auto)")
    String task;
    @Option(names = "--image2-col", description = "METER: NLVR2's second image, bytes or a path (default: image2, may be absent)")
    String image2Col;
    @Option(names = "--index-mapping", description = "METER: intended or original reading of skip indices 18-23 (default: intended)")
    String indexMapping;
    @Option(names = "--max-batch-tokens", description = "METER: most text + image tokens per forward (default: 8 rows)")
    Long maxBatchTokens;
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
    @Option(names = "--lr", defaultValue = "2.0", description = "rl, LaVIN: learning rate of the layer scores; 2.0 ScienceQA, 1.0 VQA (default: ${DEFAULT-VALUE})")
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

    /** LaVIN's settings: meaningless for METER, whose gate update has no step size (DESIGN-METER.md §8.6). */
    static final List<String> LAVIN_ONLY = List.of("--lr", "--solution-col", "--prompt-format", "--batch-size", "--context-col", "--options-col",
            "--options-delimiter");
    static final List<String> METER_ONLY = List.of("--label-col", "--task", "--image2-col", "--index-mapping", "--max-batch-tokens");

    @Override
    public Integer call() throws Exception {
        Configuration conf = LocalSpark.hadoopConf();
        if (family(conf) == ModelFamily.METER) {
            return callMeter(conf);
        }
        refuse(spec.commandLine().getParseResult(), METER_ONLY, "a LaVIN", "it is a METER setting");
        // flags, model directory and settings checked before Spark starts
        CalibrateJob.Options o = new CalibrateJob.Options(in.builder(model, output.toString()).batchSize(batchSize)
                .promptFormat(promptFormat).device(device).build(conf), answerCol, solutionCol, strategy, k, maxK, rounds,
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

    /** METER: its own options, checked (model directory, flags) before Spark starts; same output rules. */
    private int callMeter(Configuration conf) throws Exception {
        ParseResult parsed = spec.commandLine().getParseResult();
        refuse(parsed, LAVIN_ONLY, "a METER", "METER's search is its sigmoid gates: see --rounds, --plans-per-round, --seed, --max-batch-tokens");
        if ("gpu".equalsIgnoreCase(device.strip())) {
            throw new IllegalArgumentException("--device gpu: METER models run on the CPU in this version (" + model + ")");
        }
        MeterCalibrateJob.Options o = new MeterCalibrateJob.Options(in.spec(), model, spec.findOption("--partitions").getValue(),
                parsed.hasMatchedOption("--answer-col") ? answerCol : null, labelCol, task == null ? "auto" : task.strip().toLowerCase(Locale.ROOT),
                image2Col == null ? MeterValidationRows.DEFAULT_IMAGE2_COL : image2Col, mapping(indexMapping), strategy, k, maxK, rounds,
                plansPerRound, seed, maxBatchTokens == null ? 0 : checkedTokens(maxBatchTokens), output);
        o.check(conf);
        OutputGuard.prepareLocal(output, overwrite, "calibrate", List.of(new OutputGuard.Read("--input", in.input()),
                new OutputGuard.Read("--image-root", in.imageRoot()), new OutputGuard.Read("--model", model)),
                OutputGuard.hasAll("skip_plan.json"));
        SparkSession spark = LocalSpark.session(master, "eas-calibrate");
        try {
            MeterCalibrateJob.run(spark, o, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** The model's family; a missing or broken directory is left to the family's own one-line check (LaVIN's, as before). */
    private ModelFamily family(Configuration conf) {
        try {
            return ModelFamily.ofDirectory(model, conf);
        } catch (IOException | IllegalArgumentException e) {
            return ModelFamily.LAVIN;
        }
    }

    /** Flags the other family owns, refused if the user wrote them (defaults do not count). */
    private void refuse(ParseResult parsed, List<String> flags, String family, String hint) {
        for (String flag : flags) {
            if (parsed.hasMatchedOption(flag)) {
                throw new IllegalArgumentException(flag + " does not apply to " + model + ", " + family + " model (config.json family); " + hint);
            }
        }
    }

    private static MeterSkipSet.IndexMapping mapping(String value) {
        if (value == null) {
            return MeterSkipSet.IndexMapping.INTENDED;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "intended" -> MeterSkipSet.IndexMapping.INTENDED;
            case "original" -> MeterSkipSet.IndexMapping.ORIGINAL;
            default -> throw new IllegalArgumentException("--index-mapping must be intended or original: " + value);
        };
    }

    private static long checkedTokens(long v) {
        if (v < 1) {
            throw new IllegalArgumentException("--max-batch-tokens must be >= 1: " + v);
        }
        return v;
    }
}
