package io.easspark.loader.nativeformat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.easspark.loader.io.Fifo;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NativeModelDirectory#validate} finds on the driver what a task would otherwise find while loading: each
 * broken piece is one IllegalArgumentException line naming the file, and nothing is loaded.
 */
class ModelDirectoryValidationTest {

    static final Configuration CONF = new Configuration();

    static Path demo(Path tmp) throws Exception {
        Path dir = tmp.resolve("model");
        DemoModel.write(dir, 7);
        return dir;
    }

    static String uri(Path dir) {
        return dir.toUri().toString();
    }

    @Test
    void aGoodModelValidates(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        assertThat(NativeModelDirectory.validate(uri(dir), CONF).config().text().vocabSize()).isEqualTo(512);
    }

    @Test
    void corruptOrTruncatedWeightsAreOneLine(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        Path weights = dir.resolve(NativeModelWriter.WEIGHTS);
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.setLength(f.length() - 4); // the last tensor's span now ends past the file
        }
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.safetensors").hasMessageNotContaining("\n");
        try (RandomAccessFile f = new RandomAccessFile(weights.toFile(), "rw")) {
            f.seek(8);
            f.write("garbage!".getBytes(StandardCharsets.US_ASCII)); // the JSON header
        }
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("model.safetensors");
    }

    @Test
    void configThatDisagreesWithTheTensorsNamesTheTensor(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        Path config = dir.resolve(NativeModelWriter.CONFIG);
        Files.writeString(config, Files.readString(config).replace("\"ffn_hidden\":176", "\"ffn_hidden\":180"));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tensor layers.0.feed_forward.w1.weight: expected [180, 64] (from config.json) but found [176, 64] in " + uri(dir));
        Files.writeString(config, Files.readString(config).replace("\"n_layers\":4", "\"n_layers\":2147483647"));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("config.json: n_layers must be at most 1024: 2147483647");
        Files.writeString(config, Files.readString(config).replace("\"dim\":64", "\"dim\":64.5"));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .hasMessageEndingWith("/model/config.json: 'dim' must be an integer, found 64.5");
    }

    @Test
    void emptySkipPlanFileIsNamedNotANullPointer(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        Files.writeString(dir.resolve(NativeModelDirectory.SKIP_PLAN), "{}");
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageEndingWith("skip_plan.json: expected {\"plan\": \"19,21-31\"} or {\"plan\": [19, 21]} but found {}");
        Files.writeString(dir.resolve(NativeModelDirectory.SKIP_PLAN), "{\"plan\": \"2,9\"}");
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stored skip plan").hasMessageContaining("9");
    }

    @Test
    void brokenMissingOrMisfittingTokenizerIsNamed(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        Path tok = dir.resolve(NativeModelWriter.TOKENIZER);
        byte[] good = Files.readAllBytes(tok);
        Files.write(tok, Arrays.copyOf(good, 1000));
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.model: not a SentencePiece model");
        try (InputStream in = getClass().getResourceAsStream("/import/lavin_tiny/tokenizer.model")) {
            Files.write(tok, in.readAllBytes()); // 256 pieces for a 512-row embedding: loaded silently before
        }
        assertThatThrownBy(() -> NativeModelDirectory.open(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 256 pieces but the model's embedding and output have 512 rows (vocab_size)");
        Files.delete(tok);
        assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has no tokenizer.model");
    }

    @Test
    void fifoTokenizerIsRefusedAtOnce(@TempDir Path tmp) throws Exception {
        Path dir = demo(tmp);
        Files.delete(dir.resolve(NativeModelWriter.TOKENIZER));
        Fifo.make(dir.resolve(NativeModelWriter.TOKENIZER));
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> assertThatThrownBy(() -> NativeModelDirectory.validate(uri(dir), CONF))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tokenizer.model is a FIFO, socket or device, not a regular file"));
    }
}
