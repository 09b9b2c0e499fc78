package io.easspark.udf.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.RowStatus;
import io.easspark.engine.meter.AnswerVocabulary;
import io.easspark.engine.meter.MeterImageTransform;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.meter.RobertaBpeTokenizer;
import io.easspark.engine.vision.ImageDecodeException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Answers METER rows by classification: each row gets its status first (image missing or corrupt, empty text),
 * then the ready rows of one task run in batches, one forward (fusion + head) per batch — no decode loop. Every row
 * is padded to L (DESIGN-METER.md §1), so a batch's token count is rows × (L + image tokens), and NLVR2 rows count
 * twice (two fusions); batches are cut at {@code maxBatchTokens}. A batch whose forward fails gives each of its rows
 * the status {@code error}; output order = input order.
 */
public final class MeterAnswerer {

    private final MeterModel model;
    private final RobertaBpeTokenizer tokenizer;
    private final AnswerVocabulary answers;
    private final MeterSkipSet skips;
    private final MeterImageTransform images;
    private final long maxBatchTokens;
    private final int topK;

    /** Inputs of one ready row: ids [L] and normalised pixels (second image for NLVR2). */
    private record Prepared(int index, long[] ids, float[] pixels, float[] pixels2) {
    }

    /**
     * @param answers the VQA answers by class (null for a model without a VQA head: its VQA rows get {@code error})
     * @param maxBatchTokens most text + image tokens through the fusion per forward (at least one row always runs)
     * @param topK VQA answers reported per row (the first is {@code answer})
     */
    public MeterAnswerer(MeterModel model, RobertaBpeTokenizer tokenizer, AnswerVocabulary answers, MeterSkipSet skips,
            long maxBatchTokens, int topK) {
        if (topK < 1) {
            throw new IllegalArgumentException("--top-k must be >= 1: " + topK);
        }
        if (maxBatchTokens < 1) {
            throw new IllegalArgumentException("--max-batch-tokens must be >= 1: " + maxBatchTokens);
        }
        this.model = model;
        this.tokenizer = tokenizer;
        this.answers = answers;
        this.skips = skips;
        this.images = new MeterImageTransform(model.config().imageSize());
        this.maxBatchTokens = maxBatchTokens;
        this.topK = topK;
    }

