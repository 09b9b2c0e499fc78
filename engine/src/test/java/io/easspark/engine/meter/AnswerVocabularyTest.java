package io.easspark.engine.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** label2ans in both shipped forms, and each way an answer file can fail to cover the head's classes. */
class AnswerVocabularyTest {

    @Test
    void aListAndAMapGiveAnswersByIndex() {
        AnswerVocabulary list = AnswerVocabulary.parse("[\"yes\", \"no\", \"2\"]", "l.json");
        AnswerVocabulary map = AnswerVocabulary.parse("{\"2\": 2, \"yes\": 0, \"no\": 1}", "m.json");
        assertThat(list.answers()).containsExactly("yes", "no", "2");
        assertThat(map).isEqualTo(list);
        assertThat(AnswerVocabulary.parse(map.toJson(), "back")).isEqualTo(map);
    }

    @Test
    void indicesMustCoverZeroToNMinusOneOnce() {
        assertThatThrownBy(() -> AnswerVocabulary.parse("{\"yes\": 0, \"no\": 2}", "m.json"))
                .hasMessage("m.json: answer \"no\" has index 2; expected 0..1 (one index per answer)");
        assertThatThrownBy(() -> AnswerVocabulary.parse("{\"yes\": 1, \"no\": 1}", "m.json"))
                .hasMessage("m.json: index 1 is given to both \"yes\" and \"no\"");
        assertThatThrownBy(() -> AnswerVocabulary.parse("{\"yes\": 0.5}", "m.json"))
                .hasMessage("m.json: answer \"yes\" has index 0.5; expected an integer");
        assertThatThrownBy(() -> AnswerVocabulary.parse("[\"yes\", \"yes\"]", "l.json"))
                .hasMessage("l.json: answer \"yes\" appears at 0 and 1");
        assertThatThrownBy(() -> AnswerVocabulary.parse("[\"yes\", 3]", "l.json"))
                .hasMessage("l.json: entry 1 is 3; expected a string answer");
        assertThatThrownBy(() -> AnswerVocabulary.parse("[]", "l.json")).hasMessage("l.json holds no answers");
        assertThatThrownBy(() -> AnswerVocabulary.parse("\"yes\"", "l.json"))
                .hasMessageStartingWith("l.json: expected a JSON list of answers or an {answer: index} map");
    }
}
