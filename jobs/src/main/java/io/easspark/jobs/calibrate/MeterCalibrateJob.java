package io.easspark.jobs.calibrate;

import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterFlops;
import io.easspark.engine.meter.MeterGateSearch;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.search.GreedyGrowth;
import io.easspark.engine.search.LeaveOneOut;
import io.easspark.engine.search.SearchResult;
import io.easspark.jobs.evaluate.Charts;
import io.easspark.jobs.infer.InferJob;
import io.easspark.jobs.infer.InputSpec;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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
 * calibrate on a METER model: chooses which k of the 4F = 24 candidate MHAs (DESIGN-METER.md §3.4) to skip, on a
 * labelled validation set, with METER-EAS's sigmoid-gate search ({@link MeterGateSearch}, {@code --strategy rl}) or
 * the family-independent leave-one-out ranking and greedy growth. The loss is METER's task loss (VQA: BCE against
 * VQAv2 soft targets; NLVR2: cross-entropy); each evaluation is one Spark job over the validation partitions, one
 * model per executor ({@link MeterLossPartition}), averaged in id order by {@link SparkPlanEvaluator}. Writes
 * skip_plan.json ({@code "family": "meter"}, the indices and the modules they skip) and the curve of loss, accuracy
 * and FLOP-predicted speed-up against k.
 */
public final class MeterCalibrateJob {

    /** Strategies; rl is METER's own search here. */
    static final List<String> STRATEGIES = List.of("rl", "leave-one-out", "greedy");
    static final List<String> TASKS = List.of("auto", "vqa", "nlvr2");
    /** Rows' worth of tokens per forward when --max-batch-tokens is not given (LaVIN's default batch of 8 rows). */
    static final int DEFAULT_BATCH_ROWS = 8;

