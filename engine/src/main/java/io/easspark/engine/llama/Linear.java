package io.easspark.engine.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * {@code y = x·Wᵀ} for a weight kept in the checkpoint's [out, in] layout, in the orientation that suits the BLAS
 * libtorch ships. For a few rows (decoding a batch) {@code x·Wᵀ} becomes a GEMM whose short side is the output's
 * columns; MKL runs that 1.5–4x slower than the same product as {@code (W·xᵀ)ᵀ}, whose short side is the rows
 * (measured on the dim-1024 shapes of docs/BENCHMARKS.md: 2 to 256 rows; decoding a batch of 16 went from 41 to 50
 * tokens/s without skipping). One row is a matrix-vector product either way, so it keeps the single {@code x·Wᵀ}
 * call, as do long prefills (over {@value #WEIGHT_FIRST_MAX_ROWS} rows), where the GEMM is square enough for both
 * orientations and the feature-major result only slows the attention after it.
 *
 * <p>Letters: M rows (all leading axes of x flattened), I inputs, O outputs.
 */
public final class Linear {

    /** Most rows for which the weight-first orientation is used. */
    static final int WEIGHT_FIRST_MAX_ROWS = 256;

    private Linear() {
    }

    /**
     * @param x [.., I]
     * @param w [O, I], contiguous
     * @param wT the transposed view of {@code w}, [I, O]
     * @return [.., O]; for several rows a view whose memory is feature-major, which elementwise ops and the next
     *     projection read without a copy
     */
    public static NDArray apply(NDArray x, NDArray w, NDArray wT) {
        if (!weightFirst(x)) {
            return x.matMul(wT);
        }
        Shape s = x.getShape();
        int last = s.dimension() - 1;
        long in = s.get(last);
        long rows = s.size() / in;
        NDArray yT = w.matMul(x.reshape(rows, in).transpose()); // [O, M]
        return yT.transpose().reshape(s.slice(0, last).add(w.getShape().get(0)));
    }

    private static final NDIndex ALL = new NDIndex(":"); // parsed once: lending runs every decode step

    /**
     * A view of a model weight owned by {@code scope}: results follow their first operand's manager, and the
     * model's manager is closed to new arrays, so a weight-first product (or any arithmetic on a weight) needs one.
     */
    public static NDArray lend(NDArray weight, NDManager scope) {
        return weight.get(scope, ALL);
    }

    /** True when {@link #apply} multiplies weight first for this input (and so reads {@code w}, not only {@code wT}). */
    public static boolean weightFirst(NDArray x) {
        Shape s = x.getShape();
        long rows = s.size() / s.get(s.dimension() - 1);
        return rows > 1 && rows <= WEIGHT_FIRST_MAX_ROWS;
    }

    /** {@link #apply} plus a bias broadcast over the rows, or none. */
    public static NDArray apply(NDArray x, NDArray w, NDArray wT, NDArray bias) {
        NDArray y = apply(x, w, wT);
        return bias == null ? y : y.add(bias);
    }
}
