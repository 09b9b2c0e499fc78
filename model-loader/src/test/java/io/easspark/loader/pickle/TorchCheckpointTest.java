package io.easspark.loader.pickle;

import static io.easspark.loader.pickle.PickleReaderTest.list;
import static io.easspark.loader.pickle.PickleReaderTest.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every fixture written by tools/reference/make_pth_fixtures.py (torch 1.13) reads back bit-exact against the values
 * torch itself wrote into the sidecar {@code *.expected.json}; malformed archives fail with the file and the cause.
 */
class TorchCheckpointTest {

    @TempDir
    Path dir;

    static Path fixture(String name) {
        try {
            return Path.of(TorchCheckpointTest.class.getResource("/pth/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing test resource pth/" + name, e);
        }
    }

    static TorchCheckpoint open(String name) throws IOException {
        return TorchCheckpoint.open(new LocalInputFile(fixture(name)));
    }

    @Test
    @Timeout(10)
    void everyTensorMatchesTorch() throws IOException {
        TorchCheckpoint checkpoint = open("tensors.pth");
        JsonObject expected = sidecar("tensors.pth");
        assertThat(checkpoint.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
        assertMatches(checkpoint, expected);
        assertThat(checkpoint.tensors().keySet()).contains("nested.inner.w", "ordered.b", "state_dict.weight", "list.0", "tuple.2",
                "int_keys.0", "scalar", "empty");
        assertThat(checkpoint.tensors().get("scalar").shape()).isEmpty();
        assertThat(checkpoint.tensors().get("empty").read().elements()).isZero();
    }

    @Test
    @Timeout(10)
    void nonContiguousViewsAreGathered() throws IOException {
        Map<String, TensorRef> tensors = open("tensors.pth").tensors();
        TensorRef transposed = tensors.get("transposed");
        TensorRef sliced = tensors.get("sliced");
        assertThat(transposed.isContiguous()).isFalse();
        assertThat(transposed.shape()).containsExactly(4, 3);
        assertThat(transposed.stride()).containsExactly(1, 4);
        assertThat(sliced.storageKey()).as("both view one storage").isEqualTo(transposed.storageKey());
        assertThat(sliced.storageOffset()).isEqualTo(4);
        assertThat(sliced.stride()).containsExactly(4, 2);
        float[] base = new float[12]; // the saved storage, row-major [3, 4]
        float[] t = transposed.read().toFloats();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 3; j++) {
                base[j * 4 + i] = t[i * 3 + j];
            }
        }
        assertThat(sliced.read().toFloats()).containsExactly(base[4], base[6], base[8], base[10]);
    }

    @Test
    @Timeout(10)
    void containersKeepTheirStructure() throws IOException {
        Map<Object, Object> root = map(open("tensors.pth").root());
        List<Object> list = list(root.get("list"));
        assertThat(list).isInstanceOf(ArrayList.class).hasSize(5);
        assertThat(list.get(0)).isInstanceOf(TensorRef.class);
        assertThat(list.subList(1, 5)).containsExactly("text", 7L, null, true);
        List<Object> tuple = list(root.get("tuple"));
        assertThat(tuple).isNotInstanceOf(ArrayList.class).hasSize(3);
        assertThat(tuple.subList(0, 2)).containsExactly(1L, 2.5);
        assertThat(map(root.get("ordered")).keySet()).containsExactly("b", "a");
        assertThat(map(root.get("ordered")).get("a")).isEqualTo(1.5);
        assertThat(map(root.get("int_keys")).keySet()).containsExactly(0L, 1L);
        assertThat(map(root.get("state_dict")).keySet()).containsExactly("weight", "bias");
        assertThat(map(root.get("nested")).get("n")).isEqualTo(3L);
        assertThat(root.get("big")).isEqualTo(BigInteger.TWO.pow(70));
        assertThat(root.get("neg")).isEqualTo(-5L);
        assertThat(root.get("float")).isEqualTo(0.1);
    }

