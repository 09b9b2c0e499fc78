package io.easspark.loader.pickle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.easspark.loader.io.LocalInputFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checkpoints carrying code: each names something off the allow-list and must fail at that opcode, in both the
 * torch.save and the TorchScript mode, without ever running it. Each payload would create {@link #MARKER}.
 */
class HostilePickleTest {

    /** Fixed in the fixtures' pickles by tools/reference/make_pth_fixtures.py. */
    static final Path MARKER = Path.of("/tmp/eas_pickle_marker_DO_NOT_CREATE");

    static Stream<Arguments> hostileFiles() {
        return Stream.of(
                Arguments.of("os_system.pth", "os.system"),
                Arguments.of("posix_system_stack_global.pth", "posix.system"),
                Arguments.of("builtins_eval.pth", "builtins.eval"),
                Arguments.of("builtin_exec.pth", "__builtin__.exec"),
                Arguments.of("subprocess_popen.pth", "subprocess.Popen"),
                Arguments.of("load_from_bytes.pth", "torch.storage._load_from_bytes"),
                Arguments.of("inst_opcode.pth", "opcode 0x69 INST"),
                Arguments.of("unknown_opcode.pth", "opcode 0xfe unknown"),
                Arguments.of("tensor_then_system.pth", "posix.system"));
    }

    @BeforeEach
    @AfterEach
    void noMarker() throws IOException {
        Files.deleteIfExists(MARKER);
    }

    @ParameterizedTest
    @MethodSource("hostileFiles")
    @Timeout(10)
    void refusedAsACheckpoint(String file, String refused) {
        LocalInputFile input = new LocalInputFile(TorchCheckpointTest.fixture("hostile/" + file));
        assertThatThrownBy(() -> TorchCheckpoint.open(input))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageStartingWith("refusing to load " + input.location() + ": ")
                .hasMessageContaining(refused)
                .hasMessageContaining("allow-list")
                .satisfies(e -> assertThat(((UnsafePickleException) e).refused()).isEqualTo(refused));
        assertThat(MARKER).doesNotExist();
    }

    @ParameterizedTest
    @MethodSource("hostileFiles")
    @Timeout(10)
    void refusedAsTorchScript(String file, String refused) {
        LocalInputFile input = new LocalInputFile(TorchCheckpointTest.fixture("hostile/" + file));
        assertThatThrownBy(() -> TorchCheckpoint.openTorchScript(input))
                .isInstanceOf(UnsafePickleException.class)
                .hasMessageContaining(refused)
                .hasMessageContaining("allow-list");
        assertThat(MARKER).doesNotExist();
    }
}
