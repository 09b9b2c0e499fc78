package io.easspark.jobs.infer;

import io.easspark.loader.cache.LoadedModel;
import io.easspark.loader.cache.ModelCache;
import io.easspark.udf.AnswerOptions;
import io.easspark.udf.AnswerRow;
import io.easspark.udf.BatchAnswerer;
import io.easspark.udf.DeviceBatcher;
import io.easspark.udf.QuestionRow;
import io.easspark.udf.RowAnswerer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * The executor side of infer: reads a partition's rows in chunks, answers them with the executor's shared model
 * ({@link LoadedModel} through the JVM's {@link ModelCache}, never per task or row) and emits one output row per
 * input row. Input columns: id, question, context, options (array of strings), image_bytes, image_path, and the
 * carried partition column when there is one (it goes to the output unchanged).
 */
public final class AnswerPartition implements MapPartitionsFunction<Row, Row>, Serializable {

    private static final long serialVersionUID = 1L;
    /** Rows read before answering: several batches, so length sorting has something to sort. */
    static final int BATCHES_PER_CHUNK = 8;
    /** Longest wait of the shared batcher for a fuller batch: small next to one batch's engine time. */
    private static final long LINGER_MILLIS = 50;

    /** Parsed on the driver; used here as it is (its model spec is the executor's cache key). */
    private final InferOptions o;
    private final Map<String, String> hadoopConf;
    private final JobCounters counters;
    private final boolean carry;

    AnswerPartition(InferOptions o, Map<String, String> hadoopConf, JobCounters counters, boolean carry) {
        this.o = o;
        this.hadoopConf = hadoopConf;
        this.counters = counters;
        this.carry = carry;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> input) {
        if (!input.hasNext()) {
            return Collections.emptyIterator();
        }
        Configuration conf = new Configuration(false);
        hadoopConf.forEach(conf::set);
        String gpu = gpuAddress();
        ModelCache.Lease<LoadedModel> lease = LoadedModel.acquire(o.request().model(), conf, gpu);
        AnswerOptions options = o.request().answerOptions();
        String modelName = o.model();
        boolean onGpu = lease.get().model().manager().getDevice().isGpu();
        RowAnswerer answerer = o.sharesBatches(onGpu)
                ? DeviceBatcher.join(lease.get().model(), lease.get().tokenizer(), modelName, options, LINGER_MILLIS)
                : new BatchAnswerer(lease.get().model(), lease.get().tokenizer(), modelName, options);
        TaskContext tc = TaskContext.get();
        Runnable release = () -> {
            answerer.close();
            lease.close();
        };
        if (tc != null) {
            // a task that fails or is killed mid-partition still gives its batcher slot and model lease back
            tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> release.run());
        }
        ImageResolver images = new ImageResolver(o.imageRoot(), conf, o.maxImageBytes());
        int chunk = o.batchSize() * BATCHES_PER_CHUNK;
        return new Iterator<>() {
            private Iterator<Row> ready = Collections.emptyIterator();
            private boolean released;

            @Override
            public boolean hasNext() {
                while (!ready.hasNext() && input.hasNext()) {
                    List<Row> in = new ArrayList<>(chunk);
                    List<QuestionRow> rows = new ArrayList<>(chunk);
                    while (rows.size() < chunk && input.hasNext()) {
                        Row r = input.next();
                        in.add(r);
                        rows.add(question(r, images));
                    }
                    List<AnswerRow> answers = answerer.answer(rows);
                    List<Row> out = new ArrayList<>(rows.size());
                    for (int i = 0; i < answers.size(); i++) {
                        AnswerRow a = answers.get(i);
                        counters.add(a);
                        out.add(carry ? withCarried(OutputSchema.toRow(a), in.get(i)) : OutputSchema.toRow(a));
                    }
                    ready = out.iterator();
                }
                if (!ready.hasNext()) {
                    if (!released && tc == null) {
                        release.run();
                    }
                    released = true;
                    return false;
                }
                return true;
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.next();
            }
        };
    }

    /** The answer row plus the input's last column (the partition column carried through for --partition-by). */
    static Row withCarried(Row answer, Row in) {
        Object[] values = new Object[answer.length() + 1];
        for (int i = 0; i < answer.length(); i++) {
            values[i] = answer.get(i);
        }
        values[answer.length()] = in.get(in.length() - 1);
        return RowFactory.create(values);
    }

    /** A canonical input row (see {@link InferJob#canonical}) as the answering code sees it, its image read. */
    public static QuestionRow question(Row r, ImageResolver images) {
        byte[] bytes = r.isNullAt(r.fieldIndex("image_bytes")) ? null : r.getAs("image_bytes");
        String missing = null;
        io.easspark.engine.RowStatus status = null;
        if (bytes == null && !r.isNullAt(r.fieldIndex("image_path"))) {
            ImageResolver.Result res = images.read(r.getAs("image_path"));
            bytes = res.bytes();
            missing = res.problem();
            status = res.status();
        }
        List<String> options = r.isNullAt(r.fieldIndex("options")) ? List.of() : r.getList(r.fieldIndex("options"));
        return new QuestionRow(r.getAs("id"), bytes, missing, status, r.getAs("question"), r.getAs("context"), options);
    }

    private static String gpuAddress() {
        TaskContext tc = TaskContext.get();
        if (tc == null) {
            return null;
        }
        scala.Option<ResourceInformation> gpu = tc.resources().get("gpu");
        return gpu.isDefined() && gpu.get().addresses().length > 0 ? gpu.get().addresses()[0] : null;
    }
}
