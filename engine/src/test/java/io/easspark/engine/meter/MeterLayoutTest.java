package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.model.WeightSource;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The layout the import checks against is exactly what the model reads: same names, same shapes. */
class MeterLayoutTest {

    @Test
    void layoutEqualsWhatTheModelReads() {
        MeterFixture f = MeterFixture.load();
        WeightSource all = f.weights();
        Map<String, long[]> read = new TreeMap<>();
        WeightSource recording = new WeightSource() {
            @Override
            public long[] shape(String name) {
                return all.shape(name);
            }

            @Override
            public NDArray load(String name, NDManager manager) {
                read.put(name, all.shape(name));
                return all.load(name, manager);
            }

            @Override
            public String describe() {
                return all.describe();
            }
        };
        try (MeterModel model = MeterModel.load(f.config, recording, Device.cpu())) {
            assertThat(model.hasVqaHead() && model.hasNlvr2Head() && model.hasItmHead()).isTrue();
        }
        Map<String, long[]> layout = new TreeMap<>(MeterLayout.tensors(f.config, new MeterLayout.Heads(true, true, true)));
        assertThat(read.keySet()).containsExactlyElementsOf(layout.keySet());
        layout.forEach((name, shape) -> assertThat(read.get(name)).as(name).containsExactly(shape));
        // the fixture holds exactly the layout: nothing the reference uses is left unread
        assertThat(f.weights.keySet()).containsExactlyInAnyOrderElementsOf(layout.keySet());
    }
}
