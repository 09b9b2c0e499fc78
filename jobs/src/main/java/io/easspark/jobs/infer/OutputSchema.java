package io.easspark.jobs.infer;

import io.easspark.udf.AnswerRow;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The output columns of DESIGN.md §4, one row per input row, then METER's classification columns (null on LaVIN
 * rows): {@code score}, {@code top_answers}, {@code top_scores}.
 */
final class OutputSchema {

    /** The first ten columns: every infer output has them, also one written before METER (--resume accepts it). */
    static final StructType LAVIN_COLUMNS = new StructType()
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

    static final StructType SCHEMA = LAVIN_COLUMNS
            .add("score", DataTypes.DoubleType, true)
            .add("top_answers", DataTypes.createArrayType(DataTypes.StringType, false), true)
            .add("top_scores", DataTypes.createArrayType(DataTypes.DoubleType, false), true);

    private OutputSchema() {
    }

    static Row toRow(AnswerRow a) {
        return toRow(a, null, null, null);
    }

    /** A METER row: the ten columns, then its score and (VQA) top-k lists; empty lists are written as null. */
    // JavaConverters, not scala.jdk.javaapi: the build also compiles against Scala 2.12 (the spark35 profile)
    static Row toRow(AnswerRow a, Double score, List<String> topAnswers, List<Double> topScores) {
        return RowFactory.create(a.id(), a.answerText(), a.answerChoice(), a.status(), a.error(), a.promptTokens(),
                a.generatedTokens(), a.latencyMs(), a.model(), a.skipPlan(), score,
                topAnswers == null || topAnswers.isEmpty() ? null : scala.collection.JavaConverters.asScalaBuffer(topAnswers).toList(),
                topScores == null || topScores.isEmpty() ? null : scala.collection.JavaConverters.asScalaBuffer(topScores).toList());
    }
}