    /**
     * @param answerCol the gold: annotators' answers (an array) or one answer/label; null: see {@link MeterValidationRows#gold}
     * @param labelCol a single gold value per row, or null
     * @param task auto, vqa or nlvr2
     * @param maxK the curve covers k = 0..maxK (at least k)
     * @param maxBatchTokens text + image tokens per forward; 0: {@link #DEFAULT_BATCH_ROWS} rows
     */
    public record Options(InputSpec in, String model, int partitions, String answerCol, String labelCol, String task, String image2Col,
                          MeterSkipSet.IndexMapping mapping, String strategy, int k, int maxK, int rounds, int plansPerRound, long seed,
                          long maxBatchTokens, Path output) {

        /** Checks what needs no Spark, against the model directory (headers and tokenizer, no weights). */
        public MeterConfig check(Configuration conf) {
            MeterConfig c;
            try {
                c = MeterModelDirectory.validate(model, conf).config();
            } catch (java.io.FileNotFoundException e) {
                throw new IllegalArgumentException("--model: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int candidates = candidates(c);
            if (k < 1 || k > candidates) {
                throw new IllegalArgumentException("--k must be in 1.." + candidates + " for this METER model (4 candidate MHAs in each of "
                        + c.fusionLayers() + " fusion layers): " + k);
            }
            if (!STRATEGIES.contains(strategy)) {
                throw new IllegalArgumentException("unknown --strategy " + strategy + ": expected rl, leave-one-out or greedy");
            }
            if (!TASKS.contains(task)) {
                throw new IllegalArgumentException("--task must be auto, vqa or nlvr2 for calibrate: " + task);
            }
            if (task.equals("vqa") && c.vqaLabels() == 0) {
                throw new IllegalArgumentException("--task vqa: " + model + " has no VQA head (config.json 'vqa_labels': 0)");
            }
            if (strategy.equals("rl")) {
                if (rounds < 1 || plansPerRound < 2) {
                    throw new IllegalArgumentException("--rounds must be >= 1 and --plans-per-round >= 2 (the baseline is their mean reward)");
                }
                new MeterGateSearch(candidates, k, plansPerRound, seed); // --plans-per-round against the distinct plans of k
            }
            if (maxBatchTokens < 0) {
                throw new IllegalArgumentException("--max-batch-tokens must be >= 1: " + maxBatchTokens);
            }
            return c;
        }
    }

    /** One point of the curve: the strategy's first k candidates. */
    public record Point(int k, String plan, List<String> modules, double loss, double accuracy, double predictedSpeedup) {
    }

    public record Result(SkipPlan plan, MeterSkipSet skips, double loss, double accuracy, List<Integer> ranking, List<Point> curve,
                         String fingerprint, int plansEvaluated, double[] gates) {
    }

    private MeterCalibrateJob() {
    }

    static int candidates(MeterConfig c) {
        return 4 * c.fusionLayers();
    }

    public static Result run(SparkSession spark, Options o, PrintWriter out) throws IOException {
        Configuration hconf = spark.sparkContext().hadoopConfiguration();
        MeterConfig config = o.check(hconf);
        int candidates = candidates(config);
        int maxK = Math.max(o.k(), Math.min(o.maxK(), candidates));
        long maxBatchTokens = o.maxBatchTokens() > 0 ? o.maxBatchTokens()
                : (long) DEFAULT_BATCH_ROWS * (config.maxTextLen() + config.imageTokens());
        Dataset<Row> raw = InferJob.read(spark, o.in());
        MeterValidationRows.Gold gold = MeterValidationRows.gold(raw, o.answerCol(), o.labelCol());
        Dataset<Row> validation = MeterValidationRows.canonical(raw, o.in().idCol(), o.in().questionCol(), o.in().imageCol(), o.image2Col(),
                o.task(), gold);
        if (o.partitions() > 0) {
            validation = validation.repartition(o.partitions());
        }
        validation = validation.cache();
        // order-independent (XOR: ANSI mode rejects an overflowing sum), so partitioning does not change it
        Row fp = validation.agg(count(lit(1)), expr("bit_xor(xxhash64(id, gold))")).first();
        String fingerprint = String.format(Locale.ROOT, "rows=%d,xxhash64=%016x", fp.getLong(0), fp.isNullAt(1) ? 0L : fp.getLong(1));
        out.printf(Locale.ROOT, "calibrate: METER, %s, k %d of %d candidate MHAs, %d validation rows (%s), gold %s (%s)%n", o.strategy(),
                o.k(), candidates, fp.getLong(0), fingerprint, gold.column(), gold.annotators() ? "annotators' answers" : "one label");

        Map<String, String> hadoop = new HashMap<>();
        hconf.forEach(e -> hadoop.put(e.getKey(), e.getValue()));
        SparkPlanEvaluator eval = new SparkPlanEvaluator(validation, plans -> new MeterLossPartition(o.model(), hadoop, o.in().imageRoot(),
                o.in().maxImageBytes(), plans, o.mapping(), gold.annotators(), maxBatchTokens), out);
        try {
            MeterGateSearch gates = o.strategy().equals("rl") ? new MeterGateSearch(candidates, o.k(), o.plansPerRound(), o.seed()) : null;
            SearchResult search = switch (o.strategy()) {
                case "rl" -> gates.run(eval, o.rounds());
                case "leave-one-out" -> new LeaveOneOut().run(eval, candidates);
                default -> new GreedyGrowth().run(eval, candidates, maxK);
            };
            List<Integer> ranking = search.ranking();
            // the curve: the first k candidates of the strategy's ranking, for k = 0..maxK, scored in one round
            List<SkipPlan> curvePlans = new ArrayList<>();
            for (int k = 0; k <= maxK; k++) {
                curvePlans.add(SkipPlan.of(candidates, ranking.subList(0, k).stream().mapToInt(Integer::intValue).toArray()));
            }
            eval.losses(curvePlans);
            List<Point> curve = new ArrayList<>();
            for (int k = 0; k <= maxK; k++) {
                SkipPlan p = curvePlans.get(k);
                MeterSkipSet set = skipSet(config, p, o.mapping());
                SparkPlanEvaluator.Score s = eval.score(p);
                // METER pads every row to L and computes the pads (§2), so L is the exact text length for FLOPs
                curve.add(new Point(k, p.toString(), set.modulePaths(), s.loss(), s.accuracy(),
                        MeterFlops.predictedSpeedup(config, config.maxTextLen(), set)));
            }
            SkipPlan chosen = o.strategy().equals("rl") ? search.plan() : curvePlans.get(o.k());
            SparkPlanEvaluator.Score chosenScore = eval.score(chosen);
            Result result = new Result(chosen, skipSet(config, chosen, o.mapping()), chosenScore.loss(), chosenScore.accuracy(), ranking,
                    curve, fingerprint, eval.plansEvaluated(), gates == null ? null : gates.gates());
            write(o, config, result);
            out.printf(Locale.ROOT, "calibrate: plan %s (k %d: %s): loss %.4f, accuracy %.2f%%; %d plans evaluated; wrote %s%n", chosen,
                    o.k(), String.join(" ", result.skips().modulePaths()), result.loss(), 100 * result.accuracy(), result.plansEvaluated(),
                    o.output().resolve("skip_plan.json"));
            out.flush();
            return result;
        } finally {
            validation.unpersist();
        }
    }

    static MeterSkipSet skipSet(MeterConfig c, SkipPlan plan, MeterSkipSet.IndexMapping mapping) {
        return MeterSkipSet.of(c.fusionLayers(), Arrays.stream(plan.skippedLayers()).boxed().toList(), mapping);
    }

    private static void write(Options o, MeterConfig config, Result r) throws IOException {
        Files.createDirectories(o.output());
        JsonObject plan = new JsonObject();
        plan.addProperty("family", MeterConfig.FAMILY);
        plan.addProperty("plan", r.plan().toString()); // the text infer --skip-plan reads
        JsonArray indices = new JsonArray();
        Arrays.stream(r.plan().skippedLayers()).forEach(indices::add);
        plan.add("indices", indices);
        JsonArray modules = new JsonArray();
        r.skips().modulePaths().forEach(modules::add);
        plan.add("modules", modules);
        plan.addProperty("index_mapping", o.mapping().name().toLowerCase(Locale.ROOT));
        plan.addProperty("task", o.task());
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
        if (r.gates() != null) {
            plan.addProperty("rounds", o.rounds());
            plan.addProperty("plans_per_round", o.plansPerRound());
            JsonArray gates = new JsonArray();
            Arrays.stream(r.gates()).forEach(gates::add);
            plan.add("gates", gates);
        }
        Files.writeString(o.output().resolve("skip_plan.json"), new GsonBuilder().setPrettyPrinting().create().toJson(plan) + "\n");

        StringBuilder md = new StringBuilder("# Calibration (METER): loss and accuracy vs skipped MHAs\n\n");
        md.append(String.format(Locale.ROOT, "Strategy `%s`, k %d, seed %d, task `%s`, index mapping `%s`, validation %s. Plan for k = the "
                + "strategy's first k candidates (indices 0-%d, DESIGN-METER.md §3.4); loss = mean task loss (VQA: binary cross-entropy "
                + "summed over the %d answers against VQAv2 soft targets; NLVR2: cross-entropy), nats; accuracy = mean VQA score of the "
                + "top answer (METER's VQAScore) or NLVR2 hit rate; speed-up predicted by counting FLOPs (rows padded to L = %d).%n%n",
                o.strategy(), o.k(), o.seed(), o.task(), o.mapping().name().toLowerCase(Locale.ROOT), r.fingerprint(), candidates(config) - 1,
                config.vqaLabels(), config.maxTextLen()));
        md.append("| k | plan | modules skipped | loss | accuracy | predicted speed-up |\n|---:|---|---|---:|---:|---:|\n");
        for (Point p : r.curve()) {
            md.append(String.format(Locale.ROOT, "| %d | %s | %s | %.4f | %.2f%% | %.3fx |%n", p.k(), p.plan(),
                    p.modules().isEmpty() ? "-" : String.join(" ", p.modules()), p.loss(), 100 * p.accuracy(), p.predictedSpeedup()));
        }
        md.append("\n![curve](curve.png)\n");
        Files.writeString(o.output().resolve("curve.md"), md.toString());
        List<Double> ks = r.curve().stream().map(p -> (double) p.k()).toList();
        Charts.lines(o.output().resolve("curve.png"), "METER: loss, accuracy and predicted speed-up vs skipped MHAs (" + o.strategy() + ")",
                "k (MHAs skipped)", "loss (nats) / speed-up (x)", ks, List.of(
                        new Charts.Series("loss", r.curve().stream().map(Point::loss).toList()),
                        new Charts.Series("predicted speed-up (FLOPs)", r.curve().stream().map(Point::predictedSpeedup).toList()),
                        new Charts.Series("accuracy (%)", r.curve().stream().map(p -> 100 * p.accuracy()).toList())),
                List.of("accuracy (%)"), "accuracy (%)");
    }
}
