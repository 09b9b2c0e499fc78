package io.easspark.loader.nativeformat;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.model.NativeLayout;
import io.easspark.engine.testing.Fixture;
import io.easspark.engine.testing.Npz;
import io.easspark.loader.convert.ImportedTensor;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A native directory written from the reference fixture loads through Hadoop's file: scheme and gives the reference logits. */
public class NativeModelDirectoryTest {

    static final double REFERENCE_TOLERANCE = 1e-4;

    /** The fixture's tensors as an import would offer them (fp32, native names, layout order). */
    static List<ImportedTensor> fixtureTensors(Fixture f) {
        List<ImportedTensor> out = new ArrayList<>();
        for (Map.Entry<String, long[]> e : NativeLayout.tensors(f.config()).entrySet()) {
            Npz.Array a = f.weightArrays().get(e.getKey());
            out.add(new ImportedTensor(e.getKey(), DType.F32, e.getValue(), "fixture", () -> {
                float[] v = a.floats();
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(v);
                return new TensorData(e.getKey(), DType.F32, e.getValue(), b);
            }));
        }
        return out;
    }

    public static Path writeFixtureModel(Fixture f, Path dir) throws IOException {
        NativeModelWriter.Written w = NativeModelWriter.write(dir, f.config(), fixtureTensors(f), null, (i, n, name, bytes) -> { });
        NativeModelWriter.verify(w);
        return dir;
    }

    @Test
    void writtenDirectoryLoadsAndReproducesTheReference(@TempDir Path tmp) throws Exception {
        Fixture f = Fixture.load("lavin_tiny");
        Path dir = writeFixtureModel(f, tmp.resolve("model"));
        NativeModelDirectory model = NativeModelDirectory.open(dir.toUri().toString(), new Configuration());
        assertThat(model.config().toJson()).isEqualTo(f.config().toJson());
        assertThat(model.weightBytes()).isGreaterThan(1_000_000);
        SkipPlan plan = SkipPlan.of(4, 1, 3);
        try (LavinModel m = model.load(plan, ReparamMode.LOWRANK, Device.cpu()); NDManager scope = m.newScope()) {
            for (int r = 0; r < f.rowCount(); r++) {
                float[] logits = new BatchGenerator(m).prefillForTest(List.of(f.row(r)), scope).logits().toFloatArray();
                assertClose("row " + r, logits, f.expected("some_r" + r + "_logits").floats(), REFERENCE_TOLERANCE);
            }
        }
    }

    @Test
    void missingPiecesAreNamed(@TempDir Path tmp) throws Exception {
        Configuration conf = new Configuration();
        assertThatThrownBy(() -> NativeModelDirectory.open(tmp.resolve("nope").toUri().toString(), conf))
                .hasMessageContaining("does not exist");
        Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> NativeModelDirectory.open(tmp.resolve("empty").toUri().toString(), conf))
                .hasMessageContaining("has no config.json");
        Path dir = writeFixtureModel(Fixture.load("pinned_tiny"), tmp.resolve("m"));
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> NativeModelDirectory.open(dir.toUri().toString(), conf))
                .hasMessageContaining("has no *.safetensors files");
    }

    @Test
    void verifyCatchesACorruptedTensor(@TempDir Path tmp) throws Exception {
        Fixture f = Fixture.load("pinned_tiny");
        NativeModelWriter.Written w = NativeModelWriter.write(tmp, f.config(), fixtureTensors(f), null, (i, n, name, b) -> { });
        byte[] bytes = Files.readAllBytes(tmp.resolve("model.safetensors"));
        bytes[bytes.length - 3] ^= 0x5A; // flip bits in the last tensor's data
        Files.write(tmp.resolve("model.safetensors"), bytes);
        assertThatThrownBy(() -> NativeModelWriter.verify(w)).hasMessageContaining("checksum differs");
        assertThat(Arrays.asList(w.shapes().keySet().toArray())).hasSize(NativeLayout.tensors(f.config()).size());
    }
}
