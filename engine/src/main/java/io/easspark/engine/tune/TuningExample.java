package io.easspark.engine.tune;

import io.easspark.engine.search.ScoredRow;

/**
 * One labelled row for tuning: the encoded prompt with its training target ({@code The answer is X.} + EOS) and what
 * the report groups accuracy by.
 *
 * @param row prompt and target ids
 * @param category the row's context category (IMG, TXT, NO) or any other label the report groups by
 * @param answer the gold answer letter
 * @param options the number of options (a generated letter beyond them is not an answer)
 */
public record TuningExample(ScoredRow row, String category, String answer, int options) {

    public TuningExample {
        if (row == null || category == null || answer == null || options <= 0) {
            throw new IllegalArgumentException("a tuning example needs its row, category, answer and options");
        }
    }
}
