package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.easspark.engine.model.WeightSource;
import io.easspark.engine.testing.Npz;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The meter_tiny fixture written by tools/reference/make_meter_fixtures.py: config.json, weights.npz (original
 * state_dict names, 1×1 convs squeezed) and expected.npz (inputs and the float64 reference's outputs).
 */
final class MeterFixture {

    final MeterConfig config;
    final Map<String, Npz.Array> weights;
    final Map<String, Npz.Array> expected;

    private MeterFixture(MeterConfig config, Map<String, Npz.Array> weights, Map<String, Npz.Array> expected) {
        this.config = config;
        this.weights = weights;
        this.expected = expected;
    }

    static MeterFixture load() {
        String base = "/fixtures/meter_tiny/";
        try (InputStream in = MeterFixture.class.getResourceAsStream(base + "config.json")) {
            if (in == null) {
                throw new IllegalStateException("fixture meter_tiny is missing: run tools/reference/make_meter_fixtures.py");
            }
            MeterConfig config = MeterConfig.fromJson(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            return new MeterFixture(config, Npz.readResource(base + "weights.npz"), Npz.readResource(base + "expected.npz"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    WeightSource weights() {
        return new WeightSource() {
            @Override
            public long[] shape(String name) {
                Npz.Array a = weights.get(name);
                return a == null ? null : Arrays.stream(a.shape()).asLongStream().toArray();
            }

            @Override
            public NDArray load(String name, NDManager manager) {
                Npz.Array a = weights.get(name);
                return manager.create(a.floats(), new Shape(Arrays.stream(a.shape()).asLongStream().toArray()));
            }

            @Override
            public String describe() {
                return "fixture meter_tiny";
            }
        };
    }

    Npz.Array expected(String key) {
        Npz.Array a = expected.get(key);
        if (a == null) {
            throw new IllegalArgumentException("fixture meter_tiny has no key " + key);
        }
        return a;
    }

    /** Token ids [B][L]. */
    long[][] ids() {
        Npz.Array a = expected("ids");
        long[] flat = a.longs();
        int b = a.shape()[0];
        int l = a.shape()[1];
        long[][] ids = new long[b][l];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * l, ids[i], 0, l);
        }
        return ids;
    }

    NDArray pixels(String key, NDManager scope) {
        Npz.Array a = expected(key);
        return scope.create(a.floats(), new Shape(Arrays.stream(a.shape()).asLongStream().toArray()));
    }

    /** The set's candidate indices as stored by the reference. */
    java.util.List<Integer> indices(String set) {
        return Arrays.stream(expected(set + "_indices").longs()).mapToInt(x -> (int) x).boxed().toList();
    }
}
