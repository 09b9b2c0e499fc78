package io.easspark.loader.convert;

import io.easspark.loader.tensor.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/** Byte-level reshaping used by imports: concatenating tensor-parallel shards and dropping unit dimensions. */
final class TensorOps {

    private TensorOps() {
    }

    /**
     * Concatenates 2-D shards along {@code axis} (0: stack rows, 1: join each row's pieces), as Meta's
     * tensor-parallel checkpoints were split.
     */
    static TensorData concat(String name, List<TensorData> parts, int axis) {
        TensorData first = parts.get(0);
        long[] s0 = first.shape();
        if (s0.length != 2) {
            throw new IllegalArgumentException("tensor " + name + ": shards must be 2-D to concatenate, found " + Arrays.toString(s0));
        }
        long other = s0[1 - axis];
        long total = 0;
        for (TensorData p : parts) {
            long[] s = p.shape();
            if (p.dtype() != first.dtype() || s.length != 2 || s[1 - axis] != other) {
                throw new IllegalArgumentException("tensor " + name + ": shard shapes do not line up along axis " + axis
                        + ": " + Arrays.toString(s0) + " " + first.dtype() + " vs " + Arrays.toString(s) + " " + p.dtype());
            }
            total += s[axis];
        }
        long[] shape = axis == 0 ? new long[] {total, other} : new long[] {other, total};
        int esize = first.dtype().bytes();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(total * other * esize)).order(ByteOrder.LITTLE_ENDIAN);
        if (axis == 0) {
            for (TensorData p : parts) {
                out.put(p.data().duplicate());
            }
        } else {
            for (long r = 0; r < other; r++) {
                for (TensorData p : parts) {
                    int rowBytes = Math.toIntExact(p.shape()[1] * esize);
                    ByteBuffer src = p.data().duplicate();
                    src.position(Math.toIntExact(r * rowBytes)).limit(Math.toIntExact((r + 1) * rowBytes));
                    out.put(src);
                }
            }
        }
        out.flip();
        return new TensorData(name, first.dtype(), shape, out);
    }

    /** The same bytes with another shape of equal element count (e.g. a Conv1d weight [out, in, 1] → [out, in]). */
    static TensorData reshape(TensorData t, long... shape) {
        if (TensorData.elements(shape) != t.elements()) {
            throw new IllegalArgumentException("tensor " + t.name() + ": cannot view " + Arrays.toString(t.shape()) + " as "
                    + Arrays.toString(shape));
        }
        return new TensorData(t.name(), t.dtype(), shape, t.data());
    }

    /** Drops trailing dimensions of size 1 (the conv kernel axis of the adapters' 1x1 Conv1d weights). */
    static long[] squeezeTrailing(long[] shape) {
        int n = shape.length;
        while (n > 1 && shape[n - 1] == 1) {
            n--;
        }
        return Arrays.copyOf(shape, n);
    }
}
