package io.easspark.bench;

import java.util.List;
import java.util.Optional;

/**
 * Everything one benchmark run measured; the goals and the report read it, neither measures.
 *
 * @param easPlan the EAS plan's text, e.g. {@code 19,21-31}
 * @param rows the engine with no plan and with the EAS plan at each {@code --batches} size
 * @param lavin the reference script's {@code --mode lavin} (original serving style), or null when it did not run
 * @param torchMissing why the PyTorch reference did not run, or null when it did
 * @param peak the machine's measured matmul rate and memory bandwidth
 * @param sweep the plots' sweeps, or null without them
 * @param neighbourShare share of all CPUs' time other processes used during the run (0-1), NaN if unknown
 */
record Measurements(String easPlan, int prompt, int newTokens, List<Row> rows, TorchReference.Result lavin,
        String torchMissing, HardwareProbe.Peak peak, CpuInfo cpu, Sweep.Result sweep, double neighbourShare) {

    Measurements {
        rows = List.copyOf(rows);
    }

    Optional<Row> row(String plan, int batch) {
        return rows.stream().filter(r -> r.plan().equals(plan) && r.batch() == batch).findFirst();
    }

    Optional<Row> none(int batch) {
        return row("none", batch);
    }

    Optional<Row> eas(int batch) {
        return row(easPlan, batch);
    }

    /** The EAS plan's row at the largest batch measured: where prefill is most compute-bound. */
    Optional<Row> easLargest() {
        return rows.stream().filter(r -> r.plan().equals(easPlan)).max((a, b) -> Integer.compare(a.batch(), b.batch()));
    }
}
