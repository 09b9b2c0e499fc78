package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReportTest {

    private static final String SECTION = Report.BEGIN + "\nnew engine numbers\n" + Report.END;

    @Test
    void mergeReplacesOnlyTheEngineSection() {
        String existing = "# Benchmarks\n\nintro\n\n" + Report.BEGIN + "\nold engine numbers\n" + Report.END + "\n\n"
                + "<!-- load-bench:begin -->\nload numbers\n<!-- load-bench:end -->\n\n"
                + "<!-- job-bench:begin -->\njob numbers\n<!-- job-bench:end -->\n";

        String merged = Report.merge(existing, SECTION);

        assertThat(merged).isEqualTo("# Benchmarks\n\nintro\n\n" + SECTION + "\n\n"
                + "<!-- load-bench:begin -->\nload numbers\n<!-- load-bench:end -->\n\n"
                + "<!-- job-bench:begin -->\njob numbers\n<!-- job-bench:end -->\n");
    }

    @Test
    void mergeAppendsToAReportWithoutTheSection() {
        String existing = "# Benchmarks\n\n<!-- job-bench:begin -->\njob numbers\n<!-- job-bench:end -->\n";

        assertThat(Report.merge(existing, SECTION)).isEqualTo(existing + "\n" + SECTION + "\n");
    }

    @Test
    void mergeStartsANewReportWithTheHeader() {
        assertThat(Report.merge("", SECTION)).startsWith("# Benchmarks\n").endsWith(SECTION + "\n");
    }

    @Test
    void bytesInKibOrMib() {
        assertThat(Report.bytes(24L << 20)).isEqualTo("24.00 MiB");
        assertThat(Report.bytes(800L << 10)).isEqualTo("800.0 KiB");
    }
}
