package io.easspark.loader.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.testing.Fixture;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import io.easspark.loader.nativeformat.NativeModelDirectoryTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoadedModelTest {

    @Test
    void sharedThroughTheJvmCacheWithTheStoredOrAGivenPlan(@TempDir Path tmp) throws Exception {
        Path dir = NativeModelDirectoryTest.writeFixtureModel(Fixture.load("pinned_tiny"), tmp.resolve("m"));
        try (var in = LoadedModelTest.class.getResourceAsStream("/tokenizer/pieces-64.model")) { // the fixture's vocabulary: 64
            Files.copy(in, dir.resolve("tokenizer.model"));
        }
        String uri = dir.toUri().toString();
        Configuration conf = new Configuration();
        NativeModelDirectory opened = NativeModelDirectory.open(uri, conf);
        int before = ModelCache.global().loads();
        ModelSpec stored = new ModelSpec(uri, ModelSpec.plan(opened, null), ReparamMode.LOWRANK, DeviceRequest.CPU);
        try (var a = LoadedModel.acquire(stored, conf, null);
             // "auto" on a task without a GPU is the CPU; the stored plan spelled out is the stored plan
             var b = LoadedModel.acquire(new ModelSpec(uri, ModelSpec.plan(opened, " none "), ReparamMode.LOWRANK, DeviceRequest.AUTO), conf, null);
             var c = LoadedModel.acquire(stored.withPlan(ModelSpec.plan(opened, "1")), conf, null)) {
            assertThat(b.get()).isSameAs(a.get());
            assertThat(c.get()).isNotSameAs(a.get());
            assertThat(a.get().model().plan().toString()).isEqualTo("none");
            assertThat(c.get().model().plan().toString()).isEqualTo("1");
            assertThat(a.get().tokenizer().encode("Image: N/A", true)[0]).isEqualTo(1L);
        }
        assertThat(ModelCache.global().loads() - before).isEqualTo(2);
        ModelSpec missing = new ModelSpec(tmp.resolve("none").toUri().toString(), stored.plan(), ReparamMode.LOWRANK, DeviceRequest.CPU);
        assertThatThrownBy(() -> LoadedModel.acquire(missing, conf, null))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
    }
}
