package io.easspark.jobs.scienceqa;

import java.util.List;

/**
 * One generated question in ScienceQA's fields ({@code problems.json}): {@code answer} is the index of the right
 * choice; {@code image} is non-null only for rows whose answer needs the picture (then written to
 * {@code images/<split>/<pid>/image.png}).
 *
 * @param kind IMG, TXT or NO: the context the answer needs, as ScienceQA's context categories
 */
record Problem(String kind, String question, List<String> choices, int answer, String hint, Scene image, String grade,
               String subject, String topic, String category, String skill, String lecture, String solution) {

    Problem {
        if (choices.size() < 2 || choices.size() > 5 || answer < 0 || answer >= choices.size()) {
            throw new IllegalStateException("generator bug: " + choices.size() + " choices, answer " + answer + " for " + question);
        }
        if (choices.stream().distinct().count() != choices.size()) {
            throw new IllegalStateException("generator bug: repeated choice in " + choices + " for " + question);
        }
    }
}
