package io.easspark.jobs.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.io.Fifo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** convert refuses inputs that cannot make a model (FIFOs, link loops, a tokenizer that does not fit) and leaves nothing on failure. */
class ConvertInputsTest {

    /** A FIFO opened for reading blocks forever; the refusal must come at once. */
    static final Duration FAST = Duration.ofSeconds(10);

    static List<String> args(Path src, Path out, String... override) {
        List<String> a = new ArrayList<>(List.of("convert", "--llama", src.toString(), "--adapter", src.resolve("eas_adapter.pth").toString(),
                "--clip", src.resolve("clip_tiny.pt").toString(), "--skip-plan", "1,3", "--max-seq-len", "64",
                "--visual-tokens", "2", "--vision-head-dim", "16", "--output", out.toString()));
        for (int i = 0; i + 1 < override.length; i += 2) {
            int at = a.indexOf(override[i]);
            if (at >= 0) {
                a.set(at + 1, override[i + 1]);
            } else {
                a.addAll(List.of(override[i], override[i + 1]));
            }
        }
        return a;
    }

    static List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aTokenizerThatDoesNotFitTheEmbeddingIsRefused(@TempDir Path tmp) throws Exception {
        Path src = ConvertCommandTest.originals(tmp);
        Path demoTok = tmp.resolve("demo.model");
        try (var in = getClass().getResourceAsStream("/io/easspark/engine/text/demo-tokenizer.model")) {
            Files.copy(in, demoTok); // 512 pieces; the fixture's embedding has 256 rows (converted silently before)
        }
        CliRun r = CliRun.of(args(src, tmp.resolve("native"), "--tokenizer", demoTok.toString()).toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eas convert: tokenizer tokenizer.model has 512 pieces but the model's embedding and output"
                + " have 256 rows (vocab_size); use the tokenizer the model was trained with");
        assertThat(tmp.resolve("native")).doesNotExist();
    }

    @Test
    void aConvertThatFailsHalfWayLeavesNothing(@TempDir Path tmp) throws Exception {
        Path src = ConvertCommandTest.originals(tmp);
        corruptDataEntries(src.resolve("clip_tiny.pt")); // the image tower is written last, after every decoder tensor
        Path out = tmp.resolve("out/native");
        CliRun r = CliRun.of(args(src, out).toArray(String[]::new));
        assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
        assertThat(r.err()).contains("local header name");
        assertThat(r.out()).contains("convert: dim 64, 4 layers"); // planned and started writing before the failure
        // before: out/native/ with a header-only or partial model.safetensors
        assertThat(entries(tmp)).containsExactlyInAnyOrder("LLaMA-tiny", "tokenizer.model");
    }

    @Test
    void fifoInputsAreRefusedAtOnce(@TempDir Path tmp) throws Exception {
        Path src = ConvertCommandTest.originals(tmp);
        Path fifo = Fifo.make(tmp.resolve("pipe.pth"));
        for (String flag : new String[] {"--adapter", "--clip", "--tokenizer"}) {
            CliRun r = assertTimeoutPreemptively(FAST, () -> CliRun.of(args(src, tmp.resolve("o"), flag, fifo.toString()).toArray(String[]::new)));
            assertThat(r.exit()).as(flag + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(flag).endsWith("pipe.pth is a FIFO, socket or device, not a regular file");
        }
        for (String name : new String[] {"params.json", "consolidated.01.pth"}) {
            Path file = src.resolve(name);
            Path saved = Files.move(file, tmp.resolve(name + ".saved"));
            Fifo.make(file);
            CliRun r = assertTimeoutPreemptively(FAST, () -> CliRun.of(args(src, tmp.resolve("o")).toArray(String[]::new)));
            assertThat(r.exit()).as(name + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(name).endsWith(name + " is a FIFO, socket or device, not a regular file");
            Files.delete(file);
            Files.move(saved, file);
        }
        assertThat(tmp.resolve("o")).doesNotExist();
    }

    @Test
    void aShardThatIsALinkLoopIsNamedNotSkipped(@TempDir Path tmp) throws Exception {
        Path src = ConvertCommandTest.originals(tmp);
        Path shard = src.resolve("consolidated.01.pth");
        Files.delete(shard);
        Files.createSymbolicLink(shard, shard);
        CliRun r = CliRun.of(args(src, tmp.resolve("o")).toArray(String[]::new));
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip()).endsWith("consolidated.01.pth is a symbolic link that resolves to no file (dangling or a loop)");
    }

    @Test
    void paramsFieldsAreNamed(@TempDir Path tmp) throws Exception {
        Path src = ConvertCommandTest.originals(tmp);
        Path params = src.resolve("params.json");
        String good = Files.readString(params);
        Files.writeString(params, good.replace("\"dim\": 64", "\"dim\": \"sixty-four\""), StandardCharsets.UTF_8);
        CliRun r = CliRun.of(args(src, tmp.resolve("o")).toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eas convert: params.json: 'dim' must be a number, found \"sixty-four\"");
        Files.writeString(params, good.replace("\"n_layers\": 4", "\"n_layers\": 2147483647"), StandardCharsets.UTF_8);
        r = CliRun.of(args(src, tmp.resolve("o")).toArray(String[]::new));
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eas convert: params.json: 'n_layers' must be in 1..1024, found 2147483647");
    }

    /**
     * Renames every tensor entry ({@code <archive>/data/N}) in its local header only: the central directory still lists
     * it, so the checkpoint opens and plans, and reading the tensor's bytes fails (the local header does not match).
     */
    static void corruptDataEntries(Path zip) throws IOException {
        byte[] b = Files.readAllBytes(zip);
        List<Integer> nameAt = new ArrayList<>();
        for (int i = 0; i + 30 < b.length; i++) {
            if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4) {
                int nameLength = (b[i + 26] & 0xff) | (b[i + 27] & 0xff) << 8;
                String name = new String(b, i + 30, Math.min(nameLength, b.length - i - 30), StandardCharsets.UTF_8);
                if (name.contains("/data/")) {
                    nameAt.add(i + 30 + name.indexOf("/data/") + 1);
                }
            }
        }
        assertThat(nameAt).as("data entries in " + zip).isNotEmpty();
        for (int at : nameAt) {
            b[at] = 'X'; // data/N -> Xata/N
        }
        Files.write(zip, b);
    }
}
