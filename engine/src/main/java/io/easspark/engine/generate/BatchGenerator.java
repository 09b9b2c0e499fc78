package io.easspark.engine.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.eas.AdapterState;
import io.easspark.engine.llama.DecoderLayer;
import io.easspark.engine.llama.LlamaConfig;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.vision.VisionConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * Batched generation (DESIGN.md §1.5): one prefill over left-padded rows of different lengths, then one decode step
 * per new token with a KV cache for kept layers only. Every row's router weights and prompt mean come from its own
 * full prompt, so a row's output never depends on its batch neighbours. Thread-safe: all state is per call.
 *
 * <p>Letters: B batch rows, T padded prompt width, D width, V vocabulary.
 */
public final class BatchGenerator {

    private final LavinModel model;

    public BatchGenerator(LavinModel model) {
        this.model = model;
    }

    /** The prefill's results for parity tests: all logits [B, T, V], each layer's output, the adapter states. */
    public record Prefill(NDArray logits, List<NDArray> hidden, AdapterState[] states, int[] pads) {
    }

    /**
     * Prefill only, keeping every position's logits and every layer's output; arrays are owned by {@code scope}.
     */
    public Prefill prefillForTest(List<PromptSequence> rows, NDManager scope) {
        BatchLayout layout = layout(rows);
        AdapterState[] states = newStates();
        List<NDArray> hidden = new ArrayList<>();
        NDArray normed = model.forward(embed(rows, layout, scope), states, layout.pools(scope),
                model.rope().angles(scope, layout.prefillPositions()), layout.prefillMask(scope),
                layer -> null, scope, hidden);
        int[] pads = new int[rows.size()];
        for (int b = 0; b < pads.length; b++) {
            pads[b] = layout.pad(b);
        }
        return new Prefill(model.logits(normed), hidden, states, pads);
    }

    /**
     * One cacheless prefill that keeps only the logits of the last {@code last} columns, [B, last, V] in {@code scope}:
     * with left padding every row ends at the last column, so these are each row's last positions. Teacher-forced
     * scoring (the redundancy search's answer loss) needs exactly these; the hidden states of the other positions
     * never reach the output head.
     */
    public NDArray lastLogits(List<PromptSequence> rows, int last, NDManager scope) {
        BatchLayout layout = layout(rows);
        if (last <= 0 || last > layout.width()) {
            throw new IllegalArgumentException("last positions must be in 1.." + layout.width() + ": " + last);
        }
        try (NDManager pass = scope.newSubManager()) {
            NDArray normed = model.forward(embed(rows, layout, pass), newStates(), layout.pools(pass),
                    model.rope().angles(pass, layout.prefillPositions()), layout.prefillMask(pass), layer -> null, pass, null);
            NDArray logits = model.logits(normed.get(new NDIndex(":, {}:, :", layout.width() - last))); // [B, last, V]
            logits.attach(scope);
            return logits;
        }
    }

    /**
     * Decoding without a cache, for parity tests: one pass over the prompt followed by the generated tokens, with
     * the adapter state frozen at the prompt (as cached decoding has it) and the decode positions of {@code
     * original}. Returns logits [1, T + n − 1, V]; rows T − 1 onward are the logits that chose each generated token.
     */
    public NDArray recomputeForTest(PromptSequence row, long[] generated, boolean original, NDManager scope) {
        Prefill prompt = prefillForTest(List.of(row), scope);
        BatchLayout promptLayout = layout(List.of(row));
        int t = promptLayout.width();
        int n = generated.length - 1; // the last generated token is never fed back
        NDArray x = embed(List.of(row), promptLayout, scope);
        if (n > 0) {
            NDArray fed = model.embedTokens(scope.create(java.util.Arrays.copyOf(generated, n))).reshape(1, n, -1);
            x = NDArrays.concat(new NDList(x, fed), 1);
        }
        int[][] positions = new int[1][t + n];
        for (int j = 0; j < t + n; j++) {
            positions[0][j] = j < t ? j : j - (original ? 1 : 0);
        }
        BatchLayout full = new BatchLayout(new int[] {t + n});
        NDArray normed = model.forward(x, prompt.states(), null, model.rope().angles(scope, positions),
                full.prefillMask(scope), layer -> null, scope, null);
        return model.logits(normed);
    }

