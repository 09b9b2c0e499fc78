package io.easspark.udf;

import io.easspark.engine.RowStatus;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.Generation;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.AnswerParser;
import io.easspark.engine.text.LlamaTokenizer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one batch of encoded rows through the engine and turns generations into answer rows. A batch that throws is
 * retried row by row, so one bad row costs only itself.
 */
public final class BatchRunner {

    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    private final LavinModel model;
    private final LlamaTokenizer tokenizer;
    private final String modelName;
    private final AnswerOptions options;
    private final BatchGenerator generator;
    private final RowEncoder rejects;

    public BatchRunner(LavinModel model, LlamaTokenizer tokenizer, String modelName, AnswerOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.modelName = modelName;
        this.options = options;
        this.generator = new BatchGenerator(model);
        this.rejects = new RowEncoder(model, tokenizer, modelName, options);
    }

    /** One answer per row, in the batch's order. */
    public List<AnswerRow> run(List<EncodedRow> batch) {
        try {
            return generate(batch);
        } catch (RuntimeException e) {
            LOG.warn("a batch of {} rows failed ({}); retrying row by row", batch.size(), RowEncoder.message(e));
            List<AnswerRow> out = new ArrayList<>(batch.size());
            for (EncodedRow r : batch) {
                try {
                    out.add(generate(List.of(r)).get(0));
                } catch (RuntimeException rowFailure) {
                    out.add(rejects.failed(r.row(), RowStatus.ERROR, RowEncoder.message(rowFailure)));
                }
            }
            return out;
        }
    }

    private List<AnswerRow> generate(List<EncodedRow> batch) {
        List<PromptSequence> sequences = new ArrayList<>(batch.size());
        for (EncodedRow r : batch) {
            sequences.add(r.encoded().sequence());
        }
        long t0 = System.nanoTime();
        List<Generation> generations = generator.generate(sequences, options.generation());
        long latencyMs = (System.nanoTime() - t0) / 1_000_000;
        List<AnswerRow> out = new ArrayList<>(batch.size());
        for (int k = 0; k < batch.size(); k++) {
            EncodedRow r = batch.get(k);
            Generation g = generations.get(k);
            String text = tokenizer.decode(g.tokens()).strip();
            String choice = null;
            if (!r.row().options().isEmpty()) {
                AnswerParser.Result parsed = AnswerParser.parse(text, r.row().options().size());
                choice = parsed.parsed() ? parsed.letter() : null;
            }
            out.add(new AnswerRow(r.row().id(), text, choice, r.encoded().status().columnValue(), null,
                    g.promptPositions(), g.tokens().length, latencyMs, modelName, model.plan().toString()));
        }
        return out;
    }
}
