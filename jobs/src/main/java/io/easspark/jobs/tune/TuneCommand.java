package io.easspark.jobs.tune;

import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.MapWeightSource;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.tune.EasTuner;
import io.easspark.engine.tune.LearningRate;
import io.easspark.engine.tune.SceneExample;
import io.easspark.engine.tune.SceneHead;
import io.easspark.engine.tune.TrainableWeights;
import io.easspark.engine.tune.TrainingInit;
import io.easspark.engine.tune.TuningExample;
import io.easspark.engine.vision.ImagePreprocessor;
import io.easspark.engine.vision.VisionConfig;
import io.easspark.jobs.output.OutputGuard;
import io.easspark.jobs.scienceqa.SceneLabels;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code eas tune}: EAS's recipe end to end on a folder in ScienceQA's layout (docs/TUNING.md). Stage 1 trains a
 * small LaVIN-shaped base model (standing in for pretrained LLaMA + CLIP) on the train split; stage 2 freezes it,
 * inserts fresh PIA adapters, trains them while the policy-gradient search picks the k MHAs to skip, and fine-tunes
 * them with those skipped. Writes {@code <output>/model} (a native model directory, fp16, with skip_plan.json) and
 * {@code <output>/report} (report.md with the k = 0..L table, loss.png, accuracy.png).
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = {"EAS's training recipe in Java (DJL autograd on the engine's own forward): stage 1 trains a small",
            "LaVIN-shaped base model on a ScienceQA-layout folder (eas gen-scienceqa writes one), first on option-reading rows",
            "alone (1a, --binding-steps), then on the task; stage 2 freezes it, trains",
            "the PIA adapters while the policy-gradient search picks the MHAs to skip, then fine-tunes the adapters with them",
            "skipped. Writes <output>/model (native model directory, fp16) and <output>/report (report.md, loss.png, accuracy.png)."})
public final class TuneCommand implements Callable<Integer> {

    /** The tokenizer trained with spm_train on the generated benchmark (tools/tokenizer/train-scienceqa-tokenizer.sh). */
    public static final String TOKENIZER_RESOURCE = "/io/easspark/jobs/tune/scienceqa-tokenizer.model";

