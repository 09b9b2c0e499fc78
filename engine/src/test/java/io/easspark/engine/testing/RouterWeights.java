package io.easspark.engine.testing;

import io.easspark.engine.eas.AdapterState;

/** The prefill's router weights in the reference fixtures' layout: [layer][w0, w1], flattened. */
public final class RouterWeights {

    private RouterWeights() {
    }

    public static float[] of(AdapterState[] states) {
        float[] out = new float[states.length * 2];
        for (int l = 0; l < states.length; l++) {
            float[] w = states[l].router.toFloatArray();
            out[2 * l] = w[0];
            out[2 * l + 1] = w[1];
        }
        return out;
    }
}
