package io.easspark.loader.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Small files that made the reader hang, exhaust memory or allocate far more than their size (issue 13), each
 * generated here from a few lines of description. Each must be accepted or refused within seconds and within the
 * 512 MiB heap this class runs under (model-loader/pom.xml, execution {@code hostile-512m}); each prints its time and
 * peak heap, e.g. {@code hostile dag-of-long-keys: 9 KiB file, 12 ms, peak heap 40 MiB}.
 */
class HostileSizeTest {

    @TempDir
    Path dir;

    private static TestZips.PickleBytes pickle() {
        return new TestZips.PickleBytes().proto();
    }

    private Path zip(String file, byte[] pickle, byte[] storage) throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("ckpt/data.pkl", pickle);
        entries.put("ckpt/data/0", storage);
        return TestZips.write(dir.resolve(file), entries, false);
    }

    private static String repeat(char c, int n) {
        return String.valueOf(c).repeat(n);
    }

    @Test
    @Timeout(10)
    void aDagOfDictsWithLongKeysFailsFast() throws Exception {
        // d0 = {}; d(i) = {K1: d(i-1), K2: d(i-1)} with two memoized 4 KB keys: 2^40 paths of up to 160 KB names
        TestZips.PickleBytes p = pickle().str(repeat('a', 4096)).op('r', 0, 0, 0, 0).op('0')
                .str(repeat('b', 4096)).op('r', 1, 0, 0, 0).op('0')
                .op('}', 'r', 2, 0, 0, 0, '0');
        for (int i = 1; i <= 40; i++) {
            p.op('}', '(', 'j', 0, 0, 0, 0, 'j', i + 1, 0, 0, 0, 'j', 1, 0, 0, 0, 'j', i + 1, 0, 0, 0, 'u', 'r', i + 2, 0, 0, 0);
        }
        Path file = zip("dag.pth", p.op('.').bytes(), new byte[0]);
        measure("dag-of-long-keys", file, () -> {
            assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(file)))
                    .isInstanceOf(CheckpointFormatException.class)
                    .hasMessageContaining("naming its tensors takes more than");
            return null;
        });
    }

    /** {K: {K: ... {K: leaf}}} 99 deep with one memoized key K of {@code keyBytes}. */
    private byte[] chain(int keyBytes, boolean tensorLeaf) {
        TestZips.PickleBytes p = pickle().str(repeat('k', keyBytes)).op('r', 0, 0, 0, 0, '0');
        int depth = 99;
        for (int i = 0; i < depth; i++) {
            p.op('}', 'j', 0, 0, 0, 0);
        }
        if (tensorLeaf) {
            p.floatTensor("0", 1, 0, new long[] {1}, new long[] {1});
        } else {
            p.op('N');
        }
        for (int i = 0; i < depth; i++) {
            p.op('s');
        }
        return p.op('.').bytes();
    }

    @Test
    @Timeout(10)
    void aDeepChainUnderOneHugeKeyNeverBuildsItsPath() throws Exception {
        Path named = zip("chain.pth", chain(8 << 20, true), TestZips.floats(1f));
        measure("chain-8MB-key-tensor", named, () -> {
            assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(named)))
                    .isInstanceOf(CheckpointFormatException.class)
                    .hasMessageContaining("a tensor at depth 99 has a name longer than " + TorchCheckpoint.MAX_NAME_CHARS);
            return null;
        });
        Path unnamed = zip("chain-none.pth", chain(8 << 20, false), new byte[0]);
        measure("chain-8MB-key-no-tensor", unnamed, () -> {
            assertThat(TorchCheckpoint.open(new LocalInputFile(unnamed)).tensors()).isEmpty();
            return null;
        });
    }

    @Test
    @Timeout(10)
    void aMemoFloodStaysLinear() throws Exception {
        // 8 MB of "{} memoized, popped": the most objects a pickle byte can keep alive
        int n = (8 << 20) / 3;
        TestZips.PickleBytes p = pickle();
        for (int i = 0; i < n; i++) {
            p.op('}', 0x94, '0');
        }
        Path file = zip("flood.pth", p.op(']', '.').bytes(), new byte[0]);
        measure("memo-flood-8MB", file, () -> {
            assertThat(TorchCheckpoint.open(new LocalInputFile(file)).tensors()).isEmpty();
            return null;
        });
    }

    @Test
    @Timeout(10)
    void aStrideZeroViewOfOneFloatIsRefusedUnlessAllowed() throws Exception {
        // a few hundred bytes claiming a 1 GiB tensor: 2^28 floats all viewing element 0
        byte[] p = pickle().op('}').str("w").floatTensor("0", 1, 0, new long[] {1 << 28}, new long[] {0}).op('s', '.').bytes();
        Path file = zip("broadcast.pth", p, TestZips.floats(3f));
        measure("stride0-1GiB", file, () -> {
            assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(file)))
                    .isInstanceOf(CheckpointFormatException.class)
                    .hasMessageContaining("tensor w: shape [268435456] stride [0] views 1073741824 bytes of F32 but its storage"
                            + " ckpt/data/0 holds 4")
                    .hasMessageContaining("pass --allow-broadcast-tensors to read it anyway");
            return null;
        });
        TensorRef allowed = TorchCheckpoint.open(new LocalInputFile(file), new ReadOptions(Set.of(), true)).tensors().get("w");
        assertThat(allowed.logicalBytes()).isEqualTo(1L << 30);
    }

    @Test
    @Timeout(10)
    void aMetaShardWithABroadcastEmbeddingIsRefused() throws Exception {
        // tok_embeddings [7.4 M, 64] as a stride-0 view of one 64-wide row: 948 MB of output from 256 bytes of storage
        byte[] p = pickle().op('}').str("tok_embeddings.weight")
                .floatTensor("0", 64, 0, new long[] {7_400_000, 64}, new long[] {0, 1}).op('s', '.').bytes();
        Path file = zip("consolidated.00.pth", p, TestZips.floats(new float[64]));
        measure("meta-shard-broadcast-vocab", file, () -> {
            assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(file)))
                    .isInstanceOf(CheckpointFormatException.class)
                    .hasMessageContaining("tensor tok_embeddings.weight: shape [7400000, 64] stride [0, 1] views 1894400000 bytes");
            return null;
        });
    }

    /** Runs {@code check}, printing the file size, wall time and the heap pools' peak (an upper bound) for the note. */
    static void measure(String label, Path file, Callable<Void> check) throws Exception {
        System.gc();
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            pool.resetPeakUsage();
        }
        long t0 = System.nanoTime();
        check.call();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        System.out.printf(Locale.ROOT, "hostile %s: %d KiB file, %d ms, peak heap %d MiB (max heap %d MiB)%n", label,
                java.nio.file.Files.size(file) >> 10, ms, peak >> 20, Runtime.getRuntime().maxMemory() >> 20);
    }
}
