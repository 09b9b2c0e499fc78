package io.easspark.udf;

import java.util.List;

/** Answers a chunk of rows: exactly one {@link AnswerRow} per input row, in input order. */
public interface RowAnswerer extends AutoCloseable {

    List<AnswerRow> answer(List<QuestionRow> rows);

    @Override
    void close();
}
