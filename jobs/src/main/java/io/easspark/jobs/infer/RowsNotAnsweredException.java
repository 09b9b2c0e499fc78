package io.easspark.jobs.infer;

/**
 * The output was written, but too few rows came out {@code ok} (none, or more than --max-error-fraction failed):
 * exit code 3, so a scheduler can tell a run that answered nothing from one that answered.
 */
public final class RowsNotAnsweredException extends RuntimeException {

    public RowsNotAnsweredException(String message) {
        super(message);
    }
}
