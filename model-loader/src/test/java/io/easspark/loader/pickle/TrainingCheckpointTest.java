package io.easspark.loader.pickle;

import static io.easspark.loader.pickle.PickleReaderTest.list;
import static io.easspark.loader.pickle.PickleReaderTest.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import io.easspark.loader.tensor.TensorData;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training checkpoints as their training code writes them (tools/reference/make_training_fixtures.py, torch 1.13):
 * LaVIN's save_model dict with an argparse.Namespace, a PyTorch Lightning .ckpt with omegaconf hyper-parameters, and
 * every plain-data class read inertly; plus the refusals around them (unknown classes, calls, dangerous names).
 */
class TrainingCheckpointTest {

    @TempDir
    Path dir;

    static Path imported(String name) {
        try {
            return Path.of(TrainingCheckpointTest.class.getResource("/import/lavin_tiny/" + name).toURI());
        } catch (URISyntaxException | NullPointerException e) {
            throw new AssertionError("missing test resource import/lavin_tiny/" + name, e);
        }
    }

    static TorchCheckpoint open(Path file) throws IOException {
        return TorchCheckpoint.open(new LocalInputFile(file));
    }

    @Test
    @Timeout(10)
    void saveModelCheckpointReadsItsNamespaceAsARecord() throws IOException {
        TorchCheckpoint c = open(imported("checkpoint-4.pth"));
        assertThat(c.format()).isEqualTo(TorchCheckpoint.Format.TORCH_SAVE);
        assertThat(c.entry("epoch")).isEqualTo(4L);
        assertThat(map(c.entry("scaler"))).containsEntry("scale", 65536.0).containsEntry("growth_interval", 2000L);
        PickledObject args = (PickledObject) c.entry("args");
        assertThat(args.className()).isEqualTo("argparse.Namespace");
        assertThat(args.args()).isEmpty();
        assertThat(args.field("blr")).isEqualTo(9e-3);
        assertThat(args.field("lr")).isNull();
        assertThat(map(args.state())).containsKey("lr");
        assertThat(args.field("use_vicuna")).isEqualTo(false);
        assertThat(args.field("batch_size")).isEqualTo(4L);
        assertThat(args.field("llm_model")).isEqualTo("7B");
        assertThat(list(args.field("options"))).containsExactly("A", "B", "C", "D", "E");
        // Adam's state after one step: real tensors, named by the walk but never used by the import
        Map<Object, Object> optimizer = map(c.entry("optimizer"));
        Map<Object, Object> group = map(list(optimizer.get("param_groups")).get(0));
        assertThat(list(group.get("betas"))).containsExactly(0.9, 0.95);
        assertThat(c.tensors()).containsKeys("model.layers.0.adapter_attn.conv_A.weight", "optimizer.state.0.exp_avg",
                "optimizer.state.0.exp_avg_sq", "optimizer.state.0.step");
        TensorRef firstParam = c.tensors().values().iterator().next(); // Adam numbers parameters in model order
        assertThat(firstParam.name()).startsWith("model.");
        assertThat(c.tensors().get("optimizer.state.0.exp_avg").shape()).containsExactly(firstParam.shape());
    }

    @Test
    @Timeout(10)
    void lightningCheckpointGivesItsStateDictAndKeepsTheRestInert() throws IOException {
        TorchCheckpoint lightning = TorchCheckpoint.openLightning(new LocalInputFile(imported("lightning.ckpt")), ReadOptions.DEFAULT);
        assertThat(lightning.format()).isEqualTo(TorchCheckpoint.Format.LIGHTNING);
        TorchCheckpoint saved = open(imported("checkpoint-4.pth"));
        Set<String> model = saved.tensors().keySet().stream().filter(k -> k.startsWith("model.")).collect(Collectors.toSet());
        assertThat(lightning.tensors().keySet()).containsExactlyInAnyOrderElementsOf(model);
        for (String name : model) { // the same weights saved twice: bit-identical
            assertThat(bytes(lightning.tensors().get(name).read())).as(name).isEqualTo(bytes(saved.tensors().get(name).read()));
        }
        assertThat(lightning.entry("global_step")).isEqualTo(1200L);
        PickledObject hparams = (PickledObject) lightning.entry("hyper_parameters");
        assertThat(hparams.className()).isEqualTo("pytorch_lightning.utilities.parsing.AttributeDict");
        PickledObject config = (PickledObject) hparams.dictItems().get("config");
        assertThat(config.className()).isEqualTo("omegaconf.dictconfig.DictConfig");
        PickledObject seed = (PickledObject) map(config.field("_content")).get("exp_name");
        assertThat(seed.field("_val")).isEqualTo("meter_eas");
        PickledObject metadata = (PickledObject) config.field("_metadata");
        assertThat(((PickleGlobal) metadata.field("ref_type")).name()).isEqualTo("typing.Any");
        assertThat(list(list(lightning.entry("optimizer_states")))).hasSize(1);

        assertThatThrownBy(() -> TorchCheckpoint.openLightning(new LocalInputFile(imported("checkpoint-4.pth")), ReadOptions.DEFAULT))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("checkpoint-4.pth is not a PyTorch Lightning checkpoint");
    }

