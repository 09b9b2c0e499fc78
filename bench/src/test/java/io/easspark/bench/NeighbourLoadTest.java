package io.easspark.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class NeighbourLoadTest {

    private static final double TOLERANCE = 1e-12;

    @Test
    void parsesCpuLineAndOwnTicks() {
        String procStat = "cpu  2342831 0 321201 1163782 8956 0 2345 9644 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n";
        // a command name with a space and a ')' must not shift the fields
        String self = "2901 (my (java) x) R 2898 2898 29355 0 -1 4194304 126 0 0 0 700 50 200 30 20 0 1 0 1931483";

        NeighbourLoad.Ticks t = NeighbourLoad.parse(procStat, self);

        assertThat(t.busy()).isEqualTo(2342831L + 321201 + 2345 + 9644);
        assertThat(t.total()).isEqualTo(t.busy() + 1163782 + 8956);
        assertThat(t.self()).isEqualTo(700 + 50 + 200 + 30);
    }

    @Test
    void shareIsOthersBusyTimeOverAllTime() {
        NeighbourLoad.Ticks from = new NeighbourLoad.Ticks(1000, 5000, 100);
        // 200 ticks on 2 CPUs: 150 busy, of which 120 this process
        NeighbourLoad.Ticks to = new NeighbourLoad.Ticks(1150, 5200, 220);

        assertThat(NeighbourLoad.share(from, to)).isCloseTo(30.0 / 200, within(TOLERANCE));
        assertThat(NeighbourLoad.share(from, from)).isNaN();
    }
}
