package io.easspark.loader.pickle;

import io.easspark.loader.io.InputFile;
import io.easspark.loader.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A PyTorch zip checkpoint opened without running its pickle: {@code torch.save} files ({@code .pth}) and TorchScript
 * archives ({@code torch.jit.save}, e.g. OpenAI's {@code ViT-L-14.pt}). Both are zips holding
 * {@code <archive>/data.pkl} plus one raw little-endian entry {@code <archive>/data/<key>} per storage. Opening reads
 * the zip directory and data.pkl only; tensors are read one at a time through {@link TensorRef#read()}.
 *
 * <p>No key mapping happens here: {@code {'model': {'module.x': t}}} comes out as {@code model.module.x}.
 */
public final class TorchCheckpoint {

    /** data.pkl of a 7B shard is ~30 KB and of ViT-L-14.pt ~100 KB; this only refuses absurd sizes before allocating. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    /** Real checkpoints nest under 10 levels (CLIP: visual.transformer.resblocks.N.attn.out_proj.weight); deeper means a cycle. */
    static final int MAX_NESTING = 100;
    /** Caps the walk over values shared through the memo, which a crafted pickle can make exponentially many paths to. */
    static final long MAX_VISITS = 10_000_000;
    /** Bytes of metadata entries such as {@code byteorder} ("little"). */
    private static final long MAX_SMALL_ENTRY = 64;

    private final String location;
    private final Object root;
    private final Map<String, TensorRef> tensors;

    private TorchCheckpoint(String location, Object root, Map<String, TensorRef> tensors) {
        this.location = location;
        this.root = root;
        this.tensors = tensors;
    }

    /** Opens a {@code torch.save} zip; a pickle naming anything outside the allow-list fails with {@link UnsafePickleException}. */
    public static TorchCheckpoint open(InputFile file) throws IOException {
        return load(file, PickleReader.Mode.TORCH_SAVE);
    }

    /**
     * Opens a TorchScript archive. Its data.pkl pickles the module object itself: each module is a {@code __torch__.*}
     * class built with NEWOBJ and given its attributes (submodules, parameters, buffers) by BUILD. Those classes become
     * inert {@link PickleReader.ScriptObject}s and tensors are named by attribute path, e.g. {@code visual.conv1.weight}.
     */
    public static TorchCheckpoint openTorchScript(InputFile file) throws IOException {
        return load(file, PickleReader.Mode.TORCHSCRIPT);
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

    private static TorchCheckpoint load(InputFile file, PickleReader.Mode mode) throws IOException {
        ZipDirectory zip = ZipDirectory.read(file);
        String archive = archiveFolder(zip);
        checkLittleEndian(zip, archive);
        ZipDirectory.Entry pickleEntry = zip.find(archive + "/data.pkl");
        byte[] pickle = zip.readSmall(pickleEntry, MAX_PICKLE_BYTES);
        Map<String, TensorRef.Storage> storages = new HashMap<>();
        PickleReader.StorageResolver resolver = (key, dtype, numel) -> storage(zip, archive, storages, key, dtype, numel);
        Object root = new PickleReader(file.location(), pickleEntry.name(), pickle, mode, resolver).read();
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        new Walk(file.location(), tensors).visit(root, "", 0);
        return new TorchCheckpoint(file.location(), root, Collections.unmodifiableMap(tensors));
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

    /** Names every reachable tensor by its path; bounded in depth and visits so a crafted cycle or DAG cannot hang it. */
    private static final class Walk {
        private final String location;
        private final Map<String, TensorRef> tensors;
        private long visits;

        Walk(String location, Map<String, TensorRef> tensors) {
            this.location = location;
            this.tensors = tensors;
        }

        void visit(Object value, String path, int depth) throws CheckpointFormatException {
            if (++visits > MAX_VISITS) {
                throw new CheckpointFormatException(location + ": more than " + MAX_VISITS
                        + " values reachable from data.pkl (shared containers nested exponentially?)");
            }
            if (depth > MAX_NESTING) {
                throw new CheckpointFormatException(location + ": values nest more than " + MAX_NESTING + " levels deep at '"
                        + path + "' (a container that contains itself?)");
            }
            if (value instanceof TensorRef tensor) {
                if (tensors.putIfAbsent(path, tensor.named(path)) != null) {
                    throw new CheckpointFormatException(location + ": two tensors are both named '" + path
                            + "' (keys that contain dots?)");
                }
            } else if (value instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    visit(e.getValue(), child(path, keyName(e.getKey())), depth + 1);
                }
            } else if (value instanceof List<?> list) {
                for (int i = 0; i < list.size(); i++) {
                    visit(list.get(i), child(path, Integer.toString(i)), depth + 1);
                }
            } else if (value instanceof PickleReader.ScriptObject object) {
                for (Map.Entry<String, Object> a : object.attributes().entrySet()) {
                    visit(a.getValue(), child(path, a.getKey()), depth + 1);
                }
            }
        }

        private static String keyName(Object key) {
            if (key instanceof List<?> tuple) { // dict keys are scalars or flat tuples of them (PickleReader.put)
                return tuple.stream().map(String::valueOf).collect(Collectors.joining(",", "(", ")"));
            }
            if (key instanceof Boolean b) {
                return b ? "True" : "False";
            }
            return key == null ? "None" : key.toString();
        }

        private static String child(String path, String key) {
            return path.isEmpty() ? key : path + "." + key;
        }
    }
}
