package io.easspark.loader.convert;

import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI CLIP's {@code ViT-L-14.pt} (TorchScript): the image tower's {@code visual.*} tensors become
 * {@code backbone.visual.*}. The text tower, {@code ln_post} and {@code proj} are unused by LaVIN (DESIGN.md §1.1).
 */
public final class ClipImport {

    private final CheckpointTensors checkpoint;

    public ClipImport(CheckpointTensors checkpoint) {
        this.checkpoint = checkpoint;
    }

    static String nativeName(String key) {
        if (!key.startsWith("visual.") || key.startsWith("visual.ln_post") || key.equals("visual.proj")) {
            return null;
        }
        return "backbone." + key;
    }

    public List<ImportedTensor> tensors() {
        List<ImportedTensor> out = new ArrayList<>();
        for (String key : checkpoint.names()) {
            String name = nativeName(key);
            if (name != null) {
                out.add(new ImportedTensor(name, checkpoint.dtype(key), checkpoint.shape(key), checkpoint.location(),
                        () -> checkpoint.read(key)));
            }
        }
        return out;
    }
}
