package io.easspark.udf;

import io.easspark.engine.RowStatus;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.Generation;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.AnswerParser;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptEncoder;
import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.engine.vision.ImagePreprocessor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a partition's rows: checks each row (question, image) into a status, encodes the good ones, runs them
 * through the engine in batches of similar prompt length, and returns exactly one {@link AnswerRow} per input row,
 * in input order. A bad row never fails the others: a batch that throws is retried row by row.
 */
public final class BatchAnswerer {

    private static final Logger LOG = LoggerFactory.getLogger(BatchAnswerer.class);

    private final LavinModel model;
    private final LlamaTokenizer tokenizer;
    private final AnswerOptions options;
    private final String modelName;
    private final PromptEncoder encoder;
    private final ImagePreprocessor images;
    private final BatchGenerator generator;

    public BatchAnswerer(LavinModel model, LlamaTokenizer tokenizer, String modelName, AnswerOptions options) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.options = options;
        this.modelName = modelName;
        this.encoder = new PromptEncoder(tokenizer, options.format(), model.config().text().maxSeqLen(),
                model.config().nVisualTokens(), options.generation().maxNewTokens());
        this.images = model.config().vision() == null ? null : ImagePreprocessor.forConfig(model.config().vision());
        this.generator = new BatchGenerator(model);
    }

    /** A row that passed the checks, waiting for the engine. */
    private record Pending(int index, QuestionRow row, PromptEncoder.Encoded encoded) {
    }

    public List<AnswerRow> answer(List<QuestionRow> rows) {
        AnswerRow[] out = new AnswerRow[rows.size()];
        List<Pending> pending = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            QuestionRow row = rows.get(i);
            try {
                pending.add(new Pending(i, row, encode(row)));
            } catch (PromptEncoder.RejectedPrompt e) {
                out[i] = failed(row, e.status(), e.getMessage());
            } catch (RuntimeException e) {
                out[i] = failed(row, RowStatus.ERROR, message(e));
            }
        }
        // similar lengths together: less padding per batch
        pending.sort(Comparator.comparingInt(p -> p.encoded().sequence().length(model.config().nVisualTokens())));
        for (int start = 0; start < pending.size(); start += options.batchSize()) {
            List<Pending> batch = pending.subList(start, Math.min(pending.size(), start + options.batchSize()));
            try {
                run(batch, out);
            } catch (RuntimeException e) {
                LOG.warn("a batch of {} rows failed ({}); retrying row by row", batch.size(), message(e));
                for (Pending p : batch) {
                    try {
                        run(List.of(p), out);
                    } catch (RuntimeException rowFailure) {
                        out[p.index()] = failed(p.row(), RowStatus.ERROR, message(rowFailure));
                    }
                }
            }
        }
        return List.of(out);
    }

    private PromptEncoder.Encoded encode(QuestionRow row) throws PromptEncoder.RejectedPrompt {
        if (row.question() == null || row.question().isBlank()) {
            throw new PromptEncoder.RejectedPrompt(RowStatus.EMPTY_QUESTION, "the question is empty");
        }
        if (row.imageMissing() != null) {
            throw new PromptEncoder.RejectedPrompt(RowStatus.IMAGE_MISSING, row.imageMissing());
        }
        float[] pixels = null;
        if (row.image() != null) {
            if (images == null) {
                throw new PromptEncoder.RejectedPrompt(RowStatus.ERROR, "the row has an image but model " + modelName + " has no image tower");
            }
            try {
                pixels = images.pixels(row.image());
            } catch (ImageDecodeException e) {
                throw new PromptEncoder.RejectedPrompt(RowStatus.IMAGE_CORRUPT, e.getMessage());
            }
        }
        return encoder.encode(row.question(), row.context(), row.options(), pixels, rowKey(row.id()));
    }

    private void run(List<Pending> batch, AnswerRow[] out) {
        List<PromptSequence> sequences = new ArrayList<>(batch.size());
        for (Pending p : batch) {
            sequences.add(p.encoded().sequence());
        }
        long t0 = System.nanoTime();
        List<Generation> generations = generator.generate(sequences, options.generation());
        long latencyMs = (System.nanoTime() - t0) / 1_000_000;
        for (int k = 0; k < batch.size(); k++) {
            Pending p = batch.get(k);
            Generation g = generations.get(k);
            String text = tokenizer.decode(g.tokens()).strip();
            String choice = null;
            if (!p.row().options().isEmpty()) {
                AnswerParser.Result parsed = AnswerParser.parse(text, p.row().options().size());
                choice = parsed.parsed() ? parsed.letter() : null;
            }
            out[p.index()] = new AnswerRow(p.row().id(), text, choice, p.encoded().status().columnValue(), null,
                    g.promptPositions(), g.tokens().length, latencyMs, modelName, model.plan().toString());
        }
    }

    private AnswerRow failed(QuestionRow row, RowStatus status, String error) {
        return new AnswerRow(row.id(), null, null, status.columnValue(), error, 0, 0, 0, modelName, model.plan().toString());
    }

    /** Seeds sampling from the row's id, so a row's answer never depends on its partition or batch. */
    static long rowKey(String id) {
        long h = 1125899906842597L;
        for (int i = 0; i < (id == null ? 0 : id.length()); i++) {
            h = 31 * h + id.charAt(i);
        }
        return h;
    }

    private static String message(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
