package io.easspark.loader.pickle;

import io.easspark.loader.io.SeekableInput;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor in a torch zip archive, not yet read: a strided view ({@code shape}, {@code stride}, {@code storageOffset}
 * in elements) into one raw storage entry {@code <archive>/data/<storageKey>}. {@link #read()} fetches only the bytes
 * the view covers, so a 13 GB shard streams tensor by tensor. Immutable and safe to share across threads: each read
 * opens the file itself.
 */
public final class TensorRef {

    /**
     * How many times its storage entry's bytes a view may cover. A view of real weights covers at most its storage
     * (slices and transposes less); more needs repeated elements, i.e. a stride-0 broadcast such as
     * {@code torch.zeros(1).expand(7_400_000, 4096)}, which a 568-byte file can use to make a reader allocate gigabytes.
     * Twice allows the odd overlapping view while still bounding what a file can make us allocate by its size.
     */
    static final long MAX_VIEW_AMPLIFICATION = 2;

    /** Largest tensor one read returns; {@link TensorData} holds a single ByteBuffer. */
    static final long MAX_READ_BYTES = Integer.MAX_VALUE - 8;

    /**
     * A raw storage entry of the archive.
     *
     * @param numel element count from the pickle's persistent id
     */
    record Storage(String key, DType dtype, long numel, ZipDirectory zip, ZipDirectory.Entry entry) {
    }

    private final String name;
    private final Storage storage;
    private final long storageOffset;
    private final long[] shape;
    private final long[] stride;

    private TensorRef(String name, Storage storage, long storageOffset, long[] shape, long[] stride) {
        this.name = name;
        this.storage = storage;
        this.storageOffset = storageOffset;
        this.shape = shape;
        this.stride = stride;
    }

    /** A tensor as the pickle builds it, named after its storage until {@link TorchCheckpoint} names it by path. */
    static TensorRef of(Storage storage, long storageOffset, long[] shape, long[] stride) {
        return new TensorRef("storage " + storage.key(), storage, storageOffset, shape.clone(), stride.clone());
    }

    /**
     * This view under {@code newName}, checked to fit inside its storage entry and, unless {@code allowBroadcast}, to
     * cover no more than {@link #MAX_VIEW_AMPLIFICATION} times the entry's bytes.
     */
    TensorRef named(String newName, boolean allowBroadcast) throws CheckpointFormatException {
        TensorRef named = new TensorRef(newName, storage, storageOffset, shape, stride);
        named.checkFits();
        if (!allowBroadcast) {
            named.checkNotBroadcast();
        }
        return named;
    }

    /** Bytes the view's values take once read (elements × element size), saturating at Long.MAX_VALUE. */
    public long logicalBytes() {
        long n = dtype().bytes();
        for (long d : shape) {
            if (d == 0) {
                return 0;
            }
        }
        try {
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    private void checkNotBroadcast() throws CheckpointFormatException {
        long entryBytes = storage.entry().size();
        long limit = entryBytes > Long.MAX_VALUE / MAX_VIEW_AMPLIFICATION ? Long.MAX_VALUE : entryBytes * MAX_VIEW_AMPLIFICATION;
        if (logicalBytes() > limit) {
            throw new CheckpointFormatException("tensor " + name + ": shape " + Arrays.toString(shape) + " stride "
                    + Arrays.toString(stride) + " views " + logicalBytes() + " bytes of " + dtype() + " but its storage "
                    + storage.entry().name() + " holds " + entryBytes + " (a broadcast view, e.g. stride 0, repeats values); pass"
                    + " --allow-broadcast-tensors to read it anyway, in " + storage.zip().location());
        }
    }

    /** Dotted checkpoint key, e.g. {@code layers.0.attention.wq.weight}. */
    public String name() {
        return name;
    }

    public DType dtype() {
        return storage.dtype();
    }

    public long[] shape() {
        return shape.clone();
    }

    /** Element strides per dimension, as torch reports them. */
    public long[] stride() {
        return stride.clone();
    }

    /** First element of the view inside its storage, in elements. */
    public long storageOffset() {
        return storageOffset;
    }

    /** The storage's key: its data lies in the zip entry {@code <archive>/data/<key>}. */
    public String storageKey() {
        return storage.key();
    }

    public long elements() {
        return TensorData.elements(shape);
    }

    /** True when the view is dense in C order, so one contiguous read fetches it. Size-1 dimensions' strides don't matter. */
    public boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    /** Reads the view's values into C order (gathering when the strides are not contiguous, e.g. a saved transpose). */
    public TensorData read() throws IOException {
        checkFits();
        long span = spanElements();
        int elem = dtype().bytes();
        long elements = elements();
        if (elements > MAX_READ_BYTES / elem) {
            throw new CheckpointFormatException("tensor " + name + ": " + Arrays.toString(shape) + " " + dtype() + " has " + elements
                    + " elements, over the " + MAX_READ_BYTES + "-byte limit of one read, in " + storage.zip().location());
        }
        long bytes = elements * elem;
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes == 0) {
            return new TensorData(name, dtype(), shape, out);
        }
        try (SeekableInput in = storage.zip().file().open()) {
            long first = storage.zip().dataOffset(in, storage.entry()) + storageOffset * elem;
            if (isContiguous()) {
                in.readFully(first, out);
            } else {
                long spanBytes = span * elem;
                if (spanBytes > MAX_READ_BYTES) {
                    throw new CheckpointFormatException("tensor " + name + ": its strides " + Arrays.toString(stride) + " span "
                            + spanBytes + " bytes, over the " + MAX_READ_BYTES + "-byte limit of one read, in " + storage.zip().location());
                }
                ByteBuffer source = ByteBuffer.allocate((int) spanBytes);
                in.readFully(first, source);
                gather(source.array(), out.array(), elem);
            }
        }
        out.clear();
        return new TensorData(name, dtype(), shape, out);
    }

    /** Copies each element of the strided view, walking indices in C order like an odometer. */
    private void gather(byte[] source, byte[] target, int elem) {
        int rank = shape.length;
        long[] index = new long[rank];
        long at = 0; // element offset of the current index inside source
        long n = elements();
        for (long i = 0; i < n; i++) {
            System.arraycopy(source, (int) (at * elem), target, (int) (i * elem), elem);
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                at += stride[d];
                if (index[d] < shape[d]) {
                    break;
                }
                at -= stride[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /** Fails unless every element of the view lies inside the storage entry's bytes. */
    void checkFits() throws CheckpointFormatException {
        long span = spanElements();
        if (span == 0) {
            return;
        }
        long entryBytes = storage.entry().size();
        long neededBytes;
        try {
            neededBytes = Math.multiplyExact(Math.addExact(storageOffset, span), (long) dtype().bytes());
        } catch (ArithmeticException e) {
            neededBytes = Long.MAX_VALUE;
        }
        if (neededBytes > entryBytes) {
            throw new CheckpointFormatException("tensor " + name + ": shape " + Arrays.toString(shape) + " stride "
                    + Arrays.toString(stride) + " at storage offset " + storageOffset + " needs " + neededBytes + " bytes of "
                    + dtype() + " storage " + storage.entry().name() + " but it holds " + entryBytes + " in " + storage.zip().location());
        }
    }

    /** Elements from the view's first to its last, inclusive: 1 + Σ (shape−1)·stride, or 0 for an empty tensor. */
    private long spanElements() throws CheckpointFormatException {
        try {
            long last = 0;
            for (int d = 0; d < shape.length; d++) {
                if (shape[d] == 0) {
                    return 0;
                }
                last = Math.addExact(last, Math.multiplyExact(shape[d] - 1, stride[d]));
            }
            TensorData.elements(shape); // overflow check on the element count too
            return Math.addExact(last, 1);
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new CheckpointFormatException("tensor " + name + ": shape " + Arrays.toString(shape) + " with stride "
                    + Arrays.toString(stride) + " overflows a 64-bit element count in " + storage.zip().location());
        }
    }

    @Override
    public String toString() {
        return name + " " + dtype() + Arrays.toString(shape);
    }
}
