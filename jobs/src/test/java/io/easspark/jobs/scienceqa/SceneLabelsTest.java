package io.easspark.jobs.scienceqa;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generator's captions read back as per-cell labels, and anything else refused rather than guessed. */
class SceneLabelsTest {

    @Test
    void readsBackWhatTheGeneratorWrote() {
        // 64 px, cells of 21: a small red circle top left, a large blue triangle at the centre, a green square bottom right
        Scene scene = new Scene(64, Color.WHITE, List.of(
                new Scene.Shape(0, 0, 10, 10, 8),
                new Scene.Shape(2, 2, 32, 32, 18),
                new Scene.Shape(1, 1, 54, 54, 12)), 1);
        assertThat(scene.caption()).isEqualTo(
                "A small red circle at the top left. A large blue triangle at the centre. A green square at the bottom right.");
        int[] labels = SceneLabels.parse(scene.caption());
        int[] expected = new int[27];
        expected[0] = 1 + 0; // top left: circle
        expected[1] = 1 + 0; // red
        expected[2] = 1 + 0; // small
        expected[12] = 1 + 2; // centre (cell 4): triangle
        expected[13] = 1 + 2; // blue
        expected[14] = 1 + 2; // large
        expected[24] = 1 + 1; // bottom right (cell 8): square
        expected[25] = 1 + 1; // green
        expected[26] = 1 + 1; // medium
        assertThat(labels).containsExactly(expected);
        assertThat(SceneLabels.groupSizes()).hasSize(27).startsWith(4, 7, 4);
        assertThat(SceneLabels.groupKinds()).startsWith("shape", "colour", "size");
    }

    @Test
    void refusesCaptionsItCannotRead() {
        assertThat(SceneLabels.parse(null)).isNull();
        assertThat(SceneLabels.parse("")).isNull();
        assertThat(SceneLabels.parse("A dog sleeps on a sofa.")).as("a real dataset's free text").isNull();
        assertThat(SceneLabels.parse("A red star at the centre.")).as("an unknown shape").isNull();
        assertThat(SceneLabels.parse("A red circle at the far left.")).as("an unknown place").isNull();
        assertThat(SceneLabels.parse("A red circle at the centre. Something else.")).as("text left over").isNull();
        assertThat(SceneLabels.parse("Look: a red circle at the centre.")).as("text before").isNull();
        assertThat(SceneLabels.parse("A red circle at the centre. A blue square at the centre.")).as("two objects in a cell").isNull();
    }
}
