package io.easspark.jobs.calibrate;

import ai.djl.Device;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterImageTransform;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.MeterTaskLoss;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.engine.meter.VqaTarget;
import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.jobs.infer.ImageResolver;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The executor side of one METER evaluation round: the task loss ({@link MeterTaskLoss}) of every row of the partition
 * under each plan of the round, on the executor's one model (a skip set is a forward argument, so nothing reloads).
 * Rows stream through in batches cut by token count, as infer cuts them; each batch is decoded once and run under every
 * plan, so a partition never holds more than a batch of pixels per task. Emits {@link SparkPlanEvaluator#SCHEMA} rows;
 * a row that cannot be scored (no image, an undecodable one, empty text, no usable gold) emits nothing.
 */
final class MeterLossPartition implements MapPartitionsFunction<Row, Row>, Serializable {

    private static final long serialVersionUID = 1L;

    /** Marks calibrate's METER entries in the shared cache: never confused with a LaVIN entry or another value type. */
    private static final String CACHE_DTYPE = "meter-fp32-calibrate";

    /** What the cache holds: the model, its tokenizer and its answers (null without a VQA head). */
    record Loaded(MeterModel model, RobertaBpeTokenizer tokenizer, AnswerVocabulary answers) implements AutoCloseable {
        @Override
        public void close() {
            try (tokenizer) {
                model.close();
            }
        }
    }

    /** A row ready to run: exactly one of {@code vqa} and {@code nlvr2} is set. */
    private record Ready(String id, MeterTaskLoss.VqaRow vqa, MeterTaskLoss.Nlvr2Row nlvr2) {
    }

    private final String model;
    private final Map<String, String> hadoopConf;
    private final String imageRoot;
    private final long maxImageBytes;
    /** Parsed on the driver: tasks never parse a plan. */
    private final List<SkipPlan> plans;
    private final MeterSkipSet.IndexMapping mapping;
    private final boolean annotators;
    private final long maxBatchTokens;

    MeterLossPartition(String model, Map<String, String> hadoopConf, String imageRoot, long maxImageBytes, List<SkipPlan> plans,
            MeterSkipSet.IndexMapping mapping, boolean annotators, long maxBatchTokens) {
        this.model = model;
        this.hadoopConf = hadoopConf;
        this.imageRoot = imageRoot;
        this.maxImageBytes = maxImageBytes;
        this.plans = plans;
        this.mapping = mapping;
        this.annotators = annotators;
        this.maxBatchTokens = maxBatchTokens;
    }

    static ModelCache.Lease<Loaded> acquire(String uri, Configuration conf) {
        return ModelCache.global().acquire(new ModelCache.Key(uri, "cpu", CACHE_DTYPE, null, null), k -> {
            MeterModelDirectory dir = MeterModelDirectory.open(uri, conf);
            RobertaBpeTokenizer tokenizer = dir.tokenizer();
            try {
                return new Loaded(dir.load(Device.cpu()), tokenizer, dir.answers());
            } catch (Exception e) {
                tokenizer.close();
                throw e;
            }
        });
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        List<Row> out = new ArrayList<>();
        if (!input.hasNext()) {
            return out.iterator();
        }
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        try (ModelCache.Lease<Loaded> lease = acquire(model, conf)) {
            Loaded loaded = lease.get();
            MeterModel m = loaded.model();
            int layers = m.config().fusionLayers();
            List<MeterSkipSet> skipSets = plans.stream().map(p -> MeterSkipSet.of(layers, indices(p), mapping)).toList();
            Map<String, Integer> ans2label = loaded.answers() == null ? Map.of() : loaded.answers().ans2label();
            MeterImageTransform transform = new MeterImageTransform(m.config().imageSize());
            ImageResolver images = new ImageResolver(imageRoot, conf, maxImageBytes);
            long rowTokens = m.config().maxTextLen() + m.config().imageTokens();
            // NLVR2 rows run two fusions, so they count twice (as infer's batching does)
            int vqaBatch = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxBatchTokens / rowTokens));
            int nlvr2Batch = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxBatchTokens / (2 * rowTokens)));
            List<Ready> vqa = new ArrayList<>();
            List<Ready> nlvr2 = new ArrayList<>();
            while (input.hasNext()) {
                Ready r = prepare(input.next(), loaded, ans2label, transform, images);
                if (r == null) {
                    continue;
                }
                List<Ready> pending = r.vqa() != null ? vqa : nlvr2;
                pending.add(r);
                if (pending.size() >= (r.vqa() != null ? vqaBatch : nlvr2Batch)) {
                    run(m, skipSets, pending, out);
                }
            }
            run(m, skipSets, vqa, out);
            run(m, skipSets, nlvr2, out);
        }
        return out.iterator();
    }

    /** Runs one batch of one task under every plan, then empties it. */
    private static void run(MeterModel m, List<MeterSkipSet> skipSets, List<Ready> batch, List<Row> out) {
        if (batch.isEmpty()) {
            return;
        }
        boolean isVqa = batch.get(0).vqa() != null;
        for (int p = 0; p < skipSets.size(); p++) {
            List<MeterTaskLoss.RowLoss> losses = isVqa
                    ? MeterTaskLoss.vqa(m, skipSets.get(p), batch.stream().map(Ready::vqa).toList())
                    : MeterTaskLoss.nlvr2(m, skipSets.get(p), batch.stream().map(Ready::nlvr2).toList());
            for (int i = 0; i < batch.size(); i++) {
                out.add(RowFactory.create(p, batch.get(i).id(), losses.get(i).loss(), losses.get(i).credit()));
            }
        }
        batch.clear();
    }

    /** The row's inputs and gold, or null when it cannot be scored. */
    private Ready prepare(Row r, Loaded loaded, Map<String, Integer> ans2label, MeterImageTransform transform, ImageResolver images) {
        String id = r.getAs("id");
        String text = r.getAs("text");
        List<String> gold = r.isNullAt(r.fieldIndex("gold")) ? List.of() : r.getList(r.fieldIndex("gold"));
        if (id == null || text == null || text.isBlank() || gold.isEmpty()) {
            return null;
        }
        boolean isVqa = "vqa".equals(r.getAs("task"));
        float[] first = pixels(r, "image", transform, images);
        float[] second = isVqa ? null : pixels(r, "image2", transform, images);
        if (first == null || (!isVqa && second == null)) {
            return null;
        }
        long[] ids = loaded.tokenizer().encode(text);
        if (isVqa) {
            if (loaded.answers() == null) {
                return null; // checked before Spark for --task vqa; an auto row on an NLVR2-only model cannot be scored
            }
            VqaTarget t = annotators ? VqaTarget.of(gold, ans2label) : VqaTarget.single(gold.get(0), ans2label);
            return new Ready(id, new MeterTaskLoss.VqaRow(ids, first, t), null);
        }
        Boolean label = gold.size() == 1 ? label(gold.get(0)) : null;
        return label == null ? null : new Ready(id, null, new MeterTaskLoss.Nlvr2Row(ids, first, second, label));
    }

    /** NLVR2's gold: true or false in any case (a boolean column reads as "true"/"false"); anything else is unusable. */
    static Boolean label(String value) {
        String v = value == null ? "" : value.strip().toLowerCase(Locale.ROOT);
        return v.equals("true") ? Boolean.TRUE : v.equals("false") ? Boolean.FALSE : null;
    }

    private static float[] pixels(Row r, String prefix, MeterImageTransform transform, ImageResolver images) {
        byte[] bytes = r.isNullAt(r.fieldIndex(prefix + "_bytes")) ? null : r.getAs(prefix + "_bytes");
        if (bytes == null && !r.isNullAt(r.fieldIndex(prefix + "_path"))) {
            bytes = images.read(r.getAs(prefix + "_path")).bytes(); // missing: null; a transient failure throws (Spark retries)
        }
        if (bytes == null) {
            return null;
        }
        try {
            return transform.pixels(bytes);
        } catch (ImageDecodeException e) {
            return null;
        }
    }

    private static List<Integer> indices(SkipPlan p) {
        return java.util.Arrays.stream(p.skippedLayers()).boxed().toList();
    }
}
