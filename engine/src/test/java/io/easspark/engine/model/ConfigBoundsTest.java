package io.easspark.engine.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.eas.AdapterConfig;
import io.easspark.engine.llama.LlamaConfig;
import org.junit.jupiter.api.Test;

/** Every config.json field is type- and range-checked, with the field named, before anything is allocated from it. */
class ConfigBoundsTest {

    static String valid() {
        LlamaConfig text = new LlamaConfig(64, 4, 4, 176, 512, 1e-6, 10000.0, 256);
        return new LavinConfig(text, AdapterConfig.lavinEas(), null, 0, "", "lowrank").toJson();
    }

    static String with(String key, String jsonValue) {
        JsonObject o = JsonParser.parseString(valid()).getAsJsonObject();
        o.add(key, JsonParser.parseString(jsonValue));
        return o.toString();
    }

    @Test
    void integersMustBeIntegral() {
        assertThatThrownBy(() -> LavinConfig.fromJson(with("dim", "64.5")))
                .hasMessage("config.json: 'dim' must be an integer, found 64.5");
        assertThatThrownBy(() -> LavinConfig.fromJson(with("dim", "\"sixty-four\"")))
                .hasMessage("config.json: 'dim' must be a number, found \"sixty-four\"");
        assertThatThrownBy(() -> LavinConfig.fromJson(with("vocab_size", "1099511627776")))
                .hasMessage("config.json: 'vocab_size' must be an integer below 2^31, found 1099511627776");
    }

    @Test
    void sizesAreBoundedSoNoDerivedAllocationOverflows() {
        // was: an OutOfMemoryError building 2^31 layers
        assertThatThrownBy(() -> LavinConfig.fromJson(with("n_layers", "2147483647")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("n_layers must be at most 1024: 2147483647");
        // was: accepted, then every row failed with "beyond the context limit -2147483648" (max_seq_len + 1 overflowed)
        assertThatThrownBy(() -> LavinConfig.fromJson(with("max_seq_len", "2147483647")))
                .hasMessage("max_seq_len must be at most 131072: 2147483647");
        assertThatThrownBy(() -> LavinConfig.fromJson(with("vocab_size", "2000000000")))
                .hasMessageContaining("vocab_size 2000000000 x dim 64 exceeds");
        assertThatThrownBy(() -> LavinConfig.fromJson(with("norm_eps", "1e999")))
                .hasMessage("config.json: 'norm_eps' must be a finite number, found 1e999");
        assertThatThrownBy(() -> LavinConfig.fromJson(with("reparam", "{}")))
                .hasMessage("config.json: 'reparam' must be a string, found {}");
    }

    @Test
    void adapterAndVisionFieldsAreChecked() {
        JsonObject o = JsonParser.parseString(valid()).getAsJsonObject();
        o.getAsJsonObject("adapter").addProperty("kept_rank", 8.25);
        assertThatThrownBy(() -> LavinConfig.fromJson(o.toString())).hasMessage("config.json: 'kept_rank' must be an integer, found 8.25");
        o.getAsJsonObject("adapter").addProperty("kept_rank", 1 << 30);
        assertThatThrownBy(() -> LavinConfig.fromJson(o.toString())).hasMessageContaining("adapter ranks must be at most 65536");
    }
}