    /** Visual tokens [N, taps, D] of normalised pixels, for tests and tools. */
    public NDArray visualTokens(float[][] pixels, NDManager scope) {
        return model.vision().visualTokens(pixelBatch(pixels, scope));
    }

    /** Generates for every row; the result list is in input order. */
    public List<Generation> generate(List<PromptSequence> rows, GenerationConfig cfg) {
        if (rows.isEmpty()) {
            return List.of();
        }
        LlamaConfig text = model.config().text();
        BatchLayout layout = layout(rows);
        int b = rows.size();
        int[] budget = new int[b]; // new tokens each row may still take under max_new_tokens and the context limit
        int maxBudget = 0;
        for (int r = 0; r < b; r++) {
            budget[r] = Math.min(cfg.maxNewTokens(), text.maxSeqLen() - layout.length(r));
            maxBudget = Math.max(maxBudget, budget[r]);
        }
        List<List<Long>> tokens = new ArrayList<>();
        List<List<float[]>> logitsSeen = new ArrayList<>();
        Generation.StopReason[] stop = new Generation.StopReason[b];
        Sampler[] samplers = new Sampler[b];
        for (int r = 0; r < b; r++) {
            tokens.add(new ArrayList<>());
            logitsSeen.add(cfg.recordLogits() ? new ArrayList<>() : null);
            samplers[r] = cfg.greedy() ? null : new Sampler(cfg.temperature(), cfg.topP(), cfg.seed(), rows.get(r).rowKey());
        }
        try (NDManager batch = model.newScope()) {
            AdapterState[] states = newStates();
            // capacity: the prompt plus one slot per decode step that feeds a token
            KvCache cache = new KvCache(batch, model.plan(), b, text.nHeads(), text.headDim(),
                    layout.width() + Math.max(0, maxBudget - 1), DataType.FLOAT32);
            long[] next;
            try (NDManager step = batch.newSubManager()) {
                NDArray normed = model.forward(embed(rows, layout, step), states, layout.pools(step),
                        model.rope().angles(step, layout.prefillPositions()), layout.prefillMask(step),
                        layer -> cache.store(layer, 0, step), batch, null);
                NDArray last = normed.get(":, -1:, :"); // every row ends at the last column (left padding)
                next = choose(model.logits(last).reshape(b, -1), samplers, cfg, logitsSeen, stop);
            }
            for (int k = 0; ; k++) {
                boolean active = false;
                for (int r = 0; r < b; r++) {
                    if (stop[r] != null) {
                        continue;
                    }
                    tokens.get(r).add(next[r]);
                    if (next[r] == cfg.eosId()) {
                        stop[r] = Generation.StopReason.EOS;
                    } else if (tokens.get(r).size() >= budget[r]) {
                        stop[r] = budget[r] < cfg.maxNewTokens() ? Generation.StopReason.CONTEXT
                                : Generation.StopReason.MAX_NEW_TOKENS;
                    } else {
                        active = true;
                    }
                }
                if (!active) {
                    break;
                }
                int index = layout.width() + k; // cache index of the token fed now
                try (NDManager step = batch.newSubManager()) {
                    NDArray ids = step.create(next, new Shape(b, 1));
                    NDArray x = model.embedTokens(ids.reshape(b)).reshape(b, 1, -1); // [B, 1, D]
                    NDArray normed = model.forward(x, states, null,
                            model.rope().angles(step, layout.decodePositions(k, cfg.originalPositions())),
                            layout.decodeMask(step, index + 1), layer -> cache.store(layer, index, step), batch, null);
                    long[] chosen = choose(model.logits(normed).reshape(b, -1), samplers, cfg, logitsSeen, stop);
                    for (int r = 0; r < b; r++) {
                        next[r] = stop[r] == null ? chosen[r] : cfg.eosId();
                    }
                }
            }
        }
        List<Generation> out = new ArrayList<>(b);
        for (int r = 0; r < b; r++) {
            long[] ids = tokens.get(r).stream().mapToLong(Long::longValue).toArray();
            float[][] logits = cfg.recordLogits() ? logitsSeen.get(r).toArray(new float[0][]) : null;
            out.add(new Generation(ids, stop[r], layout.length(r), logits));
        }
        return out;
    }

