package io.easspark.jobs.infer;

import io.easspark.udf.AnswerRequest;
import picocli.CommandLine.Option;

/** How rows are answered: the model and decoding settings shared by infer and evaluate; defaults are {@link AnswerRequest}'s. */
public final class AnsweringMixin {

    @Option(names = "--model", required = true, description = "native model directory (any Hadoop URI)")
    String model;
    @Option(names = "--reparam", defaultValue = AnswerRequest.DEFAULT_REPARAM, description = "lowrank, merged (batch 1) or static (default: ${DEFAULT-VALUE})")
    String reparam;
    @Option(names = "--batch-size", defaultValue = "" + AnswerRequest.DEFAULT_BATCH_SIZE, description = "(default: ${DEFAULT-VALUE})")
    int batchSize;
    @Option(names = "--max-new-tokens", defaultValue = "" + AnswerRequest.DEFAULT_MAX_NEW_TOKENS, description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;
    @Option(names = "--prompt-format", defaultValue = AnswerRequest.DEFAULT_PROMPT_FORMAT, description = "qcm (options) or vqa (free form) (default: ${DEFAULT-VALUE})")
    String promptFormat;
    @Option(names = "--device", defaultValue = AnswerRequest.DEFAULT_DEVICE, description = "cpu, gpu or auto (default: ${DEFAULT-VALUE})")
    String device;
    @Option(names = "--cross-task-batching", defaultValue = CrossTaskBatching.DEFAULT,
            description = "auto, on or off: tasks of one executor share full batches on its device; auto = on a GPU only (default: ${DEFAULT-VALUE})")
    String crossTaskBatching;
    @Option(names = "--progress-seconds", defaultValue = "" + InferOptions.DEFAULT_PROGRESS_SECONDS, description = "seconds between progress lines; 0 = none (default: ${DEFAULT-VALUE})")
    int progressSeconds;
    @Option(names = "--kv-budget-mib", defaultValue = "0", description = {"size batches by KV-cache memory instead of --batch-size:",
        "rows per batch = budget / one row's KV cache at max_seq_len; skipped layers keep no cache, so EAS fits more rows (0 = off)"})
    int kvBudgetMib;
    @Option(names = "--master", description = "Spark master when not run by spark-submit (default: local[*])")
    String master;

    public String model() {
        return model;
    }

    public String master() {
        return master;
    }

    /** Applies these settings to options built from the input; {@link InferOptions.Builder#build} checks them. */
    public InferOptions.Builder apply(InferOptions.Builder b) {
        return b.reparam(reparam).batchSize(batchSize).maxNewTokens(maxNewTokens).promptFormat(promptFormat).device(device)
                .crossTaskBatching(crossTaskBatching).progressSeconds(progressSeconds).kvBudgetMib(kvBudgetMib);
    }
}
