package io.easspark.loader.nativeformat;

import io.easspark.engine.model.LavinConfig;
import io.easspark.loader.convert.ImportedTensor;
import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.safetensors.SafetensorsReader;
import io.easspark.loader.safetensors.SafetensorsWriter;
import io.easspark.loader.safetensors.TensorSpec;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * Writes a native model directory (docs/FORMAT.md): {@code config.json}, {@code model.safetensors} streamed tensor
 * by tensor in the source dtype, and {@code tokenizer.model}; then {@link #verify} re-reads it.
 */
public final class NativeModelWriter {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String TOKENIZER = "tokenizer.model";

    /** Called after each tensor (progress lines). */
    @FunctionalInterface
    public interface Progress {
        void tensorWritten(int index, int total, String name, long bytes);
    }

    /** What was written: per tensor its shape and CRC32, for verification. */
    public record Written(Path directory, Map<String, long[]> shapes, Map<String, Long> checksums, long bytes) {
    }

    private NativeModelWriter() {
    }

    /**
     * Writes into a hidden sibling folder, verifies it there, and only then moves it to {@code dir}: a failure half-way
     * (an unreadable shard, a full disk, OutOfMemoryError) leaves no empty folder and no header-only
     * {@code model.safetensors} that could pass for a model. On failure it removes only what it created (the sibling
     * folder, and {@code dir}'s missing parents); an existing {@code dir} keeps its files unless all new ones are ready.
     * The tokenizer's pieces must equal the config's vocabulary (the embedding's and output's rows).
     *
     * @param tokenizer the SentencePiece model's bytes, or null (the directory then lacks {@code tokenizer.model})
     */
    public static Written writeVerified(Path dir, LavinConfig config, List<ImportedTensor> tensors, byte[] tokenizer,
            Progress progress) throws IOException {
        if (tokenizer != null) {
            NativeModelDirectory.checkTokenizerFits(TOKENIZER, tokenizer, config);
        }
        return writeStaged(dir, staging -> {
            Written w = write(staging, config, tensors, tokenizer, progress);
            verify(w);
            return w;
        });
    }

    /** Writes a model directory's files into a folder and verifies them there (one model family's contents). */
    @FunctionalInterface
    public interface StagedContents {
        Written writeAndVerify(Path staging) throws IOException;
    }

    /**
     * The staged write behind every family's {@code writeVerified}: {@code contents} fills a hidden sibling folder
     * of {@code dir} and verifies it; only then are the files moved to {@code dir}. On failure only what this call
     * created is removed (the sibling folder, and {@code dir}'s missing parents).
     */
    public static Written writeStaged(Path dir, StagedContents contents) throws IOException {
        Path target = dir.toAbsolutePath().normalize();
        if (Files.exists(target) && !Files.isDirectory(target)) {
            throw new IllegalArgumentException("output " + dir + " is a file; give a directory");
        }
        Path firstCreated = null;
        for (Path p = target.getParent(); p != null && !Files.exists(p); p = p.getParent()) {
            firstCreated = p;
        }
        Files.createDirectories(target.getParent());
        Path staging = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".incomplete-");
        boolean published = false;
        try {
            Written w = contents.writeAndVerify(staging);
            publish(staging, target);
            published = true;
            return new Written(dir, w.shapes(), w.checksums(), w.bytes());
        } finally {
            if (!published) {
                deleteTree(staging);
                if (firstCreated != null) {
                    deleteTree(firstCreated);
                }
            }
        }
    }

    /** A new directory is one rename; into an existing one each file is moved over its old version. */
    private static void publish(Path staging, Path target) throws IOException {
        if (!Files.exists(target)) {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        try (Stream<Path> files = Files.list(staging)) {
            for (Path f : files.toList()) {
                Files.move(f, target.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        }
        Files.delete(staging);
    }

    /** Removes a folder this writer created, best effort: a cleanup failure must not hide the error that caused it. */
    private static void deleteTree(Path root) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            // left behind under a name that says .incomplete; the original failure is what the user needs to see
        }
    }

    /**
     * Writes the directory in place (tests and benchmarks; {@link #writeVerified} for anything a user will load).
     *
     * @param tokenizer the SentencePiece model's bytes, or null (the directory then lacks {@code tokenizer.model})
     */
    public static Written write(Path dir, LavinConfig config, List<ImportedTensor> tensors, byte[] tokenizer,
            Progress progress) throws IOException {
        Written w = writeWeights(dir, tensors, progress);
        Files.writeString(dir.resolve(CONFIG), config.toJson() + "\n", StandardCharsets.UTF_8);
        if (tokenizer != null) {
            Files.write(dir.resolve(TOKENIZER), tokenizer);
        }
        return w;
    }

    /** Streams {@code tensors} into {@code dir/model.safetensors} in their own dtype, one at a time, noting shape and CRC32. */
    public static Written writeWeights(Path dir, List<ImportedTensor> tensors, Progress progress) throws IOException {
        Files.createDirectories(dir);
        List<TensorSpec> specs = new ArrayList<>();
        Map<String, ImportedTensor> byName = new LinkedHashMap<>();
        for (ImportedTensor t : tensors) {
            specs.add(new TensorSpec(t.name(), t.dtype(), t.shape()));
            byName.put(t.name(), t);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, Long> checksums = new LinkedHashMap<>();
        long[] total = {0};
        SafetensorsWriter.write(dir.resolve(WEIGHTS), specs, Map.of("format", "eas-spark-native"), name -> {
            TensorData data = byName.get(name).produce();
            shapes.put(name, data.shape());
            checksums.put(name, crc(data.data()));
            total[0] += data.data().remaining();
            progress.tensorWritten(shapes.size(), specs.size(), name, data.data().remaining());
            return data;
        });
        return new Written(dir, shapes, checksums, total[0]);
    }

    /** Re-reads the directory: same tensor count, shapes and CRC32 per tensor, and a config that parses; else fails naming the tensor. */
    public static void verify(Written w) throws IOException {
        LavinConfig.fromJson(Files.readString(w.directory().resolve(CONFIG), StandardCharsets.UTF_8));
        verifyWeights(w);
    }

    /** Re-reads {@code model.safetensors}: same tensor count, and per tensor the shape and CRC32 that were written. */
    public static void verifyWeights(Written w) throws IOException {
        try (SafetensorsReader r = SafetensorsReader.open(new LocalInputFile(w.directory().resolve(WEIGHTS)))) {
            if (r.tensors().size() != w.shapes().size()) {
                throw new IOException("verify " + w.directory() + ": wrote " + w.shapes().size() + " tensors but the file holds "
                        + r.tensors().size());
            }
            for (Map.Entry<String, long[]> e : w.shapes().entrySet()) {
                TensorData back = r.read(e.getKey());
                if (!Arrays.equals(back.shape(), e.getValue())) {
                    throw new IOException("verify tensor " + e.getKey() + ": wrote " + Arrays.toString(e.getValue()) + " but read "
                            + Arrays.toString(back.shape()));
                }
                if (crc(back.data()) != w.checksums().get(e.getKey())) {
                    throw new IOException("verify tensor " + e.getKey() + ": checksum differs from what was written in " + w.directory());
                }
            }
        }
    }

    static long crc(ByteBuffer data) {
        CRC32 c = new CRC32();
        c.update(data.duplicate());
        return c.getValue();
    }
}
