package io.easspark.loader.nativeformat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.model.LavinConfig;
import io.easspark.loader.convert.ImportedTensor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails half-way leaves nothing behind: no empty folder, no header-only model.safetensors. */
class StagedWriteTest {

    static byte[] demoTokenizer() throws IOException {
        try (InputStream in = StagedWriteTest.class.getResourceAsStream(io.easspark.engine.text.LlamaTokenizer.DEMO_RESOURCE)) {
            return in.readAllBytes();
        }
    }

    /** The demo's tensors, the tenth of which fails to read, as a truncated shard would. */
    static List<ImportedTensor> failingHalfWay(LavinConfig config) {
        List<ImportedTensor> tensors = new ArrayList<>(DemoModel.randomTensors(config, 7));
        ImportedTensor t = tensors.get(10);
        tensors.set(10, new ImportedTensor(t.name(), t.dtype(), t.shape(), "broken.pth", () -> {
            throw new IOException("tensor " + t.name() + ": unexpected end of file in broken.pth");
        }));
        return tensors;
    }

    static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void failureHalfWayLeavesNoFolderAndNoParentsItCreated(@TempDir Path tmp) throws Exception {
        LavinConfig config = DemoModel.config();
        Path out = tmp.resolve("new/deeper/model");
        assertThatThrownBy(() -> NativeModelWriter.writeVerified(out, config, failingHalfWay(config), demoTokenizer(), (i, n, name, b) -> { }))
                .hasMessageContaining("unexpected end of file in broken.pth");
        assertThat(entries(tmp)).isEmpty(); // before: new/deeper/model/model.safetensors with a header and some tensors
    }

    @Test
    void failureKeepsAnExistingModelIntact(@TempDir Path tmp) throws Exception {
        LavinConfig config = DemoModel.config();
        Path out = tmp.resolve("model");
        DemoModel.write(out, 1);
        byte[] before = Files.readAllBytes(out.resolve(NativeModelWriter.WEIGHTS));
        assertThatThrownBy(() -> NativeModelWriter.writeVerified(out, config, failingHalfWay(config), demoTokenizer(), (i, n, name, b) -> { }))
                .hasMessageContaining("broken.pth");
        assertThat(entries(tmp)).containsExactly("model");
        assertThat(Files.readAllBytes(out.resolve(NativeModelWriter.WEIGHTS))).isEqualTo(before);
        NativeModelDirectory.validate(out.toUri().toString(), new org.apache.hadoop.conf.Configuration());
    }

    @Test
    void aTokenizerThatDoesNotFitIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws Exception {
        LavinConfig config = DemoModel.scaled(64, 2, 4, 176);
        LavinConfig small = new LavinConfig(new io.easspark.engine.llama.LlamaConfig(64, 2, 4, 176, 128, 1e-6, 10000.0, 256),
                config.adapter(), config.vision(), config.nVisualTokens(), "", "lowrank");
        assertThatThrownBy(() -> NativeModelWriter.writeVerified(tmp.resolve("m"), small, DemoModel.randomTensors(small, 1), demoTokenizer(),
                (i, n, name, b) -> { }))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tokenizer tokenizer.model has 512 pieces but the model's embedding and output have 128 rows (vocab_size);"
                        + " use the tokenizer the model was trained with");
        assertThat(entries(tmp)).isEmpty();
    }
}
