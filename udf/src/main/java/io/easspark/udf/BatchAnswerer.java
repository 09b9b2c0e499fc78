package io.easspark.udf;

import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Answers rows on the calling thread: checks each row into a status, encodes the good ones, runs them through the
 * engine in batches of similar prompt length, and returns exactly one {@link AnswerRow} per input row, in input
 * order. {@link DeviceBatcher} is the same work with batches shared across the tasks of one executor.
 */
public final class BatchAnswerer implements RowAnswerer {

    private final int nVisualTokens;
    private final AnswerOptions options;
    private final RowEncoder encoder;
    private final BatchRunner runner;

    public BatchAnswerer(LavinModel model, LlamaTokenizer tokenizer, String modelName, AnswerOptions options) {
        this.nVisualTokens = model.config().nVisualTokens();
        this.options = options;
        this.encoder = new RowEncoder(model, tokenizer, modelName, options);
        this.runner = new BatchRunner(model, tokenizer, modelName, options);
    }

    /** A row waiting for the engine and where its answer goes. */
    private record Pending(int index, EncodedRow row) {
    }

    @Override
    public List<AnswerRow> answer(List<QuestionRow> rows) {
        AnswerRow[] out = new AnswerRow[rows.size()];
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            RowEncoder.Checked c = encoder.check(rows.get(i));
            if (c.rejected() != null) {
                out[i] = c.rejected();
            } else {
                pending.add(new Pending(i, c.encoded()));
            }
        }
        // similar lengths together: less padding per batch
        pending.sort(Comparator.comparingInt(p -> p.row().length(nVisualTokens)));
        for (int start = 0; start < pending.size(); start += options.batchSize()) {
            List<Pending> batch = pending.subList(start, Math.min(pending.size(), start + options.batchSize()));
            List<AnswerRow> answers = runner.run(batch.stream().map(Pending::row).toList());
            for (int k = 0; k < batch.size(); k++) {
                out[batch.get(k).index()] = answers.get(k);
            }
        }
        return List.of(out);
    }

    @Override
    public void close() {
    }
}
