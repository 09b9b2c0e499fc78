package io.easspark.loader.safetensors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.model.WeightSource;
import io.easspark.loader.io.InputFile;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The engine's view of a native model's {@code *.safetensors} shards: each name resolves to the one shard that holds
 * it. A name in two shards is an error rather than a silent pick, since either copy could be the stale one.
 */
public final class SafetensorsWeightSource implements WeightSource, Closeable {

    private final List<SafetensorsReader> readers;
    private final Map<String, SafetensorsReader> byName;

    private SafetensorsWeightSource(List<SafetensorsReader> readers, Map<String, SafetensorsReader> byName) {
        this.readers = readers;
        this.byName = byName;
    }

    /** Opens and checks every shard; on any failure the shards opened so far are closed again. */
    public static SafetensorsWeightSource open(List<? extends InputFile> files) throws IOException {
        if (files.isEmpty()) {
            throw new IllegalArgumentException("no safetensors files given");
        }
        List<SafetensorsReader> readers = new ArrayList<>();
        try {
            for (InputFile file : files) {
                readers.add(SafetensorsReader.open(file));
            }
            return new SafetensorsWeightSource(List.copyOf(readers), index(readers));
        } catch (IOException | RuntimeException e) {
            for (SafetensorsReader reader : readers) {
                try {
                    reader.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
    }

    private static Map<String, SafetensorsReader> index(List<SafetensorsReader> readers)
            throws SafetensorsFormatException {
        Map<String, SafetensorsReader> byName = new LinkedHashMap<>();
        for (SafetensorsReader reader : readers) {
            for (String name : reader.tensors().keySet()) {
                SafetensorsReader first = byName.putIfAbsent(name, reader);
                if (first != null) {
                    throw new SafetensorsFormatException(reader.location(), "tensor " + name
                            + " is also in " + first.location() + "; each tensor must be in exactly one shard");
                }
            }
        }
        return Collections.unmodifiableMap(byName);
    }

    /** Every tensor name, shard by shard in file order. */
    public Set<String> names() {
        return byName.keySet();
    }

    @Override
    public long[] shape(String name) {
        SafetensorsReader reader = byName.get(name);
        return reader == null ? null : reader.tensors().get(name).shape();
    }

    @Override
    public NDArray load(String name, NDManager manager) {
        SafetensorsReader reader = byName.get(name);
        if (reader == null) {
            throw new IllegalArgumentException("no tensor " + name + " in " + describe());
        }
        try {
            return reader.read(name).toNDArray(manager);
        } catch (IOException e) {
            throw new UncheckedIOException("tensor " + name + ": read failed in " + reader.location(), e);
        }
    }

    @Override
    public String describe() {
        return readers.stream().map(SafetensorsReader::location).collect(Collectors.joining(", "));
    }

    @Override
    public void close() throws IOException {
        IOException failure = null;
        for (SafetensorsReader reader : readers) {
            try {
                reader.close();
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