    @Spec
    CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "a folder in ScienceQA's layout (problems.json, pid_splits.json, images/)")
    Path data;
    @Option(names = "--output", required = true, paramLabel = "DIR", description = "writes DIR/model and DIR/report")
    Path output;
    @Option(names = "--overwrite", description = "replace an existing --output, if it is empty or a finished tune output")
    boolean overwrite;
    @Option(names = "--seed", defaultValue = "14", description = "weights, batch order and the search's sampler (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--skip", defaultValue = "2", description = "MHAs to skip, k (default: ${DEFAULT-VALUE} of the 6 layers)")
    int k;
    @Option(names = "--batch", defaultValue = "32", description = "training rows per step (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--base-steps", defaultValue = "4000", description = "stage 1 steps (default: ${DEFAULT-VALUE})")
    int baseSteps;
    @Option(names = "--binding-steps", defaultValue = "1000",
            description = "stage 1a steps on option-reading rows alone, before the task (default: ${DEFAULT-VALUE}; 0 skips it; docs/TUNING.md)")
    int bindingSteps;
    @Option(names = "--base-lr", defaultValue = "2e-3", description = "stage 1 peak learning rate (default: ${DEFAULT-VALUE})")
    double baseLr;
    @Option(names = "--adapter-steps", defaultValue = "300", description = "stage 2a steps: adapters + search (default: ${DEFAULT-VALUE})")
    int adapterSteps;
    @Option(names = "--search-every", defaultValue = "10", description = "steps between search rounds in stage 2a (default: ${DEFAULT-VALUE})")
    int searchEvery;
    @Option(names = "--search-lr", defaultValue = "2.0", description = "the search's score learning rate (default: ${DEFAULT-VALUE}, ScienceQA's)")
    double searchLr;
    @Option(names = "--finetune-steps", defaultValue = "300", description = "stage 2b steps: adapters with the plan skipped (default: ${DEFAULT-VALUE})")
    int finetuneSteps;
    @Option(names = "--adapter-lr", defaultValue = "2e-3", description = "stage 2 peak learning rate (default: ${DEFAULT-VALUE})")
    double adapterLr;
    @Option(names = "--train-rows", defaultValue = "0", description = "use only the first N training rows (default: all)")
    int trainRows;
    @Option(names = "--prompt-loss", defaultValue = "0",
            description = "stage 1: weight of the next-token loss on the prompt text, the stand-in for LLaMA's pre-training (default: ${DEFAULT-VALUE})")
    double promptWeight;
    @Option(names = "--option-reading", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "stage 1 also trains on option-reading rows made from the train split (default: ${DEFAULT-VALUE}; docs/TUNING.md)")
    boolean optionReading;
    @Option(names = "--captions", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "stage 1 also trains on the pictures' captions (captions.json), the stand-in for CLIP's pre-training (default: ${DEFAULT-VALUE})")
    boolean captions;
    @Option(names = "--binding-captions", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "with --captions, stage 1a trains on them too; --no-binding-captions keeps stage 1a on option reading"
                    + " alone, where it forms fastest (default: ${DEFAULT-VALUE}; docs/TUNING.md)")
    boolean bindingCaptions;
    @Option(names = "--dense-binding", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "stage 1a also trains on rows naming every option's letter (default: ${DEFAULT-VALUE})")
    boolean denseBinding;
    @Option(names = "--task-binding", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "stage 1b also trains on the rows naming every option's letter (BIND), beside the task (default: ${DEFAULT-VALUE})")
    boolean taskBinding;
    @Option(names = "--orders", defaultValue = "1",
            description = "stage 1 trains on each problem in this many option orders (default: ${DEFAULT-VALUE})")
    int orders;
    @Option(names = "--base", paramLabel = "DIR",
            description = "skip stage 1: the base weights (every tensor but the adapters) from this model directory, e.g. a previous"
                    + " tune's DIR/model; stage 2 starts from fresh adapters (docs/TUNING.md)")
    Path base;
    @Option(names = "--continue-base", defaultValue = "false",
            description = "with --base: run stage 1 (--binding-steps, then --base-steps) from the base's weights instead of"
                    + " skipping it, to train a base longer in several runs (default: ${DEFAULT-VALUE})")
    boolean continueBase;
    @Option(names = "--hint-rows", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "stage 1b also trains on rows restating each hint's sentences in another order (HINT), the reading"
                    + " a TXT question needs (default: ${DEFAULT-VALUE}; docs/TUNING.md)")
    boolean hintRows;
    @Option(names = "--reverse-rows", negatable = true, defaultValue = "false", fallbackValue = "true",
            description = "stage 1b also trains on reverse look-ups in each hint (REV: 'Whose are these: grapes, plums?' ->"
                    + " 'grapes: Nora. plums: Dina.'), the half of a TXT look-up that option reading's shape teaches"
                    + " (default: ${DEFAULT-VALUE}; docs/TUNING.md)")
    boolean reverseRows;
    @Option(names = "--vision-steps", defaultValue = "0",
            description = "stage 0 steps: the vision tower alone learns each picture's objects (shape, colour, size per grid cell,"
                    + " read from captions.json) through a linear read-out of its class tokens, the stand-in for CLIP's"
                    + " pre-training; before stage 1 (default: ${DEFAULT-VALUE}: off; docs/TUNING.md)")
    int visionSteps;
    @Option(names = "--vision-lr", defaultValue = "3e-3",
            description = "stage 0 peak learning rate (default: ${DEFAULT-VALUE}; 1e-3 did not learn in 1,500 steps: docs/TUNING.md)")
    double visionLr;
    @Option(names = "--heads", defaultValue = "8", description = "decoder attention heads (dim 128 split among them) (default: ${DEFAULT-VALUE})")
    int heads;
    @Option(names = "--rope-theta", defaultValue = "10000", description = "decoder RoPE base (default: ${DEFAULT-VALUE}, LLaMA's)")
    double ropeTheta;
    @Option(names = "--target", defaultValue = "EA",
            description = "what the model learns to write: A = 'The answer is X.' (LaVIN's), EA = the problem's solution, then"
                    + " 'The answer is X.' (ScienceQA's explanation-first format; docs/TUNING.md) (default: ${DEFAULT-VALUE})")
    AnswerTarget target;
    @Option(names = "--eval-every", defaultValue = "500", description = "steps between validation evaluations (default: ${DEFAULT-VALUE})")
    int evalEvery;
    @Option(names = "--eval-rows", defaultValue = "512", description = "validation rows per evaluation (default: ${DEFAULT-VALUE})")
    int evalRows;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        LavinConfig config = config("", heads, ropeTheta);
        if (k < 0 || k > config.text().nLayers()) {
            throw new IllegalArgumentException("--skip must be in 0.." + config.text().nLayers() + ": " + k);
        }
        if (continueBase && base == null) {
            throw new IllegalArgumentException("--continue-base needs --base DIR: the model whose stage 1 it continues");
        }
        if (orders < 1) {
            throw new IllegalArgumentException("--orders must be >= 1 (1 = each problem as written): " + orders);
        }
        // refused here, before anything is read or written: a zero step count would otherwise fail after the stages
        // before it had run, and their weights would be lost with the run
        atLeast("--adapter-steps", adapterSteps, 1, "stage 2a always runs");
        atLeast("--finetune-steps", finetuneSteps, 1, "stage 2b always runs");
        atLeast("--search-every", searchEvery, 1, "steps between search rounds");
        if (base == null || continueBase) {
            atLeast("--base-steps", baseSteps, 1, "stage 1 runs unless --base is given without --continue-base");
        }
        atLeast("--binding-steps", bindingSteps, 0, "0 skips stage 1a");
        atLeast("--vision-steps", visionSteps, 0, "0 skips stage 0");
        if (visionSteps > 0 && base != null && !continueBase) {
            throw new IllegalArgumentException("--vision-steps trains the base's vision tower: with --base it needs --continue-base");
        }
        atLeast("--batch", batch, 1, "rows per step");
        atLeast("--eval-every", evalEvery, 1, "steps between evaluations");
        atLeast("--eval-rows", evalRows, 1, "rows per evaluation");
        if (!Files.isRegularFile(data.resolve("problems.json")) || !Files.isRegularFile(data.resolve("pid_splits.json"))) {
            throw new IllegalArgumentException("--data " + data + " is not in ScienceQA's layout (problems.json, pid_splits.json);"
                    + " eas gen-scienceqa --output " + data + " writes one");
        }
        if (visionSteps > 0 && !Files.isRegularFile(data.resolve("captions.json"))) {
            throw new IllegalArgumentException("--vision-steps needs the pictures' captions (captions.json) in --data " + data
                    + "; eas gen-scienceqa writes them");
        }
        io.easspark.loader.nativeformat.NativeModelDirectory baseModel = null;
        if (base != null) {
            baseModel = io.easspark.loader.nativeformat.NativeModelDirectory.validate(base.toString(), new org.apache.hadoop.conf.Configuration());
            if (!baseModel.config().text().equals(config.text()) || !sameTensors(baseModel.config(), config)) {
                throw new IllegalArgumentException("--base " + base + " is not this recipe's shape (config.json: " + baseModel.config().text()
                        + "); give --heads/--rope-theta as it was tuned with");
            }
            requireTuneTokenizer(base);
        }
        List<OutputGuard.Read> reads = new ArrayList<>(List.of(new OutputGuard.Read("--data", data.toString())));
        if (base != null) {
            reads.add(new OutputGuard.Read("--base", base.toString()));
        }
        // checked now, emptied only once every row is encoded: a malformed problems.json or captions.json then
        // leaves a previous output that --overwrite named as it was
        OutputGuard.checkLocal(output, overwrite, "tune", reads, OutputGuard.hasAll("model/config.json", "report/report.md"));
        long started = System.nanoTime();
        byte[] tokenizerBytes = tokenizer();
        List<TuningExample> train;
        List<TuningExample> val;
        List<TuningExample> test;
        List<TuningExample> baseTrain = null;
        List<TuningExample> trainOrders;
        List<TuningExample> baseVal = null;
        List<TuningExample> binding = new ArrayList<>();
        List<SceneExample> sceneTrain = List.of();
        List<SceneExample> sceneVal = List.of();
        try (LlamaTokenizer tok = LlamaTokenizer.load(new ByteArrayInputStream(tokenizerBytes), "scienceqa tokenizer")) {
            TuningData d = TuningData.open(data, target);
            ImagePreprocessor pre = ImagePreprocessor.forConfig(config.vision());
            int seq = config.text().maxSeqLen();
            train = d.examples("train", trainRows, tok, pre, seq, config.nVisualTokens());
            trainOrders = orders > 1 ? d.examples("train", trainRows, tok, pre, seq, config.nVisualTokens(), orders, seed + 300) : train;
            val = d.examples("val", 0, tok, pre, seq, config.nVisualTokens());
            test = d.examples("test", 0, tok, pre, seq, config.nVisualTokens());
            if (visionSteps > 0) {
                sceneTrain = d.sceneRows("train", trainRows, pre);
                sceneVal = d.sceneRows("val", 0, pre);
                if (sceneTrain.isEmpty() || sceneVal.isEmpty()) {
                    throw new IllegalArgumentException("--vision-steps needs captions.json with the generator's captions for the train and val"
                            + " pictures (eas gen-scienceqa writes them); " + data + " has " + sceneTrain.size() + " and " + sceneVal.size());
                }
            }
            List<TuningExample> captionTrain = captions ? d.captionRows("train", trainRows, tok, pre, seq, config.nVisualTokens()) : List.of();
            if (optionReading || captions || taskBinding || hintRows || reverseRows) {
                List<TuningExample> mixed = new ArrayList<>(trainOrders);
                // stage 1's validation also shows whether option reading (OPT) and captioning (CAP) are learnt
                baseVal = new ArrayList<>(val.subList(0, Math.min(val.size(), evalRows * (captions ? 1 : 3) / (captions ? 2 : 4))));
                if (optionReading) {
                    mixed.addAll(d.optionReading("train", trainRows, tok, seq, config.nVisualTokens(), seed));
                    baseVal.addAll(d.optionReading("val", evalRows / 4, tok, seq, config.nVisualTokens(), seed + 1));
                }
                if (taskBinding) {
                    mixed.addAll(d.denseBinding("train", trainRows, tok, seq, config.nVisualTokens(), seed + 400));
                }
                if (hintRows) {
                    // not validated: a restatement in a random order cannot be reproduced exactly, so its exact-match
                    // accuracy would read 0 whatever was learnt; TXT's accuracy is the measure
                    mixed.addAll(d.hintRows("train", trainRows, tok, seq, config.nVisualTokens(), seed + 500));
                }
                if (reverseRows) {
                    List<TuningExample> reverseVal = d.reverseRows("val", 0, tok, seq, config.nVisualTokens(), seed + 601);
                    mixed.addAll(d.reverseRows("train", trainRows, tok, seq, config.nVisualTokens(), seed + 600));
                    baseVal.addAll(reverseVal.subList(0, Math.min(reverseVal.size(), Math.max(1, evalRows / 4))));
                }
                if (captions) {
                    mixed.addAll(captionTrain);
                    List<TuningExample> captionVal = d.captionRows("val", 0, tok, pre, seq, config.nVisualTokens());
                    baseVal.addAll(captionVal.subList(0, Math.min(captionVal.size(), Math.max(1, evalRows / 4))));
                }
                baseTrain = mixed;
            }
            if (bindingSteps > 0) {
                // three reshufflings of the train split's options: the stage sees each question's options in
                // several orders, so it cannot learn a letter per question
                for (int r = 1; r <= 3; r++) {
                    binding.addAll(d.optionReading("train", trainRows, tok, seq, config.nVisualTokens(), seed + 100 + r));
                }
                if (denseBinding) {
                    for (int r = 1; r <= 2; r++) {
                        binding.addAll(d.denseBinding("train", trainRows, tok, seq, config.nVisualTokens(), seed + 200 + r));
                    }
                }
                for (int r = 0; r < (bindingCaptions ? 3 : 0); r++) {
                    binding.addAll(captionTrain); // a picture's description is the same each time, unlike reshuffled options
                }
            }
        }
        // checked again: the folder may have changed while the rows were read, and only an empty or finished tune
        // output may be emptied
        OutputGuard.clear(OutputGuard.checkLocal(output, overwrite, "tune", reads, OutputGuard.hasAll("model/config.json", "report/report.md")));
        out.printf(Locale.ROOT, "tune: %d train, %d val, %d test rows encoded%n", train.size(), val.size(), test.size());
        out.flush();
        EasTuner tuner = new EasTuner(config, new EasTuner.Settings(batch, evalRows, evalEvery, seed), (p, steps, norm, eta) -> {
            if (p.step() % 25 == 0 || p.step() == steps || p.evaluation() != null) {
                String acc = p.evaluation() == null ? ""
                        : p.evaluation().byCategory().containsKey("empty") // stage 0: objects of validation pictures
                        ? String.format(Locale.ROOT, ", val objects %.1f%% (%s)", p.valAccuracy(), extraCategories(p.evaluation()).trim())
                        : String.format(Locale.ROOT, ", val acc %.1f%% (IMG %.0f TXT %.0f NO %.0f%s)",
                        p.valAccuracy(), p.evaluation().percent("IMG"), p.evaluation().percent("TXT"), p.evaluation().percent("NO"),
                        extraCategories(p.evaluation()));
                out.printf(Locale.ROOT, "tune: %s step %d/%d, loss %.4f%s, stage ETA %s%n", p.stage(), p.step(), steps, p.trainLoss(),
                        acc, eta(eta));
                out.flush();
            }
        });
        List<TuneReport.StageResult> stages = new ArrayList<>();
        SkipPlan none = SkipPlan.none(config.text().nLayers());
        EasTuner.SearchOutcome search;
        Map<String, float[]> values;
        try (NDManager root = NDManager.newBaseManager()) {
            values = TrainableWeights.initial(config, seed);
            if (base != null) {
                // stage 1 done elsewhere: its weights, with this run's fresh (identity) adapters
                Map<String, float[]> stored = baseModel.values();
                for (String name : values.keySet()) {
                    if (!TrainingInit.isAdapter(name)) {
                        values.put(name, stored.get(name));
                    }
                }
            }
            try (TrainableWeights w = TrainableWeights.of(config, values, n -> !TrainingInit.isAdapter(n), root)) {
                if (base == null || continueBase) {
                    if (visionSteps > 0) {
                        try (SceneHead head = new SceneHead(
                                config.vision().taps() * config.vision().width(), SceneLabels.groupSizes(),
                                SceneLabels.groupKinds(), seed + 600, root)) {
                            tuner.trainVision(w, head, sceneTrain, sceneVal, new LearningRate(visionLr, Math.min(100, visionSteps / 10), visionSteps, 0.05));
                            EasTuner.Accuracy a = tuner.evaluateVision(w, head, sceneVal);
                            out.printf(Locale.ROOT, "tune: stage 0: vision tower, validation pictures: objects %.1f%% (shape %.1f, colour %.1f, size %.1f; empty cells %.1f)%n",
                                    a.overall(), a.percent("shape"), a.percent("colour"), a.percent("size"), a.percent("empty"));
                            out.flush();
                        }
                    }
                    if (bindingSteps > 0) {
                        tuner.trainBinding(w, binding, baseVal == null ? val : baseVal, new LearningRate(baseLr, Math.min(100, bindingSteps / 10), bindingSteps, 0.1));
                    }
                    tuner.trainBase(w, baseTrain == null ? trainOrders : baseTrain, baseVal == null ? val : baseVal, new LearningRate(baseLr, Math.min(100, baseSteps / 10), baseSteps, 0.05), promptWeight);
                }
                stages.add(stage(out, base == null ? "1: base" : (continueBase ? "1: base continued from " : "1: base from ") + base, none, tuner.evaluate(w, none, test)));
                values = w.values();
            }
            try (TrainableWeights w = TrainableWeights.of(config, values, TrainingInit::isAdapter, root)) {
                search = tuner.trainAdaptersWithSearch(w, train, val, new LearningRate(adapterLr, Math.min(20, adapterSteps / 10),
                        adapterSteps, 0.5), k, searchEvery, searchLr);
                out.printf(Locale.ROOT, "tune: search chose %s after %d rounds%n", search.plan(), search.rounds());
                stages.add(stage(out, "2a: adapters + search", none, tuner.evaluate(w, none, test)));
                stages.add(stage(out, "2a: adapters + search", search.plan(), tuner.evaluate(w, search.plan(), test)));
                tuner.fineTune(w, train, val, new LearningRate(adapterLr, Math.min(20, finetuneSteps / 10), finetuneSteps, 0.05), search.plan());
                stages.add(stage(out, "2b: fine-tuned with the plan", none, tuner.evaluate(w, none, test)));
                stages.add(stage(out, "2b: fine-tuned with the plan", search.plan(), tuner.evaluate(w, search.plan(), test)));
                values = TunedModel.roundedToHalf(w.values());
            }
        }
        LavinConfig tuned = config(search.plan().toString(), heads, ropeTheta);
        // originalArgs holds the whole command line, the subcommand's name included
        String command = "eas " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        TunedModel.write(output.resolve("model"), tuned, values, tokenizerBytes, search, command);
        out.println("tune: measuring accuracy and speed for k = 0.." + config.text().nLayers());
        out.flush();
        List<PlanTable.Line> table;
        try (NDManager root = NDManager.newBaseManager();
             LlamaTokenizer tok = LlamaTokenizer.load(new ByteArrayInputStream(tokenizerBytes), "scienceqa tokenizer")) {
            Map<String, ai.djl.ndarray.NDArray> arrays = new java.util.LinkedHashMap<>();
            values.forEach((n, v) -> arrays.put(n, root.create(v, new ai.djl.ndarray.types.Shape(
                    io.easspark.engine.model.NativeLayout.tensors(config).get(n)))));
            table = PlanTable.measure(config, new MapWeightSource(arrays, "tuned"), tok,
                    TunedModel.plansByK(search, config.text().nLayers()), test, batch);
        }
        double minutes = (System.nanoTime() - started) / 6e10;
        TuneReport.write(output.resolve("report"), command, tuner.curve(), stages, search, table, minutes);
        for (PlanTable.Line l : table) {
            out.printf(Locale.ROOT, "tune: k=%d plan %s accuracy %.1f%% rows/s %.1f%n", l.k(), l.plan(), l.accuracy(), l.rowsPerSecond());
        }
        out.printf(Locale.ROOT, "tune: wrote %s and %s in %.1f min%n", output.resolve("model"), output.resolve("report/report.md"), minutes);
        return 0;
    }

    private static void atLeast(String flag, int value, int min, String why) {
        if (value < min) {
            throw new IllegalArgumentException(flag + " must be >= " + min + " (" + why + "): " + value);
        }
    }

    private static TuneReport.StageResult stage(PrintWriter out, String stage, SkipPlan plan, EasTuner.Accuracy a) {
        out.printf(Locale.ROOT, "tune: stage %s, plan %s: test accuracy %.1f%% (IMG %.1f, TXT %.1f, NO %.1f)%n", stage,
                plan.skippedCount() == 0 ? "none" : plan, a.overall(), a.percent("IMG"), a.percent("TXT"), a.percent("NO"));
        out.flush();
        return new TuneReport.StageResult(stage, plan, a);
    }

    /** The categories besides IMG, TXT and NO (OPT, CAP, ...) of an evaluation, for the progress line. */
    private static String extraCategories(EasTuner.Accuracy a) {
        StringBuilder out = new StringBuilder();
        for (String c : a.byCategory().keySet()) {
            if (!List.of("IMG", "TXT", "NO").contains(c)) {
                out.append(String.format(Locale.ROOT, " %s %.0f", c, a.percent(c)));
            }
        }
        return out.toString();
    }

    /** The recipe encodes every row with the bundled tokenizer: a base that learnt other ids would train on noise. */
    static void requireTuneTokenizer(Path base) throws java.io.IOException {
        Path file = base.resolve("tokenizer.model");
        if (!Files.isRegularFile(file) || !java.util.Arrays.equals(Files.readAllBytes(file), tokenizer())) {
            throw new IllegalArgumentException("--base " + base + " was not tuned with eas tune's tokenizer (" + TOKENIZER_RESOURCE
                    + "): its tokenizer.model differs or is missing");
        }
    }

    /** Same tensor names and shapes (VisionConfig holds arrays, so its record equality is identity). */
    private static boolean sameTensors(LavinConfig a, LavinConfig b) {
        Map<String, long[]> x = io.easspark.engine.model.NativeLayout.tensors(a);
        Map<String, long[]> y = io.easspark.engine.model.NativeLayout.tensors(b);
        return x.keySet().equals(y.keySet()) && x.entrySet().stream().allMatch(e -> java.util.Arrays.equals(e.getValue(), y.get(e.getKey())));
    }

    private static String eta(double seconds) {
        long s = Math.round(seconds);
        return s >= 60 ? (s / 60) + "m" + String.format("%02d", s % 60) + "s" : s + "s";
    }

    static byte[] tokenizer() throws java.io.IOException {
        try (InputStream in = TuneCommand.class.getResourceAsStream(TOKENIZER_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the tokenizer " + TOKENIZER_RESOURCE + " is missing from the jar");
            }
            return in.readAllBytes();
        }
    }

    /**
     * The tuned demo's shape: LaVIN's (LLaMA decoder with both PIA adapters per layer, a CLIP-shaped ViT whose class
     * token is tapped after every block, adapter_proj) at a size that trains on 2 cores in minutes: dim 128, 6 layers
     * of 8 heads, FFN 256, the 1,000-piece tokenizer; a 64-pixel image tower of 4 blocks, width 96, patch 8.
     */
    public static LavinConfig config(String plan) {
        return config(plan, 8, 10000.0);
    }

    /** The demo's shape with another head count (dim 128 split into {@code heads}) and RoPE base. */
    public static LavinConfig config(String plan, int heads, double ropeTheta) {
        LlamaConfig text = new LlamaConfig(128, 6, heads, 256, 1000, 1e-6, ropeTheta, 256);
        VisionConfig vision = new VisionConfig(64, 8, 96, 4, 4, 1e-5, 8, 2, 1.0, 10.0, 1, 64,
                VisionConfig.IMAGENET_MEAN, VisionConfig.IMAGENET_STD);
        return new LavinConfig(text, AdapterConfig.lavinEas(), vision, vision.taps(), plan, "lowrank");
    }
}
