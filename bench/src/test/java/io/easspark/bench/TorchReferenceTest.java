package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import org.junit.jupiter.api.Test;

class TorchReferenceTest {

    private static final double TOLERANCE = 1e-9;

    @Test
    void readsSecondsAndTheBatchTheScriptRan() throws IOException {
        // --mode lavin reports the batch it forced (1), whatever --batch asked for
        String json = "{\"mode\": \"lavin\", \"matvec\": true, \"dim\": 256, \"layers\": 8, \"plan\": [], \"batch\": 1, "
                + "\"prompt\": 64, \"new\": 16, \"threads\": 2, \"prefill_tok_s\": 2373.57, \"decode_tok_s\": 115.47, "
                + "\"prefill_s\": 0.026964, \"decode_s\": 0.138564, \"torch\": \"1.13.0a0\", \"blas\": \"generic\"}";

        TorchReference.Result r = TorchReference.parse(json);

        assertThat(r.batch()).isEqualTo(1);
        assertThat(r.timing().prefillSeconds()).isEqualTo(0.026964);
        assertThat(r.prefillTokS()).isCloseTo(64 / 0.026964, within(TOLERANCE));
        assertThat(r.decodeTokS()).isCloseTo(16 / 0.138564, within(TOLERANCE));
        assertThat(r.answersPerSecond()).isCloseTo(1 / (0.026964 + 0.138564), within(TOLERANCE));
        assertThat(r.torch()).isEqualTo("1.13.0a0");
    }

    @Test
    void namesTheMissingField() {
        assertThatThrownBy(() -> TorchReference.parse("{\"batch\": 1}"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no prefill_s");
    }
}
