package io.easspark.jobs.convert;

import static io.easspark.engine.testing.Close.assertClose;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.easspark.engine.eas.ReparamMode;
import io.easspark.engine.generate.BatchGenerator;
import io.easspark.engine.model.LavinModel;
import io.easspark.engine.testing.Fixture;
import io.easspark.jobs.testing.CliRun;
import io.easspark.loader.nativeformat.NativeModelDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line, as a user runs it: exit code, output, and a model that gives the reference's logits. */
class ConvertCommandTest {

    /** The import fixtures (model-loader's test-jar) copied to a folder, as a user's download would be. */
    static Path originals(Path tmp) throws Exception {
        Path dir = tmp.resolve("LLaMA-tiny");
        Files.createDirectories(dir);
        for (String f : new String[] {"params.json", "consolidated.00.pth", "consolidated.01.pth", "eas_adapter.pth", "clip_tiny.pt",
            "checkpoint-4.pth", "lightning.ckpt"}) {
            try (var in = ConvertCommandTest.class.getResourceAsStream("/import/lavin_tiny/" + f)) {
                Files.copy(in, dir.resolve(f));
            }
        }
        try (var in = ConvertCommandTest.class.getResourceAsStream("/import/lavin_tiny/tokenizer.model")) {
            Files.copy(in, tmp.resolve("tokenizer.model")); // Meta ships it beside the model folders; 256 pieces as the embedding's rows
        }
        return dir;
    }

    @Test
    void convertsVerifiesAndTheResultReproducesTheReference(@TempDir Path tmp) throws Exception {
        Path src = originals(tmp);
        Path out = tmp.resolve("native");
        CliRun r = CliRun.of("convert", "--llama", src.toUri().toString(), "--adapter", src.resolve("eas_adapter.pth").toString(),
                "--clip", src.resolve("clip_tiny.pt").toString(), "--skip-plan", "1,3", "--max-seq-len", "64",
                "--visual-tokens", "2", "--vision-head-dim", "16", "--output", out.toString());
        assertThat(r.err()).isEmpty();
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("dim 64, 4 layers, FFN 128, vocab 256", "plan 1,3", "from 2 shard(s)", "wrote and verified");
        assertThat(out.resolve("tokenizer.model")).exists();
        Fixture f = Fixture.load("lavin_tiny");
        NativeModelDirectory dir = NativeModelDirectory.open(out.toUri().toString(), new Configuration());
        try (LavinModel m = dir.load(dir.storedPlan(), ReparamMode.LOWRANK, Device.cpu()); NDManager scope = m.newScope()) {
            float[] logits = new BatchGenerator(m).prefillForTest(List.of(f.row(0)), scope).logits().toFloatArray();
            assertClose("row 0", logits, f.expected("some_r0_logits").floats(), 1e-4);
        }
        assertThat(dir.tokenizer().encode("Image: ", true)).startsWith(1L);
    }

    @Test
    void badInputsExitTwoWithOneLine(@TempDir Path tmp) throws Exception {
        Path src = originals(tmp);
        Path noParamsDir = java.nio.file.Files.createDirectories(tmp.resolve("no-params"));
        CliRun noParams = CliRun.of("convert", "--llama", noParamsDir.toString(), "--adapter", src.resolve("eas_adapter.pth").toString(),
                "--output", tmp.resolve("o").toString());
        assertThat(noParams.exit()).isEqualTo(2);
        assertThat(noParams.err().strip()).isEqualTo("eas convert: --llama " + noParamsDir + " has no params.json");

        CliRun badPlan = CliRun.of("convert", "--llama", src.toString(), "--adapter", src.resolve("eas_adapter.pth").toString(),
                "--clip", src.resolve("clip_tiny.pt").toString(), "--visual-tokens", "2", "--vision-head-dim", "16",
                "--skip-plan", "19,21-31", "--output", tmp.resolve("o").toString());
        assertThat(badPlan.exit()).isEqualTo(2);
        assertThat(badPlan.err()).contains("skip plan names layer 19 but the model has layers 0-3").doesNotContain("\tat ");

        CliRun missing = CliRun.of("convert", "--llama", src.toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("Missing required option").contains("--output").contains("--help");

        CliRun noAdapter = CliRun.of("convert", "--llama", src.toString(), "--output", tmp.resolve("o").toString());
        assertThat(noAdapter.exit()).isEqualTo(2);
        assertThat(noAdapter.err().strip()).isEqualTo("eas convert: --adapter is required for --family lavin");
    }

    @Test
    void helpDocumentsEveryInputFormat() {
        CliRun r = CliRun.of("convert", "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("params.json", "consolidated.NN.pth", "ViT-L-14.pt", "--skip-plan", "never executed", "Exit codes");
        assertThat(r.out()).contains("argparse.Namespace", "collections.OrderedDict/defaultdict", "numpy", "pathlib", "datetime",
                "Lightning .ckpt", "--allow-global", "--allow-broadcast-tensors");
    }

    /** The adapter as LaVIN's save_model and as Lightning save it converts to the very bytes eas_adapter.pth gives. */
    @Test
    void trainingAndLightningCheckpointsConvertBitExact(@TempDir Path tmp) throws Exception {
        Path src = originals(tmp);
        byte[] reference = null;
        for (String adapter : List.of("eas_adapter.pth", "checkpoint-4.pth", "lightning.ckpt")) {
            Path out = tmp.resolve("native-" + adapter);
            CliRun r = CliRun.of("convert", "--llama", src.toString(), "--adapter", src.resolve(adapter).toString(),
                    "--clip", src.resolve("clip_tiny.pt").toString(), "--skip-plan", "1,3", "--max-seq-len", "64",
                    "--visual-tokens", "2", "--vision-head-dim", "16", "--output", out.toString());
            assertThat(r.err()).as(adapter).isEmpty();
            assertThat(r.exit()).as(adapter).isZero();
            byte[] weights = Files.readAllBytes(out.resolve("model.safetensors"));
            if (reference == null) {
                reference = weights;
            } else {
                assertThat(weights).as(adapter).isEqualTo(reference);
            }
        }
    }

    @Test
    void dangerousAllowGlobalIsABadArgument(@TempDir Path tmp) throws Exception {
        Path src = originals(tmp);
        CliRun r = CliRun.of("convert", "--llama", src.toString(), "--adapter", src.resolve("eas_adapter.pth").toString(),
                "--allow-global", "os.system", "--output", tmp.resolve("o").toString());
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("eas convert: --allow-global os.system: this name can run code or load files and is"
                + " never read, whatever is allowed");
    }
}
