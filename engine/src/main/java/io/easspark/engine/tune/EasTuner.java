package io.easspark.engine.tune;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.search.AnswerLoss;
import io.easspark.engine.search.PolicyGradientSearch;
import io.easspark.engine.search.RowLoss;
import io.easspark.engine.search.ScoredRow;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * EAS's training recipe on the engine's own forward (issue 14): every step loads {@link LavinModel} from the leaves
 * of a {@link TrainableWeights} inside DJL's gradient collector, takes {@link AnswerLoss#trainingLoss} (the
 * teacher-forced answer cross-entropy the redundancy search also rewards) and lets {@link Adam} update the trainable
 * leaves. There is no second implementation of the model for training.
 *
 * <ul>
 *   <li>{@link #trainBase}: stage 1, the whole model minus the adapters (which stay the identity) on the task.</li>
 *   <li>{@link #trainAdaptersWithSearch}: stage 2a, the base frozen, the PIA adapters training under skip plans
 *       sampled from the search's policy, while the policy-gradient search of DESIGN.md §2 updates its layer scores
 *       from validation losses every few steps (the original searches during adapter training, too).</li>
 *   <li>{@link #fineTune}: stage 2b, the adapters trained further with the chosen plan's MHAs skipped.</li>
 * </ul>
 * Single-threaded and deterministic given the seed, up to libtorch's CPU kernels (see docs/TUNING.md).
 */
public final class EasTuner {

    /**
     * @param batchSize training rows per step
     * @param evalRows validation rows scored at each evaluation (the curve's accuracy)
     * @param evalEvery steps between evaluations
     * @param seed seeds batch order and the search's sampler
     */
    public record Settings(int batchSize, int evalRows, int evalEvery, long seed) {

        public Settings {
            if (batchSize <= 0 || evalRows <= 0 || evalEvery <= 0) {
                throw new IllegalArgumentException("batch size, eval rows and eval interval must be > 0: " + this);
            }
        }
    }

    /** One point of a loss curve; {@code valLoss} and {@code valAccuracy} are NaN between evaluations. */
    public record CurvePoint(String stage, int step, double trainLoss, double valLoss, double valAccuracy, double seconds,
            Accuracy evaluation) {
    }

    /** Progress of a stage, for the console line. */
    public interface Progress {
        void report(CurvePoint point, int steps, double gradNorm, double etaSeconds);
    }

    /** Accuracy of a plan on rows: overall and by category (exact teacher-forced target, i.e. greedy output). */
    public record Accuracy(double overall, Map<String, double[]> byCategory, double loss) {

        /** Correct and total rows of a category. */
        public double percent(String category) {
            double[] c = byCategory.get(category);
            return c == null || c[1] == 0 ? Double.NaN : 100.0 * c[0] / c[1];
        }
    }

    /** The search's outcome: the chosen plan, the final layer probabilities and the rounds run. */
    public record SearchOutcome(SkipPlan plan, double[] probabilities, List<Integer> ranking, int rounds) {
    }

    private final LavinConfig config;
    private final Settings settings;
    private final Progress progress;
    private final List<CurvePoint> curve = new ArrayList<>();
    private final long started = System.nanoTime();

    public EasTuner(LavinConfig config, Settings settings, Progress progress) {
        this.config = config;
        this.settings = settings;
        this.progress = progress;
    }

    /** Every point recorded so far, in order. */
    public List<CurvePoint> curve() {
        return Collections.unmodifiableList(curve);
    }

    /**
     * Stage 1: trains every trainable leaf of {@code w} with no MHA skipped, on the answer loss plus {@code promptWeight}
     * times the next-token loss over the prompt text ({@link AnswerLoss#trainingLoss(BatchGenerator, List, double,
     * NDManager)}).
     */
    public void trainBase(TrainableWeights w, List<TuningExample> train, List<TuningExample> val, LearningRate lr, double promptWeight) {
        SkipPlan none = SkipPlan.none(config.text().nLayers());
        run("base", w, train, val, lr, step -> none, null, promptWeight);
    }

    /**
     * Stage 1a, the curriculum's first part: every trainable leaf on option-reading rows alone (no MHA skipped, answer
     * loss only). Trained from scratch on the task mixed with these rows, the small base model stayed at the letter
     * prior for 4,750 steps; on these rows alone it learns to name the letter of the option meant after about 700
     * (docs/TUNING.md), and stage 1 then starts from a model that can bind an option's text to its letter.
     */
    public void trainBinding(TrainableWeights w, List<TuningExample> rows, List<TuningExample> val, LearningRate lr) {
        SkipPlan none = SkipPlan.none(config.text().nLayers());
        run("binding", w, rows, val, lr, step -> none, null, 0);
    }

    /**
     * Stage 2a: trains the adapters with plans of {@code k} skipped MHAs drawn from the search's policy (one per
     * step), and every {@code searchEvery} steps runs one search round: n plans, each scored by the answer loss on a
     * validation batch, then the σ update.
     */
    public SearchOutcome trainAdaptersWithSearch(TrainableWeights w, List<TuningExample> train, List<TuningExample> val,
            LearningRate lr, int k, int searchEvery, double searchLr) {
        int layers = config.text().nLayers();
        PolicyGradientSearch search = new PolicyGradientSearch(layers, k, PolicyGradientSearch.DEFAULT_PLANS_PER_ROUND,
                searchLr, settings.seed() + 17);
        PolicyGradientSearch sampler = new PolicyGradientSearch(layers, k, 1, searchLr, settings.seed() + 29);
        List<ScoredRow> searchRows = rows(val.subList(0, Math.min(val.size(), settings.batchSize())));
        int[] rounds = {0};
        run("adapters+search", w, train, val, lr, step -> {
            if (step > 0 && step % searchEvery == 0) {
                List<SkipPlan> plans = search.propose();
                search.update(plans, planLosses(w, plans, searchRows));
                rounds[0]++;
            }
            // the training plan follows the search's current policy: layers it favours train their skipped form more
            sampler.copyScoresFrom(search);
            return sampler.propose().get(0);
        }, null, 0);
        return new SearchOutcome(search.best(), search.probabilities(), search.ranking(), rounds[0]);
    }

    /** Stage 2b: trains the adapters with {@code plan}'s MHAs skipped. */
    public void fineTune(TrainableWeights w, List<TuningExample> train, List<TuningExample> val, LearningRate lr, SkipPlan plan) {
        run("fine-tune " + plan, w, train, val, lr, step -> plan, plan, 0);
    }

    /**
     * Stage 0, the vision tower's supervised pre-training (the stand-in for CLIP's): the tower's own leaves
     * ({@code backbone.visual.*}, the adapters excluded) and {@code head} train on pictures labelled per group, e.g. the
     * shape, colour and size in each grid cell. Nothing else moves: adapter_proj and the decoder are not on the graph.
     * Through the decoder's answer loss alone the tower learnt colours but neither shapes nor places (docs/TUNING.md).
     */
    public void trainVision(TrainableWeights w, SceneHead head, List<SceneExample> train, List<SceneExample> val, LearningRate lr) {
        Map<String, NDArray> leaves = new LinkedHashMap<>();
        w.trainable().forEach((name, a) -> {
            if (name.startsWith("backbone.visual.")) {
                leaves.put(name, a);
            }
        });
        if (leaves.isEmpty() || train.isEmpty() || val.isEmpty()) {
            throw new IllegalArgumentException("vision pre-training needs trainable tower weights, training and validation pictures");
        }
        leaves.putAll(head.leaves());
        List<SceneExample> evalRows = val.subList(0, Math.min(val.size(), settings.evalRows()));
        Random random = new Random(settings.seed() + 41);
        List<SceneExample> order = new ArrayList<>();
        int next = 0;
        long stageStart = System.nanoTime();
        try (Adam adam = new Adam(leaves, Adam.Settings.transformer(), w.manager())) {
            for (int step = 0; step < lr.steps(); step++) {
                List<SceneExample> batch = new ArrayList<>(settings.batchSize());
                while (batch.size() < settings.batchSize()) {
                    if (next == order.size()) { // a fresh shuffle each epoch, seeded
                        order = new ArrayList<>(train);
                        Collections.shuffle(order, random);
                        next = 0;
                    }
                    batch.add(order.get(next++));
                }
                double loss = visionStep(w, head, batch);
                adam.step(lr.at(step));
                Accuracy a = (step + 1) % settings.evalEvery() == 0 || step + 1 == lr.steps() ? evaluateVision(w, head, evalRows) : null;
                CurvePoint point = new CurvePoint("vision", step + 1, loss, a == null ? Double.NaN : a.loss(),
                        a == null ? Double.NaN : a.overall(), (System.nanoTime() - started) / 1e9, a);
                curve.add(point);
                double perStep = (System.nanoTime() - stageStart) / 1e9 / (step + 1);
                progress.report(point, lr.steps(), adam.lastGradNorm(), perStep * (lr.steps() - step - 1));
            }
        }
    }

    /**
     * The head's accuracy on {@code rows}: by kind over the groups whose gold class is not 0 (an object's shape,
     * colour or size), category {@code empty} over those that are 0; overall = every non-empty group.
     */
    public Accuracy evaluateVision(TrainableWeights w, SceneHead head, List<SceneExample> rows) {
        Map<String, double[]> by = new TreeMap<>();
        double lossSum = 0;
        try (LavinModel m = LavinModel.load(config, w.source(), SkipPlan.none(config.text().nLayers()), ReparamMode.LOWRANK, Device.cpu())) {
            for (int from = 0; from < rows.size(); from += settings.batchSize()) {
                List<SceneExample> batch = rows.subList(from, Math.min(rows.size(), from + settings.batchSize()));
                try (NDManager scope = m.newScope()) {
                    NDArray logits = head.logits(m.vision().taps(pixels(batch, scope)));
                    lossSum += head.loss(logits, labels(batch)).getFloat() * batch.size();
                    int[][] predicted = head.predict(logits);
                    for (int i = 0; i < batch.size(); i++) {
                        int[] gold = batch.get(i).labels();
                        for (int g = 0; g < gold.length; g++) {
                            double[] c = by.computeIfAbsent(gold[g] == 0 ? "empty" : head.kind(g), x -> new double[2]);
                            c[0] += predicted[i][g] == gold[g] ? 1 : 0;
                            c[1]++;
                        }
                    }
                }
            }
        }
        double correct = 0;
        double total = 0;
        for (var e : by.entrySet()) {
            if (!e.getKey().equals("empty")) {
                correct += e.getValue()[0];
                total += e.getValue()[1];
            }
        }
        return new Accuracy(total == 0 ? Double.NaN : 100.0 * correct / total, by, lossSum / rows.size());
    }

    private double visionStep(TrainableWeights w, SceneHead head, List<SceneExample> batch) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LavinModel m = LavinModel.load(config, w.source(), SkipPlan.none(config.text().nLayers()), ReparamMode.LOWRANK, Device.cpu());
            try (NDManager scope = m.newScope()) {
                NDArray loss = head.loss(head.logits(m.vision().taps(pixels(batch, scope))), labels(batch));
                double value = loss.getFloat();
                gc.backward(loss);
                return value;
            } finally {
                m.close();
            }
        }
    }

    private NDArray pixels(List<SceneExample> batch, NDManager scope) {
        int s = config.vision().imageSize();
        int per = 3 * s * s;
        float[] all = new float[batch.size() * per];
        for (int i = 0; i < batch.size(); i++) {
            float[] p = batch.get(i).pixels();
            if (p.length != per) {
                throw new IllegalArgumentException("a scene picture has " + p.length + " values, the tower takes " + per);
            }
            System.arraycopy(p, 0, all, i * per, per);
        }
        return scope.create(all, new Shape(batch.size(), 3, s, s));
    }

    private static int[][] labels(List<SceneExample> batch) {
        int[][] out = new int[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            out[i] = batch.get(i).labels();
        }
        return out;
    }

    /** Accuracy and mean answer loss of {@code plan} on {@code rows} with the current weights (no gradients). */
    public Accuracy evaluate(TrainableWeights w, SkipPlan plan, List<TuningExample> rows) {
        try (LavinModel m = LavinModel.load(config, w.source(), plan, ReparamMode.LOWRANK, Device.cpu())) {
            List<RowLoss> losses = AnswerLoss.score(m, rows(rows), settings.batchSize());
            Map<String, double[]> by = new TreeMap<>();
            double correct = 0;
            for (int i = 0; i < rows.size(); i++) {
                double[] c = by.computeIfAbsent(rows.get(i).category(), x -> new double[2]);
                boolean ok = losses.get(i).exact();
                c[0] += ok ? 1 : 0;
                c[1]++;
                correct += ok ? 1 : 0;
            }
            return new Accuracy(100.0 * correct / rows.size(), by, AnswerLoss.meanLoss(losses));
        }
    }

    private interface PlanChooser {
        SkipPlan plan(int step);
    }

    private void run(String stage, TrainableWeights w, List<TuningExample> train, List<TuningExample> val,
            LearningRate lr, PlanChooser plans, SkipPlan evalPlan, double promptWeight) {
        Batches batches = new Batches(train, settings.batchSize(), settings.seed() + stage.hashCode());
        List<TuningExample> evalRows = val.subList(0, Math.min(val.size(), settings.evalRows()));
        SkipPlan eval = evalPlan == null ? SkipPlan.none(config.text().nLayers()) : evalPlan;
        long stageStart = System.nanoTime();
        try (Adam adam = new Adam(w.trainable(), Adam.Settings.transformer(), w.manager())) {
            for (int step = 0; step < lr.steps(); step++) {
                SkipPlan plan = plans.plan(step);
                double loss = step(w, plan, rows(batches.next()), promptWeight);
                adam.step(lr.at(step));
                Accuracy a = null;
                if ((step + 1) % settings.evalEvery() == 0 || step + 1 == lr.steps()) {
                    a = evaluate(w, eval, evalRows);
                }
                double seconds = (System.nanoTime() - started) / 1e9;
                CurvePoint point = new CurvePoint(stage, step + 1, loss, a == null ? Double.NaN : a.loss(),
                        a == null ? Double.NaN : a.overall(), seconds, a);
                curve.add(point);
                double perStep = (System.nanoTime() - stageStart) / 1e9 / (step + 1);
                progress.report(point, lr.steps(), adam.lastGradNorm(), perStep * (lr.steps() - step - 1));
            }
        }
    }

    /** One forward + backward on the engine's model; returns the batch loss. Gradients accumulate in the leaves. */
    private double step(TrainableWeights w, SkipPlan plan, List<ScoredRow> batch, double promptWeight) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            LavinModel m = LavinModel.load(config, w.source(), plan, ReparamMode.LOWRANK, Device.cpu());
            try (NDManager scope = m.newScope()) {
                NDArray loss = AnswerLoss.trainingLoss(new BatchGenerator(m), batch, promptWeight, scope);
                double value = loss.getFloat();
                gc.backward(loss);
                return value;
            } finally {
                m.close();
            }
        }
    }

    private double[] planLosses(TrainableWeights w, List<SkipPlan> plans, List<ScoredRow> rows) {
        double[] losses = new double[plans.size()];
        try (LavinModel m = LavinModel.load(config, w.source(), SkipPlan.none(config.text().nLayers()), ReparamMode.LOWRANK,
                Device.cpu())) {
            Map<SkipPlan, Double> seen = new LinkedHashMap<>();
            for (int j = 0; j < plans.size(); j++) {
                SkipPlan p = plans.get(j);
                losses[j] = seen.computeIfAbsent(p, q -> AnswerLoss.meanLoss(AnswerLoss.score(m.withPlan(q), rows, rows.size())));
            }
        }
        return losses;
    }

    private static List<ScoredRow> rows(List<TuningExample> examples) {
        List<ScoredRow> out = new ArrayList<>(examples.size());
        for (TuningExample e : examples) {
            out.add(e.row());
        }
        return out;
    }
}
