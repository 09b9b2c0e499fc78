package io.easspark.loader.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

    @Test
    void cpuUnlessSparkAssignedAGpu() {
        assertThat(DeviceChoice.choose("cpu", "0")).isEqualTo(Device.cpu());
        assertThat(DeviceChoice.choose("auto", null)).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> DeviceChoice.choose("gpu", null)).hasMessageContaining("assigned this task no GPU");
        assertThatThrownBy(() -> DeviceChoice.choose("tpu", null)).hasMessageContaining("unknown device tpu");
        assertThatThrownBy(() -> DeviceChoice.choose("auto", "x")).hasMessageContaining("is not an index");
        if (ai.djl.engine.Engine.getInstance().getGpuCount() == 0) {
            // the CPU build of libtorch: an assigned GPU is a deployment error, said plainly
            assertThatThrownBy(() -> DeviceChoice.choose("auto", "0")).hasMessageContaining("CPU build of libtorch");
        } else {
            assertThat(DeviceChoice.choose("auto", "0")).isEqualTo(Device.gpu(0));
        }
    }
}
