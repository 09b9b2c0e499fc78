package io.easspark.jobs.evaluate;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.jobs.infer.AnsweringMixin;
import io.easspark.jobs.infer.FamilyFlags;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.udf.meter.MeterRequest;
import io.easspark.jobs.infer.InputMixin;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.spark.LocalSpark;
import io.easspark.loader.cache.ModelSpec;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code eas evaluate}: accuracy of skip plans on a labelled dataset, by category, with a report and charts. */
@Command(name = "evaluate", mixinStandardHelpOptions = true,
        description = {"Accuracy of one or more skip plans on a labelled dataset, overall and by category",
            "(ScienceQA: subject NAT/SOC/LAN, context TXT/IMG/NO, grade G1-6/G7-12).",
            "Writes results.parquet, report.md and PNG charts into --output."},
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:report written", "1:the job failed", "2:bad arguments, model or input columns"})
public final class EvaluateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;
    @Mixin
    InputMixin in;
    @Mixin
    AnsweringMixin answering;
    @Option(names = "--answer-col", defaultValue = "answer", description = {"the gold option letter (default: ${DEFAULT-VALUE});",
        "METER: the annotators' answers (an array: VQAv2 soft score) or one answer"})
    String answerCol;
    @Option(names = "--label-col", description = "METER: a single gold label per row (NLVR2's true/false, or one VQA answer)")
    String labelCol;
    @Option(names = "--task", description = "METER: vqa, nlvr2 or auto: a row with a value in --image2-col is nlvr2 (default: auto)")
    String task;
    @Option(names = "--task-col", description = "METER: a column naming each row's task")
    String taskCol;
    @Option(names = "--image2-col", description = "METER: NLVR2's second image (default: image2, may be absent)")
    String image2Col;
    @Option(names = "--index-mapping", description = "METER: intended or original reading of skip indices 18-23 (default: intended)")
    String indexMapping;
    @Option(names = "--max-batch-tokens", description = "METER: most text + image tokens per forward")
    Long maxBatchTokens;
    @Option(names = "--plan", description = "a skip plan to evaluate (repeat for several; 'none' skips nothing; default: the model's own)")
    List<String> plans = new ArrayList<>();
    @Option(names = "--answers", description = "score this existing infer output instead of running the model")
    String answers;
    @Option(names = "--subject-col", defaultValue = "subject", description = "(default: ${DEFAULT-VALUE}; missing = no subject categories)")
    String subjectCol;
    @Option(names = "--grade-col", defaultValue = "grade", description = "(default: ${DEFAULT-VALUE}; missing = no grade categories)")
    String gradeCol;
    @Option(names = "--category-col", description = "another column whose values are categories (repeatable)")
    List<String> categoryCols = new ArrayList<>();
    @Option(names = "--output", required = true, description = "local folder for results.parquet, report.md and the charts")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished evaluate output")
    boolean overwrite;

    @Override
    public Integer call() throws Exception {
        EvaluateJob.Options o = options(LocalSpark.hadoopConf()); // every flag checked before Spark starts
        OutputGuard.prepareLocal(output, overwrite, "evaluate", List.of(new OutputGuard.Read("--input", in.input()),
                new OutputGuard.Read("--image-root", in.imageRoot()), new OutputGuard.Read("--model", answering.model()),
                new OutputGuard.Read("--answers", answers)), OutputGuard.hasAll("report.md", "results.parquet"));
        SparkSession spark = LocalSpark.session(answering.master(), "eas-evaluate");
        try {
            EvaluateJob.run(spark, o, spec.commandLine().getOut());
            return 0;
        } finally {
            spark.stop();
        }
    }

    /** With --answers the model is not used (nor opened); otherwise the model's directory and each --plan are checked. */
    EvaluateJob.Options options(Configuration conf) throws IOException {
        if (answers != null) {
            return new EvaluateJob.Options(in.spec(), null, answerCol, List.of(), answers, subjectCol, gradeCol, categoryCols, output);
        }
        FamilyFlags.check(spec.commandLine().getParseResult(), answering.model(), conf);
        InferOptions infer = answering.apply(in.builder(answering.model(), output.toString())).previewRows(0).meterAllowed(true)
                .task(task).taskCol(taskCol).image2Col(image2Col == null ? InferOptions.MeterColumns.DEFAULT_IMAGE2_COL : image2Col)
                .indexMapping(indexMapping).maxBatchTokens(maxBatchTokens == null ? MeterRequest.DEFAULT_MAX_BATCH_TOKENS : maxBatchTokens)
                .build(conf);
        if (infer.isMeter()) {
            List<List<Integer>> skipSets = new ArrayList<>();
            for (String p : plans) {
                // a skip_plan.json from a METER calibrate is read here; its index mapping must be the run's
                String text = p.equals("stored") ? null : io.easspark.jobs.infer.SkipPlanArgument.resolveMeter(p,
                        infer.meter().mapping().name().toLowerCase(java.util.Locale.ROOT), conf)[0];
                List<Integer> skips = p.equals("stored") ? infer.meter().skips() : MeterRequest.parseSkips(text);
                infer.withMeterSkips(skips).meter().skipSet(io.easspark.loader.nativeformat.MeterModelDirectory.open(infer.model(), conf)
                        .config().fusionLayers()); // a bad index fails here, before Spark
                skipSets.add(skips);
            }
            return new EvaluateJob.Options(infer.in(), infer, answerCol, List.of(), null, subjectCol, gradeCol, categoryCols, output,
                    skipSets, labelCol);
        }
        NativeModelDirectory model = NativeModelDirectory.open(infer.model(), conf);
        List<SkipPlan> parsed = new ArrayList<>();
        for (String p : plans) {
            parsed.add(ModelSpec.plan(model, p.equals("stored") ? null : p));
        }
        return new EvaluateJob.Options(infer.in(), infer, answerCol, parsed, null, subjectCol, gradeCol, categoryCols, output);
    }
}
