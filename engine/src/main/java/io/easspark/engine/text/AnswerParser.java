package io.easspark.engine.text;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the answer letter from generated text only (DESIGN.md §1.2): {@code The answer is ([A-Z])}, and the letter
 * must name one of the options. Anything else is a parse failure — never a guess from the prompt or a random option.
 */
public final class AnswerParser {

    private static final Pattern ANSWER = Pattern.compile("The answer is ([A-Z])");

    /** The outcome: a letter, or why there is none. */
    public record Result(String letter, Outcome outcome) {
        public boolean parsed() {
            return outcome == Outcome.OK;
        }
    }

    public enum Outcome {
        OK,
        /** No "The answer is X" in the generation. */
        NO_ANSWER,
        /** A letter beyond the row's options. */
        NOT_AN_OPTION
    }

    private AnswerParser() {
    }

    /** Parses the generated text of a row with {@code optionCount} options. */
    public static Result parse(String generated, int optionCount) {
        Matcher m = ANSWER.matcher(generated == null ? "" : generated);
        if (!m.find()) {
            return new Result(null, Outcome.NO_ANSWER);
        }
        String letter = m.group(1);
        if (letter.charAt(0) - 'A' >= optionCount) {
            return new Result(letter, Outcome.NOT_AN_OPTION);
        }
        return new Result(letter, Outcome.OK);
    }

    /** "A" for 0, "B" for 1, ... */
    public static String letter(int index) {
        if (index < 0 || index >= 26) {
            throw new IllegalArgumentException("options are lettered A-Z; index " + index + " has no letter");
        }
        return String.valueOf((char) ('A' + index));
    }
}
