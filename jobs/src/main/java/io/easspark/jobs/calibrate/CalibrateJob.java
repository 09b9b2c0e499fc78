package io.easspark.jobs.calibrate;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.expr;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.easspark.engine.eas.FlopModel;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.search.GreedyGrowth;
import io.easspark.engine.search.LeaveOneOut;
import io.easspark.engine.search.PolicyGradientSearch;
import io.easspark.engine.search.SearchResult;
import io.easspark.jobs.evaluate.Charts;
import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * calibrate: chooses which k MHAs to skip on a labelled validation set (DESIGN.md §2), as an evaluation-only Spark
 * job over a trained checkpoint: the paper's policy-gradient search ({@code rl}), leave-one-out ranking, or greedy
 * growth. Every plan's loss is one Spark job over the validation partitions, one model per executor. Writes
 * skip_plan.json (readable by {@code infer --skip-plan} and as a model directory's skip_plan.json) and the curve of
 * loss, accuracy and predicted speed-up against k.
 */
public final class CalibrateJob {

    /**
     * @param maxK the curve covers k = 0..maxK (at least k)
     * @param rounds policy-gradient rounds (rl only)
     */
    /** @param solutionCol null: score {@code The answer is X.}; else {@code <solution> The answer is X.} from that column */
    public record Options(InferOptions infer, String answerCol, String solutionCol, String strategy, int k, int maxK, int rounds,
                          int plansPerRound, double lr, long seed, Path output) {

        /** Checks what needs no Spark: k against the model's layers (known from the request's plan), the strategy. */
        public void check() {
            int layers = infer.plan().layerCount();
            if (k < 1 || k >= layers) {
                throw new IllegalArgumentException("--k must be in 1.." + (layers - 1) + " for this model (" + layers + " layers): " + k);
            }
            if (!List.of("rl", "leave-one-out", "greedy").contains(strategy)) {
                throw new IllegalArgumentException("unknown --strategy " + strategy + ": expected rl, leave-one-out or greedy");
            }
            if (strategy.equals("rl") && (rounds < 1 || plansPerRound < 2)) {
                throw new IllegalArgumentException("--rounds must be >= 1 and --plans-per-round >= 2 (the baseline is their mean reward)");
            }
        }
    }

    /** One point of the curve. */
    public record Point(int k, String plan, double loss, double accuracy, double prefillSpeedup, double decodeSpeedup) {
    }

    public record Result(SkipPlan plan, double loss, double accuracy, List<Integer> ranking, List<Point> curve, String fingerprint,
                         int plansEvaluated) {
    }

    private CalibrateJob() {
    }

    public static Result run(SparkSession spark, Options o, PrintWriter out) throws IOException {
        Configuration hconf = spark.sparkContext().hadoopConfiguration();
        NativeModelDirectory model = NativeModelDirectory.open(o.infer().model(), hconf); // validated when the options were built
        LavinConfig config = model.config();
        int layers = config.text().nLayers();
        o.check();
        int maxK = Math.max(o.k(), Math.min(o.maxK(), layers));
        Dataset<Row> raw = InferJob.read(spark, o.infer().in());
        if (!Arrays.asList(raw.columns()).contains(o.answerCol())) {
            throw new IllegalArgumentException("--answer-col " + o.answerCol() + ": no such column; the input has " + Arrays.toString(raw.columns()));
        }
        if (o.solutionCol() != null && !Arrays.asList(raw.columns()).contains(o.solutionCol())) {
            throw new IllegalArgumentException("--solution-col " + o.solutionCol() + ": no such column; the input has " + Arrays.toString(raw.columns()));
        }
        Dataset<Row> validation = o.solutionCol() == null || o.solutionCol().equals(o.answerCol())
                ? InferJob.canonical(raw, o.infer(), o.answerCol()) : InferJob.canonical(raw, o.infer(), o.answerCol(), o.solutionCol());
        if (o.infer().partitions() > 0) {
            validation = validation.repartition(o.infer().partitions());
        }
        validation = validation.cache();
        // order-independent (XOR, not a sum: ANSI mode rejects the overflowing sum), so partitioning does not change it
        Row fp = validation.agg(count(lit(1)), expr("bit_xor(xxhash64(id, `" + o.answerCol().replace("`", "``") + "`))")).first();
        String fingerprint = String.format(Locale.ROOT, "rows=%d,xxhash64=%016x", fp.getLong(0), fp.isNullAt(1) ? 0L : fp.getLong(1));
        out.printf(Locale.ROOT, "calibrate: %s, k %d, %d validation rows (%s), %d layers%n", o.strategy(), o.k(), fp.getLong(0), fingerprint, layers);

        Map<String, String> hadoop = new HashMap<>();
        hconf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        SparkPlanEvaluator eval = new SparkPlanEvaluator(validation, plans -> new PlanLossPartition(o.infer(), hadoop, plans, o.answerCol(), o.solutionCol()), out);
        try {
            SearchResult search = switch (o.strategy()) {
                case "rl" -> new PolicyGradientSearch(layers, o.k(), o.plansPerRound(), o.lr(), o.seed()).run(eval, o.rounds());
                case "leave-one-out" -> new LeaveOneOut().run(eval, layers);
                default -> new GreedyGrowth().run(eval, layers, maxK);
            };
            List<Integer> ranking = search.ranking();
            // the curve: the first k layers of the strategy's ranking, for k = 0..maxK, scored in one round
            List<SkipPlan> curvePlans = new ArrayList<>();
            for (int k = 0; k <= maxK; k++) {
                curvePlans.add(SkipPlan.of(layers, ranking.subList(0, k).stream().mapToInt(Integer::intValue).toArray()));
            }
            eval.losses(curvePlans);
            int tokens = 64; // a ScienceQA-sized prompt for the predicted prefill speed-up
            List<Point> curve = new ArrayList<>();
            for (int k = 0; k <= maxK; k++) {
                SkipPlan p = curvePlans.get(k);
                SparkPlanEvaluator.Score s = eval.score(p);
                curve.add(new Point(k, p.toString(), s.loss(), s.accuracy(),
                        FlopModel.predictedPrefillSpeedup(config.text(), config.adapter(), p, tokens),
                        FlopModel.predictedDecodeSpeedup(config.text(), config.adapter(), p, tokens)));
            }
            SkipPlan chosen = o.strategy().equals("rl") ? search.plan() : curvePlans.get(o.k());
            SparkPlanEvaluator.Score chosenScore = eval.score(chosen);
            Result result = new Result(chosen, chosenScore.loss(), chosenScore.accuracy(), ranking, curve, fingerprint, eval.plansEvaluated());
            write(o, result, search);
            out.printf(Locale.ROOT, "calibrate: plan %s (k %d): loss %.4f, accuracy %.2f%%; %d plans evaluated; wrote %s%n", chosen,
                    o.k(), result.loss(), 100 * result.accuracy(), result.plansEvaluated(), o.output().resolve("skip_plan.json"));
            out.flush();
            return result;
        } finally {
            validation.unpersist();
        }
    }

    private static void write(Options o, Result r, SearchResult search) throws IOException {
        Files.createDirectories(o.output());
        JsonObject plan = new JsonObject();
        plan.addProperty("plan", r.plan().toString());
        plan.addProperty("strategy", o.strategy());
        plan.addProperty("k", o.k());
        plan.addProperty("loss", r.loss());
        plan.addProperty("accuracy", r.accuracy());
        plan.addProperty("seed", o.seed());
        plan.addProperty("dataset_fingerprint", r.fingerprint());
        JsonArray ranking = new JsonArray();
        r.ranking().forEach(ranking::add);
        plan.add("ranking", ranking);
        plan.addProperty("plans_evaluated", r.plansEvaluated());
        if (o.strategy().equals("rl")) {
            plan.addProperty("rounds", o.rounds());
            plan.addProperty("plans_per_round", o.plansPerRound());
            plan.addProperty("lr", o.lr());
        }
        Files.writeString(o.output().resolve("skip_plan.json"), new GsonBuilder().setPrettyPrinting().create().toJson(plan) + "\n");

        StringBuilder md = new StringBuilder("# Calibration: loss and accuracy vs skipped MHAs\n\n");
        md.append(String.format(Locale.ROOT, "Strategy `%s`, k %d, seed %d, validation %s. Plan for k = the strategy's first k layers; "
                + "loss = mean teacher-forced answer cross-entropy (nats); accuracy = rows whose greedy answer is exactly the gold "
                + "answer; speed-ups predicted by counting FLOPs (prefill, 64-token prompt) and bytes read (decode).%n%n",
                o.strategy(), o.k(), o.seed(), r.fingerprint()));
        md.append("| k | plan | loss | accuracy | predicted prefill speed-up | predicted decode speed-up |\n|---:|---|---:|---:|---:|---:|\n");
        for (Point p : r.curve()) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %.4f | %.2f%% | %.2fx | %.2fx |%n", p.k(), p.plan(), p.loss(), 100 * p.accuracy(),
                    p.prefillSpeedup(), p.decodeSpeedup()));
        }
        md.append("\n![curve](curve.png)\n");
        Files.writeString(o.output().resolve("curve.md"), md.toString());
        List<Double> ks = r.curve().stream().map(p -> (double) p.k()).toList();
        Charts.lines(o.output().resolve("curve.png"), "Loss, accuracy and predicted speed-up vs skipped MHAs (" + o.strategy() + ")",
                "k (MHAs skipped)", "loss (nats) / speed-up (x)", ks, List.of(
                        new Charts.Series("loss", r.curve().stream().map(Point::loss).toList()),
                        new Charts.Series("predicted prefill speed-up", r.curve().stream().map(Point::prefillSpeedup).toList()),
                        new Charts.Series("predicted decode speed-up", r.curve().stream().map(Point::decodeSpeedup).toList()),
                        new Charts.Series("accuracy (%)", r.curve().stream().map(p -> 100 * p.accuracy()).toList())),
                List.of("accuracy (%)"), "accuracy (%)");
    }
}
