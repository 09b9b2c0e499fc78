package io.easspark.jobs.infer;

import io.easspark.engine.RowStatus;
import io.easspark.udf.AnswerRow;
import java.io.Serializable;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.util.LongAccumulator;

/**
 * Spark accumulators for one infer run: rows by status, prompt and generated tokens. Tasks add to them as they
 * answer; Spark merges a task's values only when the attempt succeeds, so a retried task is not counted twice.
 */
final class JobCounters implements Serializable {

    private static final long serialVersionUID = 1L;

    private final Map<RowStatus, LongAccumulator> rows = new EnumMap<>(RowStatus.class);
    private final LongAccumulator promptTokens;
    private final LongAccumulator generatedTokens;

    JobCounters(SparkContext sc) {
        for (RowStatus s : RowStatus.values()) {
            rows.put(s, sc.longAccumulator("eas.rows." + s.columnValue()));
        }
        promptTokens = sc.longAccumulator("eas.tokens.prompt");
        generatedTokens = sc.longAccumulator("eas.tokens.generated");
    }

    /** On an executor: count one answered row. */
    void add(AnswerRow a) {
        rows.get(RowStatus.valueOf(a.status().toUpperCase(Locale.ROOT))).add(1);
        promptTokens.add(a.promptTokens());
        generatedTokens.add(a.generatedTokens());
    }

    /** Accumulator ids → what they count, for reading in-flight values off listener events. */
    Map<Long, String> names() {
        Map<Long, String> out = new LinkedHashMap<>();
        rows.forEach((s, a) -> out.put(a.id(), s.columnValue()));
        out.put(promptTokens.id(), "prompt_tokens");
        out.put(generatedTokens.id(), "generated_tokens");
        return out;
    }

    /** On the driver: merged values of finished tasks, keyed as in {@link #names()}. */
    Map<String, Long> finished() {
        Map<String, Long> out = new LinkedHashMap<>();
        rows.forEach((s, a) -> out.put(s.columnValue(), a.value()));
        out.put("prompt_tokens", promptTokens.value());
        out.put("generated_tokens", generatedTokens.value());
        return out;
    }

    static long rowsIn(Map<String, Long> values) {
        long n = 0;
        for (RowStatus s : RowStatus.values()) {
            n += values.getOrDefault(s.columnValue(), 0L);
        }
        return n;
    }
}
