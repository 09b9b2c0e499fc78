package io.easspark.loader.convert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.llama.LlamaConfig;
import io.easspark.loader.tensor.TensorData;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MetaLlamaImportTest {

    /** A two-shard checkpoint of a dim-4, 1-layer model: FFN = 2·(4·4)/3 = 10 → multiple_of 4 → 12. */
    static List<CheckpointTensors> shards() {
        MemoryCheckpoint a = new MemoryCheckpoint("consolidated.00.pth");
        MemoryCheckpoint b = new MemoryCheckpoint("consolidated.01.pth");
        a.ramp("tok_embeddings.weight", 0, 6, 2).ramp("layers.0.attention.wq.weight", 100, 2, 4)
                .ramp("layers.0.attention.wo.weight", 200, 4, 2).ramp("layers.0.feed_forward.w1.weight", 300, 6, 4)
                .ramp("layers.0.attention_norm.weight", 1, 4).ramp("rope.freqs", 0, 2);
        b.ramp("tok_embeddings.weight", 50, 6, 2).ramp("layers.0.attention.wq.weight", 150, 2, 4)
                .ramp("layers.0.attention.wo.weight", 250, 4, 2).ramp("layers.0.feed_forward.w1.weight", 350, 6, 4)
                .ramp("layers.0.attention_norm.weight", 1, 4).ramp("rope.freqs", 0, 2);
        return List.of(a, b);
    }

    static final String PARAMS = "{\"dim\": 4, \"multiple_of\": 4, \"n_heads\": 2, \"n_layers\": 1, \"norm_eps\": 1e-06, \"vocab_size\": -1}";

    @Test
    void joinsShardsAlongTheAxisEachKindWasSplit() throws Exception {
        MetaLlamaImport meta = new MetaLlamaImport(PARAMS, shards());
        Map<String, ImportedTensor> t = meta.tensors().stream().collect(Collectors.toMap(ImportedTensor::name, x -> x));
        assertThat(t).doesNotContainKey("rope.freqs");
        assertThat(t.get("layers.0.attention.wq.weight").shape()).containsExactly(4, 4); // rows stacked
        assertThat(t.get("tok_embeddings.weight").shape()).containsExactly(6, 4); // columns joined
        assertThat(t.get("layers.0.attention_norm.weight").shape()).containsExactly(4); // replicated
        float[] wq = t.get("layers.0.attention.wq.weight").produce().toFloats();
        assertThat(wq).containsExactly(100, 101, 102, 103, 104, 105, 106, 107, 150, 151, 152, 153, 154, 155, 156, 157);
        TensorData emb = t.get("tok_embeddings.weight").produce();
        assertThat(emb.toFloats()).startsWith(0, 1, 50, 51, 2, 3, 52, 53);
        assertThat(emb.name()).isEqualTo("tok_embeddings.weight");
        LlamaConfig c = meta.config(512);
        assertThat(c.dim()).isEqualTo(4);
        assertThat(c.ffnHidden()).isEqualTo(12);
        assertThat(c.vocabSize()).isEqualTo(6); // params.json says -1: the embedding table decides
        assertThat(c.normEps()).isEqualTo(1e-6);
    }

    @Test
    void everyParamsFieldIsTypeCheckedAndNamed() {
        // was: 64.5 read as 64, "sixty-four" a bare NumberFormatException, 2^40 a bare "integer overflow"
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"dim\": 4", "\"dim\": 4.5"), shards()).config(512))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("params.json: 'dim' must be an integer, found 4.5");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"dim\": 4", "\"dim\": \"four\""), shards()).config(512))
                .hasMessage("params.json: 'dim' must be a number, found \"four\"");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"vocab_size\": -1", "\"vocab_size\": 1099511627776"), shards())
                .config(512)).hasMessage("params.json: 'vocab_size' must be in 1..2147483639, found 1099511627776");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"vocab_size\": -1", "\"vocab_size\": 7"), shards()).config(512))
                .hasMessage("params.json: 'vocab_size' is 7 but tok_embeddings.weight has 6 rows in consolidated.00.pth");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"multiple_of\": 4", "\"multiple_of\": 0"), shards()).config(512))
                .hasMessage("params.json: 'multiple_of' must be in 1..2147483639, found 0");
    }

    @Test
    void layerCountIsBoundedByTheShardsBeforeAnythingIsAllocated() {
        // was: an OutOfMemoryError (the native layout of 2^31 - 1 layers was built before any tensor was matched)
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"n_layers\": 1", "\"n_layers\": 2147483647"), shards()).config(512))
                .hasMessage("params.json: 'n_layers' must be in 1..1024, found 2147483647");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS.replace("\"n_layers\": 1", "\"n_layers\": 3"), shards()).config(512))
                .hasMessage("params.json: 'n_layers' is 3 but consolidated.00.pth holds layers 0-0 (1 layers)");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS, shards()).config(Integer.MAX_VALUE))
                .hasMessage("--max-seq-len must be in 1..131072: 2147483647");
    }

    @Test
    void ffnSizeDisagreeingWithParamsIsNamed() {
        String params = PARAMS.replace("\"multiple_of\": 4", "\"multiple_of\": 256");
        assertThatThrownBy(() -> new MetaLlamaImport(params, shards()).config(512))
                .hasMessageContaining("implies FFN 256 but layers.0.feed_forward.w1.weight has 12 rows in consolidated.00.pth");
    }

    @Test
    void aTensorMissingFromOneShardIsNamed() {
        List<CheckpointTensors> s = shards();
        ((MemoryCheckpoint) s.get(1)).tensors.remove("layers.0.attention.wo.weight");
        assertThatThrownBy(() -> new MetaLlamaImport(PARAMS, s).tensors())
                .hasMessage("tensor layers.0.attention.wo.weight: in consolidated.00.pth but missing in consolidated.01.pth");
    }

    @Test
    void easAdapterKeysLoseTheWrappersAndTheConvKernelAxis() throws Exception {
        MemoryCheckpoint ckpt = new MemoryCheckpoint("eas.pth");
        ckpt.ramp("model.module.layers.3.adapter_attn.conv_B.weight", 0, 8, 2, 1)
                .ramp("model.module.backbone.visual.transformer.resblocks.0.adapter_attn.conv_A.weight", 0, 4, 8, 1)
                .ramp("model.module.adapter_proj.conv_A.weight", 0, 2, 8)
                .ramp("model.module.llama.some_other.weight", 0, 2);
        List<ImportedTensor> t = new EasAdapterImport(ckpt).tensors();
        assertThat(t).extracting(ImportedTensor::name).containsExactly("layers.3.adapter_attn.conv_B.weight",
                "backbone.visual.transformer.resblocks.0.adapter_attn.conv_A.weight", "adapter_proj.conv_A.weight");
        assertThat(t.get(0).shape()).containsExactly(8, 2);
        assertThat(t.get(0).produce().shape()).containsExactly(8, 2);
        assertThat(ClipImport.nativeName("visual.ln_post.weight")).isNull();
        assertThat(ClipImport.nativeName("transformer.resblocks.0.ln_1.weight")).isNull(); // the text tower
        assertThat(ClipImport.nativeName("visual.conv1.weight")).isEqualTo("backbone.visual.conv1.weight");
    }
}
