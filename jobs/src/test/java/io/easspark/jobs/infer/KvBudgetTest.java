package io.easspark.jobs.infer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import io.easspark.loader.nativeformat.DemoModel;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** --kv-budget-mib: rows per batch from the KV memory of the kept layers, so skipping layers fits more rows. */
class KvBudgetTest {

    // dim 1024, 32 layers, max_seq_len 256: one row caches 2 (K, V) x 256 positions x 1024 x 4 bytes = 2 MiB per kept layer
    final LavinConfig config = DemoModel.scaled(1024, 32, 16, 2752);

    int batch(int mib, String plan, StringWriter log) {
        return KvBudget.batchSize(mib, 8, config, SkipPlan.parse(plan, 32), new PrintWriter(log, true));
    }

    @Test
    void thePublishedPlanFitsOnePointSixTimesTheRows() {
        StringWriter log = new StringWriter();
        assertThat(batch(640, "none", log)).isEqualTo(10); // 64 MiB per row
        assertThat(batch(640, SkipPlan.PUBLISHED_7B, log)).isEqualTo(16); // 20 kept layers: 40 MiB per row
        assertThat(log.toString()).contains("batch size 16 from --kv-budget-mib 640 (KV cache 40.00 MiB per row at 256 positions, 20 of 32 layers cache)");
    }

    @Test
    void noBudgetKeepsTheBatchSizeAndABudgetBelowOneRowIsABadArgument() {
        assertThat(batch(0, "none", new StringWriter())).isEqualTo(8);
        assertThatThrownBy(() -> batch(32, "none", new StringWriter())).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--kv-budget-mib 32 is below one row's KV cache (64.00 MiB at max_seq_len 256 with plan none)");
        assertThatThrownBy(() -> batch(-1, "none", new StringWriter())).hasMessageContaining("--kv-budget-mib must be >= 0");
        // every MHA skipped: nothing is cached, the budget does not bound the batch
        assertThat(batch(1, "0-31", new StringWriter())).isEqualTo(8);
    }
}