    @Test
    @Timeout(10)
    void everyPlainDataClassIsAnInertRecord() throws IOException {
        TorchCheckpoint c = open(TorchCheckpointTest.fixture("plain_data.pth"));
        assertThat(map(c.entry("ordered")).keySet()).containsExactly("z", "a");
        Map<Object, Object> dd = map(c.entry("defaultdict"));
        assertThat(list(dd.get("acc"))).containsExactly(0.5);
        assertThat(list(dd.get("loss"))).containsExactly(1.25, 0.75);
        assertThat(list(c.entry("size"))).containsExactly(2L, 3L);
        PickledObject device = (PickledObject) c.entry("device");
        assertThat(device.className()).isEqualTo("torch.device");
        assertThat(device.args()).containsExactly("cuda", 1L);
        assertThat(((PickledObject) c.entry("cpu")).args()).containsExactly("cpu");
        assertThat(((PickleGlobal) c.entry("dtype")).name()).isEqualTo("torch.float16");
        PickledObject npFloat = (PickledObject) c.entry("np_float");
        assertThat(npFloat.className()).isEqualTo("numpy.core.multiarray.scalar");
        assertThat(((PickledObject) npFloat.args().get(0)).args()).containsExactly("f8", false, true);
        assertThat(le((byte[]) npFloat.args().get(1)).getDouble()).isEqualTo(0.25);
        assertThat(le((byte[]) ((PickledObject) c.entry("np_int")).args().get(1)).getLong()).isEqualTo(-7L);
        PickledObject array = (PickledObject) c.entry("np_array");
        assertThat(array.className()).isEqualTo("numpy.core.multiarray._reconstruct");
        List<Object> arrayState = list(array.state()); // (version, shape, dtype, is_fortran, raw data)
        assertThat(list(arrayState.get(1))).containsExactly(2L, 3L);
        assertThat(((PickledObject) arrayState.get(2)).args().get(0)).isEqualTo("f4");
        ByteBuffer raw = le((byte[]) arrayState.get(4));
        float[] values = new float[6];
        for (int i = 0; i < 6; i++) {
            values[i] = raw.getFloat();
        }
        assertThat(values).containsExactly(0f, 0.25f, 0.5f, 0.75f, 1f, 1.25f);
        PickledObject path = (PickledObject) c.entry("path");
        assertThat(path.className()).isEqualTo("pathlib.PosixPath");
        assertThat(path.args()).containsExactly("/", "data", "run", "checkpoint-4.pth");
        // datetime's pickled state: year (2 bytes, big-endian), month, day, hour, minute, second, microseconds (3 bytes)
        byte[] when = (byte[]) ((PickledObject) c.entry("when")).args().get(0);
        assertThat(when).containsExactly(0x07, 0xE7, 5, 17, 12, 30, 45, 0x01, 0xE2, 0x40);
        assertThat(((PickledObject) c.entry("took")).args()).containsExactly(1L, 5L, 7L);
        assertThat(((PickledObject) c.entry("day")).className()).isEqualTo("datetime.date");
        assertThat(c.tensors().keySet()).containsExactly("weight");
        assertThat(c.tensors().get("weight").read().toFloats()).containsExactly(0f, 1f, 2f, 3f);
    }

