package io.easspark.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The CPU model and instruction-set flags from /proc/cpuinfo, so a report says which vector units its numbers had.
 *
 * @param model the first {@code model name} (x86) or {@code os.arch} where there is none
 * @param flags the first processor's {@code flags} (x86) or {@code Features} (ARM)
 */
record CpuInfo(String model, Set<String> flags) {

    /** Flags that decide fp32 GEMM speed (AVX, FMA, AVX-512) and whether bf16 can be fast (AVX512-BF16, AMX). */
    static final List<String> RELEVANT = List.of("avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile");
    /** What issue 7's goal 7 (bf16 decode) needs from the CPU: native bf16 dot products, AVX-512 or AMX. */
    static final List<String> BF16 = List.of("avx512f", "avx512_bf16", "amx_bf16");

    CpuInfo {
        flags = Set.copyOf(flags);
    }

    static CpuInfo read() {
        try {
            return parse(Files.readString(Path.of("/proc/cpuinfo")), System.getProperty("os.arch"));
        } catch (IOException e) {
            return new CpuInfo(System.getProperty("os.arch"), Set.of()); // not Linux: no flags to report
        }
    }

    /** Parses /proc/cpuinfo text; {@code fallbackModel} when it names no model. */
    static CpuInfo parse(String text, String fallbackModel) {
        String model = null;
        Set<String> flags = null;
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (model == null && key.equals("model name")) {
                model = value;
            } else if (flags == null && (key.equals("flags") || key.equals("Features"))) {
                flags = new TreeSet<>(List.of(value.split("\\s+")));
            }
        }
        return new CpuInfo(model == null ? fallbackModel : model, flags == null ? Set.of() : flags);
    }

    boolean has(String flag) {
        return flags.contains(flag);
    }

    /** E.g. {@code avx512f no, avx512_bf16 no, amx_bf16 no}. */
    String check(List<String> wanted) {
        List<String> parts = new ArrayList<>();
        for (String f : wanted) {
            parts.add(f + (has(f) ? " yes" : " no"));
        }
        return String.join(", ", parts);
    }

    /** The relevant flags present and absent, e.g. {@code avx, avx2, fma; absent: avx512f, ...}. */
    String relevantFlags() {
        List<String> present = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        for (String f : RELEVANT) {
            (has(f) ? present : absent).add(f);
        }
        return (present.isEmpty() ? "none of " + String.join(", ", RELEVANT) : String.join(", ", present))
                + (absent.isEmpty() ? "" : "; absent: " + String.join(", ", absent));
    }

    /** True when the CPU can run bf16 dot products natively (goal 7 could be measured with a bf16-capable engine). */
    boolean nativeBf16() {
        return has("avx512_bf16") || has("amx_bf16");
    }
}
