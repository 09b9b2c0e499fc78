package io.easspark.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs tools/reference/bench_reference.py (PyTorch eager, the same math and plan) and reads its one JSON line.
 * Optional: when Debian's python3-torch is missing the report says so instead of inventing a number.
 */
final class TorchReference {

    /**
     * One eager-mode measurement, as the script reports it.
     *
     * @param batch the rows it ran (1 in {@code --mode lavin}, whatever was asked)
     */
    record Result(int batch, int prompt, int newTokens, Timing timing, String blas, String torch) {

        double prefillTokS() {
            return (double) batch * prompt / timing.prefillSeconds();
        }

        double decodeTokS() {
            return (double) batch * newTokens / timing.decodeSeconds();
        }

        double answersPerSecond() {
            return timing.answersPerSecond(batch);
        }
    }

    private final Path python;
    private final Path script;

    TorchReference(Path python, Path script) {
        this.python = python;
        this.script = script;
    }

    /** Null when the interpreter, the script or torch is missing. */
    String unavailableReason() {
        if (!Files.isExecutable(python)) {
            return python + " not found (apt-get install python3-torch)";
        }
        if (!Files.isRegularFile(script)) {
            return script + " not found (run from the repository root)";
        }
        try {
            Process p = new ProcessBuilder(python.toString(), "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                return python + " has no torch (apt-get install python3-torch)";
            }
        } catch (IOException e) {
            return python + " does not run: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
        return null;
    }

    Result run(List<String> args, int timeoutSeconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(python.toString(), script.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("PyTorch reference failed: " + new String(err, StandardCharsets.UTF_8).strip());
        }
        String text = new String(out, StandardCharsets.UTF_8).strip();
        return parse(text.substring(text.lastIndexOf('\n') + 1));
    }

    /** Reads the script's JSON line; the seconds are its medians, so tok/s and answers/s follow from them. */
    static Result parse(String json) throws IOException {
        Timing timing = new Timing(number(json, "prefill_s"), number(json, "decode_s"));
        return new Result((int) number(json, "batch"), (int) number(json, "prompt"), (int) number(json, "new"), timing,
                string(json, "blas"), string(json, "torch"));
    }

    private static double number(String json, String key) throws IOException {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json);
        if (!m.find()) {
            throw new IOException("PyTorch reference output has no " + key + ": " + json);
        }
        return Double.parseDouble(m.group(1));
    }

    private static String string(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }
}
