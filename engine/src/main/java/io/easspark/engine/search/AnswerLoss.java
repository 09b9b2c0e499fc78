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

    /**
     * The same teacher-forced loss as one differentiable scalar, for training (issue 14): the mean over rows of each
     * row's mean answer-token cross-entropy, i.e. {@link #meanLoss} of what {@link #score} reports for these rows.
     * Run it inside a {@code GradientCollector} on a model loaded from weights that require gradients; the result
     * lives in {@code scope}.
     */
    public static NDArray trainingLoss(BatchGenerator gen, List<ScoredRow> rows, NDManager scope) {
        return trainingLoss(gen, rows, 0, scope);
    }

    /**
     * The answer loss plus {@code promptWeight} times each row's mean next-token cross-entropy over its prompt text
     * (every prompt token after the first, predicted from the position before it; the modality token, the image
     * prefix and the visual tokens are inputs only). With weight 0 this is {@link #trainingLoss(BatchGenerator, List,
     * NDManager)}. The prompt term is language-model pre-training on the task's text, which the tuning recipe's base
     * model uses in place of LLaMA's pre-training (docs/TUNING.md).
     */
    public static NDArray trainingLoss(BatchGenerator gen, List<ScoredRow> rows, double promptWeight, NDManager scope) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows to train on");
        }
        if (!(promptWeight >= 0) || Double.isInfinite(promptWeight)) {
            throw new IllegalArgumentException("prompt weight must be a finite number >= 0: " + promptWeight);
        }
        int b = rows.size();
        int longestAnswer = 0;
        int longestText = 0;
        List<PromptSequence> sequences = new ArrayList<>(b);
        for (ScoredRow row : rows) {
            longestAnswer = Math.max(longestAnswer, row.answerLength());
            longestText = Math.max(longestText, row.prompt().promptIds().length + row.answerLength());
            sequences.add(row.teacherForced());
        }
        // columns needed: the answer's (A + 1), or with the prompt term every text token's predecessor
        int cols = promptWeight > 0 ? longestText : longestAnswer + 1;
        long[] targets = new long[b * cols];
        float[] weights = new float[b * cols]; // Σ weights = mean over rows of each row's mean per-token loss
        for (int r = 0; r < b; r++) {
            ScoredRow row = rows.get(r);
            long[] prompt = row.prompt().promptIds();
            int n = prompt.length + row.answerLength();
            // text token j sits at column cols − n + j of the slice and is predicted by the column before it
            for (int j = 0; j < row.answerLength(); j++) {
                int c = cols - row.answerLength() + j - 1;
                targets[r * cols + c] = row.answerId(j);
                weights[r * cols + c] = 1f / (row.answerLength() * (float) b);
            }
            if (promptWeight > 0 && prompt.length > 1) {
                for (int j = 1; j < prompt.length; j++) {
                    int c = cols - n + j - 1;
                    targets[r * cols + c] = prompt[j];
                    weights[r * cols + c] = (float) (promptWeight / ((prompt.length - 1) * (double) b));
                }
            }
        }
        NDArray logp = gen.lastLogits(sequences, cols, scope).logSoftmax(-1); // [B, cols, V]
        NDArray picked = logp.gather(scope.create(targets, new Shape(b, cols, 1)), -1).reshape(b, cols);
        return picked.mul(scope.create(weights, new Shape(b, cols))).sum().neg();
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
