package io.easspark.udf;

/**
 * One output row, exactly the columns of DESIGN.md §4. Every input row yields one.
 *
 * @param answerChoice the parsed option letter, or null (free-form row, or no "The answer is X" in the text)
 * @param status one of {@link io.easspark.engine.RowStatus#columnValue()}
 * @param error why the row has no answer, or null
 */
public record AnswerRow(String id, String answerText, String answerChoice, String status, String error, int promptTokens,
                        int generatedTokens, long latencyMs, String model, String skipPlan) {
}
