package io.easspark.loader.convert;

import java.util.ArrayList;
import java.util.List;

/**
 * The EAS/LaVIN adapter checkpoint ({@code {'model': {...}}}, keys prefixed {@code module.}; DESIGN.md §3): decoder
 * PIA adapters ({@code adapter_attn}, {@code replaced_adapter}), visual PIA adapters, {@code adapter_proj} and the
 * modality embedding. Conv1d weights {@code [out, in/groups, 1]} become {@code [out, in/groups]}. It holds no skip
 * plan: the user gives one.
 */
public final class EasAdapterImport {

    private final CheckpointTensors checkpoint;

    public EasAdapterImport(CheckpointTensors checkpoint) {
        this.checkpoint = checkpoint;
    }

    /** The native name of a checkpoint key, or null for keys the model does not use. */
    static String nativeName(String key) {
        String k = key;
        if (k.startsWith("model.")) {
            k = k.substring("model.".length());
        }
        if (k.startsWith("module.")) {
            k = k.substring("module.".length());
        }
        boolean adapter = k.matches("layers\\.\\d+\\.(adapter_attn|replaced_adapter)\\..+")
                || k.matches("backbone\\.visual\\.transformer\\.resblocks\\.\\d+\\.adapter_attn\\..+")
                || k.startsWith("adapter_proj.") || k.equals("adapter_modality_embedding.weight");
        return adapter ? k : null;
    }

    public List<ImportedTensor> tensors() {
        List<ImportedTensor> out = new ArrayList<>();
        for (String key : checkpoint.names()) {
            String name = nativeName(key);
            if (name == null) {
                continue;
            }
            long[] shape = TensorOps.squeezeTrailing(checkpoint.shape(key));
            out.add(new ImportedTensor(name, checkpoint.dtype(key), shape, checkpoint.location(),
                    () -> TensorOps.reshape(checkpoint.read(key), shape)));
        }
        return out;
    }
}
