package io.easspark.loader.convert;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelWriter;
import io.easspark.loader.pickle.TorchCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's reference fixture saved in the original layouts (tools/reference/make_import_fixtures.py: Meta's two
 * shards, the EAS adapter checkpoint, a CLIP TorchScript archive) → import → native directory → the reference's
 * logits within 1e-4.
 */
class EndToEndImportTest {

    static final double REFERENCE_TOLERANCE = 1e-4;

    static Path resource(String name) throws Exception {
        return Path.of(EndToEndImportTest.class.getResource("/import/lavin_tiny/" + name).toURI());
    }

    static LavinImport.Result plan(String skipPlan) throws Exception {
        List<CheckpointTensors> shards = new ArrayList<>();
        for (String s : new String[] {"consolidated.00.pth", "consolidated.01.pth"}) {
            shards.add(new TorchCheckpointTensors(TorchCheckpoint.open(new LocalInputFile(resource(s)))));
        }
        MetaLlamaImport meta = new MetaLlamaImport(Files.readString(resource("params.json")), shards);
        EasAdapterImport adapters = new EasAdapterImport(new TorchCheckpointTensors(TorchCheckpoint.open(new LocalInputFile(resource("eas_adapter.pth")))));
        ClipImport clip = new ClipImport(new TorchCheckpointTensors(TorchCheckpoint.openTorchScript(new LocalInputFile(resource("clip_tiny.pt")))));
        return LavinImport.plan(meta, adapters, clip, 64, 2, 16, skipPlan); // the tiny tower has 2 heads of 16
    }

    @Test
    void importedModelReproducesTheReference(@TempDir Path tmp) throws Exception {
        Fixture f = Fixture.load("lavin_tiny");
        LavinImport.Result r = plan("1,3");
        assertThat(r.config().text()).isEqualTo(f.config().text());
        assertThat(r.config().adapter()).isEqualTo(f.config().adapter());
        assertThat(r.config().vision().imageSize()).isEqualTo(f.config().vision().imageSize());
        assertThat(r.config().vision().tapEvery()).isEqualTo(f.config().vision().tapEvery());
        assertThat(r.plan().unused()).isEmpty(); // unknown adapter keys, ln_post and the text tower are dropped by name
        NativeModelWriter.Written w = NativeModelWriter.write(tmp, r.config(), r.plan().tensors(), null, (i, n, name, b) -> { });
        NativeModelWriter.verify(w);
        NativeModelDirectory dir = NativeModelDirectory.open(tmp.toUri().toString(), new Configuration());
        assertThat(dir.storedPlan().toString()).isEqualTo("1,3");
        try (LavinModel m = dir.load(dir.storedPlan(), ReparamMode.LOWRANK, Device.cpu()); NDManager scope = m.newScope()) {
            for (int row = 0; row < f.rowCount(); row++) {
                float[] logits = new BatchGenerator(m).prefillForTest(List.of(f.row(row)), scope).logits().toFloatArray();
                assertClose("row " + row, logits, f.expected("some_r" + row + "_logits").floats(), REFERENCE_TOLERANCE);
            }
        }
    }

    @Test
    void aPlanForLayersTheModelLacksFailsBeforeAnyByteIsConverted() {
        assertThatThrownBy(() -> plan("19,21-31")).hasMessageContaining("skip plan names layer 19 but the model has layers 0-3");
    }
}
