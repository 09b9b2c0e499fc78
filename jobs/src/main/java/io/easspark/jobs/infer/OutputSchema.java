package io.easspark.jobs.infer;

import io.easspark.udf.AnswerRow;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The output columns of DESIGN.md §4, one row per input row. */
final class OutputSchema {

    static final StructType SCHEMA = new StructType()
            .add("id", DataTypes.StringType, false)
            .add("answer_text", DataTypes.StringType, true)
            .add("answer_choice", DataTypes.StringType, true)
            .add("status", DataTypes.StringType, false)
            .add("error", DataTypes.StringType, true)
            .add("prompt_tokens", DataTypes.IntegerType, false)
            .add("generated_tokens", DataTypes.IntegerType, false)
            .add("latency_ms", DataTypes.LongType, false)
            .add("model", DataTypes.StringType, false)
            .add("skip_plan", DataTypes.StringType, false);

    private OutputSchema() {
    }

    static Row toRow(AnswerRow a) {
        return RowFactory.create(a.id(), a.answerText(), a.answerChoice(), a.status(), a.error(), a.promptTokens(),
                a.generatedTokens(), a.latencyMs(), a.model(), a.skipPlan());
    }
}
