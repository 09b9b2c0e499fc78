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

    /** The options with the batch size the budget allows, or unchanged when no budget is set. */
    static InferOptions apply(InferOptions o, LavinConfig config, SkipPlan plan, PrintWriter out) {
        if (o.kvBudgetMib() < 0) {
            throw new IllegalArgumentException("--kv-budget-mib must be >= 0 (0: use --batch-size): " + o.kvBudgetMib());
        }
        if (o.kvBudgetMib() == 0) {
            return o;
        }
        int positions = config.text().maxSeqLen();
        long perRow = new FlopModel(config.text(), config.adapter(), plan).kvBytesPerRow(positions);
        if (perRow == 0) { // every MHA skipped: no cache at all, the budget does not bound the batch
            out.printf(Locale.ROOT, "infer: plan %s keeps no KV cache; --kv-budget-mib leaves --batch-size %d%n", plan, o.batchSize());
            return o;
        }
        long rows = o.kvBudgetMib() * MIB / perRow;
        if (rows < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "--kv-budget-mib %d is below one row's KV cache "
                    + "(%.2f MiB at max_seq_len %d with plan %s)", o.kvBudgetMib(), perRow / (double) MIB, positions, plan));
        }
        int batch = (int) Math.min(rows, 4096);
        out.printf(Locale.ROOT, "infer: batch size %d from --kv-budget-mib %d (KV cache %.2f MiB per row at %d positions, %d of %d layers cache)%n",
                batch, o.kvBudgetMib(), perRow / (double) MIB, positions, plan.keptCount(), plan.layerCount());
        return o.toBuilder().batchSize(batch).build();
    }
}
