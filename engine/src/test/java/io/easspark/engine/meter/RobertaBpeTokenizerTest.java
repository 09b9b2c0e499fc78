package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Token parity: DJL's HuggingFace tokenizer on the committed tiny RoBERTa tokenizer.json, padded and truncated as
 * METER does, against an independent byte-level BPE encoder (tools/reference/make_meter_tokenizer.py): ASCII,
 * contractions, digits, accents, an emoji, runs of spaces, truncation and the empty question.
 */
class RobertaBpeTokenizerTest {

    static Path fixture(String name) throws Exception {
        return Paths.get(RobertaBpeTokenizerTest.class.getResource("/fixtures/meter_tokenizer/" + name).toURI());
    }

    @Test
    void idsEqualTheReferenceEncoder() throws Exception {
        JsonObject expected = JsonParser.parseString(Files.readString(fixture("expected.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        int maxLen = expected.get("max_len").getAsInt();
        try (RobertaBpeTokenizer tok = RobertaBpeTokenizer.load(fixture("tokenizer.json"), maxLen)) {
            int cases = 0;
            for (JsonElement c : expected.getAsJsonArray("cases")) {
                String text = c.getAsJsonObject().get("text").getAsString();
                long[] ids = c.getAsJsonObject().getAsJsonArray("ids").asList().stream()
                        .mapToLong(JsonElement::getAsLong).toArray();
                assertThat(tok.encode(text)).as("ids of '%s'", text).containsExactly(ids);
                cases++;
            }
            assertThat(cases).isEqualTo(8);
        }
    }

    @Test
    void aTokenizerWithoutRobertasSpecialsIsRefused(@TempDir Path dir) throws Exception {
        JsonObject json = JsonParser.parseString(Files.readString(fixture("tokenizer.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
        // a BERT-style [CLS] in the post-processor: "" would start with <unk> = 3 instead of <s> = 0
        json.getAsJsonObject("post_processor").add("cls", JsonParser.parseString("[\"<unk>\", 3]"));
        Path bad = dir.resolve("tokenizer.json");
        Files.writeString(bad, json.toString());
        assertThatThrownBy(() -> RobertaBpeTokenizer.load(bad, 16))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("encodes \"\" as [3, 2]");
    }
}
