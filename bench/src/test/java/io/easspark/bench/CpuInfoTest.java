package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuInfoTest {

    /** Two processors of a VM like this one: AVX2 and FMA, no AVX-512, no AMX. */
    private static final String EPYC = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            model name\t: AMD EPYC
            flags\t\t: fpu vme sse sse2 avx f16c fma avx2 bmi2 sha_ni
            bogomips\t: 4890.81

            processor\t: 1
            model name\t: AMD EPYC
            flags\t\t: fpu vme sse sse2 avx f16c fma avx2 bmi2 sha_ni
            """;

    private static final String SAPPHIRE_RAPIDS = """
            processor\t: 0
            model name\t: Intel(R) Xeon(R) Platinum 8480+
            flags\t\t: avx avx2 fma avx512f avx512bw avx512_bf16 amx_bf16 amx_tile amx_int8
            """;

    @Test
    void readsModelAndFlagsOfTheFirstProcessor() {
        CpuInfo cpu = CpuInfo.parse(EPYC, "amd64");

        assertThat(cpu.model()).isEqualTo("AMD EPYC");
        assertThat(cpu.flags()).contains("avx", "avx2", "fma", "sha_ni").doesNotContain("avx512f");
        assertThat(cpu.relevantFlags()).isEqualTo("avx, avx2, fma; absent: avx512f, avx512_bf16, amx_bf16, amx_tile");
        assertThat(cpu.check(CpuInfo.BF16)).isEqualTo("avx512f no, avx512_bf16 no, amx_bf16 no");
        assertThat(cpu.nativeBf16()).isFalse();
    }

    @Test
    void seesBf16Units() {
        CpuInfo cpu = CpuInfo.parse(SAPPHIRE_RAPIDS, "amd64");

        assertThat(cpu.check(CpuInfo.BF16)).isEqualTo("avx512f yes, avx512_bf16 yes, amx_bf16 yes");
        assertThat(cpu.relevantFlags()).isEqualTo("avx, avx2, fma, avx512f, avx512_bf16, amx_bf16, amx_tile");
        assertThat(cpu.nativeBf16()).isTrue();
    }

    @Test
    void armFeaturesAndNoModelName() {
        CpuInfo cpu = CpuInfo.parse("processor\t: 0\nFeatures\t: fp asimd sve\n", "aarch64");

        assertThat(cpu.model()).isEqualTo("aarch64");
        assertThat(cpu.flags()).containsExactlyInAnyOrder("fp", "asimd", "sve");
        assertThat(cpu.relevantFlags()).startsWith("none of avx");
    }
}
