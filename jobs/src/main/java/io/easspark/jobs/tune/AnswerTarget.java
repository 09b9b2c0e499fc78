package io.easspark.jobs.tune;

/**
 * What a tuning row teaches the model to write after {@code Response:}, named after ScienceQA's output formats. Both
 * end in {@code The answer is X.}, the sentence {@code infer} parses the letter from.
 */
public enum AnswerTarget {
    /** {@code The answer is X.}: LaVIN's answer prefix, the letter first (the target). */
    A,
    /**
     * {@code <solution> The answer is X.}: the problem's one-sentence solution first ("Juneau is the capital of
     * Alaska."), then the letter. Each step is then one skill at a time: the solution recalls the fact, reads the
     * hint or describes the picture with every word supervised, and the letter only has to find the option the
     * solution just named. The letter-first target asks for all of it inside one token (docs/TUNING.md, runs 15-21).
     */
    EA;

    /** The target text for a problem's solution and gold letter. */
    String text(String solution, String letter) {
        String answer = "The answer is " + letter + ".";
        if (this == A) {
            return answer;
        }
        if (solution == null || solution.isBlank()) {
            throw new IllegalArgumentException("the EA target needs the problem's solution, and it has none");
        }
        return solution.strip() + " " + answer;
    }

    /**
     * The target of an option-reading row ({@code Which option is X?}): under EA the option restated last before the
     * letter, as a task row's solution ends with it, so the option-reading rows teach the very step EA rows end with.
     */
    String option(String content, String letter) {
        String answer = "The answer is " + letter + ".";
        return this == A ? answer : "The option asked for is " + content + ". " + answer;
    }

    /** Generated tokens a row of this target needs at most, with a margin: the encoder reserves them. */
    int reserve() {
        return this == A ? 16 : 64;
    }
}
