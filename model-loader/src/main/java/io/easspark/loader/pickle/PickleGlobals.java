package io.easspark.loader.pickle;

import io.easspark.loader.pickle.PickleGlobal.Kind;
import io.easspark.loader.tensor.DType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which GLOBAL names a checkpoint pickle may use and how: the allow-lists of each {@link PickleReader.Mode}, the
 * plain-data classes training checkpoints carry (read as inert records), and the names that can run code, which
 * are refused whatever the user allows.
 */
final class PickleGlobals {

    /** The plain-data classes read inertly, for messages and {@code eas convert --help}. */
    static final String INERT_CLASSES = ReadOptions.INERT_CLASSES;

    private static final Map<String, PickleGlobal> TORCH_SAVE = new HashMap<>();
    private static final Map<String, PickleGlobal> TORCHSCRIPT = new HashMap<>();

    /** Modules whose every name can run code, spawn processes, touch files or the network, or unpickle more bytes. */
    private static final List<String> DANGEROUS_MODULES = List.of("os", "posix", "nt", "subprocess", "importlib", "pickle",
            "_pickle", "cPickle", "dill", "cloudpickle", "shutil", "socket", "sys", "runpy", "code", "codeop", "ctypes",
            "webbrowser", "marshal", "types", "functools", "operator", "pty", "platform", "multiprocessing", "threading",
            "signal", "asyncio", "urllib", "http", "ftplib", "smtplib", "telnetlib", "requests", "tempfile", "glob", "io",
            "_io", "builtins", "__builtin__", "torch.serialization", "torch._C", "torch.hub", "torch.ops", "torch.classes");
    /** Single functions of otherwise harmless modules that load or run something. */
    private static final Set<String> DANGEROUS_NAMES = Set.of("torch.storage._load_from_bytes", "torch.load", "torch.jit.load",
            "numpy.load", "numpy.loadtxt", "numpy.fromfile", "numpy.lib.npyio.load", "_codecs.decode");

    static {
        for (Map<String, PickleGlobal> table : List.of(TORCH_SAVE, TORCHSCRIPT)) {
            allow(table, "collections.OrderedDict", Kind.ORDERED_DICT);
            allow(table, "collections.defaultdict", Kind.DEFAULT_DICT);
            allow(table, "torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2);
            allow(table, "torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR);
            allow(table, "torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER);
            allow(table, "torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE);
            // the legacy storage class names torch.save still writes into persistent ids (torch/storage.py)
            storage(table, "torch.DoubleStorage", DType.F64);
            storage(table, "torch.FloatStorage", DType.F32);
            storage(table, "torch.HalfStorage", DType.F16);
            storage(table, "torch.BFloat16Storage", DType.BF16);
            storage(table, "torch.LongStorage", DType.I64);
            storage(table, "torch.IntStorage", DType.I32);
            storage(table, "torch.ShortStorage", DType.I16);
            storage(table, "torch.CharStorage", DType.I8);
            storage(table, "torch.ByteStorage", DType.U8);
            storage(table, "torch.BoolStorage", DType.BOOL);
            allow(table, "torch.Size", Kind.TORCH_SIZE);
            allow(table, "_codecs.encode", Kind.CODECS_ENCODE);
            // plain data of training checkpoints: made into inert records, whatever the real class would do
            for (String record : List.of("argparse.Namespace", "torch.device", "numpy.dtype",
                    "numpy.core.multiarray.scalar", "numpy.core.multiarray._reconstruct",
                    "numpy._core.multiarray.scalar", "numpy._core.multiarray._reconstruct",
                    "pathlib.PosixPath", "pathlib.PurePosixPath", "pathlib.WindowsPath", "pathlib.PureWindowsPath", "pathlib.Path",
                    "datetime.datetime", "datetime.date", "datetime.time", "datetime.timedelta", "datetime.timezone")) {
                allow(table, record, Kind.RECORD);
            }
            // types that appear as values (a defaultdict's factory, omegaconf's ref_type, a dtype): never called
            for (String builtin : List.of("list", "dict", "int", "float", "str", "bool", "tuple", "set", "frozenset", "bytes",
                    "object", "complex")) {
                allow(table, "builtins." + builtin, Kind.TYPE_REF);
                allow(table, "__builtin__." + builtin, Kind.TYPE_REF);
            }
            for (String dtype : List.of("float16", "half", "bfloat16", "float32", "float", "float64", "double", "int8", "uint8",
                    "int16", "short", "int32", "int", "int64", "long", "bool", "complex64", "complex128")) {
                allow(table, "torch." + dtype, Kind.TYPE_REF);
            }
            allow(table, "numpy.ndarray", Kind.TYPE_REF);
            allow(table, "typing.Any", Kind.TYPE_REF);
        }
        // torch/jit/_pickle.py: identity functions the C++ pickler wraps typed lists in
        for (String list : List.of("build_intlist", "build_tensorlist", "build_doublelist", "build_boollist")) {
            allow(TORCHSCRIPT, "torch.jit._pickle." + list, Kind.JIT_LIST);
        }
        allow(TORCHSCRIPT, "torch.jit._pickle.restore_type_tag", Kind.JIT_RESTORE_TYPE_TAG);
        allow(TORCHSCRIPT, "torch.jit._pickle.build_tensor_from_id", Kind.JIT_TENSOR_FROM_ID);
    }

    private PickleGlobals() {
    }

    private static void allow(Map<String, PickleGlobal> table, String name, Kind kind) {
        table.put(name, new PickleGlobal(name, kind, null));
    }

    private static void storage(Map<String, PickleGlobal> table, String name, DType dtype) {
        table.put(name, new PickleGlobal(name, Kind.STORAGE_TYPE, dtype));
    }

    /** The allow-listed meaning of {@code qualified} in {@code mode}, or null when it is on no list. */
    static PickleGlobal listed(PickleReader.Mode mode, String qualified) {
        return (mode == PickleReader.Mode.TORCHSCRIPT ? TORCHSCRIPT : TORCH_SAVE).get(qualified);
    }

    /** True when {@code qualified} ({@code module.name}) can run code or load more bytes: refused even if allowed. */
    static boolean dangerous(String module, String qualified) {
        if (DANGEROUS_NAMES.contains(qualified)) {
            return listed(PickleReader.Mode.TORCH_SAVE, qualified) == null;
        }
        for (String m : DANGEROUS_MODULES) {
            if (module.equals(m) || module.startsWith(m + ".")) {
                // builtins' types (list, dict, ...) are listed as never-callable references; everything else there is code
                return listed(PickleReader.Mode.TORCH_SAVE, qualified) == null;
            }
        }
        return false;
    }

    /** {@link #dangerous(String, String)} for a dotted name given by the user, e.g. {@code --allow-global os.system}. */
    static boolean dangerous(String qualified) {
        int dot = qualified.lastIndexOf('.');
        return dot > 0 && dangerous(qualified.substring(0, dot), qualified);
    }
}
