package io.easspark.udf.meter;

import io.easspark.engine.RowStatus;
import java.util.List;

/**
 * What a METER model says about one row; every input row yields one.
 *
 * @param answer the top VQA answer, "true"/"false" for NLVR2, null for ITM and for rows without a result
 * @param score the answer's probability (VQA: sigmoid, NLVR2: softmax) or the ITM match score; null without a result
 * @param topAnswers VQA only: the top-k answers, best first (empty otherwise)
 * @param topScores their sigmoid scores
 * @param tokens text tokens the row ran with (METER pads every row to L)
 */
public record MeterAnswer(String id, String answer, Double score, List<String> topAnswers, List<Double> topScores,
        RowStatus status, String error, int tokens, long latencyMs) {

    static MeterAnswer failed(String id, RowStatus status, String error) {
        return new MeterAnswer(id, null, null, List.of(), List.of(), status, error, 0, 0);
    }
}
