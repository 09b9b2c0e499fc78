package io.easspark.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.easspark.engine.testing.Fixture;
import io.easspark.engine.testing.Npz;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The layout the engine derives from a config names exactly the tensors the reference script wrote from docs/FORMAT.md. */
class NativeLayoutTest {

    @Test
    void layoutMatchesTheReferenceFixturesNameForNameAndShapeForShape() {
        for (String name : new String[] {"lavin_tiny", "pinned_tiny"}) {
            Fixture f = Fixture.load(name);
            Map<String, long[]> layout = NativeLayout.tensors(f.config());
            Map<String, Npz.Array> written = f.weightArrays();
            assertThat(layout.keySet()).as(name).containsExactlyInAnyOrderElementsOf(written.keySet());
            for (var e : layout.entrySet()) {
                long[] found = Arrays.stream(written.get(e.getKey()).shape()).asLongStream().toArray();
                assertThat(found).as(e.getKey()).containsExactly(e.getValue());
            }
        }
    }
}
