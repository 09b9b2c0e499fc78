package io.easspark.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The floor under one batch-1 decode step: only its projections (q/k/v, o, W1/W3, W2 of every kept layer, the FFN
 * of skipped ones, the output head), on fresh weights of the benchmark's shapes, with nothing else in between. The
 * step's time minus this is the cost of every other op. Run: {@code java -cp "bench/target/eas-bench.jar:bench/target/lib/*"
 * io.easspark.bench.ProjectionFloor [kept layers, default 32]}.
 */
public final class ProjectionFloor {

    private ProjectionFloor() {
    }

    public static void main(String[] args) {
        System.setProperty("ai.djl.pytorch.num_threads", System.getProperty("threads", "" + Runtime.getRuntime().availableProcessors()));
        System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
        System.setProperty("ai.djl.offline", "true");
        int d = 1024;
        int f = 2752;
        int layers = 32;
        int vocab = 32000;
        int kept = args.length > 0 ? Integer.parseInt(args[0]) : layers;
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> weightsT = new ArrayList<>(); // [in, out] views of [out, in] storage, as the engine holds them
            for (int l = 0; l < layers; l++) {
                if (l < kept) {
                    weightsT.add(m.randomNormal(new Shape(3 * d, d)).transpose());
                    weightsT.add(m.randomNormal(new Shape(d, d)).transpose());
                }
                weightsT.add(m.randomNormal(new Shape(2 * f, d)).transpose());
                weightsT.add(m.randomNormal(new Shape(d, f)).transpose());
            }
            weightsT.add(m.randomNormal(new Shape(vocab, d)).transpose());
            double bytes = weightsT.stream().mapToDouble(w -> w.size() * 4.0).sum();
            NDArray x = m.randomNormal(new Shape(1, 1, d));
            NDArray hidden = m.randomNormal(new Shape(1, 1, f));
            double[] seconds = new double[7];
            for (int r = 0; r < seconds.length; r++) {
                long t0 = System.nanoTime();
                try (NDManager step = m.newSubManager()) {
                    for (NDArray w : weightsT) {
                        (w.getShape().get(0) == f ? hidden : x).matMul(w).getShape();
                    }
                }
                seconds[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(seconds);
            double median = seconds[seconds.length / 2];
            System.out.printf(Locale.ROOT, "%d kept of %d layers: projections alone %.1f ms per batch-1 step, %.2f GB read = %.1f GB/s%n",
                    kept, layers, median * 1e3, bytes / 1e9, bytes / median / 1e9);
        }
    }
}
