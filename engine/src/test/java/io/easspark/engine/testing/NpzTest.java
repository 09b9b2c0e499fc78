package io.easspark.engine.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NpzTest {

    private static final String[] IMAGES = {"down", "up", "nonsquare", "gray", "alpha"};

    @Test
    void readsPixelFixtureShapesAndDtypes() {
        Map<String, Npz.Array> arrays = Npz.readResource("/fixtures/pixels.npz");

        for (String name : IMAGES) {
            for (int size : new int[] {224, 56}) {
                Npz.Array a = arrays.get(name + "_" + size);
                assertThat(a).as(name + "_" + size).isNotNull();
                assertThat(a.dtype()).isEqualTo(Npz.Dtype.UINT8);
                assertThat(a.shape()).containsExactly(size, size, 3);
                assertThat(a.bytes()).hasSize(size * size * 3);
            }
        }
        Npz.Array norm = arrays.get("down_224_norm");
        assertThat(norm.dtype()).isEqualTo(Npz.Dtype.FLOAT32);
        assertThat(norm.shape()).containsExactly(3, 224, 224);
        assertThat(norm.floats()).hasSize(3 * 224 * 224);
    }

    @Test
    void parsesHandWrittenNpyOfEachDtype() {
        ByteBuffer f8 = le(16).putDouble(1.5).putDouble(-2.25);
        Npz.Array d = Npz.readNpy("d", npy("<f8", "(2,)", f8.array()), "mem");
        assertThat(d.shape()).containsExactly(2);
        assertThat(d.doubles()).containsExactly(1.5, -2.25);

        ByteBuffer i8 = le(24).putLong(7).putLong(-1).putLong(1L << 40);
        Npz.Array l = Npz.readNpy("l", npy("<i8", "(3, 1)", i8.array()), "mem");
        assertThat(l.shape()).containsExactly(3, 1);
        assertThat(l.longs()).containsExactly(7, -1, 1L << 40);

        ByteBuffer f4 = le(4).putFloat(0.1f);
        Npz.Array s = Npz.readNpy("s", npy("<f4", "()", f4.array()), "mem");
        assertThat(s.shape()).isEmpty();
        assertThat(s.floats()).containsExactly(0.1f);
        assertThat(s.doubles()).containsExactly((double) 0.1f);
    }

    @Test
    void rejectsWhatItCannotRead() {
        assertThatThrownBy(() -> Npz.readNpy("b", npy(">f4", "(1,)", new byte[4]), "mem"))
                .hasMessageContaining("array b in mem: unsupported dtype '>f4'");
        assertThatThrownBy(() -> Npz.readNpy("f", npy("<f4", "(1,)", new byte[4], true), "mem"))
                .hasMessageContaining("fortran_order");
        assertThatThrownBy(() -> Npz.readNpy("t", npy("<f4", "(2,)", new byte[4]), "mem"))
                .hasMessageContaining("needs 8 data bytes but found 4");
        assertThatThrownBy(() -> Npz.readNpy("u", npy("|u1", "(1,)", new byte[1]), "mem").floats())
                .hasMessageContaining("array u: expected dtype FLOAT32 but found UINT8");
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] npy(String descr, String shape, byte[] data) {
        return npy(descr, shape, data, false);
    }

    /** A version 1.0 .npy as numpy writes it: header padded with spaces to a multiple of 64. */
    private static byte[] npy(String descr, String shape, byte[] data, boolean fortran) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False")
                + ", 'shape': " + shape + ", }";
        int pad = 64 - (10 + dict.length() + 1) % 64;
        String header = dict + " ".repeat(pad % 64) + "\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.writeBytes(le(2).putShort((short) header.length()).array());
        out.writeBytes(header.getBytes(StandardCharsets.ISO_8859_1));
        out.writeBytes(data);
        return out.toByteArray();
    }
}
