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
 * builders that are implemented here in Java (no reflection, no Python) and the plain-data classes training
 * checkpoints carry ({@link PickleGlobals#INERT_CLASSES}), which become inert {@link PickledObject} records. Names that
 * can run code, {@code os.system} first, fail with {@link UnsafePickleException} at the opcode that names them; other
 * unknown classes may only be instantiated inertly (NEWOBJ) and are refused after the pickle is read unless the caller
 * tolerates them ({@link #firstForeign}: a Lightning checkpoint's metadata) or the user allowed them.
 *
 * <p>Values come out as Java objects: dict and OrderedDict → {@code LinkedHashMap} (insertion order), list → mutable
 * {@code ArrayList}, tuple → an unmodifiable {@code List}, int → {@code Long} (or {@code BigInteger} beyond 64 bits),
 * float → {@code Double}, bool → {@code Boolean}, str → {@code String}, bytes → {@code byte[]}, None → null, tensor →
 * {@link TensorRef}, TorchScript module → {@link ScriptObject}, defaultdict → {@code LinkedHashMap}, torch.Size → tuple,
 * protocol-2 bytes ({@code _codecs.encode}) → {@code byte[]}, a class or dtype used as a value → {@link PickleGlobal},
 * any other object → {@link PickledObject}.
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

    private static final String ALLOWED = "only tensors, storages, dicts, lists, tuples, primitives and plain data ("
            + PickleGlobals.INERT_CLASSES + ") are read";

    private final String location;
    private final String entry;
    private final byte[] data;
    private final Mode mode;
    private final StorageResolver storages;
    private final ArrayList<Object> stack = new ArrayList<>();
    private int[] marks = new int[16];
    private int markCount;
    /** Memo slots 0..n-1 as protocol 4's MEMOIZE and torch's BINPUTs number them: an array, not a boxed map. */
    private Object[] memoDense = new Object[64];
    private boolean[] memoSet = new boolean[64];
    private int memoDenseCount;
    /** Memo slots far past the dense ones (a crafted pickle): kept apart so they cannot inflate the array. */
    private final HashMap<Long, Object> memoSparse = new HashMap<>();
    private final ReadOptions options;
    /** The first GLOBAL on no list, and where: refused after reading unless the caller tolerates foreign classes. */
    private String firstForeign;
    private int firstForeignOffset;
    private int pos;
    /** Offset of the opcode being executed, for messages. */
    private int op;

    /**
     * @param location the checkpoint file, for messages
     * @param entry the zip entry holding the pickle, for messages
     */
    PickleReader(String location, String entry, byte[] data, Mode mode, StorageResolver storages) {
        this(location, entry, data, mode, storages, ReadOptions.DEFAULT);
    }

    PickleReader(String location, String entry, byte[] data, Mode mode, StorageResolver storages, ReadOptions options) {
        this.location = location;
        this.entry = entry;
        this.data = data;
        this.mode = mode;
        this.storages = storages;
        this.options = options;
    }

    /**
     * Runs the pickle to its STOP and returns the top of the stack. Foreign classes are not refused here: call
     * {@link #refuseForeign} unless the value is one where they are tolerated.
     */
    Object readTolerant() throws IOException {
        try {
            return run();
        } catch (CheckpointFormatException e) {
            if (firstForeign != null) { // a file built around a class we do not read: say that, not what broke after it
                throw foreign();
            }
            throw e;
        }
    }

    /** Runs the pickle to its STOP and returns the top of the stack, refusing any class on no list. */
    Object read() throws IOException {
        Object root = readTolerant();
        refuseForeign();
        return root;
    }

    /** The first class on no allow-list the pickle named (only ever instantiated inertly), or null. */
    String firstForeign() {
        return firstForeign;
    }

    /** Fails with the first foreign class, if any. */
    void refuseForeign() throws UnsafePickleException {
        if (firstForeign != null) {
            throw foreign();
        }
    }

    private UnsafePickleException foreign() {
        op = firstForeignOffset;
        return unsafe("imports " + firstForeign, firstForeign, "; pass --allow-global " + firstForeign
                + " to read it as inert data if you trust the file (nothing is ever run)");
    }

    private Object run() throws IOException {
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
                case 0x94 -> memoize(memoDenseCount + (long) memoSparse.size()); // MEMOIZE: the next free index
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

    private PickleGlobal resolve(String module, String name) throws UnsafePickleException {
        String qualified = module + "." + name;
        if (PickleGlobals.dangerous(module, qualified)) {
            throw unsafe("imports " + qualified, qualified, " and can run code: it is never read, whatever --allow-global says");
        }
        PickleGlobal g = PickleGlobals.listed(mode, qualified);
        if (g != null) {
            return g;
        }
        boolean torchModule = module.equals("__torch__") || module.startsWith("__torch__.");
        if (mode == Mode.TORCHSCRIPT && torchModule) {
            return new PickleGlobal(qualified, PickleGlobal.Kind.SCRIPT_CLASS, null);
        }
        if (options.allowedGlobals().contains(qualified)) {
            return new PickleGlobal(qualified, PickleGlobal.Kind.RECORD, null);
        }
        if (mode == Mode.TORCH_SAVE && torchModule) {
            throw unsafe("imports " + qualified, qualified, "; this looks like a TorchScript archive: open it with"
                    + " TorchCheckpoint.openTorchScript");
        }
        if (firstForeign == null) {
            firstForeign = qualified;
            firstForeignOffset = op;
        }
        return new PickleGlobal(qualified, PickleGlobal.Kind.FOREIGN, null);
    }

    private Object reduce(Object callable, Object argsObject) throws IOException {
        if (!(callable instanceof PickleGlobal g)) {
            throw unsafe("calls a " + describe(callable), describe(callable), "");
        }
        List<Object> args = tupleArg(argsObject, "arguments of " + g.name());
        switch (g.kind()) {
            case ORDERED_DICT -> {
                return orderedDict(args);
            }
            case DEFAULT_DICT -> {
                // (default_factory,) or (): the factory is a name that is never called; items arrive by SETITEMS
                if (args.size() > 1 || (args.size() == 1 && args.get(0) != null && !(args.get(0) instanceof PickleGlobal))) {
                    throw format(g.name() + " takes () or (factory,), found " + args.size() + " arguments");
                }
                return new LinkedHashMap<>();
            }
            case TORCH_SIZE -> {
                arity(g, args, 1, 1);
                dims(args.get(0), "torch.Size"); // a tuple of non-negative ints, at most MAX_RANK of them
                return new Tuple(((List<?>) args.get(0)).toArray());
            }
            case CODECS_ENCODE -> {
                arity(g, args, 2, 2);
                return latin1(args.get(0), args.get(1));
            }
            case RECORD -> {
                return new PickledObject(g.name(), args, false);
            }
            case FOREIGN -> throw unsafe("calls " + g.name(), g.name(), "; pass --allow-global " + g.name()
                    + " to read it as inert data if you trust the file (nothing is ever run)");
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
                if (g.kind() == PickleGlobal.Kind.REBUILD_PARAMETER) {
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
            // storage types only appear inside persistent ids, type references only as values; TorchScript classes are
            // only instantiated inertly with NEWOBJ
            default -> throw unsafe("calls " + g.name(), g.name(), "");
        }
    }

    private Object newObject(Object cls, Object argsObject) throws IOException {
        if (cls instanceof PickleGlobal g) {
            switch (g.kind()) {
                case SCRIPT_CLASS, ORDERED_DICT, DEFAULT_DICT -> {
                    List<Object> args = tupleArg(argsObject, "arguments of " + g.name());
                    if (!args.isEmpty() && g.kind() != PickleGlobal.Kind.DEFAULT_DICT) {
                        throw format("NEWOBJ of " + g.name() + " expects no arguments, found " + args.size());
                    }
                    return g.kind() == PickleGlobal.Kind.SCRIPT_CLASS ? new ScriptObject(g.name()) : new LinkedHashMap<>();
                }
                case RECORD, FOREIGN -> {
                    // cls.__new__(cls, *args) for a plain class: a record of the name and arguments, nothing more
                    List<Object> args = tupleArg(argsObject, "arguments of " + g.name());
                    return new PickledObject(g.name(), args, g.kind() == PickleGlobal.Kind.FOREIGN);
                }
                default -> {
                    // tensors, storages, types and the jit helpers are never instantiated by NEWOBJ in torch's pickles
                }
            }
        }
        throw unsafe("instantiates " + describe(cls), describe(cls), "");
    }

    private void build(Object target, Object state) throws IOException {
        if (target instanceof PickledObject object) {
            object.setState(state); // what __setstate__ or __dict__.update would receive; nothing of the class runs
        } else if (target instanceof ScriptObject object) {
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
                && t.get(1) instanceof PickleGlobal g && g.kind() == PickleGlobal.Kind.STORAGE_TYPE
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

    private byte[] latin1(Object text, Object encoding) throws IOException {
        if (!(text instanceof String s) || !("latin1".equals(encoding) || "latin-1".equals(encoding))) {
            throw format("_codecs.encode takes (str, 'latin1') as protocol 2 writes bytes, found " + describe(text) + " and "
                    + describe(encoding));
        }
        byte[] out = new byte[s.length()];
        for (int i = 0; i < out.length; i++) {
            char c = s.charAt(i);
            if (c > 0xFF) {
                throw format("_codecs.encode of a str with U+" + Integer.toHexString(c) + ", which latin1 cannot encode");
            }
            out[i] = (byte) c;
        }
        return out;
    }

    private void arity(PickleGlobal g, List<Object> args, int min, int max) throws IOException {
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
        Object value = peek();
        if (index < memoDense.length) {
            if (!memoSet[(int) index]) {
                checkMemoSize();
                memoSet[(int) index] = true;
                memoDenseCount++;
            }
            memoDense[(int) index] = value;
        } else if (index < 2L * memoDense.length && memoDenseCount >= memoDense.length / 2 && index < MAX_MEMO) {
            // doubles only while at least half used, so its size stays within twice the entries the pickle paid for
            int size = (int) Math.min(MAX_MEMO, 2L * memoDense.length);
            memoDense = Arrays.copyOf(memoDense, size);
            memoSet = Arrays.copyOf(memoSet, size);
            memoize(index);
        } else {
            if (!memoSparse.containsKey(index)) {
                checkMemoSize();
            }
            memoSparse.put(index, value);
        }
    }

    private void checkMemoSize() throws IOException {
        if (memoDenseCount + (long) memoSparse.size() >= MAX_MEMO) {
            throw format("memo grows past " + MAX_MEMO + " entries");
        }
    }

    private Object recall(long index) throws IOException {
        if (index >= 0 && index < memoDense.length && memoSet[(int) index]) {
            return memoDense[(int) index];
        }
        Object value = memoSparse.get(index);
        if (value == null && !memoSparse.containsKey(index)) {
            throw format("memo has no entry " + index);
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() throws IOException {
        Object top = peek();
        if (top instanceof PickledObject object) { // a dict subclass, e.g. Lightning's AttributeDict
            return object.mutableDictItems();
        }
        if (!(top instanceof Map)) {
            throw format("SETITEM needs a dict below its items, found " + describe(top));
        }
        return (Map<Object, Object>) top;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() throws IOException {
        Object top = peek();
        if (top instanceof PickledObject object) { // a list subclass
            return object.mutableListItems();
        }
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
        if (v instanceof PickleGlobal g) {
            return g.name();
        }
        if (v instanceof PickledObject o) {
            return "object of " + o.className();
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
