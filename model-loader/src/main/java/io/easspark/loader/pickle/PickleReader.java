package io.easspark.loader.pickle;

import io.easspark.loader.tensor.DType;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.RandomAccess;

/**
 * A pickle machine for checkpoint {@code data.pkl} files that never runs anything: it implements only the opcodes
 * torch.save and torch.jit.save emit, and resolves GLOBAL names through an allow-list of tensor, storage and dict
 * builders that are implemented here in Java (no reflection, no Python). Everything else, {@code os.system} first,
 * fails with {@link UnsafePickleException} at the opcode that names it.
 *
 * <p>Values come out as Java objects: dict and OrderedDict → {@code LinkedHashMap} (insertion order), list → mutable
 * {@code ArrayList}, tuple → an unmodifiable {@code List}, int → {@code Long} (or {@code BigInteger} beyond 64 bits),
 * float → {@code Double}, bool → {@code Boolean}, str → {@code String}, bytes → {@code byte[]}, None → null, tensor →
 * {@link TensorRef}, TorchScript module → {@link ScriptObject}.
 *
 * <p>Opcode semantics follow CPython's {@code Lib/pickle.py} {@code _Unpickler} and the {@code pickletools} docs;
 * the allow-listed callables mirror {@code torch/_utils.py} and {@code torch/jit/_pickle.py}.
 */
public final class PickleReader {

    /** Which allow-list applies. */
    enum Mode {
        /** torch.save: tensors, storages, dicts, OrderedDicts, lists, tuples, primitives. */
        TORCH_SAVE,
        /** torch.jit.save: additionally inert placeholders for {@code __torch__.*} classes and the jit list helpers. */
        TORCHSCRIPT
    }

    /** Turns a persistent id {@code ('storage', torch.XStorage, key, location, numel)} into a storage in the archive. */
    @FunctionalInterface
    interface StorageResolver {
        TensorRef.Storage resolve(String key, DType dtype, long numel) throws IOException;
    }

    /**
     * An inert stand-in for an instance of a TorchScript class ({@code __torch__.*}): only its class name and the
     * attribute dict that BUILD gave it. No code of the class is loaded or run.
     */
    public static final class ScriptObject {
        private final String className;
        private final Map<String, Object> attributes = new LinkedHashMap<>();
        private Object state;

        ScriptObject(String className) {
            this.className = className;
        }

        /** Dotted class name, e.g. {@code __torch__.torch.nn.modules.conv.Conv2d}. */
        public String className() {
            return className;
        }

        /** Attributes in pickle order: submodules, parameters, buffers and plain values such as {@code training}. */
        public Map<String, Object> attributes() {
            return Collections.unmodifiableMap(attributes);
        }

        /** The BUILD state when it was not a dict (a class with its own {@code __getstate__}), else null. */
        public Object state() {
            return state;
        }

        @Override
        public String toString() {
            return className + attributes.keySet();
        }
    }

    /** Bounds on an untrusted pickle. Legit checkpoints stay far below (a 7B shard's data.pkl has ~3k memo entries). */
    static final int MAX_STACK = 1 << 20;
    static final int MAX_MEMO = 1 << 22;
    /** Longest module or attribute name a GLOBAL may carry; real ones are under 100 bytes. */
    static final int MAX_GLOBAL_NAME = 1024;
    /** Torch tensors have at most 64 dimensions (c10's kMaxDims is lower still). */
    static final int MAX_RANK = 64;
    private static final int HIGHEST_PROTOCOL = 5;

    private static final String ALLOWED = "only tensors, storages, dicts, lists, tuples and primitives are read";

    private final String location;
    private final String entry;
    private final byte[] data;
    private final Mode mode;
    private final StorageResolver storages;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    private final HashMap<Long, Object> memo = new HashMap<>();
    private int pos;
    /** Offset of the opcode being executed, for messages. */
    private int op;

