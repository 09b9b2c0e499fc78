package io.easspark.jobs.testing;

import io.easspark.jobs.EasCli;
import java.io.PrintWriter;
import java.io.StringWriter;

/** One real command line through {@link EasCli}: the exit code and what a user would see on stdout and stderr. */
public record CliRun(int exit, String out, String err) {

    public static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = EasCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(exit, out.toString(), err.toString());
    }
}
