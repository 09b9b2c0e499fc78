package io.easspark.udf;

import io.easspark.engine.RowStatus;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.text.PromptEncoder;
import io.easspark.engine.vision.ImageDecodeException;
import io.easspark.engine.vision.ImagePreprocessor;
import io.easspark.engine.vision.ImageTooLargeException;

/**
 * Turns one input row into either an {@link EncodedRow} for the engine or a finished {@link AnswerRow} with the
 * status that explains why it has no answer. Runs on the task's own thread (image decoding is per row, parallel).
 */
public final class RowEncoder {

    /** Exactly one of the two is set. */
    public record Checked(EncodedRow encoded, AnswerRow rejected) {
    }

    private final String modelName;
    private final String plan;
    private final PromptEncoder encoder;
    private final ImagePreprocessor images;

    public RowEncoder(LavinModel model, LlamaTokenizer tokenizer, String modelName, AnswerOptions options) {
        this.modelName = modelName;
        this.plan = model.plan().toString();
        this.encoder = new PromptEncoder(tokenizer, options.format(), model.config().text().maxSeqLen(),
                model.config().nVisualTokens(), options.generation().maxNewTokens());
        this.images = model.config().vision() == null ? null : ImagePreprocessor.forConfig(model.config().vision());
    }

    public Checked check(QuestionRow row) {
        try {
            return new Checked(new EncodedRow(row, encode(row)), null);
        } catch (PromptEncoder.RejectedPrompt e) {
            return new Checked(null, failed(row, e.status(), e.getMessage()));
        } catch (RuntimeException e) {
            return new Checked(null, failed(row, RowStatus.ERROR, message(e)));
        }
    }

    private PromptEncoder.Encoded encode(QuestionRow row) throws PromptEncoder.RejectedPrompt {
        if (row.question() == null || row.question().isBlank()) {
            throw new PromptEncoder.RejectedPrompt(RowStatus.EMPTY_QUESTION, "the question is empty");
        }
        if (row.imageMissing() != null) {
            throw new PromptEncoder.RejectedPrompt(row.imageStatus(), row.imageMissing());
        }
        float[] pixels = null;
        if (row.image() != null) {
            if (images == null) {
                throw new PromptEncoder.RejectedPrompt(RowStatus.ERROR, "the row has an image but model " + modelName + " has no image tower");
            }
            try {
                pixels = images.pixels(row.image());
            } catch (ImageTooLargeException e) {
                throw new PromptEncoder.RejectedPrompt(RowStatus.IMAGE_TOO_LARGE, e.getMessage());
            } catch (ImageDecodeException e) {
                throw new PromptEncoder.RejectedPrompt(RowStatus.IMAGE_CORRUPT, e.getMessage());
            }
        }
        return encoder.encode(row.question(), row.context(), row.options(), pixels, rowKey(row.id()));
    }

    AnswerRow failed(QuestionRow row, RowStatus status, String error) {
        return new AnswerRow(row.id(), null, null, status.columnValue(), error, 0, 0, 0, modelName, plan);
    }

    /** Seeds sampling from the row's id, so a row's answer never depends on its partition, batch or neighbours. */
    static long rowKey(String id) {
        long h = 1125899906842597L;
        for (int i = 0; i < (id == null ? 0 : id.length()); i++) {
            h = 31 * h + id.charAt(i);
        }
        return h;
    }

    static String message(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replace('\n', ' ');
    }
}
