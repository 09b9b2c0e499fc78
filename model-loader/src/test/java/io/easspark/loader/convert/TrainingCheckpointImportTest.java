package io.easspark.loader.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.pickle.TorchCheckpoint;
import io.easspark.loader.tensor.TensorData;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The adapter weights saved three ways (tools/reference: eas_adapter.pth, LaVIN's save_model checkpoint-4.pth, a
 * Lightning lightning.ckpt) import to the same native tensors, byte for byte; and the plan's output is bounded by
 * its input files.
 */
class TrainingCheckpointImportTest {

    private static Map<String, byte[]> adapterTensors(String file) throws Exception {
        TorchCheckpoint c = TorchCheckpoint.open(new LocalInputFile(EndToEndImportTest.resource(file)));
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (ImportedTensor t : new EasAdapterImport(new TorchCheckpointTensors(c)).tensors()) {
            TensorData d = t.produce();
            ByteBuffer b = d.data().duplicate();
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            out.put(t.name() + " " + d.dtype() + java.util.Arrays.toString(d.shape()), bytes);
        }
        return out;
    }

    @Test
    void everySavedFormOfTheAdapterImportsBitExact() throws Exception {
        Map<String, byte[]> reference = adapterTensors("eas_adapter.pth");
        assertThat(reference).containsKey("layers.0.adapter_attn.conv_A.weight F32[8, 64]");
        for (String file : List.of("checkpoint-4.pth", "lightning.ckpt")) {
            Map<String, byte[]> got = adapterTensors(file);
            assertThat(got.keySet()).as(file).containsExactlyInAnyOrderElementsOf(reference.keySet());
            for (String name : reference.keySet()) {
                assertThat(got.get(name)).as(file + " " + name).isEqualTo(reference.get(name));
            }
        }
    }

    @Test
    void theOutputIsBoundedByTheInputFiles() throws Exception {
        ImportPlan plan = EndToEndImportTest.plan("1,3").plan();
        long inputs = 0;
        for (String f : List.of("consolidated.00.pth", "consolidated.01.pth", "eas_adapter.pth", "clip_tiny.pt")) {
            inputs += Files.size(EndToEndImportTest.resource(f));
        }
        assertThat(plan.bytes()).isPositive().isLessThanOrEqualTo(inputs); // honest inputs: output within their size
        plan.requireOutputWithin(inputs);
        long tooSmall = plan.bytes() / ImportPlan.MAX_OUTPUT_PER_INPUT_BYTE - 1;
        assertThatThrownBy(() -> plan.requireOutputWithin(tooSmall))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("convert would write " + plan.bytes() + " bytes of tensors from " + tooSmall + " bytes of input files"
                        + " (more than 2x): tensors that view one storage many times or broadcast views; pass"
                        + " --allow-broadcast-tensors if you trust the inputs");
    }
}
