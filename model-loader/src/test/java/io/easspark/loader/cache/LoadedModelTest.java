package io.easspark.loader.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.testing.Fixture;
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
        int before = ModelCache.global().loads();
        try (var a = LoadedModel.acquire(uri, conf, "cpu", null, null, ReparamMode.LOWRANK);
             var b = LoadedModel.acquire(uri, conf, "auto", null, "", ReparamMode.LOWRANK);
             var c = LoadedModel.acquire(uri, conf, "cpu", null, "1", ReparamMode.LOWRANK)) {
            assertThat(b.get()).isSameAs(a.get());
            assertThat(c.get()).isNotSameAs(a.get());
            assertThat(a.get().model().plan().toString()).isEqualTo("none");
            assertThat(c.get().model().plan().toString()).isEqualTo("1");
            assertThat(a.get().tokenizer().encode("Image: N/A", true)[0]).isEqualTo(1L);
        }
        assertThat(ModelCache.global().loads() - before).isEqualTo(2);
        assertThatThrownBy(() -> LoadedModel.acquire(tmp.resolve("none").toUri().toString(), conf, "cpu", null, null, ReparamMode.LOWRANK))
                .isInstanceOf(ModelLoadException.class).hasMessageContaining("does not exist");
    }
}
