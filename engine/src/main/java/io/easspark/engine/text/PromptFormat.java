package io.easspark.engine.text;

import java.util.List;
import java.util.Locale;

/**
 * Prompt texts (DESIGN.md §1.2). {@code QCM} is ScienceQA's QCM-ALE prompt exactly as the original evaluation
 * builds it; {@code VQA} is our own free-form choice (LaVIN-EAS has no VQA evaluation).
 */
public enum PromptFormat {
    QCM,
    VQA;

    /** The image-row and text-row prefixes, encoded separately with BOS. */
    public static final String IMAGE_PREFIX = "Image: ";
    public static final String NO_IMAGE_PREFIX = "Image: N/A";

    public static PromptFormat parse(String text) {
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown prompt format '" + text + "': expected qcm or vqa");
        }
    }

    /**
     * Builds the prompt. QCM: {@code Question: {q}\nContext: {c}\nOptions: (A) {o1} (B) {o2} ...\nResponse:},
     * context stripped or {@code N/A}, then one pass replacing each non-overlapping double space by one, then strip.
     * VQA: {@code Question: {q}\nResponse:}.
     */
    public String build(String question, String context, List<String> options) {
        if (this == VQA) {
            return ("Question: " + question + "\nResponse:").strip();
        }
        String c = context == null ? "" : context.strip();
        if (c.isEmpty()) {
            c = "N/A";
        }
        StringBuilder opts = new StringBuilder();
        List<String> o = options == null ? List.of() : options;
        for (int i = 0; i < o.size(); i++) {
            if (i > 0) {
                opts.append(' ');
            }
            opts.append('(').append(AnswerParser.letter(i)).append(") ").append(o.get(i));
        }
        String text = "Question: " + question + "\nContext: " + c + "\nOptions: " + opts + "\nResponse:";
        return text.replace("  ", " ").strip(); // String.replace is one left-to-right, non-overlapping pass
    }
}
