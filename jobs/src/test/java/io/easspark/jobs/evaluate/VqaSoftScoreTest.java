package io.easspark.jobs.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The VQAv2 soft score against values worked out by hand from the official vqaEval.py (each expected value's
 * arithmetic is in its comment), including the official code's quirks.
 */
class VqaSoftScoreTest {

    static final double EXACT = 1e-12;

    /** {@code agreeing} annotators say {@code answer}, the rest of the ten say {@code other}. */
    static List<String> annotators(String answer, int agreeing, String other) {
        List<String> a = new ArrayList<>(Collections.nCopies(agreeing, answer));
        a.addAll(Collections.nCopies(10 - agreeing, other));
        return a;
    }

    @Test
    void leaveOneOutAveragesMinOfMatchesOverThree() {
        // 4 agree: leaving one of them out leaves 3 (credit 1), leaving another out leaves 4 (1): mean 1
        assertThat(VqaSoftScore.accuracy("red", annotators("red", 4, "blue"))).isCloseTo(1.0, within(EXACT));
        // 3 agree: 3 x 2/3 + 7 x 1 = 9, / 10
        assertThat(VqaSoftScore.accuracy("red", annotators("red", 3, "blue"))).isCloseTo(0.9, within(EXACT));
        // 2 agree: 2 x 1/3 + 8 x 2/3 = 6, / 10
        assertThat(VqaSoftScore.accuracy("red", annotators("red", 2, "blue"))).isCloseTo(0.6, within(EXACT));
        // 1 agrees: 1 x 0 + 9 x 1/3 = 3, / 10
        assertThat(VqaSoftScore.accuracy("red", annotators("red", 1, "blue"))).isCloseTo(0.3, within(EXACT));
        assertThat(VqaSoftScore.accuracy("green", annotators("red", 3, "blue"))).isZero();
    }

    @Test
    void thePredictionIsNormalisedLikeTheOfficialCode() {
        assertThat(VqaSoftScore.prediction("  Two\n")).isEqualTo("2");
        assertThat(VqaSoftScore.prediction("The dog.")).isEqualTo("dog");
        assertThat(VqaSoftScore.prediction("an apple")).isEqualTo("apple");
        assertThat(VqaSoftScore.prediction("3.5")).isEqualTo("3.5"); // a period before a digit stays
        assertThat(VqaSoftScore.prediction("1,000")).isEqualTo("1000"); // a comma between digits: marks deleted
        assertThat(VqaSoftScore.prediction("red,blue")).isEqualTo("red blue"); // otherwise a mark becomes a space
        assertThat(VqaSoftScore.prediction("red , blue")).isEqualTo("red blue"); // next to a space: deleted
        assertThat(VqaSoftScore.prediction("yes!")).isEqualTo("yes");
        assertThat(VqaSoftScore.prediction("dont")).isEqualTo("don't");
        assertThat(VqaSoftScore.prediction("none")).isEqualTo("0");
        assertThat(VqaSoftScore.prediction(null)).isEmpty();
    }

    @Test
    void officialQuirksAreKept() {
        // capitalised keys of the contraction table never match a lowercased word
        assertThat(VqaSoftScore.prediction("Im")).isEqualTo("im");
        // re.sub(..., re.UNICODE) passes 32 as the count: of 40 periods, 8 stay
        assertThat(VqaSoftScore.punctuation(".".repeat(40))).isEqualTo(".".repeat(8));
        // the gold answers are never digit-mapped: "two" predicted becomes "2" and matches none of nine "two"s
        assertThat(VqaSoftScore.accuracy("two", annotators("two", 9, "three"))).isZero();
        // and when all ten agree they are not even stripped of punctuation: "yes" does not match "yes!"
        assertThat(VqaSoftScore.accuracy("yes", annotators("yes!", 10, "-"))).isZero();
        // when they disagree their punctuation is processed, but "!" becomes a space that is never stripped: "yes "
        assertThat(VqaSoftScore.accuracy("yes", annotators("yes!", 9, "no"))).isZero();
        // a final period is deleted outright, so 9 of "yes." become "yes": full credit
        assertThat(VqaSoftScore.accuracy("yes", annotators("yes.", 9, "no"))).isCloseTo(1.0, within(EXACT));
    }

    @Test
    void aSingleLabelScoresOneOrZeroAfterNormalising() {
        assertThat(VqaSoftScore.accuracy("Two", "2")).isEqualTo(1.0);
        assertThat(VqaSoftScore.accuracy("the red", "red.")).isEqualTo(1.0);
        assertThat(VqaSoftScore.accuracy("red", "blue")).isZero();
    }
}
