package io.easspark.engine.search;

/**
 * One row's teacher-forced answer loss.
 *
 * @param loss mean over the answer tokens of {@code −log softmax(logits)[answer token]}, in nats
 * @param tokens answer tokens scored
 * @param exact whether the argmax equals the answer token at every answer position
 */
public record RowLoss(double loss, int tokens, boolean exact) {
}
