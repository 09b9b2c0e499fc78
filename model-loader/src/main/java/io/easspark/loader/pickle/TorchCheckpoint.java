package io.easspark.loader.pickle;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PyTorch zip checkpoint opened without running its pickle: {@code torch.save} files ({@code .pth}) and TorchScript
 * archives ({@code torch.jit.save}, e.g. OpenAI's {@code ViT-L-14.pt}). Both are zips holding
 * {@code <archive>/data.pkl} plus one raw little-endian entry {@code <archive>/data/<key>} per storage. Opening reads
 * the zip directory and data.pkl only; tensors are read one at a time through {@link TensorRef#read()}.
 *
 * <p>No key mapping happens here: {@code {'model': {'module.x': t}}} comes out as {@code model.module.x}. A PyTorch
 * Lightning checkpoint ({@code .ckpt}: {@code state_dict}, {@code hyper_parameters}, {@code optimizer_states}, ...,
 * {@code pytorch-lightning_version}) is recognised by its top-level keys: its tensors are those of {@code state_dict},
 * named by their state_dict keys, and the rest is kept inertly in {@link #root()} whatever classes it names, as long
 * as it only instantiates them (no call of anything off the allow-list).
 *
 * <p>Reading is bounded by the pickle's size: the walk that names tensors visits at most
 * {@value #WALK_STEPS_PER_BYTE} values per pickle byte (plus a floor) and builds a name only for a tensor, so a small
 * file of shared containers or long keys fails in time and memory linear in its size.
 */
public final class TorchCheckpoint {

    /** data.pkl of a 7B shard is ~30 KB and of ViT-L-14.pt ~100 KB; this only refuses absurd sizes before allocating. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    /** Real checkpoints nest under 10 levels (CLIP: visual.transformer.resblocks.N.attn.out_proj.weight); deeper means a cycle. */
    static final int MAX_NESTING = 100;
    /**
     * Work the walk may do per byte of data.pkl: each visited value and each character of a tensor name costs one.
     * A pickle without shared containers visits each value once (every value costs at least one opcode byte); a
     * crafted one can make exponentially many paths to a value through the memo, so the bound is needed.
     */
    static final long WALK_STEPS_PER_BYTE = 8;
    /** Work every walk may do whatever the pickle's size, so tiny checkpoints with long names are never refused. */
    static final long WALK_STEPS_FLOOR = 1 << 20;
    /** Longest tensor name; real ones are under 200 characters (a 100-deep chain of 8 MB keys is not a name). */
    static final int MAX_NAME_CHARS = 4096;
    /** The top-level keys that make a dict a PyTorch Lightning checkpoint (Lightning's dump_checkpoint always writes both). */
    static final String LIGHTNING_STATE = "state_dict";
    static final String LIGHTNING_VERSION = "pytorch-lightning_version";

    /** What kind of file it was. */
    public enum Format {
        /** torch.save of any dict/list structure holding tensors, e.g. a .pth state_dict or training checkpoint. */
        TORCH_SAVE,
        /** torch.save of a PyTorch Lightning checkpoint: tensors are its state_dict's. */
        LIGHTNING,
        /** torch.jit.save. */
        TORCHSCRIPT
    }
    /** Bytes of metadata entries such as {@code byteorder} ("little"). */
    private static final long MAX_SMALL_ENTRY = 64;

    private final String location;
    private final Format format;
    private final long fileBytes;
    private final Object root;
    private final Map<String, TensorRef> tensors;

    private TorchCheckpoint(String location, Format format, long fileBytes, Object root, Map<String, TensorRef> tensors) {
        this.location = location;
        this.format = format;
        this.fileBytes = fileBytes;
        this.root = root;
        this.tensors = tensors;
    }

    /** Opens a {@code torch.save} zip; a pickle naming anything outside the allow-list fails with {@link UnsafePickleException}. */
    public static TorchCheckpoint open(InputFile file) throws IOException {
        return open(file, ReadOptions.DEFAULT);
    }

    /**
     * Opens a {@code torch.save} zip (a Lightning {@code .ckpt} included) with the user's {@code options}: extra
     * globals to read inertly, broadcast tensors.
     */
    public static TorchCheckpoint open(InputFile file, ReadOptions options) throws IOException {
        return load(file, PickleReader.Mode.TORCH_SAVE, options);
    }

    /**
     * Opens a PyTorch Lightning checkpoint: {@link #tensors()} are its {@code state_dict}. Fails naming the file when
     * it is a plain torch.save file instead.
     */
    public static TorchCheckpoint openLightning(InputFile file, ReadOptions options) throws IOException {
        TorchCheckpoint c = open(file, options);
        if (c.format != Format.LIGHTNING) {
            throw new CheckpointFormatException(file.location() + " is not a PyTorch Lightning checkpoint: its top level is not a"
                    + " dict with '" + LIGHTNING_STATE + "' and '" + LIGHTNING_VERSION + "'");
        }
        return c;
    }

    /**
     * Opens a TorchScript archive. Its data.pkl pickles the module object itself: each module is a {@code __torch__.*}
     * class built with NEWOBJ and given its attributes (submodules, parameters, buffers) by BUILD. Those classes become
     * inert {@link PickleReader.ScriptObject}s and tensors are named by attribute path, e.g. {@code visual.conv1.weight}.
     */
    public static TorchCheckpoint openTorchScript(InputFile file) throws IOException {
        return openTorchScript(file, ReadOptions.DEFAULT);
    }

    /** {@link #openTorchScript(InputFile)} with the user's options. */
    public static TorchCheckpoint openTorchScript(InputFile file, ReadOptions options) throws IOException {
        return load(file, PickleReader.Mode.TORCHSCRIPT, options);
    }

    public Format format() {
        return format;
    }

    /** Size of the checkpoint file in bytes (what a conversion's output is bounded by). */
    public long fileBytes() {
        return fileBytes;
    }

    /**
     * The top-level entry {@code key} of a dict checkpoint (e.g. {@code hyper_parameters}, {@code epoch},
     * {@code args}), or null. Values are inert: see {@link PickleReader} for their Java types.
     */
    public Object entry(String key) {
        return root instanceof Map<?, ?> m ? m.get(key) : null;
    }

    /** The file, for messages. */
    public String location() {
        return location;
    }

    /**
     * The unpickled value (see {@link PickleReader} for the Java types). Tensors in it are named by their storage
     * ({@code storage 0}) until {@link #tensors()} names them by path.
     */
    public Object root() {
        return root;
    }

    /**
     * Every tensor reachable from the root, in pickle order, named by its dotted path: dict keys, list/tuple indices
     * and TorchScript attribute names, e.g. {@code model.module.layers.0.adapter_attn.conv_A.weight}.
     */
    public Map<String, TensorRef> tensors() {
        return tensors;
    }

    private static TorchCheckpoint load(InputFile file, PickleReader.Mode mode, ReadOptions options) throws IOException {
        ZipDirectory zip = ZipDirectory.read(file);
        String archive = archiveFolder(zip);
        checkLittleEndian(zip, archive);
        ZipDirectory.Entry pickleEntry = zip.find(archive + "/data.pkl");
        byte[] pickle = zip.readSmall(pickleEntry, MAX_PICKLE_BYTES);
        Map<String, TensorRef.Storage> storages = new HashMap<>();
        PickleReader.StorageResolver resolver = (key, dtype, numel) -> storage(zip, archive, storages, key, dtype, numel);
        PickleReader reader = new PickleReader(file.location(), pickleEntry.name(), pickle, mode, resolver, options);
        Object root = reader.readTolerant();
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        long budget = WALK_STEPS_FLOOR + WALK_STEPS_PER_BYTE * pickle.length;
        Walk walk = new Walk(file.location(), tensors, budget, options.allowBroadcastTensors());
        Format format;
        if (mode == PickleReader.Mode.TORCH_SAVE && isLightning(root)) {
            // only the weights are named; the rest (hyper-parameters, optimizer and loop state) stays inert in root()
            format = Format.LIGHTNING;
            walk.visit(((Map<?, ?>) root).get(LIGHTNING_STATE), null, 0);
        } else {
            reader.refuseForeign();
            format = mode == PickleReader.Mode.TORCHSCRIPT ? Format.TORCHSCRIPT : Format.TORCH_SAVE;
            walk.visit(root, null, 0);
        }
        return new TorchCheckpoint(file.location(), format, zip.fileLength(), root, Collections.unmodifiableMap(tensors));
    }

    private static boolean isLightning(Object root) {
        return root instanceof Map<?, ?> m && m.get(LIGHTNING_STATE) instanceof Map && m.get(LIGHTNING_VERSION) instanceof String;
    }

    /** The one top-level folder holding data.pkl; torch names it after the saved file, so it varies. */
    private static String archiveFolder(ZipDirectory zip) throws CheckpointFormatException {
        List<String> folders = zip.entries().stream().map(ZipDirectory.Entry::name)
                .filter(n -> n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length())
                .map(n -> n.substring(0, n.length() - "/data.pkl".length()))
                .toList();
        if (folders.isEmpty()) {
            throw new CheckpointFormatException(zip.location() + ": no <archive>/data.pkl entry among its " + zip.entries().size()
                    + " zip entries: not a torch.save or torch.jit.save checkpoint");
        }
        if (folders.size() > 1) {
            throw new CheckpointFormatException(zip.location() + ": " + folders.size() + " data.pkl entries (in folders " + folders
                    + "); expected one");
        }
        return folders.get(0);
    }

    /** Storages are raw machine-order bytes; torch 2.x records the order in a {@code byteorder} entry. */
    private static void checkLittleEndian(ZipDirectory zip, String archive) throws IOException {
        ZipDirectory.Entry entry = zip.find(archive + "/byteorder");
        if (entry == null) {
            return; // older torch writes no byteorder entry and only ran little-endian in practice
        }
        String order = new String(zip.readSmall(entry, MAX_SMALL_ENTRY), StandardCharsets.US_ASCII).strip();
        if (!order.equals("little")) {
            throw new CheckpointFormatException(zip.location() + ": " + entry.name() + " says '" + order
                    + "'; only little-endian checkpoints can be read (re-save it on a little-endian machine)");
        }
    }

    private static TensorRef.Storage storage(ZipDirectory zip, String archive, Map<String, TensorRef.Storage> seen, String key,
            DType dtype, long numel) throws CheckpointFormatException {
        TensorRef.Storage known = seen.get(key);
        if (known != null) {
            if (known.dtype() != dtype) {
                throw new CheckpointFormatException(zip.location() + ": storage " + key + " is referenced as both " + known.dtype()
                        + " and " + dtype);
            }
            return known;
        }
        String name = archive + "/data/" + key;
        ZipDirectory.Entry entry = zip.find(name);
        if (entry == null) {
            throw new CheckpointFormatException(zip.location() + ": data.pkl references storage " + key + " but there is no zip entry "
                    + name);
        }
        if (entry.method() != ZipDirectory.STORED) {
            throw new CheckpointFormatException(zip.location() + ": storage entry " + name + " uses compression method "
                    + entry.method() + "; torch writes storages uncompressed (method 0)");
        }
        long bytes = numel > Long.MAX_VALUE / dtype.bytes() ? Long.MAX_VALUE : numel * dtype.bytes();
        if (bytes > entry.size()) {
            throw new CheckpointFormatException(zip.location() + ": storage " + key + " holds " + numel + " " + dtype
                    + " elements (" + bytes + " bytes) by data.pkl but its entry " + name + " has " + entry.size() + " bytes");
        }
        TensorRef.Storage storage = new TensorRef.Storage(key, dtype, numel, zip, entry);
        seen.put(key, storage);
        return storage;
    }

    /**
     * Names every reachable tensor by its path. Bounded in depth, in steps (one per value visited and one per character
     * of a tensor name, at most {@code budget}) and in name length, so a crafted cycle, DAG or huge key cannot hang it
     * or exhaust memory. Paths are a chain of {@link Step}s built in O(1) per value; a string is made only for a tensor.
     */
    private static final class Walk {
        private final String location;
        private final Map<String, TensorRef> tensors;
        private final long budget;
        private final boolean allowBroadcast;
        private long steps;

        Walk(String location, Map<String, TensorRef> tensors, long budget, boolean allowBroadcast) {
            this.location = location;
            this.tensors = tensors;
            this.budget = budget;
            this.allowBroadcast = allowBroadcast;
        }

        /** One segment of a path: a dict key, list index or attribute name, below its parent (null at the root). */
        private record Step(Step parent, Object key) {
        }

        void visit(Object value, Step path, int depth) throws CheckpointFormatException {
            charge(1);
            if (depth > MAX_NESTING) {
                throw new CheckpointFormatException(location + ": values nest more than " + MAX_NESTING + " levels deep at '"
                        + preview(path) + "' (a container that contains itself?)");
            }
            if (value instanceof TensorRef tensor) {
                String name = name(path);
                if (tensors.putIfAbsent(name, tensor.named(name, allowBroadcast)) != null) {
                    throw new CheckpointFormatException(location + ": two tensors are both named '" + name
                            + "' (keys that contain dots?)");
                }
            } else if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    visit(e.getValue(), new Step(path, e.getKey()), depth + 1);
                }
            } else if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    visit(list.get(i), new Step(path, (long) i), depth + 1);
                }
            } else if (value instanceof PickleReader.ScriptObject object) {
                for (Map.Entry<String, Object> a : object.attributes().entrySet()) {
                    visit(a.getValue(), new Step(path, a.getKey()), depth + 1);
                }
            } else if (value instanceof PickledObject object) {
                if (object.foreign()) { // only reachable inside a Lightning state_dict: elsewhere refused before the walk
                    throw new CheckpointFormatException(location + ": the state_dict holds an object of " + object.className()
                            + " at '" + preview(path) + "'; a state_dict holds only tensors");
                }
                // an inert record's fields, e.g. a tensor kept in an argparse.Namespace: named like a dict's entries
                if (object.state() instanceof Map<?, ?> fields) {
                    for (Map.Entry<?, ?> e : fields.entrySet()) {
                        visit(e.getValue(), new Step(path, e.getKey()), depth + 1);
                    }
                }
                for (Map.Entry<?, ?> e : object.dictItems().entrySet()) {
                    visit(e.getValue(), new Step(path, e.getKey()), depth + 1);
                }
            }
        }

        private void charge(long cost) throws CheckpointFormatException {
            steps += cost;
            if (steps > budget) {
                throw new CheckpointFormatException(location + ": naming its tensors takes more than " + budget + " steps ("
                        + WALK_STEPS_PER_BYTE + " per byte of data.pkl): shared containers reached along exponentially many"
                        + " paths, or very long keys?");
            }
        }

        /** The dotted name of {@code path}, refused past {@link #MAX_NAME_CHARS}; its characters are charged. */
        private String name(Step path) throws CheckpointFormatException {
            List<Object> keys = new ArrayList<>();
            for (Step s = path; s != null; s = s.parent()) {
                keys.add(s.key());
            }
            Collections.reverse(keys);
            StringBuilder out = new StringBuilder();
            for (Object key : keys) {
                if (out.length() > 0) {
                    out.append('.');
                }
                if (!appendKey(out, key)) {
                    throw new CheckpointFormatException(location + ": a tensor at depth " + keys.size() + " has a name longer"
                            + " than " + MAX_NAME_CHARS + " characters, starting '" + out.substring(0, Math.min(out.length(), 80))
                            + "...' (keys of megabytes?)");
                }
            }
            charge(out.length());
            return out.toString();
        }

        /** Appends a key's name unless that makes {@code out} longer than {@link #MAX_NAME_CHARS}; false then. */
        private static boolean appendKey(StringBuilder out, Object key) {
            if (key instanceof List<?> tuple) { // dict keys are scalars or flat tuples of them (PickleReader.put)
                out.append('(');
                for (int i = 0; i < tuple.size(); i++) {
                    if ((i > 0 && !fits(out, ",")) || !fits(out, keyName(tuple.get(i)))) {
                        return false;
                    }
                }
                return fits(out, ")");
            }
            return fits(out, keyName(key));
        }

        private static boolean fits(StringBuilder out, String s) {
            if (out.length() + (long) s.length() > MAX_NAME_CHARS) {
                return false;
            }
            out.append(s);
            return true;
        }

        private static String keyName(Object key) {
            if (key instanceof Boolean b) {
                return b ? "True" : "False";
            }
            return key == null ? "None" : key.toString();
        }

        /** The start of a path for messages, never more than a few hundred characters. */
        private static String preview(Step path) {
            StringBuilder out = new StringBuilder();
            try {
                appendPreview(out, path);
            } catch (IllegalStateException full) {
                out.append("...");
            }
            return out.toString();
        }

        private static void appendPreview(StringBuilder out, Step path) {
            if (path == null) {
                return;
            }
            appendPreview(out, path.parent());
            String key = path.key() instanceof String s ? s : String.valueOf(path.key() instanceof List<?> ? "(tuple)" : path.key());
            if (out.length() > 0) {
                out.append('.');
            }
            out.append(key, 0, Math.min(key.length(), Math.max(0, 200 - out.length())));
            if (out.length() >= 200) {
                throw new IllegalStateException();
            }
        }
    }
}
