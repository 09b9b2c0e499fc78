package io.easspark.loader.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pickle machine on hand-written opcodes: values, memo, bounds, and refusals. */
class PickleReaderTest {

    private static Object read(byte[] pickle, PickleReader.Mode mode) throws IOException {
        PickleReader.StorageResolver none = (key, dtype, numel) -> {
            throw new AssertionError("no storages in this test");
        };
        return new PickleReader("test.pth", "archive/data.pkl", pickle, mode, none).read();
    }

    private static Object read(byte[] pickle) throws IOException {
        return read(pickle, PickleReader.Mode.TORCH_SAVE);
    }

    private static TestZips.PickleBytes pickle() {
        return new TestZips.PickleBytes().proto();
    }

    @Test
    @Timeout(10)
    void readsPrimitives() throws IOException {
        byte[] p = pickle().op(']', '(')
                .op('K', 200) // BININT1
                .op('M', 0x34, 0x12) // BININT2
                .integer(-7) // BININT
                .op(0x8a, 0) // LONG1 of zero bytes
                .op(0x8a, 2, 0x00, 0x80) // LONG1 -32768
                .op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1) // LONG1 2^64
                .op('G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // BINFLOAT 1.5
                .op(0x8c, 2, 'h', 'i') // SHORT_BINUNICODE
                .str("π") // BINUNICODE, UTF-8
                .op('C', 2, 1, 2) // SHORT_BINBYTES
                .op(0x88, 0x89, 'N')
                .op('e', '.').bytes();
        assertThat(list(read(p))).containsExactly(200L, 0x1234L, -7L, 0L, -32768L, BigInteger.ONE.shiftLeft(64), 1.5, "hi", "π",
                new byte[] {1, 2}, true, false, null);
    }

