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

    /** One eager-mode measurement. */
    record Result(double prefillTokS, double decodeTokS, String blas, String torch) {
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
        String json = text.substring(text.lastIndexOf('\n') + 1);
        return new Result(number(json, "prefill_tok_s"), number(json, "decode_tok_s"), string(json, "blas"), string(json, "torch"));
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
