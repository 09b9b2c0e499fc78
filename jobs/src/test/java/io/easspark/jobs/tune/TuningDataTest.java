package io.easspark.jobs.tune;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.easspark.engine.generate.GenerationConfig;
import io.easspark.engine.text.LlamaTokenizer;
import io.easspark.engine.tune.TuningExample;
import io.easspark.engine.vision.ImagePreprocessor;
import io.easspark.jobs.scienceqa.ScienceQaGenerator;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The rows {@code eas tune} trains on, decoded back to text with the tune tokenizer: every option order of a problem
 * still names its right answer, captions are the pictures' own, dense option-reading rows name each option's letter.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TuningDataTest {

    private static final Pattern OPTION = Pattern.compile("\\(([A-E])\\) (.+?)(?= \\([A-E]\\) |$)");

    Path tmp;
    TuningData data;
    JsonObject problems;
    LlamaTokenizer tok;
    ImagePreprocessor pre;
    int seq;
    int nVisual;

    @BeforeAll
    void generate() throws Exception {
        tmp = Files.createTempDirectory("tuning-data");
        ScienceQaGenerator.write(tmp.resolve("sqa"), new ScienceQaGenerator.Spec(5, 60, 10, 10, 64));
        data = TuningData.open(tmp.resolve("sqa"));
        problems = JsonParser.parseString(Files.readString(tmp.resolve("sqa/problems.json"))).getAsJsonObject();
        tok = LlamaTokenizer.load(new ByteArrayInputStream(TuneCommand.tokenizer()), "scienceqa tokenizer");
        pre = ImagePreprocessor.forConfig(TuneCommand.config("").vision());
        seq = TuneCommand.config("").text().maxSeqLen();
        nVisual = TuneCommand.config("").nVisualTokens();
    }

    @AfterAll
    void close() {
        tok.close();
    }

    @Test
    void everyOptionOrderKeepsTheRightAnswer() throws Exception {
        int orders = 4;
        List<String> pids = data.pids("train");
        List<TuningExample> rows = data.examples("train", 0, tok, pre, seq, nVisual, orders, 7);
        assertThat(rows).hasSize(pids.size() * orders);
        List<TuningExample> written = data.examples("train", 0, tok, pre, seq, nVisual);
        int reordered = 0;
        for (int i = 0; i < pids.size(); i++) {
            JsonObject p = problems.getAsJsonObject(pids.get(i));
            String right = p.getAsJsonArray("choices").get(p.get("answer").getAsInt()).getAsString();
            Set<String> seen = new HashSet<>();
            for (int o = 0; o < orders; o++) {
                TuningExample e = rows.get(i * orders + o);
                Map<String, String> options = options(e);
                assertThat(options.values()).containsExactlyInAnyOrderElementsOf(
                        p.getAsJsonArray("choices").asList().stream().map(x -> x.getAsString()).toList());
                assertThat(options.get(e.answer())).as(pids.get(i)).isEqualTo(right);
                assertThat(decodeAnswer(e)).isEqualTo("The answer is " + e.answer() + ".");
                assertThat(e.options()).isEqualTo(options.size());
                seen.add(String.join("|", options.values()));
            }
            // the first order is the problem as written, the same row the one-order call gives
            assertThat(rows.get(i * orders).row().prompt().promptIds()).isEqualTo(written.get(i).row().prompt().promptIds());
            assertThat(rows.get(i * orders).row().prompt().pixels()).isEqualTo(written.get(i).row().prompt().pixels());
            reordered += seen.size() > 1 ? 1 : 0;
        }
        assertThat(reordered).isGreaterThan(pids.size() / 2);
    }

    @Test
    void captionRowsPairEachPictureWithItsCaption() throws Exception {
        JsonObject captions = JsonParser.parseString(Files.readString(tmp.resolve("sqa/captions.json"))).getAsJsonObject()
                .getAsJsonObject("captions");
        List<TuningExample> rows = data.captionRows("train", 0, tok, pre, seq, nVisual);
        List<TuningExample> tasks = data.examples("train", 0, tok, pre, seq, nVisual);
        List<String> expected = new ArrayList<>();
        List<float[]> pictures = new ArrayList<>();
        List<String> pids = data.pids("train");
        for (int i = 0; i < pids.size(); i++) {
            if (captions.has(pids.get(i))) {
                expected.add(captions.get(pids.get(i)).getAsString());
                pictures.add(tasks.get(i).row().prompt().pixels());
            }
        }
        assertThat(rows).hasSize(expected.size()).isNotEmpty();
        for (int i = 0; i < rows.size(); i++) {
            TuningExample e = rows.get(i);
            assertThat(e.category()).isEqualTo("CAP");
            assertThat(decodeAnswer(e)).isEqualTo(expected.get(i));
            assertThat(e.row().prompt().pixels()).isEqualTo(pictures.get(i));
            assertThat(tok.decode(e.row().prompt().promptIds())).contains("Describe the picture.");
        }
        Files.delete(tmp.resolve("sqa/captions.json"));
        try {
            assertThat(TuningData.open(tmp.resolve("sqa")).captionRows("train", 0, tok, pre, seq, nVisual)).isEmpty();
        } finally {
            Files.writeString(tmp.resolve("sqa/captions.json"), "{\"captions\":" + captions + "}");
        }
    }

    @Test
    void denseBindingRowsNameEveryOptionsLetter() throws Exception {
        List<TuningExample> rows = data.denseBinding("train", 0, tok, seq, nVisual, 11);
        assertThat(rows).hasSize(data.pids("train").size());
        for (TuningExample e : rows) {
            Map<String, String> options = options(e);
            String target = decodeAnswer(e);
            List<String> named = new ArrayList<>();
            for (String part : target.split("(?<=\\.) ")) {
                Matcher m = Pattern.compile("(.+) is ([A-E])\\.").matcher(part);
                assertThat(m.matches()).as(target).isTrue();
                assertThat(options.get(m.group(2))).as(target).isEqualTo(m.group(1));
                named.add(m.group(2));
            }
            assertThat(named).containsExactlyInAnyOrderElementsOf(options.keySet());
            assertThat(e.category()).isEqualTo("BIND");
        }
    }

    @Test
    void hintRowsRestateEveryHintSentenceInAnotherOrder() throws Exception {
        List<TuningExample> rows = data.hintRows("train", 0, tok, seq, nVisual, 12);
        Map<String, String> hints = new LinkedHashMap<>();
        for (String pid : data.pids("train")) {
            String hint = problems.getAsJsonObject(pid).get("hint").isJsonNull() ? "" : problems.getAsJsonObject(pid).get("hint").getAsString();
            if (new HashSet<>(TuningData.sentences(hint)).size() >= 2) {
                hints.put(pid, hint);
            }
        }
        assertThat(hints).as("the generated train split has multi-sentence hints").hasSizeGreaterThan(5);
        assertThat(rows).hasSameSizeAs(hints.values());
        int i = 0;
        for (String hint : hints.values()) {
            TuningExample e = rows.get(i++);
            String prompt = tok.decode(e.row().prompt().promptIds());
            assertThat(prompt).contains("Context: " + hint).doesNotContain("(A)");
            List<String> said = TuningData.sentences(decodeAnswer(e));
            assertThat(said).containsExactlyInAnyOrderElementsOf(TuningData.sentences(hint))
                    .isNotEqualTo(TuningData.sentences(hint));
            assertThat(e.category()).isEqualTo("HINT");
        }
    }

    @Test
    void reverseRowsNameThePersonOfEveryValueInTheHint() throws Exception {
        List<TuningExample> rows = data.reverseRows("train", 0, tok, seq, nVisual, 5);
        Map<String, String> hints = new LinkedHashMap<>();
        for (String pid : data.pids("train")) {
            JsonObject p = problems.getAsJsonObject(pid);
            if (p.get("skill").getAsString().equals("read-facts")) {
                hints.put(pid, p.get("hint").getAsString());
            }
        }
        assertThat(hints).as("the generated train split has look-up problems").hasSizeGreaterThan(3);
        assertThat(rows).as("one row per read-facts hint; the heaviest/lightest hints share 'The' and give none").hasSameSizeAs(hints.values());
        int i = 0;
        for (String hint : hints.values()) {
            TuningExample e = rows.get(i++);
            String prompt = tok.decode(e.row().prompt().promptIds());
            assertThat(prompt).contains("Context: " + hint).doesNotContain("(A)");
            Map<String, String> personOf = new LinkedHashMap<>();
            for (String sentence : TuningData.sentences(hint)) { // "Nora likes to eat grapes." -> grapes: Nora
                String[] w = sentence.replace(".", "").split(" ");
                personOf.put(w[w.length - 1], w[0]);
            }
            Matcher asked = Pattern.compile("Whose are these: (.+)\\?").matcher(prompt);
            assertThat(asked.find()).as(prompt).isTrue();
            List<String> values = Arrays.asList(asked.group(1).split(", "));
            assertThat(values).containsExactlyInAnyOrderElementsOf(personOf.keySet());
            List<String> said = TuningData.sentences(decodeAnswer(e));
            assertThat(said).hasSameSizeAs(values);
            for (int k = 0; k < values.size(); k++) {
                assertThat(said.get(k)).isEqualTo(values.get(k) + ": " + personOf.get(values.get(k)) + ".");
            }
            assertThat(e.category()).isEqualTo("REV");
        }
    }

    @Test
    void factsNeedDistinctFirstAndLastWords() {
        assertThat(TuningData.facts(List.of("Ben has a fish.", "Nora has a cat.")))
                .containsExactly(new String[] {"Ben", "fish"}, new String[] {"Nora", "cat"});
        assertThat(TuningData.facts(List.of("The lamp weighs 3 kilograms.", "The pan weighs 2 kilograms."))).isEmpty();
        assertThat(TuningData.facts(List.of("Ben has a fish.", "Nora has a fish."))).isEmpty();
        assertThat(TuningData.facts(List.of("Ben has a fish."))).hasSize(1);
    }

    @Test
    void sentencesSplitAfterTheirEndMarks() {
        assertThat(TuningData.sentences(" Ben has a fish.  Nora has 2.5 cats! Who? ")).containsExactly("Ben has a fish.", "Nora has 2.5 cats!", "Who?");
        assertThat(TuningData.sentences("")).isEmpty();
    }

    @Test
    void explanationFirstTargetStatesTheSolutionThenTheLetterOfEveryOrder() throws Exception {
        TuningData ea = TuningData.open(tmp.resolve("sqa"), AnswerTarget.EA);
        List<String> pids = ea.pids("train");
        int orders = 3;
        List<TuningExample> rows = ea.examples("train", 0, tok, pre, seq, nVisual, orders, 5);
        List<TuningExample> letterFirst = data.examples("train", 0, tok, pre, seq, nVisual, orders, 5);
        for (int i = 0; i < rows.size(); i++) {
            TuningExample e = rows.get(i);
            JsonObject p = problems.getAsJsonObject(pids.get(i / orders));
            String solution = p.get("solution").getAsString();
            assertThat(decodeAnswer(e)).isEqualTo(solution + " The answer is " + e.answer() + ".");
            assertThat(options(e).get(e.answer())).isEqualTo(p.getAsJsonArray("choices").get(p.get("answer").getAsInt()).getAsString());
            // the same prompt and letter as the letter-first row: only the target differs
            assertThat(e.row().prompt().promptIds()).isEqualTo(letterFirst.get(i).row().prompt().promptIds());
            assertThat(e.answer()).isEqualTo(letterFirst.get(i).answer());
        }
        // every kind's solution ends with the right choice's words, so the letter is that of what was written last
        for (String pid : pids) {
            JsonObject p = problems.getAsJsonObject(pid);
            String right = p.getAsJsonArray("choices").get(p.get("answer").getAsInt()).getAsString();
            assertThat(p.get("solution").getAsString()).as(pid).endsWith(" " + right + ".");
        }
        // option-reading rows restate the option asked for last, as the solutions do
        for (TuningExample e : ea.optionReading("train", 0, tok, seq, nVisual, 3)) {
            String asked = tok.decode(e.row().prompt().promptIds()).replaceFirst("(?s).*Which option is (.+?)\\?\n.*", "$1");
            assertThat(decodeAnswer(e)).isEqualTo("The option asked for is " + asked + ". The answer is " + e.answer() + ".");
            assertThat(options(e).get(e.answer())).isEqualTo(asked);
        }
    }

    @Test
    void explanationFirstTargetNamesAProblemWithoutASolution() throws Exception {
        Path copy = tmp.resolve("no-solution");
        Files.createDirectories(copy);
        JsonObject edited = problems.deepCopy();
        String pid = data.pids("train").get(0);
        edited.getAsJsonObject(pid).remove("solution");
        Files.writeString(copy.resolve("problems.json"), edited.toString());
        Files.copy(tmp.resolve("sqa/pid_splits.json"), copy.resolve("pid_splits.json"));
        Files.createSymbolicLink(copy.resolve("images"), tmp.resolve("sqa/images"));
        TuningData broken = TuningData.open(copy, AnswerTarget.EA);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> broken.examples("train", 1, tok, pre, seq, nVisual))
                .hasMessageContaining("problem " + pid).hasMessageContaining("solution");
    }

    /** The row's options as letter → text, read back from its decoded prompt. */
    private Map<String, String> options(TuningExample e) {
        String prompt = tok.decode(e.row().prompt().promptIds());
        String line = prompt.substring(prompt.indexOf("Options: ") + "Options: ".length(), prompt.indexOf("\nResponse:"));
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = OPTION.matcher(line);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    /** The target without its closing EOS, as text. */
    private String decodeAnswer(TuningExample e) {
        long[] ids = e.row().answerIds();
        assertThat(ids[ids.length - 1]).isEqualTo(GenerationConfig.LLAMA_EOS);
        return tok.decode(Arrays.copyOf(ids, ids.length - 1));
    }
}
