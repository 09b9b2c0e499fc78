package io.easspark.loader.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.meter.MeterConfig;
import io.easspark.engine.meter.MeterLayout;
import io.easspark.engine.meter.MeterModel;
import io.easspark.engine.meter.MeterSkipSet;
import io.easspark.engine.model.WeightSource;
import io.easspark.engine.testing.Npz;
import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.pickle.TorchCheckpoint;
import io.easspark.loader.tensor.DType;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A METER-EAS state_dict written by torch.save (plain dict, original names and Conv1d shapes, plus tensors inference
 * never reads; tools/reference/make_meter_fixtures.py) imported into the native layout: the inferred config, the
 * unused tensors, and the engine's VQA logits and ITM scores on the imported weights against the float64 reference.
 */
class MeterImportTest {

    static final double REFERENCE_TOLERANCE = 1e-4;
    static final int HEAD_DIM = 8;
    static final int MAX_TEXT_LEN = 6;

    static Path resource(String name) throws Exception {
        return Paths.get(MeterImportTest.class.getResource("/meter/" + name).toURI());
    }

    static CheckpointTensors checkpoint() throws Exception {
        return new TorchCheckpointTensors(TorchCheckpoint.open(new LocalInputFile(resource("meter_state_dict.pth"))));
    }

    static WeightSource source(List<ImportedTensor> tensors) {
        Map<String, ImportedTensor> byName = new LinkedHashMap<>();
        tensors.forEach(t -> byName.put(t.name(), t));
        return new WeightSource() {
            @Override
            public long[] shape(String name) {
                ImportedTensor t = byName.get(name);
                return t == null ? null : t.shape();
            }

            @Override
            public NDArray load(String name, NDManager manager) {
                try {
                    TensorData d = byName.get(name).produce();
                    return manager.create(d.toFloats(), new Shape(d.shape()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public String describe() {
                return "imported meter_state_dict.pth";
            }
        };
    }

    @Test
    void importedWeightsReproduceTheReference() throws Exception {
        MeterImport.Result r = MeterImport.plan(checkpoint(), HEAD_DIM, MAX_TEXT_LEN);
        MeterConfig expected = MeterConfig.fromJson(Files.readString(resource("meter_state_dict.config.json")));
        assertThat(r.config()).isEqualTo(expected);
        assertThat(MeterConfig.fromJson(r.config().toJson())).isEqualTo(expected);
        assertThat(r.tensors()).hasSize(MeterLayout.tensors(expected, new MeterLayout.Heads(true, false, true)).size());
        assertThat(r.unused()).contains("text_transformer.embeddings.position_ids", "text_transformer.pooler.dense.weight",
                "vit_model.ln_final.weight", "itm_score.fc.weight",
                "cross_modal_text_layers.0.adapter_self_attn.conv_D.weight",
                "cross_modal_image_layers.5.attention.adapter.expert_weights.weight");
        // a squeezed conv weight keeps its values
        ImportedTensor convB = r.tensors().stream()
                .filter(t -> t.name().equals("cross_modal_text_layers.0.adapter_cross_attn.conv_B.weight")).findFirst().orElseThrow();
        assertThat(convB.shape()).containsExactly(16, 3);
        assertThat(convB.produce().shape()).containsExactly(16, 3);

        Map<String, Npz.Array> exp = Npz.read(resource("meter_state_dict.expected.npz"));
        long[] flat = exp.get("ids").longs();
        long[][] ids = {Arrays.copyOfRange(flat, 0, MAX_TEXT_LEN), Arrays.copyOfRange(flat, MAX_TEXT_LEN, 2 * MAX_TEXT_LEN)};
        try (MeterModel model = MeterModel.load(r.config(), source(r.tensors()), Device.cpu())) {
            System.gc();
            assertThat(model.hasVqaHead()).isTrue();
            assertThat(model.hasNlvr2Head()).isFalse();
            assertThat(model.hasItmHead()).isTrue();
            for (String set : new String[] {"none", "default"}) {
                MeterSkipSet skips = set.equals("none") ? MeterSkipSet.none(6)
                        : MeterSkipSet.of(6, MeterSkipSet.PAPER_DEFAULT, MeterSkipSet.IndexMapping.INTENDED);
                try (NDManager scope = model.newScope()) {
                    Npz.Array px = exp.get("pixels");
                    NDArray pixels = scope.create(px.floats(), new Shape(2, 3, 32, 32));
                    MeterModel.Fusion fusion = model.fuse(ids, pixels, MeterModel.TYPE_IMAGE, skips, scope);
                    assertClose(set + " VQA", model.vqaLogits(fusion.pooled()).toFloatArray(), exp.get(set + "_vqa").floats());
                    assertClose(set + " ITM", model.itmScore(fusion.pooled()).toFloatArray(), exp.get(set + "_itm").floats());
                }
            }
            assertThatThrownBy(() -> model.nlvr2Logits(null, null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no NLVR2 head (nlvr2_classifier.* is not in its weights)");
        }
    }

    @Test
    void aWrongShapeNamesTensorExpectedFoundAndFile() throws Exception {
        CheckpointTensors real = checkpoint();
        String bad = "cross_modal_image_layers.3.crossattention.self.key.weight";
        CheckpointTensors tampered = new CheckpointTensors() {
            public Set<String> names() {
                return real.names();
            }

            public long[] shape(String name) {
                return name.equals(bad) ? new long[] {16, 15} : real.shape(name);
            }

            public DType dtype(String name) {
                return real.dtype(name);
            }

            public TensorData read(String name) throws IOException {
                return real.read(name);
            }

            public String location() {
                return real.location();
            }
        };
        assertThatThrownBy(() -> MeterImport.plan(tampered, HEAD_DIM, MAX_TEXT_LEN))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tensor " + bad + ": expected [16, 16] but found [16, 15] in ")
                .hasMessageContaining("meter_state_dict.pth");
        assertThatThrownBy(() -> MeterImport.plan(real, 5, MAX_TEXT_LEN))
                .hasMessageContaining("--head-dim 5 does not divide the text width 16");
    }

    private static void assertClose(String what, float[] actual, float[] expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < actual.length; i++) {
            assertThat((double) Math.abs(actual[i] - expected[i])).as("%s [%d]", what, i).isLessThanOrEqualTo(REFERENCE_TOLERANCE);
        }
    }
}