    private static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static byte[] bytes(TensorData t) {
        ByteBuffer b = t.data().duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    // ---------------------------------------------------------------------------------------- unknown classes

    private static TestZips.PickleBytes pickle() {
        return new TestZips.PickleBytes().proto();
    }

    private Path zip(String file, byte[] pickle) throws IOException {
        Map<String, byte[]> entries = TestZips.entries();
        entries.put("ckpt/data.pkl", pickle);
        entries.put("ckpt/data/0", TestZips.floats(1f, 2f));
        return TestZips.write(dir.resolve(file), entries, false);
    }

    /** {'w': tensor, 'meta': mymod.Thing() with state {'k': 1}}: an unknown class, only instantiated. */
    private static byte[] withUnknownClass() {
        return pickle().op('}', '(').str("w").floatTensor("0", 2, 0, new long[] {2}, new long[] {1})
                .str("meta").global("mymod", "Thing").op(')', 0x81, '}').str("k").op('K', 1, 's', 'b')
                .op('u', '.').bytes();
    }

    @Test
    @Timeout(10)
    void anUnknownClassIsRefusedByNameUnlessTheUserAllowsIt() throws IOException {
        Path file = zip("unknown.pth", withUnknownClass());
        assertThatThrownBy(() -> open(file))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("imports mymod.Thing, which is not on the allow-list")
                .hasMessageContaining("pass --allow-global mymod.Thing to read it as inert data")
                .satisfies(e -> assertThat(((UnsafePickleException) e).refused()).isEqualTo("mymod.Thing"));
        TorchCheckpoint allowed = TorchCheckpoint.open(new LocalInputFile(file), new ReadOptions(Set.of("mymod.Thing"), false));
        PickledObject thing = (PickledObject) allowed.entry("meta");
        assertThat(thing.className()).isEqualTo("mymod.Thing");
        assertThat(thing.field("k")).isEqualTo(1L);
        assertThat(allowed.tensors().get("w").read().toFloats()).containsExactly(1f, 2f);
    }

    @Test
    @Timeout(10)
    void anAllowedFunctionIsRecordedNeverCalled() throws IOException {
        Path marker = dir.resolve("marker");
        byte[] p = pickle().op('}').str("x").global("mymod", "make").str(marker.toString()).op(0x85, 'R', 's', '.').bytes();
        Path file = zip("call.pth", p);
        assertThatThrownBy(() -> open(file))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("calls mymod.make, which is not on the allow-list");
        TorchCheckpoint allowed = TorchCheckpoint.open(new LocalInputFile(file), new ReadOptions(Set.of("mymod.make"), false));
        assertThat(((PickledObject) allowed.entry("x")).args()).containsExactly(marker.toString());
        assertThat(marker).doesNotExist();
    }

    @Test
    void namesThatRunCodeCannotBeAllowed() {
        for (String name : List.of("os.system", "posix.system", "subprocess.Popen", "builtins.eval", "builtins.exec",
                "builtins.getattr", "builtins.__import__", "__builtin__.eval", "importlib.import_module", "pickle.loads",
                "_pickle.loads", "torch.storage._load_from_bytes", "shutil.rmtree", "socket.socket", "sys.exit", "runpy.run_path",
                "code.interact", "ctypes.CDLL", "webbrowser.open", "os.path.join")) {
            assertThatThrownBy(() -> new ReadOptions(Set.of(name), false)).as(name)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("--allow-global " + name + ": this name can run code or load files and is never read, whatever is"
                            + " allowed");
        }
        assertThatThrownBy(() -> new ReadOptions(Set.of("Namespace"), false))
                .hasMessageContaining("--allow-global Namespace: expected a dotted module.Name");
        assertThat(new ReadOptions(Set.of("omegaconf.listconfig.ListConfig"), false).allowedGlobals()).hasSize(1);
    }

    /** A Lightning-shaped dict whose hyper_parameters holds {@code extra}. */
    private static byte[] lightning(TestZips.PickleBytes extra, TestZips.PickleBytes stateExtra) {
        TestZips.PickleBytes p = pickle().op('}', '(').str("state_dict").op('}', '(').str("model.w")
                .floatTensor("0", 2, 0, new long[] {2}, new long[] {1});
        p.raw(stateExtra.bytes()).op('u');
        p.str("pytorch-lightning_version").str("1.3.2").str("hyper_parameters");
        return p.raw(extra.bytes()).op('u', '.').bytes();
    }

    @Test
    @Timeout(10)
    void lightningMetadataMayInstantiateButNeverCallUnknownClasses() throws IOException {
        TestZips.PickleBytes inert = new TestZips.PickleBytes().global("omegaconf.dictconfig", "DictConfig").op(')', 0x81, '}')
                .str("_content").op('}', 's', 'b');
        TorchCheckpoint ok = open(zip("ok.ckpt", lightning(inert, new TestZips.PickleBytes())));
        assertThat(ok.format()).isEqualTo(TorchCheckpoint.Format.LIGHTNING);
        assertThat(ok.tensors().keySet()).containsExactly("model.w");

        TestZips.PickleBytes call = new TestZips.PickleBytes().global("omegaconf.nodes", "Evil").str("x").op(0x85, 'R');
        assertThatThrownBy(() -> open(zip("call.ckpt", lightning(call, new TestZips.PickleBytes()))))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("calls omegaconf.nodes.Evil, which is not on the allow-list");

        TestZips.PickleBytes system = new TestZips.PickleBytes().global("posix", "system").str("touch x").op(0x85, 'R');
        assertThatThrownBy(() -> open(zip("system.ckpt", lightning(system, new TestZips.PickleBytes()))))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining("imports posix.system")
                .hasMessageContaining("can run code");

        TestZips.PickleBytes inState = new TestZips.PickleBytes().str("model.meta").global("mymod", "Thing").op(')', 0x81);
        assertThatThrownBy(() -> open(zip("state.ckpt", lightning(new TestZips.PickleBytes().op('N'), inState))))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("the state_dict holds an object of mymod.Thing at 'model.meta'");
    }

    @Test
    @Timeout(10)
    void protocolTwoBytesAreDecodedFromLatin1Only() throws IOException {
        byte[] ok = pickle().op('}').str("b").global("_codecs", "encode").str("\u00ff\u0001").str("latin1").op(0x86, 'R', 's', '.')
                .bytes();
        assertThat((byte[]) open(zip("bytes.pth", ok)).entry("b")).containsExactly(0xff, 0x01);
        byte[] bad = pickle().global("_codecs", "encode").str("x").str("rot13").op(0x86, 'R', '.').bytes();
        assertThatThrownBy(() -> open(zip("rot13.pth", bad)))
                .isInstanceOf(CheckpointFormatException.class)
                .hasMessageContaining("_codecs.encode takes (str, 'latin1')");
    }
}