    @Test
    @Timeout(10)
    void adapterCheckpointKeepsItsKeysUnmapped() throws IOException {
        TorchCheckpoint checkpoint = open("eas_adapter.pth");
        JsonObject expected = sidecar("eas_adapter.pth");
        assertThat(checkpoint.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
        assertMatches(checkpoint, expected);
        TensorRef convA = checkpoint.tensors().get("model.module.layers.0.adapter_attn.conv_A.weight");
        assertThat(convA.shape()).containsExactly(8, 16, 1);
        assertThat(convA.dtype()).isEqualTo(DType.F32);
        assertThat(checkpoint.tensors().get("model.module.adapter_modality_embedding.weight").dtype()).isEqualTo(DType.F16);
    }

    @Test
    @Timeout(10)
    void metaShardsMatchTorch() throws IOException {
        for (String shard : List.of("meta_shards/consolidated.00.pth", "meta_shards/consolidated.01.pth")) {
            TorchCheckpoint checkpoint = open(shard);
            JsonObject expected = sidecar(shard);
            assertThat(checkpoint.tensors().keySet()).containsExactlyElementsOf(expected.keySet());
            assertMatches(checkpoint, expected);
            assertThat(checkpoint.tensors().get("tok_embeddings.weight").shape()).containsExactly(16, 4);
            assertThat(checkpoint.tensors().get("layers.0.attention.wq.weight").shape()).containsExactly(4, 8);
            assertThat(checkpoint.tensors().get("rope.freqs").dtype()).isEqualTo(DType.F16);
        }
        assertThat(fixture("meta_shards/params.json")).exists();
    }

    @Test
    @Timeout(10)
    void torchScriptArchiveYieldsNamedParameters() throws IOException {
        TorchCheckpoint checkpoint = TorchCheckpoint.openTorchScript(new LocalInputFile(fixture("vit_tiny.pt")));
        JsonObject expected = sidecar("vit_tiny.pt");
        assertThat(checkpoint.tensors().keySet()).containsAll(expected.keySet());
        assertMatches(checkpoint, expected);
        assertThat(checkpoint.tensors().get("visual.conv1.weight").shape()).containsExactly(8, 3, 2, 2);
        assertThat(checkpoint.tensors().get("visual.conv1.weight").dtype()).isEqualTo(DType.F16);
        assertThat(checkpoint.tensors().get("visual.class_embedding").dtype()).isEqualTo(DType.F32);
        assertThat(checkpoint.tensors().get("visual.transformer.resblocks.1.attn.in_proj_weight").shape()).containsExactly(24, 8);
        PickleReader.ScriptObject clip = (PickleReader.ScriptObject) checkpoint.root();
        assertThat(clip.className()).isEqualTo("__torch__.Clip");
        PickleReader.ScriptObject visual = (PickleReader.ScriptObject) clip.attributes().get("visual");
        assertThat(visual.className()).isEqualTo("__torch__.VisionTransformer");
        assertThat(visual.attributes()).containsEntry("training", false);
    }

    @Test
    @Timeout(10)
    void torchScriptArchiveIsRefusedAsAPlainCheckpoint() {
        assertThatThrownBy(() -> open("vit_tiny.pt"))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("imports __torch__.Clip, which is not on the allow-list")
                .hasMessageContaining("openTorchScript");
    }

    @Test
    @Timeout(10)
    void truncatedCheckpointSaysTruncated() {
        assertThatThrownBy(() -> open("truncated.pth"))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(fixture("truncated.pth").toString())
                .hasMessageContaining("no end-of-central-directory record")
                .hasMessageContaining("truncated");
    }

    @Test
    @Timeout(10)
    void entryPastTheEndOfTheFileIsRefused() {
        assertThatThrownBy(() -> open("entry_past_eof.pth"))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining(fixture("entry_past_eof.pth").toString())
                .hasMessageContaining("zip entry tensors/data/0 claims")
                .hasMessageContaining("past the central directory");
    }

    // ---------------------------------------------------------------------------------------- hand-built archives

    private static byte[] oneTensor(String name, long numel, long offset, long[] shape, long[] stride) {
        return new TestZips.PickleBytes().proto().op('}').str(name).floatTensor("0", numel, offset, shape, stride).op('s', '.').bytes();
    }

    private Path torchZip(String file, byte[] pickle, byte[] storage, boolean zip64) throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("ckpt/data.pkl", pickle);
        entries.put("ckpt/data/0", storage);
        entries.put("ckpt/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        return TestZips.write(dir.resolve(file), entries, zip64);
    }

    @Test
    @Timeout(10)
    void zip64CheckpointOpens() throws IOException {
        Path zip = torchZip("z64.pth", oneTensor("w", 4, 1, new long[] {3}, new long[] {1}), TestZips.floats(0f, 1f, 2f, 3f), true);
        TensorRef w = TorchCheckpoint.open(new LocalInputFile(zip)).tensors().get("w");
        assertThat(w.read().toFloats()).containsExactly(1f, 2f, 3f);
    }

    @Test
    @Timeout(10)
    void tensorOverrunningItsStorageIsNamed() throws IOException {
        Path zip = torchZip("overrun.pth", oneTensor("layers.0.w", 2, 1, new long[] {2, 2}, new long[] {2, 1}), TestZips.floats(0f, 1f),
                false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessage("tensor layers.0.w: shape [2, 2] stride [2, 1] at storage offset 1 needs 20 bytes of F32 storage ckpt/data/0"
                        + " but it holds 8 in " + zip);
    }

    @Test
    @Timeout(10)
    void storageSmallerThanItsPersistentIdSaysIsRefused() throws IOException {
        Path zip = torchZip("short.pth", oneTensor("w", 3, 0, new long[] {2}, new long[] {1}), TestZips.floats(0f, 1f), false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("storage 0 holds 3 F32 elements (12 bytes) by data.pkl but its entry ckpt/data/0 has 8 bytes");
    }

    @Test
    @Timeout(10)
    void missingStorageEntryIsNamed() throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("ckpt/data.pkl", oneTensor("w", 2, 0, new long[] {2}, new long[] {1}));
        Path zip = TestZips.write(dir.resolve("nostorage.pth"), entries, false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("data.pkl references storage 0 but there is no zip entry ckpt/data/0");
    }

    @Test
    @Timeout(10)
    void deflatedPickleIsReadButCompressedStoragesAreRefused() throws IOException {
        byte[] pickle = oneTensor("w", 2, 0, new long[] {2}, new long[] {1});
        Path ok = dir.resolve("deflated_pickle.pth");
        writeJdkZip(ok, pickle, TestZips.floats(5f, 6f), false);
        assertThat(TorchCheckpoint.open(new LocalInputFile(ok)).tensors().get("w").read().toFloats()).containsExactly(5f, 6f);

        Path bad = dir.resolve("deflated_storage.pth");
        writeJdkZip(bad, pickle, TestZips.floats(5f, 6f), true);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(bad)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("storage entry ckpt/data/0 uses compression method 8; torch writes storages uncompressed");
    }

    private static void writeJdkZip(Path path, byte[] pickle, byte[] storage, boolean deflateStorage) throws IOException {
        try (OutputStream os = Files.newOutputStream(path); ZipOutputStream z = new ZipOutputStream(os)) {
            z.putNextEntry(new ZipEntry("ckpt/data.pkl"));
            z.write(pickle);
            z.closeEntry();
            ZipEntry data = new ZipEntry("ckpt/data/0");
            if (!deflateStorage) {
                CRC32 crc = new CRC32();
                crc.update(storage);
                data.setMethod(ZipEntry.STORED);
                data.setSize(storage.length);
                data.setCompressedSize(storage.length);
                data.setCrc(crc.getValue());
            }
            z.putNextEntry(data);
            z.write(storage);
            z.closeEntry();
        }
    }

    @Test
    @Timeout(10)
    void bigEndianCheckpointIsRefused() throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("ckpt/data.pkl", oneTensor("w", 1, 0, new long[] {1}, new long[] {1}));
        entries.put("ckpt/byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        entries.put("ckpt/data/0", TestZips.floats(1f));
        Path zip = TestZips.write(dir.resolve("big.pth"), entries, false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("ckpt/byteorder says 'big'; only little-endian checkpoints can be read");
    }

    @Test
    @Timeout(10)
    void aListThatContainsItselfIsRefused() throws IOException {
        byte[] pickle = new TestZips.PickleBytes().proto().op(']', 'q', 0, 'h', 0, 'a', '.').bytes();
        Path zip = torchZip("cycle.pth", pickle, new byte[0], false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("values nest more than " + TorchCheckpoint.MAX_NESTING + " levels deep")
                .hasMessageContaining("a container that contains itself?");
    }

    @Test
    @Timeout(10)
    void exponentiallySharedContainersAreBounded() throws IOException {
        // l0 = []; l(i+1) = [l(i), l(i)]: 2^40 paths through 41 small lists
        TestZips.PickleBytes p = new TestZips.PickleBytes().proto().op(']', 'q', 0);
        for (int i = 1; i <= 40; i++) {
            p.op(']', '(', 'h', i - 1, 'h', i - 1, 'e', 'q', i);
        }
        Path zip = torchZip("dag.pth", p.op('.').bytes(), new byte[0], false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("naming its tensors takes more than")
                .hasMessageContaining("exponentially many paths");
    }

    @Test
    @Timeout(10)
    void noDataPklMeansNotACheckpoint() throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("readme.txt", "hi".getBytes(StandardCharsets.US_ASCII));
        Path zip = TestZips.write(dir.resolve("other.zip"), entries, false);
        assertThatThrownBy(() -> TorchCheckpoint.open(new LocalInputFile(zip)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("no <archive>/data.pkl entry among its 1 zip entries");
    }

    // ---------------------------------------------------------------------------------------- sidecar comparison

    static JsonObject sidecar(String name) throws IOException {
        return JsonParser.parseString(Files.readString(fixture(name + ".expected.json"))).getAsJsonObject();
    }

    /** Each sidecar tensor has the same dtype, shape and bit-identical values in the checkpoint. */
    static void assertMatches(TorchCheckpoint checkpoint, JsonObject expected) throws IOException {
        for (String name : expected.keySet()) {
            JsonObject e = expected.getAsJsonObject(name);
            TensorRef ref = checkpoint.tensors().get(name);
            assertThat(ref).as(name).isNotNull();
            TensorData data = ref.read();
            assertThat(data.dtype().safetensorsName()).as(name).isEqualTo(e.get("dtype").getAsString());
            long[] shape = new long[e.getAsJsonArray("shape").size()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = e.getAsJsonArray("shape").get(i).getAsLong();
            }
            assertThat(data.shape()).as(name).containsExactly(shape);
            assertThat(bits(data)).as(name + " values").containsExactly(bits(data.dtype(), e.getAsJsonArray("values")));
        }
    }

    /** The values as raw bit patterns (floats compared bit for bit, so -0.0 and subnormals count). */
    private static long[] bits(TensorData data) {
        int n = Math.toIntExact(data.elements());
        long[] out = new long[n];
        ByteBuffer b = data.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        float[] floats = data.dtype() == DType.F32 || data.dtype() == DType.F16 || data.dtype() == DType.BF16 ? data.toFloats() : null;
        for (int i = 0; i < n; i++) {
            out[i] = switch (data.dtype()) {
                case F32, F16, BF16 -> Float.floatToRawIntBits(floats[i]);
                case F64 -> Double.doubleToRawLongBits(b.getDouble(i * 8));
                case I64 -> b.getLong(i * 8);
                case I32 -> b.getInt(i * 4);
                case I16 -> b.getShort(i * 2);
                case I8, BOOL -> b.get(i);
                case U8 -> b.get(i) & 0xFF;
            };
        }
        return out;
    }

    private static long[] bits(DType dtype, JsonArray values) {
        long[] out = new long[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (dtype) {
                case F32, F16, BF16 -> Float.floatToRawIntBits((float) values.get(i).getAsDouble());
                case F64 -> Double.doubleToRawLongBits(values.get(i).getAsDouble());
                default -> values.get(i).getAsLong();
            };
        }
        return out;
    }
}