    public List<MeterAnswer> answer(List<MeterRow> rows) {
        MeterAnswer[] out = new MeterAnswer[rows.size()];
        Map<MeterTask, List<Prepared>> ready = new EnumMap<>(MeterTask.class);
        for (int i = 0; i < rows.size(); i++) {
            MeterRow r = rows.get(i);
            try {
                Prepared p = prepare(i, r);
                ready.computeIfAbsent(r.task(), t -> new ArrayList<>()).add(p);
            } catch (RowProblem e) {
                out[i] = MeterAnswer.failed(r.id(), e.status, e.getMessage());
            }
        }
        int rowTokens = model.config().maxTextLen() + model.config().imageTokens();
        for (Map.Entry<MeterTask, List<Prepared>> e : ready.entrySet()) {
            int fusionsPerRow = e.getKey() == MeterTask.NLVR2 ? 2 : 1;
            int perBatch = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxBatchTokens / ((long) rowTokens * fusionsPerRow)));
            List<Prepared> list = e.getValue();
            for (int from = 0; from < list.size(); from += perBatch) {
                List<Prepared> batch = list.subList(from, Math.min(list.size(), from + perBatch));
                long start = System.nanoTime();
                try {
                    List<MeterAnswer> answered = run(e.getKey(), batch, rows);
                    long ms = (System.nanoTime() - start) / 1_000_000 / batch.size(); // a row's share of its batch
                    for (int k = 0; k < batch.size(); k++) {
                        MeterAnswer a = answered.get(k);
                        out[batch.get(k).index()] = new MeterAnswer(a.id(), a.answer(), a.score(), a.topAnswers(), a.topScores(),
                                a.status(), a.error(), a.tokens(), ms);
                    }
                } catch (RuntimeException ex) {
                    for (Prepared p : batch) {
                        out[p.index()] = MeterAnswer.failed(rows.get(p.index()).id(), RowStatus.ERROR, ex.toString());
                    }
                }
            }
        }
        return List.of(out);
    }

    /** A row that cannot run, with its status. */
    private static final class RowProblem extends Exception {
        final RowStatus status;

        RowProblem(RowStatus status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    private Prepared prepare(int index, MeterRow r) throws RowProblem {
        float[] first = pixels(r.image(), r.imageStatus(), r.imageProblem(), "image");
        float[] second = null;
        if (r.task() == MeterTask.NLVR2) {
            second = pixels(r.image2(), r.image2Status(), r.image2Problem(), "image2");
        }
        if (r.text() == null || r.text().isBlank()) {
            throw new RowProblem(RowStatus.EMPTY_QUESTION, r.task() == MeterTask.VQA ? "the question is empty" : "the statement is empty");
        }
        if (r.task() == MeterTask.VQA && answers == null) {
            throw new RowProblem(RowStatus.ERROR, "the model has no VQA head");
        }
        return new Prepared(index, tokenizer.encode(r.text()), first, second);
    }

    private float[] pixels(byte[] bytes, RowStatus status, String problem, String column) throws RowProblem {
        if (bytes == null) {
            throw new RowProblem(status == null ? RowStatus.IMAGE_MISSING : status,
                    problem == null ? "the row has no " + column : problem);
        }
        try {
            return images.pixels(bytes);
        } catch (ImageDecodeException e) {
            throw new RowProblem(RowStatus.IMAGE_CORRUPT, column + ": " + e.getMessage());
        }
    }

    /** One forward for the batch (two fusions for NLVR2), every array in one scope. */
    private List<MeterAnswer> run(MeterTask task, List<Prepared> batch, List<MeterRow> rows) {
        int s = model.config().imageSize();
        long[][] ids = new long[batch.size()][];
        for (int k = 0; k < batch.size(); k++) {
            ids[k] = batch.get(k).ids();
        }
        try (NDManager scope = model.newScope()) {
            NDArray pooled = model.fuse(ids, stack(scope, batch, false, s), MeterModel.TYPE_IMAGE, skips, scope).pooled();
            List<MeterAnswer> out = new ArrayList<>(batch.size());
            switch (task) {
                case VQA -> {
                    float[] logits = model.vqaLogits(pooled).toFloatArray(); // [B, labels]
                    int labels = model.config().vqaLabels();
                    for (int k = 0; k < batch.size(); k++) {
                        out.add(vqa(rows.get(batch.get(k).index()).id(), logits, k * labels, labels, ids[k]));
                    }
                }
                case NLVR2 -> {
                    NDArray pooled2 = model.fuse(ids, stack(scope, batch, true, s), MeterModel.TYPE_SECOND_IMAGE, skips, scope).pooled();
                    float[] logits = model.nlvr2Logits(pooled, pooled2).toFloatArray(); // [B, 2], index 1 = True
                    for (int k = 0; k < batch.size(); k++) {
                        double f = logits[2 * k];
                        double t = logits[2 * k + 1];
                        double pTrue = 1 / (1 + Math.exp(f - t)); // softmax over the two classes
                        boolean yes = t > f;
                        out.add(new MeterAnswer(rows.get(batch.get(k).index()).id(), yes ? "true" : "false", yes ? pTrue : 1 - pTrue,
                                List.of(), List.of(), RowStatus.OK, null, realTokens(ids[k]), 0));
                    }
                }
                case ITM -> {
                    float[] score = model.itmScore(pooled).toFloatArray(); // [B, 1]
                    for (int k = 0; k < batch.size(); k++) {
                        out.add(new MeterAnswer(rows.get(batch.get(k).index()).id(), null, (double) score[k], List.of(), List.of(),
                                RowStatus.OK, null, realTokens(ids[k]), 0));
                    }
                }
                default -> throw new IllegalStateException("task " + task);
            }
            return out;
        }
    }

    /** Top-k classes of one row's logits by value (ties: lower index first), scored by sigmoid. */
    private MeterAnswer vqa(String id, float[] logits, int offset, int labels, long[] ids) {
        int k = Math.min(topK, labels);
        int[] best = new int[k];
        java.util.Arrays.fill(best, -1);
        for (int c = 0; c < labels; c++) {
            float v = logits[offset + c];
            for (int j = 0; j < k; j++) {
                if (best[j] < 0 || v > logits[offset + best[j]]) {
                    System.arraycopy(best, j, best, j + 1, k - j - 1);
                    best[j] = c;
                    break;
                }
            }
        }
        List<String> names = new ArrayList<>(k);
        List<Double> scores = new ArrayList<>(k);
        for (int c : best) {
            names.add(answers.answer(c));
            scores.add(1 / (1 + Math.exp(-logits[offset + c])));
        }
        return new MeterAnswer(id, names.get(0), scores.get(0), List.copyOf(names), List.copyOf(scores), RowStatus.OK, null,
                realTokens(ids), 0);
    }

    private static int realTokens(long[] ids) {
        int n = 0;
        for (long id : ids) {
            n += id == 1 ? 0 : 1; // <pad> = 1
        }
        return n;
    }

    private static NDArray stack(NDManager scope, List<Prepared> batch, boolean second, int s) {
        int per = 3 * s * s;
        float[] all = new float[batch.size() * per];
        for (int k = 0; k < batch.size(); k++) {
            System.arraycopy(second ? batch.get(k).pixels2() : batch.get(k).pixels(), 0, all, k * per, per);
        }
        return scope.create(all, new Shape(batch.size(), 3, s, s)); // [B, 3, S, S]
    }
}
