package io.easspark.bench;

import io.easspark.engine.eas.SkipPlan;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Plans that skip k layers for the speed-up-vs-k sweep, nested so that each k adds layers to the one before: first
 * the EAS plan's layers from the top (for the published plan 31, 30, ..., 21, 19, so k = 12 is exactly
 * {@code 19,21-31}), then the remaining layers from the top (20, 18, 17, ..., 0).
 */
final class SkipOrder {

    private final int[] order;
    private final int nLayers;

    SkipOrder(SkipPlan eas) {
        this.nLayers = eas.layerCount();
        List<Integer> layers = new ArrayList<>();
        for (int i = nLayers - 1; i >= 0; i--) {
            if (eas.isSkipped(i)) {
                layers.add(i);
            }
        }
        for (int i = nLayers - 1; i >= 0; i--) {
            if (!eas.isSkipped(i)) {
                layers.add(i);
            }
        }
        this.order = layers.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The order layers are skipped in. */
    int[] order() {
        return order.clone();
    }

    /** The plan that skips the first {@code k} layers of the order. */
    SkipPlan first(int k) {
        if (k < 0 || k > nLayers) {
            throw new IllegalArgumentException("cannot skip " + k + " layers: the model has " + nLayers);
        }
        return SkipPlan.of(nLayers, Arrays.copyOf(order, k));
    }
}
