package io.easspark.udf.sql;

import io.easspark.engine.RowStatus;
import io.easspark.engine.text.PromptFormat;
import io.easspark.loader.cache.LoadedModel;
import io.easspark.loader.cache.ModelCache;
import io.easspark.udf.AnswerOptions;
import io.easspark.udf.AnswerRequest;
import io.easspark.udf.AnswerRow;
import io.easspark.udf.DeviceBatcher;
import io.easspark.udf.QuestionRow;
import io.easspark.udf.RowAnswerer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The body of {@code eas_answer(image, question[, options])}: one row in, a struct (answer, choice, status, error)
 * out. The model comes from the executor's {@link ModelCache} (loaded once per JVM, shared with infer), and rows
 * of concurrent tasks meet in one {@link DeviceBatcher}, so a SQL query still gets batches on a busy executor.
 */
public final class EasAnswerFunction implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The struct the function returns. */
    public static final StructType RESULT = new StructType()
            .add("answer", DataTypes.StringType, true)
            .add("choice", DataTypes.StringType, true)
            .add("status", DataTypes.StringType, false)
            .add("error", DataTypes.StringType, true);

    /** Shared batches wait at most this long for other tasks' rows: one row per call, so keep it short. */
    private static final long LINGER_MILLIS = 5;

    private final AnswerRequest request;

    /** @param request parsed on the driver ({@link SqlAnswerSettings#request}); tasks use it as it is */
    public EasAnswerFunction(AnswerRequest request) {
        this.request = request;
    }

    /**
     * On the driver, when a query is analysed or the function registered: the settings become a request, the model
     * directory opens (its small files only) and the plan fits it, so a wrong spark.eas.model fails the query with
     * one line before any task runs.
     */
    static EasAnswerFunction checked(UnaryOperator<String> settings, Configuration conf) {
        return new EasAnswerFunction(SqlAnswerSettings.request(settings, conf));
    }

    /** What this function answers with (tests compare it with the jobs' request). */
    public AnswerRequest request() {
        return request;
    }

    /**
     * @param image encoded image bytes, or null
     * @param options null, a Scala/Java collection of strings, or one "a|b|c" string; none means a free-form question
     */
    public Row answer(Object image, Object question, Object options) {
        if (image != null && !(image instanceof byte[])) {
            return RowFactory.create(null, null, RowStatus.ERROR.columnValue(),
                    "eas_answer's image must be BINARY (the image file's bytes), got " + image.getClass().getSimpleName());
        }
        List<String> opts = options(options);
        QuestionRow row = new QuestionRow("sql", (byte[]) image, null, question == null ? null : question.toString(), null, opts);
        AnswerOptions how = request.withFormat(opts.isEmpty() ? PromptFormat.VQA : PromptFormat.QCM).answerOptions();
        TaskContext tc = TaskContext.get();
        if (tc == null) { // evaluated outside a task (constant folding, a driver-side call): nothing to keep
            try (Joined j = join(how)) {
                return result(j.answerer().answer(List.of(row)).get(0));
            }
        }
        // one lease and one batcher seat per task and prompt format, held until the task ends: the function is
        // called once per row, and joining per row would start and stop the batcher's worker thread every time
        Joined j = PER_TASK.computeIfAbsent(new TaskKey(tc.taskAttemptId(), how.format(), request), k -> {
            Joined joined = join(how);
            tc.addTaskCompletionListener((org.apache.spark.util.TaskCompletionListener) ctx -> {
                PER_TASK.remove(k);
                joined.close();
            });
            return joined;
        });
        return result(j.answerer().answer(List.of(row)).get(0));
    }

    /** Rows of one task and format share a seat; the request is part of the key (two functions in one query). */
    private record TaskKey(long taskAttempt, PromptFormat format, AnswerRequest request) {
    }

    private static final Map<TaskKey, Joined> PER_TASK = new ConcurrentHashMap<>();

    /** A model lease and a seat at its device's batcher. */
    private record Joined(ModelCache.Lease<LoadedModel> lease, RowAnswerer answerer) implements AutoCloseable {
        @Override
        public void close() {
            answerer.close();
            lease.close();
        }
    }

    private Joined join(AnswerOptions how) {
        ModelCache.Lease<LoadedModel> lease = LoadedModel.acquire(request.model(), hadoopConf(), gpuAddress());
        try {
            return new Joined(lease, DeviceBatcher.join(lease.get().model(), lease.get().tokenizer(), request.model().uri(), how, LINGER_MILLIS));
        } catch (RuntimeException e) {
            lease.close();
            throw e;
        }
    }

    private static Row result(AnswerRow a) {
        return RowFactory.create(a.answerText(), a.answerChoice(), a.status(), a.error());
    }

    static List<String> options(Object options) {
        if (options == null) {
            return List.of();
        }
        if (options instanceof String s) {
            return s.isBlank() ? List.of() : Arrays.asList(s.split("\\|", -1));
        }
        List<String> out = new ArrayList<>();
        if (options instanceof scala.collection.Iterable<?> it) {
            scala.collection.Iterator<?> i = it.iterator();
            while (i.hasNext()) {
                Object o = i.next();
                out.add(o == null ? null : o.toString());
            }
        } else if (options instanceof Iterable<?> it) {
            it.forEach(o -> out.add(o == null ? null : o.toString()));
        } else {
            throw new IllegalArgumentException("eas_answer's options must be ARRAY<STRING> or a '|'-delimited STRING, got "
                    + options.getClass().getSimpleName());
        }
        return out;
    }

    /** The executor's Hadoop settings: spark.hadoop.* from its Spark configuration (credentials, endpoints). */
    static Configuration hadoopConf() {
        Configuration conf = new Configuration();
        SparkEnv env = SparkEnv.get();
        if (env != null) {
            for (Tuple2<String, String> kv : env.conf().getAll()) {
                if (kv._1().startsWith("spark.hadoop.")) {
                    conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
                }
            }
        }
        return conf;
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