    @Test
    @Timeout(10)
    void buildsDictsTuplesAndSharesMemoizedValues() throws IOException {
        byte[] p = pickle().op('}', 'q', 0, '(')
                .str("t").op('K', 1, 'K', 2, 0x86, 'q', 1) // ("t", (1, 2)) memo 1
                .str("again").op('h', 1) // BINGET 1
                .str("list").op(']', 0x94, 'K', 3, 'a') // MEMOIZE then APPEND
                .op('u')
                .str("ordered").global("collections", "OrderedDict").op(')', 'R')
                .str("k").op('K', 9, 's', 's') // OrderedDict()['k'] = 9, then outer['ordered'] = it
                .op('.').bytes();
        Map<Object, Object> root = map(read(p));
        assertThat(root).containsOnlyKeys("t", "again", "list", "ordered");
        assertThat(list(root.get("t"))).containsExactly(1L, 2L);
        assertThat(root.get("again")).isSameAs(root.get("t"));
        assertThat(list(root.get("list"))).containsExactly(3L);
        assertThat(map(root.get("ordered"))).containsEntry("k", 9L);
        assertThatThrownBy(() -> list(root.get("t")).add(3L)).as("tuples are immutable")
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @Timeout(10)
    void acceptsProtocol4Frames() throws IOException {
        byte[] body = {(byte) 0x8c, 1, 'x', (byte) 0x94, '.'};
        byte[] p = new byte[2 + 9 + body.length];
        p[0] = (byte) 0x80;
        p[1] = 4;
        p[2] = (byte) 0x95;
        p[3] = (byte) body.length;
        System.arraycopy(body, 0, p, 11, body.length);
        assertThat(read(p)).isEqualTo("x");
    }

    @Test
    @Timeout(10)
    void torchScriptClassesBecomeInertObjects() throws IOException {
        byte[] p = pickle().global("__torch__.torch.nn.modules.linear", "Linear").op(')', 0x81, '}', '(')
                .str("training").op(0x88)
                .str("sizes").global("torch.jit._pickle", "build_intlist").op('(', ']', '(', 'K', 1, 'K', 2, 'e', 't', 'R')
                .op('u', 'b', '.').bytes();
        PickleReader.ScriptObject linear = (PickleReader.ScriptObject) read(p, PickleReader.Mode.TORCHSCRIPT);
        assertThat(linear.className()).isEqualTo("__torch__.torch.nn.modules.linear.Linear");
        assertThat(linear.attributes()).containsEntry("training", true).containsEntry("sizes", List.of(1L, 2L));

        assertThatThrownBy(() -> read(p, PickleReader.Mode.TORCH_SAVE))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("offset 2 imports __torch__.torch.nn.modules.linear.Linear, which is not on the allow-list")
                .hasMessageContaining("open it with TorchCheckpoint.openTorchScript");
    }

    @Test
    @Timeout(10)
    void torchScriptClassesCannotBeCalled() {
        byte[] p = pickle().global("__torch__", "Evil").str("x").op(0x85, 'R', '.').bytes();
        assertThatThrownBy(() -> read(p, PickleReader.Mode.TORCHSCRIPT))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("calls __torch__.Evil, which is not on the allow-list");
    }

    @Test
    @Timeout(10)
    void storageTypesCannotBeCalled() {
        byte[] p = pickle().global("torch", "FloatStorage").op(')', 'R', '.').bytes();
        assertThatThrownBy(() -> read(p))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("offset 23 calls torch.FloatStorage, which is not on the allow-list");
    }

    @Test
    @Timeout(10)
    void refusalsNameFileOffsetAndGlobal() {
        byte[] p = pickle().op('}', '(').str("a").op('K', 1)
                .global("os", "system").str("rm -rf /").op(0x85, 'R', 'u', '.').bytes();
        assertThatThrownBy(() -> read(p))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessage("refusing to load test.pth: archive/data.pkl offset 12 imports os.system, which is not on the allow-list"
                        + " (only tensors, storages, dicts, lists, tuples, primitives and plain data (" + PickleGlobals.INERT_CLASSES
                        + ") are read) and can run code: it is never read, whatever --allow-global says")
                .satisfies(e -> {
                    assertThat(((UnsafePickleException) e).refused()).isEqualTo("os.system");
                    assertThat(((UnsafePickleException) e).offset()).isEqualTo(12);
                });
    }

    @Test
    @Timeout(10)
    void unknownOpcodesAreRefused() {
        assertThatThrownBy(() -> read(pickle().op(0xfe).bytes()))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("offset 2 has opcode 0xfe unknown, which is not on the allow-list");
        assertThatThrownBy(() -> read(pickle().op('(').op('i').bytes()))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("offset 3 has opcode 0x69 INST");
    }

    @Test
    @Timeout(10)
    void malformedPicklesFailWithOffsets() {
        assertThatThrownBy(() -> read(pickle().op('K', 1).bytes()))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessage("test.pth: archive/data.pkl offset 2: the pickle ends after 4 bytes without a STOP opcode (truncated?)");
        assertThatThrownBy(() -> read(pickle().op('X', 0xff, 0xff, 0xff, 0x7f, 'a', '.').bytes()))
                .hasMessageContaining("offset 2: length 2147483647 runs past the end of the pickle (2 bytes left)");
        assertThatThrownBy(() -> read(pickle().op('a', '.').bytes()))
                .hasMessageContaining("offset 2: stack underflow");
        assertThatThrownBy(() -> read(pickle().op('h', 5, '.').bytes()))
                .hasMessageContaining("offset 2: memo has no entry 5");
        assertThatThrownBy(() -> read(pickle().op('e', '.').bytes()))
                .hasMessageContaining("no MARK to pop to");
        assertThatThrownBy(() -> read(pickle().op(0x80, 9, '.').bytes()))
                .hasMessageContaining("pickle protocol 9 is not supported");
        assertThatThrownBy(() -> read(pickle().op('c', 'o', 's').bytes()))
                .hasMessageContaining("GLOBAL name has no newline within 1024 bytes");
        assertThatThrownBy(() -> read(pickle().op(0x8c, 2, 0xc3, 0x28, '.').bytes()))
                .hasMessageContaining("string of 2 bytes is not valid UTF-8");
        assertThatThrownBy(() -> read(pickle().op(')', 'N', 'a', '.').bytes()))
                .hasMessageContaining("APPEND needs a list below its items, found tuple of 0");
    }

    @Test
    @Timeout(10)
    void unhashableDictKeysAreRefused() {
        // d = {}; l = []; d[l] = 1 -- Python itself refuses; a cyclic key could otherwise hang hashing
        byte[] p = pickle().op('}', ']', 'K', 1, 's', '.').bytes();
        assertThatThrownBy(() -> read(p))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("dict key must be a str, int, float, bool, None or a tuple of them, found list of 0");
    }

    @Test
    @Timeout(10)
    void persistentIdsMustBeStorageTuples() {
        byte[] p = pickle().str("not a storage").op('Q', '.').bytes();
        assertThatThrownBy(() -> read(p))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("persistent id must be ('storage', torch.<Type>Storage, key, location, numel), found str 'not a storage'");
    }

    @Test
    @Timeout(10)
    void stackDepthIsBounded() {
        TestZips.PickleBytes p = pickle();
        for (int i = 0; i <= PickleReader.MAX_STACK; i++) {
            p.op('N');
        }
        assertThatThrownBy(() -> read(p.op('.').bytes()))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("stack grows past " + PickleReader.MAX_STACK + " entries");
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object value) {
        return (List<Object>) value;
    }

    @SuppressWarnings("unchecked")
    static Map<Object, Object> map(Object value) {
        return (Map<Object, Object>) value;
    }
}
