package io.easspark.engine.tune;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * An endless, seeded stream of training batches: each epoch shuffles the rows, sorts windows of 8 batches by length
 * (left padding then wastes little compute) and shuffles the batches again, so batch order stays random while each
 * batch holds rows of similar length. The same seed gives the same batches.
 */
public final class Batches {

    private static final int WINDOW_BATCHES = 8;

    private final List<TuningExample> rows;
    private final int batchSize;
    private final Random random;
    private final List<List<TuningExample>> epoch = new ArrayList<>();

    public Batches(List<TuningExample> rows, int batchSize, long seed) {
        if (rows.isEmpty() || batchSize <= 0) {
            throw new IllegalArgumentException("batches need rows and a batch size > 0: " + rows.size() + ", " + batchSize);
        }
        this.rows = List.copyOf(rows);
        this.batchSize = Math.min(batchSize, rows.size());
        this.random = new Random(seed);
    }

    /** The next batch (a new epoch starts when the last one is used up; a short last batch is dropped). */
    public List<TuningExample> next() {
        if (epoch.isEmpty()) {
            refill();
        }
        return epoch.remove(epoch.size() - 1);
    }

    private void refill() {
        List<TuningExample> order = new ArrayList<>(rows);
        Collections.shuffle(order, random);
        int window = batchSize * WINDOW_BATCHES;
        for (int from = 0; from + batchSize <= order.size(); from += window) {
            List<TuningExample> w = new ArrayList<>(order.subList(from, Math.min(order.size(), from + window)));
            w.sort(Comparator.comparingInt(e -> e.row().prompt().promptIds().length));
            for (int b = 0; b + batchSize <= w.size(); b += batchSize) {
                epoch.add(List.copyOf(w.subList(b, b + batchSize)));
            }
        }
        Collections.shuffle(epoch, random);
    }
}
