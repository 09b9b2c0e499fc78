package io.easspark.jobs.evaluate;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * VQAv2's accuracy of one predicted answer against the annotators' answers, as the official evaluation
 * ({@code GT-Vision-Lab/VQA}, {@code PythonEvaluationTools/vqaEvaluation/vqaEval.py}) computes it, quirks included,
 * so numbers compare with published ones:
 * <ul>
 *   <li>the prediction is stripped, then {@link #punctuation} and {@link #digitsAndArticles} normalise it;</li>
 *   <li>the gold answers get {@link #punctuation} only, and only when they are not all equal (the official data are
 *       already normalised, so the evaluation never lowercases or maps digits on their side);</li>
 *   <li>accuracy = the mean, over each annotator left out in turn, of min(#other annotators giving the answer / 3, 1);
 *       with 10 annotators, 3 agreeing give 0.9 and 4 or more give 1.</li>
 * </ul>
 * A single gold label (no annotators) scores 1 when both normalise to the same text, else 0.
 */
public final class VqaSoftScore {

    /** Matching other annotators needed for full credit. */
    static final int FULL_CREDIT = 3;
    /**
     * The official code passes {@code re.UNICODE} (= 32) as {@code re.sub}'s positional count, so only the first 32
     * periods are removed; kept for parity.
     */
    static final int PERIODS_REMOVED = 32;

    private static final String PUNCTUATION = ";/[]\"{}()=+\\_-><@`,?!";
    private static final Pattern COMMA_BETWEEN_DIGITS = Pattern.compile("\\d,\\d");
    /** A period not followed by a digit ({@code (?!<=\d)} in the original is a lookahead that always holds). */
    private static final Pattern PERIOD = Pattern.compile("\\.(?!\\d)");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final List<String> ARTICLES = List.of("a", "an", "the");
    private static final Map<String, String> NUMBER_WORDS = Map.ofEntries(Map.entry("none", "0"), Map.entry("zero", "0"),
            Map.entry("one", "1"), Map.entry("two", "2"), Map.entry("three", "3"), Map.entry("four", "4"), Map.entry("five", "5"),
            Map.entry("six", "6"), Map.entry("seven", "7"), Map.entry("eight", "8"), Map.entry("nine", "9"), Map.entry("ten", "10"));
    /**
     * The official contraction table (word without apostrophe → with). Some keys start with a capital ("Im",
     * "Ive") and can never match the lowercased words they are compared with; that is the official behaviour.
     */
    private static final Map<String, String> CONTRACTIONS = contractions("""
            aint ain't|arent aren't|cant can't|couldve could've|couldnt couldn't|couldn'tve couldn't've|couldnt've couldn't've
            didnt didn't|doesnt doesn't|dont don't|hadnt hadn't|hadnt've hadn't've|hadn'tve hadn't've|hasnt hasn't|havent haven't
            hed he'd|hed've he'd've|he'dve he'd've|hes he's|howd how'd|howll how'll|hows how's|Id've I'd've|I'dve I'd've|Im I'm
            Ive I've|isnt isn't|itd it'd|itd've it'd've|it'dve it'd've|itll it'll|let's let's|maam ma'am|mightnt mightn't
            mightnt've mightn't've|mightn'tve mightn't've|mightve might've|mustnt mustn't|mustve must've|neednt needn't
            notve not've|oclock o'clock|oughtnt oughtn't|ow's'at 'ow's'at|'ows'at 'ow's'at|'ow'sat 'ow's'at|shant shan't
            shed've she'd've|she'dve she'd've|she's she's|shouldve should've|shouldnt shouldn't|shouldnt've shouldn't've
            shouldn'tve shouldn't've|somebody'd somebodyd|somebodyd've somebody'd've|somebody'dve somebody'd've
            somebodyll somebody'll|somebodys somebody's|someoned someone'd|someoned've someone'd've|someone'dve someone'd've
            someonell someone'll|someones someone's|somethingd something'd|somethingd've something'd've
            something'dve something'd've|somethingll something'll|thats that's|thered there'd|thered've there'd've
            there'dve there'd've|therere there're|theres there's|theyd they'd|theyd've they'd've|they'dve they'd've
            theyll they'll|theyre they're|theyve they've|twas 'twas|wasnt wasn't|wed've we'd've|we'dve we'd've|weve we've
            werent weren't|whatll what'll|whatre what're|whats what's|whatve what've|whens when's|whered where'd
            wheres where's|whereve where've|whod who'd|whod've who'd've|who'dve who'd've|wholl who'll|whos who's|whove who've
            whyll why'll|whyre why're|whys why's|wont won't|wouldve would've|wouldnt wouldn't|wouldnt've wouldn't've
            wouldn'tve wouldn't've|yall y'all|yall'll y'all'll|y'allll y'all'll|yall'd've y'all'd've|y'alld've y'all'd've
            y'all'dve y'all'd've|youd you'd|youd've you'd've|you'dve you'd've|youll you'll|youre you're|youve you've""");

    private VqaSoftScore() {
    }

    /** Accuracy in [0, 1] of {@code predicted} against the annotators' answers (VQAv2: ten). */
    public static double accuracy(String predicted, List<String> annotators) {
        if (annotators.isEmpty()) {
            throw new IllegalArgumentException("no gold answers");
        }
        String answer = prediction(predicted);
        List<String> gold = new ArrayList<>(annotators);
        if (new HashSet<>(gold).size() > 1) {
            gold.replaceAll(VqaSoftScore::punctuation);
        }
        double sum = 0;
        for (int left = 0; left < gold.size(); left++) {
            int matching = 0;
            for (int other = 0; other < gold.size(); other++) {
                // the official code drops the one answer record left out (records differ by answer_id): by position here
                if (other != left && gold.get(other).equals(answer)) {
                    matching++;
                }
            }
            sum += Math.min(1.0, (double) matching / FULL_CREDIT);
        }
        return sum / gold.size();
    }

    /** 1 when the prediction and a single gold label normalise to the same text, else 0. */
    public static double accuracy(String predicted, String label) {
        return prediction(predicted).equals(prediction(label)) ? 1 : 0;
    }

    /** The prediction as the official code normalises it (a null answer is the empty string: never right). */
    static String prediction(String text) {
        String t = text == null ? "" : text.replace('\n', ' ').replace('\t', ' ').strip();
        return digitsAndArticles(punctuation(t));
    }

    /**
     * Each punctuation mark is deleted where the text has it next to a space, or has a comma between digits anywhere;
     * elsewhere it becomes a space. Then periods not followed by a digit go.
     */
    static String punctuation(String in) {
        String out = in;
        boolean digitComma = COMMA_BETWEEN_DIGITS.matcher(in).find();
        for (char c : PUNCTUATION.toCharArray()) {
            String p = String.valueOf(c);
            boolean spaced = in.contains(p + " ") || in.contains(" " + p);
            out = out.replace(p, spaced || digitComma ? "" : " ");
        }
        Matcher m = PERIOD.matcher(out);
        StringBuilder b = new StringBuilder();
        int removed = 0;
        while (removed < PERIODS_REMOVED && m.find()) {
            m.appendReplacement(b, "");
            removed++;
        }
        m.appendTail(b);
        return b.toString();
    }

    /** Lowercased words; number words to digits; articles dropped; contractions given their apostrophe. */
    static String digitsAndArticles(String in) {
        List<String> words = new ArrayList<>();
        for (String w : WHITESPACE.split(in.toLowerCase(Locale.ROOT).strip())) {
            if (w.isEmpty()) {
                continue;
            }
            String word = NUMBER_WORDS.getOrDefault(w, w);
            if (!ARTICLES.contains(word)) {
                words.add(CONTRACTIONS.getOrDefault(word, word));
            }
        }
        return String.join(" ", words);
    }

    private static Map<String, String> contractions(String table) {
        Map<String, String> m = new HashMap<>();
        for (String pair : table.replace('\n', '|').split("\\|")) {
            String[] kv = pair.strip().split(" ");
            m.put(kv[0], kv[1]);
        }
        return Map.copyOf(m);
    }
}
