package io.easspark.udf.sql;

import io.easspark.engine.RowStatus;
import io.easspark.loader.cache.ModelCache;
import io.easspark.loader.nativeformat.MeterModelDirectory;
import io.easspark.udf.meter.LoadedMeterModel;
import io.easspark.udf.meter.MeterAnswer;
import io.easspark.udf.meter.MeterRequest;
import io.easspark.udf.meter.MeterRow;
import io.easspark.udf.meter.MeterTask;
import java.io.IOException;
import java.io.Serializable;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The body of {@code eas_answer} on a METER model: {@code (image, text)} is a VQA question (or, with
 * {@code spark.eas.task=itm}, a caption to match), {@code (image, statement, image2)} an NLVR2 statement about two
 * images. Returns LaVIN's struct (answer, choice — always null here —, status, error) plus {@code score}. Settings:
 * {@code spark.eas.task} (vqa, itm or auto for the two-argument form), {@code spark.eas.skipPlan} (indices 0-23,
 * {@code paper} or none), {@code spark.eas.indexMapping}, {@code spark.eas.topK} (only the top answer is returned;
 * accepted for symmetry with infer), {@code spark.eas.maxBatchTokens}.
 */
public final class MeterAnswerFunction implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final StructType RESULT = EasAnswerFunction.RESULT.add("score", DataTypes.DoubleType, true);

    private final MeterRequest request;

    MeterAnswerFunction(MeterRequest request) {
        this.request = request;
    }

    public MeterRequest request() {
        return request;
    }

    /** On the driver: the settings parsed and the model directory checked, so a bad one fails the query in one line. */
    static MeterAnswerFunction checked(String model, UnaryOperator<String> conf, Configuration hadoop) {
        MeterModelDirectory dir;
        try {
            dir = MeterModelDirectory.validate(model, hadoop);
        } catch (IOException e) {
            throw new IllegalArgumentException("eas_answer: spark.eas.model " + model + ": " + e.getMessage(), e);
        }
        String p = SqlAnswerSettings.PREFIX;
        MeterTask task = MeterRequest.parseTask(conf.apply(p + "task"));
        if (task == MeterTask.NLVR2) {
            throw new IllegalArgumentException(p + "task nlvr2: NLVR2 rows have two images, call eas_answer(image, statement, image2)");
        }
        String topK = conf.apply(p + "topK");
        if (topK != null && !topK.isBlank() && !topK.strip().equals("1")) {
            // the struct has one answer and its score; accepting k > 1 and returning one would drop what was asked for
            throw new IllegalArgumentException("eas_answer: " + p + "topK " + topK.strip() + ": eas_answer returns the top answer and its "
                    + "score only; infer --top-k N writes the top N answers (top_answers, top_scores)");
        }
        String budget = conf.apply(p + "maxBatchTokens");
        MeterRequest request;
        try {
            request = new MeterRequest(model, task, MeterRequest.parseSkips(conf.apply(p + "skipPlan")),
                    MeterRequest.parseMapping(conf.apply(p + "indexMapping")),
                    topK == null || topK.isBlank() ? MeterRequest.DEFAULT_TOP_K : Integer.parseInt(topK.strip()),
                    budget == null || budget.isBlank() ? MeterRequest.DEFAULT_MAX_BATCH_TOKENS : Long.parseLong(budget.strip()));
            request.skipSet(dir.config().fusionLayers());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(p + "topK and " + p + "maxBatchTokens must be integers: " + topK + ", " + budget, e);
        } catch (IllegalArgumentException e) {
            // the messages name infer's flags; here the settings are spark.eas.*
            throw new IllegalArgumentException("eas_answer: " + e.getMessage().replace("--skip-plan", p + "skipPlan")
                    .replace("--task", p + "task").replace("--index-mapping", p + "indexMapping").replace("--top-k", p + "topK")
                    .replace("--max-batch-tokens", p + "maxBatchTokens"), e);
        }
        return new MeterAnswerFunction(request);
    }

    /**
     * One row. The model is the executor's cached one (loaded once per JVM, shared with infer); each call runs one
     * forward for its row, since a SQL function sees one row at a time.
     *
     * @param image2 null for the two-argument form; then the task is spark.eas.task (VQA when auto)
     */
    public Row answer(Object image, Object text, Object image2, boolean twoImages) {
        for (Object o : new Object[] {image, image2}) {
            if (o != null && !(o instanceof byte[])) {
                return RowFactory.create(null, null, RowStatus.ERROR.columnValue(),
                        "eas_answer's images must be BINARY (the image file's bytes), got " + o.getClass().getSimpleName(), null);
            }
        }
        MeterTask task = twoImages ? MeterTask.NLVR2 : request.task() == null ? MeterTask.VQA : request.task();
        MeterRow row = new MeterRow("sql", task, text == null ? null : text.toString(), (byte[]) image, null, null,
                (byte[]) image2, null, null);
        MeterAnswer a;
        try (ModelCache.Lease<LoadedMeterModel> lease = LoadedMeterModel.acquire(request.modelUri(), EasAnswerFunction.hadoopConf())) {
            a = lease.get().answerer(request).answer(List.of(row)).get(0);
        }
        return RowFactory.create(a.answer(), null, a.status().columnValue(), a.error(), a.score());
    }
}