    private long[] choose(NDArray logits, Sampler[] samplers, GenerationConfig cfg, List<List<float[]>> seen,
            Generation.StopReason[] stop) {
        int b = (int) logits.getShape().get(0);
        long[] out = new long[b];
        if (cfg.greedy() && !cfg.recordLogits()) {
            long[] arg = logits.argMax(-1).toLongArray();
            System.arraycopy(arg, 0, out, 0, b);
            return out;
        }
        float[] all = logits.toType(DataType.FLOAT32, false).toFloatArray();
        int v = all.length / b;
        for (int r = 0; r < b; r++) {
            float[] row = java.util.Arrays.copyOfRange(all, r * v, (r + 1) * v);
            out[r] = samplers[r] == null ? Sampler.argMax(row) : samplers[r].sample(row);
            if (seen.get(r) != null && stop[r] == null) {
                seen.get(r).add(row);
            }
        }
        return out;
    }

    private AdapterState[] newStates() {
        AdapterState[] states = new AdapterState[model.layerCount()];
        for (int i = 0; i < states.length; i++) {
            states[i] = new AdapterState();
        }
        return states;
    }

    private BatchLayout layout(List<PromptSequence> rows) {
        int nv = model.config().nVisualTokens();
        int[] lengths = new int[rows.size()];
        for (int r = 0; r < lengths.length; r++) {
            PromptSequence row = rows.get(r);
            if (row.hasImage() && model.vision() == null) {
                throw new IllegalArgumentException("row " + r + " has an image but the model has no vision tower");
            }
            lengths[r] = row.length(nv);
            if (lengths[r] > model.config().text().maxSeqLen()) {
                throw new IllegalArgumentException("row " + r + " needs " + lengths[r] + " positions but max_seq_len is "
                        + model.config().text().maxSeqLen() + " (truncate the prompt first)");
            }
        }
        return new BatchLayout(lengths);
    }

    /** Embedded, left-padded prefill input [B, T, D]: modality, prefix, visual tokens, prompt (DESIGN.md §1.2). */
    private NDArray embed(List<PromptSequence> rows, BatchLayout layout, NDManager scope) {
        int d = model.config().text().dim();
        List<float[]> images = new ArrayList<>();
        for (PromptSequence row : rows) {
            if (row.hasImage()) {
                images.add(row.pixels());
            }
        }
        NDArray visual = images.isEmpty() ? null : visualTokens(images.toArray(new float[0][]), scope); // [N, nv, D]
        int total = 0;
        for (PromptSequence row : rows) {
            total += row.prefixIds().length + row.promptIds().length;
        }
        long[] ids = new long[total];
        int at = 0;
        for (PromptSequence row : rows) {
            long[] p = row.prefixIds();
            long[] q = row.promptIds();
            System.arraycopy(p, 0, ids, at, p.length);
            System.arraycopy(q, 0, ids, at + p.length, q.length);
            at += p.length + q.length;
        }
        NDArray embedded = model.embedTokens(scope.create(ids)); // [Σ, D], one lookup for the whole batch
        NDList padded = new NDList();
        at = 0;
        int image = 0;
        for (int r = 0; r < rows.size(); r++) {
            PromptSequence row = rows.get(r);
            int p = row.prefixIds().length;
            int q = row.promptIds().length;
            NDList pieces = new NDList();
            if (layout.pad(r) > 0) {
                pieces.add(scope.zeros(new Shape(layout.pad(r), d)));
            }
            pieces.add(model.modalityEmbedding(row.hasImage(), scope));
            pieces.add(embedded.get(new NDIndex("{}:{}", at, at + p)));
            if (row.hasImage()) {
                pieces.add(visual.get(new NDIndex("{}", image++)));
            }
            if (q > 0) {
                pieces.add(embedded.get(new NDIndex("{}:{}", at + p, at + p + q)));
            }
            at += p + q;
            padded.add(NDArrays.concat(pieces, 0)); // [T, D]
        }
        return NDArrays.stack(padded, 0);
    }

    private NDArray pixelBatch(float[][] pixels, NDManager scope) {
        VisionConfig vc = model.config().vision();
        int s = vc.imageSize();
        int per = 3 * s * s;
        float[] flat = new float[pixels.length * per];
        for (int i = 0; i < pixels.length; i++) {
            if (pixels[i].length != per) {
                throw new IllegalArgumentException("image pixels must be 3x" + s + "x" + s + " = " + per + " floats, found "
                        + pixels[i].length);
            }
            System.arraycopy(pixels[i], 0, flat, i * per, per);
        }
        return scope.create(flat, new Shape(pixels.length, 3, s, s));
    }
}
