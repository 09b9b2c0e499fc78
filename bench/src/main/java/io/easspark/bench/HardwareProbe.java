package io.easspark.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.function.Supplier;

/**
 * What this machine can do at best, measured in the benchmark's JVM with its libtorch threads, so "near the
 * hardware" (issue 7, goal 4) compares against this run's machine rather than a datasheet: the fp32 matmul rate
 * of square {@code NDArray.matMul} products and the read bandwidth of a {@code sum()} over an array far larger
 * than the caches. Both take the best of several repetitions after a warm-up: the peak is what the machine allows,
 * the noise of a shared VM only ever slows it.
 */
final class HardwareProbe {

    /**
     * @param matmulSize N of the N x N products
     * @param matmulGflops best 2N³ / seconds, in 10⁹ FLOP/s
     * @param readBytes size of the summed array
     * @param readGBs best bytes / seconds of the sum, in 10⁹ B/s
     */
    record Peak(int matmulSize, double matmulGflops, long readBytes, double readGBs, int repetitions) {
    }

    private static final int FP32 = 4;

    private final int matmulSize;
    private final long readBytes;
    private final int repetitions;

    HardwareProbe(int matmulSize, long readBytes, int repetitions) {
        this.matmulSize = matmulSize;
        this.readBytes = readBytes;
        this.repetitions = repetitions;
    }

    Peak measure() {
        try (NDManager probe = NDManager.newBaseManager(Device.cpu())) {
            return new Peak(matmulSize, matmulGflops(probe), readBytes, readGBs(probe), repetitions);
        }
    }

    private double matmulGflops(NDManager probe) {
        try (NDManager scope = probe.newSubManager()) {
            NDArray a = scope.randomUniform(-1f, 1f, new Shape(matmulSize, matmulSize));
            NDArray b = scope.randomUniform(-1f, 1f, new Shape(matmulSize, matmulSize));
            double flops = 2.0 * matmulSize * matmulSize * matmulSize;
            return flops / best(scope, a, () -> a.matMul(b)) / 1e9;
        }
    }

    private double readGBs(NDManager probe) {
        try (NDManager scope = probe.newSubManager()) {
            NDArray big = scope.ones(new Shape(readBytes / FP32)); // ones, not zeros: every page is written, so resident
            return readBytes / best(scope, big, big::sum) / 1e9;
        }
    }

    /** Seconds of the fastest of {@code repetitions} runs after one warm-up; each run's result is freed with it. */
    private double best(NDManager scope, NDArray input, Supplier<NDArray> op) {
        double best = Double.MAX_VALUE;
        for (int i = 0; i <= repetitions; i++) {
            try (NDManager step = scope.newSubManager()) {
                // results land in the input's manager: lend it to the step so they go when the step closes
                input.tempAttach(step);
                long t0 = System.nanoTime();
                op.get(); // eager libtorch on the CPU: the op has finished when it returns
                double s = (System.nanoTime() - t0) / 1e9;
                if (i > 0) { // the first call pays for thread start-up and kernel selection
                    best = Math.min(best, s);
                }
            }
        }
        return best;
    }
}
