package io.easspark.bench;

import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.generate.PromptSequence;
import io.easspark.engine.model.LavinModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Times the engine's {@code BatchGenerator.generate} on seeded random text prompts: a call that stops after the
 * first token (the prefill), then a call that also decodes; decode seconds are the difference of the two medians.
 */
final class EngineTimer {

    /** EOS id that no token has, so every row decodes every token and the work is the same in each run. */
    private static final int NEVER_STOP = -1;
    /** BOS plus a prefix the length of "Image: N/A", as the demo's text rows start. */
    private static final long[] PREFIX = {1, 5, 6, 7, 8};
    /** Ids 0-2 are unk, BOS and EOS in the LLaMA vocabulary: prompts draw from the rest. */
    private static final int FIRST_PLAIN_ID = 3;

    /** Generate calls per batch size in {@link #warmUp}. */
    private static final int WARM_UP_CALLS = 2;

    private final int vocab;
    private final int prompt;

    /** @param prompt positions per row, including the modality token */
    EngineTimer(int vocab, int prompt) {
        this.vocab = vocab;
        this.prompt = prompt;
    }

    /** Minimum {@code --prompt}: the prefix, the modality token and one question token. */
    static int minPrompt() {
        return PREFIX.length + 2;
    }

    /**
     * Median seconds of {@code repeat} prefill-only calls and of {@code repeat} whole calls, after one warm-up of
     * each. The two kinds alternate, so a neighbour's busy spell on a shared machine slows both alike; if it still
     * leaves the whole call no slower than the prefill, decode seconds are NaN (not measured) rather than a made-up
     * number.
     */
    Timing time(LavinModel model, int batch, int newTokens, int repeat) {
        BatchGenerator gen = new BatchGenerator(model);
        List<PromptSequence> input = prompts(batch);
        once(gen, input, 1); // warm-up: first calls allocate and pick kernels
        once(gen, input, newTokens + 1);
        double[] prefill = new double[repeat];
        double[] full = new double[repeat];
        for (int i = 0; i < repeat; i++) {
            prefill[i] = once(gen, input, 1);
            full[i] = once(gen, input, newTokens + 1);
        }
        double p = median(prefill);
        double decode = median(full) - p;
        return new Timing(p, decode > 0 ? decode : Double.NaN);
    }

    /**
     * Whole generate calls at each batch size before anything is timed: the first calls of a JVM run interpreted
     * Java and pick libtorch kernels per shape, which the per-configuration warm-up in {@link #time} does not cover
     * for the first configuration measured (it came out up to 3x slower than the same one measured later).
     */
    void warmUp(LavinModel model, int[] batches, int newTokens) {
        BatchGenerator gen = new BatchGenerator(model);
        for (int b : batches) {
            List<PromptSequence> input = prompts(b);
            for (int i = 0; i < WARM_UP_CALLS; i++) {
                once(gen, input, newTokens + 1);
            }
        }
    }

    private List<PromptSequence> prompts(int batch) {
        List<PromptSequence> rows = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(batch);
        for (int r = 0; r < batch; r++) {
            long[] ids = new long[prompt - 1 - PREFIX.length]; // the modality token takes one position
            for (int i = 0; i < ids.length; i++) {
                ids[i] = FIRST_PLAIN_ID + random.nextInt(vocab - FIRST_PLAIN_ID);
            }
            rows.add(new PromptSequence(PREFIX.clone(), null, ids, r));
        }
        return rows;
    }

    private static double once(BatchGenerator gen, List<PromptSequence> input, int maxNew) {
        GenerationConfig cfg = new GenerationConfig(maxNew, 0, 1, 0, NEVER_STOP, false, false);
        long t0 = System.nanoTime();
        gen.generate(input, cfg);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] seconds) {
        double[] s = seconds.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
