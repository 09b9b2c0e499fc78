package io.easspark.engine.meter;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The VQA head's answers by class index (DESIGN-METER.md §4: ViLT's {@code label2ans}, 3,129 for VQAv2; an id
 * without an answer prints "unknown" in the original, here the vocabulary must cover every id). Read from either
 * form ViLT-derived code ships: a JSON list {@code ["yes", "no", ...]} (index = position) or a map
 * {@code {"yes": 0, "no": 1, ...}} (ans2label). Stored in a model directory as {@code label2ans.json}, a list.
 */
public record AnswerVocabulary(List<String> answers) {

    public AnswerVocabulary {
        answers = List.copyOf(answers);
    }

    /** Parses a list or an {answer: index} map; indices must be 0..n-1, each once; answers distinct and non-blank. */
    public static AnswerVocabulary parse(String json, String location) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(location + " is not JSON: " + e.getMessage(), e);
        }
        String[] byIndex;
        if (root != null && root.isJsonArray()) {
            JsonArray a = root.getAsJsonArray();
            byIndex = new String[a.size()];
            for (int i = 0; i < a.size(); i++) {
                byIndex[i] = string(a.get(i), location, "entry " + i);
            }
        } else if (root != null && root.isJsonObject()) {
            JsonObject o = root.getAsJsonObject();
            byIndex = new String[o.size()];
            for (Map.Entry<String, JsonElement> e : o.entrySet()) {
                JsonElement v = e.getValue();
                if (!v.isJsonPrimitive() || !v.getAsJsonPrimitive().isNumber() || v.getAsDouble() != Math.rint(v.getAsDouble())) {
                    throw new IllegalArgumentException(location + ": answer \"" + e.getKey() + "\" has index " + v
                            + "; expected an integer");
                }
                double index = v.getAsDouble();
                if (index < 0 || index >= byIndex.length) {
                    throw new IllegalArgumentException(location + ": answer \"" + e.getKey() + "\" has index " + v
                            + "; expected 0.." + (byIndex.length - 1) + " (one index per answer)");
                }
                int i = (int) index;
                if (byIndex[i] != null) {
                    throw new IllegalArgumentException(location + ": index " + i + " is given to both \"" + byIndex[i]
                            + "\" and \"" + e.getKey() + "\"");
                }
                byIndex[i] = e.getKey();
            }
        } else {
            throw new IllegalArgumentException(location + ": expected a JSON list of answers or an {answer: index} map but found "
                    + abbreviate(json.strip()));
        }
        if (byIndex.length == 0) {
            throw new IllegalArgumentException(location + " holds no answers");
        }
        List<String> answers = Arrays.asList(byIndex);
        for (int i = 0; i < byIndex.length; i++) {
            if (byIndex[i].isBlank()) {
                throw new IllegalArgumentException(location + ": answer " + i + " is blank");
            }
            int first = answers.indexOf(byIndex[i]);
            if (first != i) {
                throw new IllegalArgumentException(location + ": answer \"" + byIndex[i] + "\" appears at " + first + " and " + i);
            }
        }
        return new AnswerVocabulary(answers);
    }

    public int size() {
        return answers.size();
    }

    public String answer(int index) {
        return answers.get(index);
    }

    /** Each answer's class, the inverse of {@link #answer(int)} (ViLT's {@code ans2label}). */
    public Map<String, Integer> ans2label() {
        Map<String, Integer> m = new java.util.HashMap<>();
        for (int i = 0; i < answers.size(); i++) {
            m.put(answers.get(i), i);
        }
        return m;
    }

    /** label2ans.json of a model directory: the answers as a list, index = position. */
    public String toJson() {
        JsonArray a = new JsonArray();
        answers.forEach(a::add);
        return a.toString();
    }

    private static String string(JsonElement e, String location, String what) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new IllegalArgumentException(location + ": " + what + " is " + e + "; expected a string answer");
        }
        return e.getAsString();
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
