package io.easspark.engine.search;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinModel;
import java.util.ArrayList;
import java.util.List;

/**
 * The teacher-forced answer cross-entropy that EAS's redundancy search rewards (DESIGN.md §2), as in EAS training:
 * one prefill over the prompt followed by the answer (so the adapters' router weights and prompt mean pool over that
 * whole sequence), and at each answer token the log-softmax of the logits one position earlier.
 *
 * <p>Rows are batched with left padding as {@link BatchGenerator} does, so each answer ends at the last column and a
 * batch needs the logits of only its last {@code A + 1} columns (A the longest answer). A row's loss does not depend
 * on its batch neighbours beyond fp32 round-off. MERGED modes fold weights per row, so their rows run one at a time.
 *
 * <p>Letters: B batch rows, A longest answer, V vocabulary.
 */
public final class AnswerLoss {

    private AnswerLoss() {
    }

    /** Scores all rows in one batch (one row at a time for MERGED modes); results in input order. */
    public static List<RowLoss> score(LavinModel model, List<ScoredRow> rows) {
        return score(model, rows, Math.max(1, rows.size()));
    }

    /**
     * Scores rows in batches of at most {@code batchSize}; results in input order. Creates and closes its own scope.
     */
    public static List<RowLoss> score(LavinModel model, List<ScoredRow> rows, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be > 0: " + batchSize);
        }
        int batch = model.mode().perRowWeights() ? 1 : batchSize;
        BatchGenerator gen = new BatchGenerator(model);
        List<RowLoss> out = new ArrayList<>(rows.size());
        try (NDManager scope = model.newScope()) {
            for (int from = 0; from < rows.size(); from += batch) {
                List<ScoredRow> chunk = rows.subList(from, Math.min(rows.size(), from + batch));
                try (NDManager step = scope.newSubManager()) {
                    out.addAll(scoreBatch(gen, chunk, step));
                }
            }
        }
        return out;
    }

    private static List<RowLoss> scoreBatch(BatchGenerator gen, List<ScoredRow> rows, NDManager scope) {
        int b = rows.size();
        int longest = 0;
        List<PromptSequence> sequences = new ArrayList<>(b);
        for (ScoredRow row : rows) {
            longest = Math.max(longest, row.answerLength());
            sequences.add(row.teacherForced());
        }
        int cols = longest + 1; // the column before each answer token; the last column predicts past the answer
        // slice column s sits at padded column W − 1 − A + s; answer token j of a row with a tokens is at
        // W − a + j and is predicted by W − a + j − 1, i.e. s = A − a + j
        long[] targets = new long[b * cols];
        for (int r = 0; r < b; r++) {
            ScoredRow row = rows.get(r);
            int first = longest - row.answerLength();
            for (int j = 0; j < row.answerLength(); j++) {
                targets[r * cols + first + j] = row.answerId(j);
            }
        }
        NDArray logits = gen.lastLogits(sequences, cols, scope).toType(DataType.FLOAT32, false); // [B, A+1, V]
        // libtorch's log-softmax subtracts the row max first: stable in fp32; the mean is summed in double below
        NDArray logp = logits.logSoftmax(-1);
        NDArray picked = logp.gather(scope.create(targets, new Shape(b, cols, 1)), -1); // [B, A+1, 1]
        float[] lp = picked.toFloatArray();
        long[] argmax = logits.argMax(-1).toLongArray(); // [B, A+1]
        List<RowLoss> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            ScoredRow row = rows.get(r);
            int first = longest - row.answerLength();
            double sum = 0;
            boolean exact = true;
            for (int j = 0; j < row.answerLength(); j++) {
                int s = r * cols + first + j;
                sum -= lp[s];
                exact &= argmax[s] == row.answerId(j);
            }
            out.add(new RowLoss(sum / row.answerLength(), row.answerLength(), exact));
        }
        return out;
    }

    /** The mean of the rows' losses in list order, in double: the loss a plan is judged by. */
    public static double meanLoss(List<RowLoss> losses) {
        if (losses.isEmpty()) {
            throw new IllegalArgumentException("no rows to average");
        }
        double sum = 0;
        for (RowLoss l : losses) {
            sum += l.loss();
        }
        return sum / losses.size();
    }
}
