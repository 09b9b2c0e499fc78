package io.easspark.jobs.infer;

import io.easspark.engine.eas.FlopModel;
import io.easspark.engine.eas.SkipPlan;
import io.easspark.engine.model.LavinConfig;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code --kv-budget-mib}: batch size from the memory the KV cache may take. A batch preallocates every row's keys and
 * values for its whole generation, in kept layers only, so at most max_seq_len positions per row; a plan that skips 12
 * of 32 MHAs fits 32/20 = 1.6× the rows in the same budget (DESIGN.md §1.5: "spend it on larger batches").
 */
final class KvBudget {

    private static final long MIB = 1L << 20;

    private KvBudget() {
    }

    /**
     * The batch size a budget allows for this model and plan.
     *
     * @param kvBudgetMib > 0 (0 means "no budget" and is never passed here)
     * @param batchSize --batch-size, kept when the plan caches nothing
     */
    static int batchSize(int kvBudgetMib, int batchSize, LavinConfig config, SkipPlan plan, PrintWriter out) {
        if (kvBudgetMib < 0) {
            throw new IllegalArgumentException("--kv-budget-mib must be >= 0 (0: use --batch-size): " + kvBudgetMib);
        }
        if (kvBudgetMib == 0) {
            return batchSize;
        }
        int positions = config.text().maxSeqLen();
        long perRow = new FlopModel(config.text(), config.adapter(), plan).kvBytesPerRow(positions);
        if (perRow == 0) { // every MHA skipped: no cache at all, the budget does not bound the batch
            out.printf(Locale.ROOT, "infer: plan %s keeps no KV cache; --kv-budget-mib leaves --batch-size %d%n", plan, batchSize);
            return batchSize;
        }
        long rows = kvBudgetMib * MIB / perRow;
        if (rows < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--kv-budget-mib %d is below one row's KV cache "
                    + "(%.2f MiB at max_seq_len %d with plan %s)", kvBudgetMib, perRow / (double) MIB, positions, plan));
        }
        int batch = (int) Math.min(rows, 4096);
        out.printf(Locale.ROOT, "infer: batch size %d from --kv-budget-mib %d (KV cache %.2f MiB per row at %d positions, %d of %d layers cache)%n",
                batch, kvBudgetMib, perRow / (double) MIB, positions, plan.keptCount(), plan.layerCount());
        return batch;
    }
}