    /**
     * @param location the checkpoint file, for messages
     * @param entry the zip entry holding the pickle, for messages
     */
    PickleReader(String location, String entry, byte[] data, Mode mode, StorageResolver storages) {
        this.location = location;
        this.entry = entry;
        this.data = data;
        this.mode = mode;
        this.storages = storages;
    }

    /** Runs the pickle to its STOP and returns the top of the stack. */
    Object read() throws IOException {
        while (pos < data.length) {
            op = pos;
            int code = data[pos++] & 0xFF;
            switch (code) {
                case 0x80 -> { // PROTO
                    int version = u8();
                    if (version < 2 || version > HIGHEST_PROTOCOL) {
                        throw format("pickle protocol " + version + " is not supported (expected 2 to " + HIGHEST_PROTOCOL + ")");
                    }
                }
                case 0x95 -> { // FRAME: a length prefix for buffering; the bytes that follow are ordinary opcodes
                    long frame = fixed(8);
                    if (frame < 0 || frame > data.length - pos) {
                        throw format("frame of " + frame + " bytes runs past the end (" + (data.length - pos) + " left)");
                    }
                }
                case '.' -> { // STOP
                    return pop();
                }
                case '(' -> pushMark(); // MARK
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(Tuple.EMPTY); // EMPTY_TUPLE
                case 't' -> push(new Tuple(popToMark().toArray())); // TUPLE
                case 0x85 -> push(new Tuple(new Object[] {pop()})); // TUPLE1
                case 0x86 -> { // TUPLE2
                    Object b = pop();
                    push(new Tuple(new Object[] {pop(), b}));
                }
                case 0x87 -> { // TUPLE3
                    Object c = pop();
                    Object b = pop();
                    push(new Tuple(new Object[] {pop(), b, c}));
                }
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    put(dictOnTop(), key, value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popToMark();
                    if (items.size() % 2 != 0) {
                        throw format("SETITEMS has an odd number (" + items.size() + ") of keys and values");
                    }
                    Map<Object, Object> dict = dictOnTop();
                    for (int i = 0; i < items.size(); i += 2) {
                        put(dict, items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    listOnTop().add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popToMark();
                    listOnTop().addAll(items);
                }
                case 'N' -> push(null); // NONE
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push(fixed(2)); // BININT2
                case 'J' -> push((long) (int) fixed(4)); // BININT: signed 32-bit
                case 0x8a -> push(long1()); // LONG1
                case 'G' -> push(Double.longBitsToDouble(bigEndian8())); // BINFLOAT: big-endian IEEE double
                case 0x8c -> push(string(u8())); // SHORT_BINUNICODE
                case 'X' -> push(string(fixed(4))); // BINUNICODE
                case 0x8d -> push(string(fixed(8))); // BINUNICODE8
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 'B' -> push(bytes(fixed(4))); // BINBYTES
                case 0x8e -> push(bytes(fixed(8))); // BINBYTES8
                case 'q' -> memoize(u8()); // BINPUT
                case 'r' -> memoize(fixed(4)); // LONG_BINPUT
                case 0x94 -> memoize(memo.size()); // MEMOIZE
                case 'h' -> push(recall(u8())); // BINGET
                case 'j' -> push(recall(fixed(4))); // LONG_BINGET
                case '0' -> pop(); // POP
                case '1' -> popToMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'c' -> { // GLOBAL: "module\nname\n"
                    String module = line();
                    String name = line();
                    push(resolve(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw format("STACK_GLOBAL needs two str, found " + describe(module) + " and " + describe(name));
                    }
                    push(resolve(m, n));
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(newObject(cls, args));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> push(persistentLoad(pop())); // BINPERSID
                default -> throw unsafeOpcode(code);
            }
        }
        throw format("the pickle ends after " + data.length + " bytes without a STOP opcode (truncated?)");
    }

    // ------------------------------------------------------------------------------------------ globals and calls

    /** What an allow-listed GLOBAL stands for. Each kind is implemented below; nothing is looked up by name at run time. */
    private enum Kind {
        ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE, STORAGE_TYPE,
        JIT_LIST, JIT_RESTORE_TYPE_TAG, JIT_TENSOR_FROM_ID, SCRIPT_CLASS
    }

    /** A resolved GLOBAL on the stack. */
    private record Global(String name, Kind kind, DType storageType) {
    }

    private static final Map<String, Global> TORCH_SAVE_GLOBALS = new HashMap<>();
    private static final Map<String, Global> TORCHSCRIPT_GLOBALS = new HashMap<>();

    static {
        allow(TORCH_SAVE_GLOBALS, "collections.OrderedDict", Kind.ORDERED_DICT, null);
        allow(TORCH_SAVE_GLOBALS, "torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2, null);
        allow(TORCH_SAVE_GLOBALS, "torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR, null);
        allow(TORCH_SAVE_GLOBALS, "torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER, null);
        allow(TORCH_SAVE_GLOBALS, "torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE, null);
        // the legacy storage class names torch.save still writes into persistent ids (torch/storage.py _dtype_to_storage_type_map)
        allow(TORCH_SAVE_GLOBALS, "torch.DoubleStorage", Kind.STORAGE_TYPE, DType.F64);
        allow(TORCH_SAVE_GLOBALS, "torch.FloatStorage", Kind.STORAGE_TYPE, DType.F32);
        allow(TORCH_SAVE_GLOBALS, "torch.HalfStorage", Kind.STORAGE_TYPE, DType.F16);
        allow(TORCH_SAVE_GLOBALS, "torch.BFloat16Storage", Kind.STORAGE_TYPE, DType.BF16);
        allow(TORCH_SAVE_GLOBALS, "torch.LongStorage", Kind.STORAGE_TYPE, DType.I64);
        allow(TORCH_SAVE_GLOBALS, "torch.IntStorage", Kind.STORAGE_TYPE, DType.I32);
        allow(TORCH_SAVE_GLOBALS, "torch.ShortStorage", Kind.STORAGE_TYPE, DType.I16);
        allow(TORCH_SAVE_GLOBALS, "torch.CharStorage", Kind.STORAGE_TYPE, DType.I8);
        allow(TORCH_SAVE_GLOBALS, "torch.ByteStorage", Kind.STORAGE_TYPE, DType.U8);
        allow(TORCH_SAVE_GLOBALS, "torch.BoolStorage", Kind.STORAGE_TYPE, DType.BOOL);
        TORCHSCRIPT_GLOBALS.putAll(TORCH_SAVE_GLOBALS);
        // torch/jit/_pickle.py: identity functions the C++ pickler wraps typed lists in
        for (String list : List.of("build_intlist", "build_tensorlist", "build_doublelist", "build_boollist")) {
            allow(TORCHSCRIPT_GLOBALS, "torch.jit._pickle." + list, Kind.JIT_LIST, null);
        }
        allow(TORCHSCRIPT_GLOBALS, "torch.jit._pickle.restore_type_tag", Kind.JIT_RESTORE_TYPE_TAG, null);
        allow(TORCHSCRIPT_GLOBALS, "torch.jit._pickle.build_tensor_from_id", Kind.JIT_TENSOR_FROM_ID, null);
    }

    private static void allow(Map<String, Global> list, String name, Kind kind, DType storageType) {
        list.put(name, new Global(name, kind, storageType));
    }

    private Global resolve(String module, String name) throws UnsafePickleException {
        String qualified = module + "." + name;
        if (mode == Mode.TORCHSCRIPT) {
            Global g = TORCHSCRIPT_GLOBALS.get(qualified);
            if (g != null) {
                return g;
            }
            if (module.equals("__torch__") || module.startsWith("__torch__.")) {
                return new Global(qualified, Kind.SCRIPT_CLASS, null);
            }
        } else {
            Global g = TORCH_SAVE_GLOBALS.get(qualified);
            if (g != null) {
                return g;
            }
        }
        String hint = mode == Mode.TORCH_SAVE && module.startsWith("__torch__")
                ? "; this looks like a TorchScript archive: open it with TorchCheckpoint.openTorchScript" : "";
        throw unsafe("imports " + qualified, qualified, hint);
    }

    private Object reduce(Object callable, Object argsObject) throws IOException {
        if (!(callable instanceof Global g)) {
            throw unsafe("calls a " + describe(callable), describe(callable), "");
        }
        List<Object> args = tupleArg(argsObject, "arguments of " + g.name());
        switch (g.kind()) {
            case ORDERED_DICT -> {
                return orderedDict(args);
            }
            case REBUILD_TENSOR_V2 -> {
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]); torch >= 2.0 adds metadata
                arity(g, args, 6, 7);
                return tensor(args.get(0), args.get(1), args.get(2), args.get(3));
            }
            case REBUILD_TENSOR -> {
                arity(g, args, 4, 4); // (storage, storage_offset, size, stride)
                return tensor(args.get(0), args.get(1), args.get(2), args.get(3));
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                // (data, requires_grad, backward_hooks[, state]): a Parameter is its data for reading weights
                if (g.kind() == Kind.REBUILD_PARAMETER) {
                    arity(g, args, 3, 3);
                } else {
                    arity(g, args, 4, 4);
                }
                if (!(args.get(0) instanceof TensorRef)) {
                    throw format(g.name() + " needs a tensor, found " + describe(args.get(0)));
                }
                return args.get(0);
            }
            case JIT_LIST, JIT_TENSOR_FROM_ID -> {
                arity(g, args, 1, 1);
                return args.get(0);
            }
            case JIT_RESTORE_TYPE_TAG -> {
                arity(g, args, 2, 2); // (value, type_str): the type only matters to the TorchScript runtime
                return args.get(0);
            }
            // storage types only appear inside persistent ids; TorchScript classes are only instantiated inertly with NEWOBJ
            default -> throw unsafe("calls " + g.name(), g.name(), "");
        }
    }

    private Object newObject(Object cls, Object argsObject) throws IOException {
        if (cls instanceof Global g && (g.kind() == Kind.SCRIPT_CLASS || g.kind() == Kind.ORDERED_DICT)) {
            List<Object> args = tupleArg(argsObject, "arguments of " + g.name());
            if (!args.isEmpty()) {
                throw format("NEWOBJ of " + g.name() + " expects no arguments, found " + args.size());
            }
            return g.kind() == Kind.SCRIPT_CLASS ? new ScriptObject(g.name()) : new LinkedHashMap<>();
        }
        throw unsafe("instantiates " + describe(cls), describe(cls), "");
    }

    private void build(Object target, Object state) throws IOException {
        if (target instanceof ScriptObject object) {
            if (state instanceof Map<?, ?> attributes) {
                for (Map.Entry<?, ?> a : attributes.entrySet()) {
                    if (!(a.getKey() instanceof String name)) {
                        throw format("attribute of " + object.className() + " has a non-str name " + describe(a.getKey()));
                    }
                    object.attributes.put(name, a.getValue());
                }
            } else {
                object.state = state;
            }
        } else if (!(target instanceof Map)) {
            // an OrderedDict state_dict carries its _metadata (module versions) as BUILD state: not needed to read weights
            throw format("BUILD applies state to " + describe(target) + ", which cannot take it");
        }
    }

    private Object persistentLoad(Object pid) throws IOException {
        // torch/serialization.py persistent_id: ('storage', storage_type, key, location, numel)
        if (pid instanceof Tuple t && t.size() == 5 && "storage".equals(t.get(0))
                && t.get(1) instanceof Global g && g.kind() == Kind.STORAGE_TYPE
                && t.get(2) instanceof String key && t.get(3) instanceof String && t.get(4) instanceof Long numel) {
            if (numel < 0) {
                throw format("storage " + key + " has a negative element count " + numel);
            }
            return storages.resolve(key, g.storageType(), numel);
        }
        throw format("persistent id must be ('storage', torch.<Type>Storage, key, location, numel), found " + describe(pid));
    }

    private Map<Object, Object> orderedDict(List<Object> args) throws IOException {
        Map<Object, Object> dict = new LinkedHashMap<>();
        if (args.isEmpty()) {
            return dict;
        }
        if (args.size() == 1 && args.get(0) instanceof List<?> pairs) {
            for (Object pair : pairs) {
                if (!(pair instanceof List<?> kv) || kv.size() != 2) {
                    throw format("OrderedDict item must be a (key, value) pair, found " + describe(pair));
                }
                put(dict, kv.get(0), kv.get(1));
            }
            return dict;
        }
        throw format("OrderedDict takes () or a list of pairs, found " + args.size() + " arguments");
    }

    private TensorRef tensor(Object storage, Object offset, Object size, Object stride) throws IOException {
        if (!(storage instanceof TensorRef.Storage s)) {
            throw format("tensor storage must come from a persistent id, found " + describe(storage));
        }
        long storageOffset = nonNegative(offset, "storage offset");
        long[] shape = dims(size, "size");
        long[] strides = dims(stride, "stride");
        if (shape.length != strides.length) {
            throw format("tensor size has " + shape.length + " dimensions but stride has " + strides.length);
        }
        return TensorRef.of(s, storageOffset, shape, strides);
    }

    private long[] dims(Object value, String what) throws IOException {
        if (!(value instanceof List<?> list)) {
            throw format("tensor " + what + " must be a tuple of ints, found " + describe(value));
        }
        if (list.size() > MAX_RANK) {
            throw format("tensor " + what + " has " + list.size() + " dimensions, over the limit of " + MAX_RANK);
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = nonNegative(list.get(i), "tensor " + what + " entry");
        }
        return out;
    }

    private long nonNegative(Object value, String what) throws IOException {
        if (!(value instanceof Long v) || v < 0) {
            throw format(what + " must be a non-negative int, found " + describe(value));
        }
        return v;
    }

    private List<Object> tupleArg(Object args, String what) throws IOException {
        if (!(args instanceof Tuple t)) {
            throw format(what + " must be a tuple, found " + describe(args));
        }
        return t;
    }

    private void arity(Global g, List<Object> args, int min, int max) throws IOException {
        if (args.size() < min || args.size() > max) {
            throw format(g.name() + " takes " + (min == max ? min : min + " or " + max) + " arguments, found " + args.size());
        }
    }

    // ------------------------------------------------------------------------------------------ stack, memo, containers

    private void push(Object value) throws IOException {
        if (stack.size() >= MAX_STACK) {
            throw format("stack grows past " + MAX_STACK + " entries");
        }
        stack.add(value);
    }

    private Object pop() throws IOException {
        if (stack.size() <= currentMark()) {
            throw format("stack underflow" + (markCount > 0 ? " (at a MARK)" : ""));
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws IOException {
        if (stack.size() <= currentMark()) {
            throw format("stack underflow" + (markCount > 0 ? " (at a MARK)" : ""));
        }
        return stack.get(stack.size() - 1);
    }

    private int currentMark() {
        return markCount == 0 ? 0 : marks[markCount - 1];
    }

    private void pushMark() throws IOException {
        if (markCount >= MAX_STACK) {
            throw format("more than " + MAX_STACK + " nested MARKs");
        }
        if (markCount == marks.length) {
            marks = Arrays.copyOf(marks, marks.length * 2);
        }
        marks[markCount++] = stack.size();
    }

    private List<Object> popToMark() throws IOException {
        if (markCount == 0) {
            throw format("no MARK to pop to");
        }
        int mark = marks[--markCount];
        List<Object> top = stack.subList(mark, stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    private void memoize(long index) throws IOException {
        if (index < 0) {
            throw format("memo index " + index + " is negative");
        }
        if (memo.size() >= MAX_MEMO && !memo.containsKey(index)) {
            throw format("memo grows past " + MAX_MEMO + " entries");
        }
        memo.put(index, peek());
    }

    private Object recall(long index) throws IOException {
        Object value = memo.get(index);
        if (value == null && !memo.containsKey(index)) {
            throw format("memo has no entry " + index);
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() throws IOException {
        Object top = peek();
        if (!(top instanceof Map)) {
            throw format("SETITEM needs a dict below its items, found " + describe(top));
        }
        return (Map<Object, Object>) top;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() throws IOException {
        Object top = peek();
        if (!(top instanceof ArrayList)) { // tuples are immutable: APPEND on one is malformed
            throw format("APPEND needs a list below its items, found " + describe(top));
        }
        return (List<Object>) top;
    }

    /** Keys must be hashable scalars or flat tuples of them, so hashing never recurses through a crafted cycle. */
    private void put(Map<Object, Object> dict, Object key, Object value) throws IOException {
        if (!isScalar(key)) {
            boolean flatTuple = key instanceof Tuple t && t.stream().allMatch(PickleReader::isScalar);
            if (!flatTuple) {
                throw format("dict key must be a str, int, float, bool, None or a tuple of them, found " + describe(key));
            }
        }
        dict.put(key, value);
    }

    private static boolean isScalar(Object v) {
        return v == null || v instanceof String || v instanceof Long || v instanceof BigInteger || v instanceof Double
                || v instanceof Boolean;
    }

    /** An immutable Python tuple; compares equal to any List with the same items. */
    private static final class Tuple extends AbstractList<Object> implements RandomAccess {
        static final Tuple EMPTY = new Tuple(new Object[0]);
        private final Object[] items;

        Tuple(Object[] items) {
            this.items = items;
        }

        @Override
        public Object get(int index) {
            return items[index];
        }

        @Override
        public int size() {
            return items.length;
        }
    }

    // ------------------------------------------------------------------------------------------ reading bytes

    private int u8() throws IOException {
        need(1);
        return data[pos++] & 0xFF;
    }

    /** An unsigned little-endian integer of {@code n} ≤ 8 bytes (8-byte values above Long.MAX_VALUE come out negative). */
    private long fixed(int n) throws IOException {
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) {
            v = (v << 8) | (data[pos + i] & 0xFF);
        }
        pos += n;
        return v;
    }

    private long bigEndian8() throws IOException {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (data[pos + i] & 0xFF);
        }
        pos += 8;
        return v;
    }

    /** LONG1: a length byte then that many bytes of little-endian two's complement. */
    private Object long1() throws IOException {
        int n = u8();
        need(n);
        if (n == 0) {
            return 0L;
        }
        byte[] bigEndian = new byte[n];
        for (int i = 0; i < n; i++) {
            bigEndian[i] = data[pos + n - 1 - i];
        }
        pos += n;
        BigInteger v = new BigInteger(bigEndian);
        return v.bitLength() < Long.SIZE ? (Object) v.longValue() : v;
    }

    private String string(long length) throws IOException {
        byte[] raw = bytes(length);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            throw format("string of " + length + " bytes is not valid UTF-8");
        }
    }

    private byte[] bytes(long length) throws IOException {
        if (length < 0 || length > data.length - pos) {
            throw format("length " + length + " runs past the end of the pickle (" + (data.length - pos) + " bytes left)");
        }
        byte[] out = Arrays.copyOfRange(data, pos, pos + (int) length);
        pos += (int) length;
        return out;
    }

    /** A newline-terminated ASCII name for GLOBAL, bounded so a missing newline cannot swallow the file. */
    private String line() throws IOException {
        int limit = Math.min(data.length, pos + MAX_GLOBAL_NAME + 1);
        for (int i = pos; i < limit; i++) {
            if (data[i] == '\n') {
                String s = string(i - pos);
                pos++;
                return s;
            }
        }
        throw format("GLOBAL name has no newline within " + MAX_GLOBAL_NAME + " bytes");
    }

    private void need(int n) throws IOException {
        if (n > data.length - pos) {
            throw format("opcode needs " + n + " more bytes but the pickle ends after " + (data.length - pos) + " (truncated?)");
        }
    }

    // ------------------------------------------------------------------------------------------ messages

    private CheckpointFormatException format(String what) {
        return new CheckpointFormatException(location + ": " + entry + " offset " + op + ": " + what);
    }

    private UnsafePickleException unsafe(String action, String refused, String hint) {
        return new UnsafePickleException("refusing to load " + location + ": " + entry + " offset " + op + " " + action
                + ", which is not on the allow-list (" + ALLOWED + ")" + hint, refused, op);
    }

    private UnsafePickleException unsafeOpcode(int code) {
        String name = OPCODE_NAMES.getOrDefault(code, "unknown");
        String refused = String.format("opcode 0x%02x %s", code, name);
        return new UnsafePickleException("refusing to load " + location + ": " + entry + " offset " + op + " has " + refused
                + ", which is not on the allow-list (" + ALLOWED + ")", refused, op);
    }

    /** Names of pickle opcodes this reader refuses, for messages (from pickletools). */
    private static final Map<Integer, String> OPCODE_NAMES = Map.ofEntries(
            Map.entry((int) 'i', "INST"), Map.entry((int) 'o', "OBJ"), Map.entry(0x92, "NEWOBJ_EX"),
            Map.entry(0x82, "EXT1"), Map.entry(0x83, "EXT2"), Map.entry(0x84, "EXT4"), Map.entry((int) 'P', "PERSID"),
            Map.entry((int) 'I', "INT"), Map.entry((int) 'L', "LONG"), Map.entry(0x8b, "LONG4"), Map.entry((int) 'F', "FLOAT"),
            Map.entry((int) 'S', "STRING"), Map.entry((int) 'T', "BINSTRING"), Map.entry((int) 'U', "SHORT_BINSTRING"),
            Map.entry((int) 'V', "UNICODE"), Map.entry((int) 'g', "GET"), Map.entry((int) 'p', "PUT"), Map.entry((int) 'l', "LIST"),
            Map.entry((int) 'd', "DICT"), Map.entry(0x8f, "EMPTY_SET"), Map.entry(0x90, "ADDITEMS"), Map.entry(0x91, "FROZENSET"),
            Map.entry(0x96, "BYTEARRAY8"), Map.entry(0x97, "NEXT_BUFFER"), Map.entry(0x98, "READONLY_BUFFER"));

    /** A short description of a value for messages; never prints containers, which may be huge or cyclic. */
    static String describe(Object v) {
        if (v == null) {
            return "None";
        }
        if (v instanceof String s) {
            return "str '" + (s.length() > 80 ? s.substring(0, 80) + "..." : s) + "'";
        }
        if (v instanceof Long || v instanceof BigInteger) {
            return "int " + v;
        }
        if (v instanceof Double d) {
            return "float " + d;
        }
        if (v instanceof Boolean b) {
            return "bool " + (b ? "True" : "False");
        }
        if (v instanceof byte[] b) {
            return "bytes of length " + b.length;
        }
        if (v instanceof Tuple t) {
            return "tuple of " + t.size();
        }
        if (v instanceof List<?> l) {
            return "list of " + l.size();
        }
        if (v instanceof Map<?, ?> m) {
            return "dict of " + m.size();
        }
        if (v instanceof Global g) {
            return g.name();
        }
        if (v instanceof ScriptObject o) {
            return "object of " + o.className();
        }
        if (v instanceof TensorRef) {
            return "tensor";
        }
        if (v instanceof TensorRef.Storage s) {
            return "storage " + s.key();
        }
        return v.getClass().getSimpleName();
    }
}
