package io.easspark.loader.convert;

import io.easspark.engine.model.LavinConfig;
import io.easspark.engine.model.NativeLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Matches what the source files offer against the native layout a config needs, before any byte is converted:
 * every needed tensor exactly once with the right shape, or one precise error naming the tensor, the expected and
 * found shape and the file.
 */
public final class ImportPlan {

    private final List<ImportedTensor> tensors;
    private final List<String> unused;

    private ImportPlan(List<ImportedTensor> tensors, List<String> unused) {
        this.tensors = tensors;
        this.unused = unused;
    }

    public static ImportPlan of(LavinConfig config, List<ImportedTensor> offered) {
        Map<String, ImportedTensor> byName = new LinkedHashMap<>();
        for (ImportedTensor t : offered) {
            ImportedTensor previous = byName.putIfAbsent(t.name(), t);
            if (previous != null) {
                throw new IllegalArgumentException("tensor " + t.name() + " comes from two files: " + previous.source()
                        + " and " + t.source());
            }
        }
        List<ImportedTensor> ordered = new ArrayList<>();
        for (Map.Entry<String, long[]> need : NativeLayout.tensors(config).entrySet()) {
            ImportedTensor t = byName.remove(need.getKey());
            if (t == null) {
                throw new IllegalArgumentException("tensor " + need.getKey() + ": expected " + Arrays.toString(need.getValue())
                        + " but no input file has it");
            }
            if (!Arrays.equals(t.shape(), need.getValue())) {
                throw new IllegalArgumentException("tensor " + need.getKey() + ": expected " + Arrays.toString(need.getValue())
                        + " but found " + Arrays.toString(t.shape()) + " in " + t.source());
            }
            if (!t.dtype().isFloating()) {
                throw new IllegalArgumentException("tensor " + need.getKey() + ": expected a floating type but found "
                        + t.dtype() + " in " + t.source());
            }
            ordered.add(t);
        }
        return new ImportPlan(ordered, List.copyOf(byName.keySet()));
    }

    /**
     * Most bytes of tensors a conversion may write per byte of its input files. Every output tensor is a view, a
     * concatenation or a squeeze of input tensors in their dtype, so honest inputs give at most their own size; twice
     * leaves room for a storage shared by two tensors (tied weights), not for one storage viewed by every layer.
     */
    public static final long MAX_OUTPUT_PER_INPUT_BYTE = 2;

    /** Bytes of tensor data the plan writes. */
    public long bytes() {
        return bytesOf(tensors);
    }

    /** Bytes of tensor data {@code tensors} hold in their dtypes (saturating). */
    public static long bytesOf(List<ImportedTensor> tensors) {
        long total = 0;
        for (ImportedTensor t : tensors) {
            long n = t.dtype().bytes();
            for (long d : t.shape()) {
                n = d == 0 ? 0 : (n > Long.MAX_VALUE / d ? Long.MAX_VALUE : n * d);
            }
            total = Long.MAX_VALUE - total < n ? Long.MAX_VALUE : total + n;
        }
        return total;
    }

    /**
     * Refuses a plan that would write more than {@link #MAX_OUTPUT_PER_INPUT_BYTE} bytes per byte of its inputs
     * ({@code inputBytes}, the input files' total size) before anything is written.
     */
    public void requireOutputWithin(long inputBytes) {
        requireOutputWithin(tensors, inputBytes);
    }

    /** The same bound for any family's tensors (METER's import has no ImportPlan). */
    public static void requireOutputWithin(List<ImportedTensor> tensors, long inputBytes) {
        long bytes = bytesOf(tensors);
        long limit = inputBytes > Long.MAX_VALUE / MAX_OUTPUT_PER_INPUT_BYTE ? Long.MAX_VALUE : inputBytes * MAX_OUTPUT_PER_INPUT_BYTE;
        if (bytes > limit) {
            throw new IllegalArgumentException("convert would write " + bytes + " bytes of tensors from " + inputBytes
                    + " bytes of input files (more than " + MAX_OUTPUT_PER_INPUT_BYTE + "x): tensors that view one storage many times"
                    + " or broadcast views; pass --allow-broadcast-tensors if you trust the inputs");
        }
    }

    /** The tensors to write, in native layout order. */
    public List<ImportedTensor> tensors() {
        return tensors;
    }

    /** Offered tensors the model does not use (reported, not written). */
    public List<String> unused() {
        return unused;
    }
}
