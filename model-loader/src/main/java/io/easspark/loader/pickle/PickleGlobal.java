package io.easspark.loader.pickle;

import io.easspark.loader.tensor.DType;

/**
 * A resolved GLOBAL: a dotted name and what this reader lets a pickle do with it. Never a Python object: a GLOBAL
 * that stays in the unpickled value (a dtype such as {@code torch.float16}, {@code typing.Any}, a defaultdict's
 * factory) is just this name.
 */
public final class PickleGlobal {

    /** What a GLOBAL stands for; each kind's behaviour is implemented in {@link PickleReader}, none by name lookup. */
    enum Kind {
        /** torch tensor and parameter rebuilders, mirrored from torch/_utils.py. */
        REBUILD_TENSOR_V2, REBUILD_TENSOR, REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE,
        /** torch.XStorage names inside persistent ids. */
        STORAGE_TYPE,
        /** collections.OrderedDict and collections.defaultdict: both read as a dict (the factory is never called). */
        ORDERED_DICT, DEFAULT_DICT,
        /** torch.Size((2, 3)): read as the tuple it is. */
        TORCH_SIZE,
        /** _codecs.encode(str, 'latin1'): how protocol 2 spells a bytes object. */
        CODECS_ENCODE,
        /** A plain-data class (or one the user allowed): REDUCE and NEWOBJ make an inert {@link PickledObject}. */
        RECORD,
        /** A type or dtype used only as a value (builtins.list, numpy.ndarray, torch.float16): never callable. */
        TYPE_REF,
        /** On no list: NEWOBJ makes a foreign {@link PickledObject}; calling it is refused. See TorchCheckpoint. */
        FOREIGN,
        /** torch/jit/_pickle.py helpers and TorchScript classes (TorchScript archives only). */
        JIT_LIST, JIT_RESTORE_TYPE_TAG, JIT_TENSOR_FROM_ID, SCRIPT_CLASS
    }

    private final String name;
    private final Kind kind;
    private final DType storageType;

    PickleGlobal(String name, Kind kind, DType storageType) {
        this.name = name;
        this.kind = kind;
        this.storageType = storageType;
    }

    /** Dotted name as the pickle spells it, e.g. {@code torch.float16} or {@code __builtin__.list}. */
    public String name() {
        return name;
    }

    Kind kind() {
        return kind;
    }

    DType storageType() {
        return storageType;
    }

    @Override
    public String toString() {
        return name;
    }
}
