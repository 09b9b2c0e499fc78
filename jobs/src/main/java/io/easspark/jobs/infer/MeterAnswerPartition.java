package io.easspark.jobs.infer;

import io.easspark.engine.RowStatus;
import io.easspark.loader.cache.ModelCache;
import io.easspark.udf.AnswerRow;
import io.easspark.udf.meter.LoadedMeterModel;
import io.easspark.udf.meter.MeterAnswer;
import io.easspark.udf.meter.MeterAnswerer;
import io.easspark.udf.meter.MeterRequest;
import io.easspark.udf.meter.MeterRow;
import io.easspark.udf.meter.MeterTask;
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
import org.apache.spark.sql.Row;

/**
 * The executor side of infer on a METER model: reads a partition's rows ({@link MeterInput}'s columns) in chunks,
 * resolves both image columns as LaVIN rows do ({@link ImageResolver}: root, size limit, statuses), answers them with
 * the executor's one cached model ({@link LoadedMeterModel}) and emits one output row per input row.
 */
final class MeterAnswerPartition implements MapPartitionsFunction<Row, Row>, Serializable {

    private static final long serialVersionUID = 1L;

    private final InferOptions o;
    private final Map<String, String> hadoopConf;
    private final JobCounters counters;
    private final boolean carry;

    MeterAnswerPartition(InferOptions o, Map<String, String> hadoopConf, JobCounters counters, boolean carry) {
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
        MeterRequest request = o.meter();
        ModelCache.Lease<LoadedMeterModel> lease = LoadedMeterModel.acquire(request.modelUri(), conf);
        TaskContext tc = TaskContext.get();
        if (tc != null) {
            tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> lease.close());
        }
        MeterAnswerer answerer = lease.get().answerer(request);
        int rowTokens = lease.get().model().config().maxTextLen() + lease.get().model().config().imageTokens();
        // several batches per chunk, as AnswerPartition reads them
        int chunk = (int) Math.max(1, Math.min(1 << 16, request.maxBatchTokens() / rowTokens)) * AnswerPartition.BATCHES_PER_CHUNK;
        ImageResolver images = new ImageResolver(o.imageRoot(), conf, o.maxImageBytes());
        String plan = request.planText();
        return new Iterator<>() {
            private Iterator<Row> ready = Collections.emptyIterator();
            private boolean released;

            @Override
            public boolean hasNext() {
                while (!ready.hasNext() && input.hasNext()) {
                    List<Row> in = new ArrayList<>(chunk);
                    List<MeterRow> rows = new ArrayList<>(chunk);
                    List<Row> out = new ArrayList<>(chunk);
                    List<Integer> at = new ArrayList<>(chunk);
                    Row[] done = new Row[chunk];
                    while (in.size() < chunk && input.hasNext()) {
                        Row r = input.next();
                        int i = in.size();
                        in.add(r);
                        try {
                            rows.add(row(r, request.task(), images));
                            at.add(i);
                        } catch (IllegalArgumentException e) {
                            // a task name the model does not know is the row's problem, not the job's
                            done[i] = emit(new MeterAnswer(r.getAs("id"), null, null, List.of(), List.of(), RowStatus.ERROR,
                                    e.getMessage(), 0, 0), r, plan);
                        }
                    }
                    List<MeterAnswer> answers = answerer.answer(rows);
                    for (int k = 0; k < answers.size(); k++) {
                        done[at.get(k)] = emit(answers.get(k), in.get(at.get(k)), plan);
                    }
                    for (int i = 0; i < in.size(); i++) {
                        out.add(done[i]);
                    }
                    ready = out.iterator();
                }
                if (!ready.hasNext()) {
                    if (!released && tc == null) {
                        lease.close();
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

    private Row emit(MeterAnswer a, Row in, String plan) {
        AnswerRow row = new AnswerRow(a.id(), a.answer(), null, a.status().columnValue(), a.error(), a.tokens(), 0, a.latencyMs(),
                o.meter().modelUri(), plan);
        counters.add(row);
        Row out = OutputSchema.toRow(row, a.score(), a.topAnswers(), a.topScores());
        return carry ? AnswerPartition.withCarried(out, in) : out;
    }

    /**
     * One input row as the answerer sees it. The task: the row's own (--task-col), else the run's --task, else
     * auto — a row with a second image is NLVR2, any other VQA.
     */
    static MeterRow row(Row r, MeterTask runTask, ImageResolver images) {
        String named = r.getAs("task");
        boolean hasSecond = !r.isNullAt(r.fieldIndex("image2_bytes")) || !r.isNullAt(r.fieldIndex("image2_path"));
        MeterTask task = named != null && !named.isBlank() ? MeterTask.of(named)
                : runTask != null ? runTask : hasSecond ? MeterTask.NLVR2 : MeterTask.VQA;
        Image first = image(r, "image", images);
        Image second = task == MeterTask.NLVR2 ? image(r, "image2", images) : new Image(null, null, null);
        return new MeterRow(r.getAs("id"), task, r.getAs("question"), first.bytes, first.status, first.problem, second.bytes,
                second.status, second.problem);
    }

    private record Image(byte[] bytes, RowStatus status, String problem) {
    }

    private static Image image(Row r, String prefix, ImageResolver images) {
        int b = r.fieldIndex(prefix + "_bytes");
        if (!r.isNullAt(b)) {
            return new Image(r.getAs(prefix + "_bytes"), null, null);
        }
        int p = r.fieldIndex(prefix + "_path");
        if (r.isNullAt(p)) {
            return new Image(null, RowStatus.IMAGE_MISSING, "the row has no " + prefix);
        }
        ImageResolver.Result res = images.read(r.getString(p));
        // the second image's problem says so: "image2: ... does not exist"
        String problem = res.problem() == null || !prefix.equals(MeterInput.IMAGE2) ? res.problem() : prefix + ": " + res.problem();
        return new Image(res.bytes(), res.status(), problem);
    }
}
