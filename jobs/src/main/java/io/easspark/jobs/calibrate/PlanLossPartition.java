package io.easspark.jobs.calibrate;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.search.AnswerLoss;
import io.easspark.engine.search.RowLoss;
import io.easspark.engine.search.ScoredRow;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.jobs.infer.AnswerPartition;
import io.easspark.jobs.infer.ImageResolver;
import io.easspark.jobs.infer.InferOptions;
import io.easspark.loader.cache.LoadedModel;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.cache.ModelSpec;
import io.easspark.udf.RowEncoder;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The executor side of one evaluation round: the teacher-forced answer loss of every row of the partition under each
 * plan of the round, on the executor's one model (plans are views of the same weights, nothing is reloaded).
 * Emits {@link SparkPlanEvaluator#SCHEMA} rows (plan, id, loss, credit 1 for an exact answer else 0); rows that
 * cannot be encoded (no image, empty question) emit nothing.
 */
final class PlanLossPartition implements MapPartitionsFunction<Row, Row>, Serializable {

    private static final long serialVersionUID = 1L;

    private final InferOptions o;
    private final Map<String, String> hadoopConf;
    /** Parsed on the driver: tasks never parse a plan. */
    private final List<SkipPlan> plans;
    private final String goldCol;
    /** The solution column for the explanation-first target, or null for LaVIN's letter-first one. */
    private final String solutionCol;

    PlanLossPartition(InferOptions o, Map<String, String> hadoopConf, List<SkipPlan> plans, String goldCol, String solutionCol) {
        this.o = o;
        this.hadoopConf = hadoopConf;
        this.plans = plans;
        this.goldCol = goldCol;
        this.solutionCol = solutionCol;
    }

    /** LaVIN's ScienceQA training target for an option letter, ended by EOS as the model learnt to stop. */
    static long[] target(LlamaTokenizer tokenizer, String gold) {
        return target(tokenizer, gold, null);
    }

    /**
     * The target scored: {@code The answer is X.} + EOS, or with a solution {@code <solution> The answer is X.} + EOS
     * (what a model tuned with {@code eas tune --target EA} writes).
     */
    static long[] target(LlamaTokenizer tokenizer, String gold, String solution) {
        String answer = "The answer is " + gold + ".";
        long[] text = tokenizer.encode(solution == null ? answer : solution.strip() + " " + answer, false);
        long[] ids = Arrays.copyOf(text, text.length + 1);
        ids[text.length] = LlamaTokenizer.EOS;
        return ids;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        List<Row> out = new ArrayList<>();
        if (!input.hasNext()) {
            return out.iterator();
        }
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        // one model with every MHA kept; each plan of the round is a view of its weights
        ModelSpec all = new ModelSpec(o.model(), SkipPlan.none(o.plan().layerCount()), ReparamMode.LOWRANK, o.request().model().device());
        try (ModelCache.Lease<LoadedModel> lease = LoadedModel.acquire(all, conf, null)) {
            LavinModel model = lease.get().model();
            LlamaTokenizer tokenizer = lease.get().tokenizer();
            RowEncoder encoder = new RowEncoder(model, tokenizer, o.model(), o.request().answerOptions());
            ImageResolver images = new ImageResolver(o.imageRoot(), conf, o.maxImageBytes());
            List<String> ids = new ArrayList<>();
            List<ScoredRow> rows = new ArrayList<>();
            while (input.hasNext()) {
                Row r = input.next();
                String gold = r.getAs(goldCol);
                RowEncoder.Checked c = encoder.check(AnswerPartition.question(r, images));
                String solution = solutionCol == null ? null : r.getAs(solutionCol);
                boolean hasSolution = solutionCol == null || solution != null && !solution.isBlank();
                if (c.encoded() != null && gold != null && !gold.isBlank() && hasSolution) {
                    ids.add(c.encoded().row().id());
                    rows.add(new ScoredRow(c.encoded().encoded().sequence(), target(tokenizer, gold.strip().toUpperCase(java.util.Locale.ROOT), solution)));
                }
            }
            for (int p = 0; p < plans.size(); p++) {
                LavinModel view = model.withPlan(plans.get(p));
                for (int start = 0; start < rows.size(); start += o.batchSize()) {
                    int end = Math.min(rows.size(), start + o.batchSize());
                    List<RowLoss> losses = AnswerLoss.score(view, rows.subList(start, end));
                    for (int i = start; i < end; i++) {
                        RowLoss l = losses.get(i - start);
                        out.add(RowFactory.create(p, ids.get(i), l.loss(), l.exact() ? 1.0 : 0.0));
                    }
                }
            }
        }
        return out.iterator();
    }
}
