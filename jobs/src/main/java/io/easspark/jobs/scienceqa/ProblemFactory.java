package io.easspark.jobs.scienceqa;

import java.awt.Color;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Draws one question of a kind from a random stream. IMG questions need the picture (colour, shape, count, relative
 * position, size), TXT questions need the hint (a fact stated among distractor facts, or a comparison of stated
 * numbers), NO questions need a fixed table of facts ({@link FactTables}) that recurs across every split. The right
 * choice sits at a uniformly drawn position among 2-5 choices, so each letter is equally likely for a given count.
 * Every solution is one sentence that ends with the right choice's words ("The capital of Alaska is Juneau."): a
 * model trained to write the solution before the letter ({@code eas tune --target EA}) then finds the letter of what it
 * wrote last.
 */
final class ProblemFactory {

    private static final List<String> PEOPLE = List.of("Ava", "Ben", "Cole", "Dina", "Eli", "Fay", "Gus", "Hana", "Ivan", "Jade",
            "Kai", "Lena", "Milo", "Nora", "Owen", "Pia");
    /** Attribute families for TXT look-ups: a question pattern and its values. */
    private static final List<List<String>> ATTRIBUTES = List.of(
            List.of("pet", "has a %s", "cat", "dog", "fish", "parrot", "rabbit", "turtle", "hamster"),
            List.of("fruit", "likes to eat %s", "apples", "pears", "plums", "grapes", "mangoes", "cherries", "lemons"),
            List.of("city", "lives in %s", "Oslo", "Lima", "Cairo", "Perth", "Quito", "Dakar", "Hanoi"),
            List.of("instrument", "plays the %s", "piano", "violin", "drums", "flute", "guitar", "cello", "trumpet"));
    private static final List<String> OBJECTS = List.of("rock", "book", "bucket", "lamp", "chair", "brick", "kettle", "melon",
            "pillow", "hammer", "basket", "drum");
    private static final List<String> DIRECTIONS = List.of("left", "right", "above", "below");

    private final int imageSize;

    ProblemFactory(int imageSize) {
        this.imageSize = imageSize;
    }

    Problem draw(String kind, SplittableRandom r) {
        return switch (kind) {
            case "IMG" -> image(r);
            case "TXT" -> text(r);
            case "NO" -> closedWorld(r);
            default -> throw new IllegalArgumentException("unknown kind " + kind);
        };
    }

    // ---- IMG ----

    private Problem image(SplittableRandom r) {
        int grade = 1 + r.nextInt(6);
        return switch (r.nextInt(5)) {
            case 0 -> colorOf(r, grade);
            case 1 -> shapeOf(r, grade);
            case 2 -> count(r, grade);
            case 3 -> position(r, grade);
            default -> size(r, grade);
        };
    }

    private Problem colorOf(SplittableRandom r, int grade) {
        List<Integer> shapes = pick(r, Scene.SHAPE_NAMES.size(), 1 + r.nextInt(3));
        List<Scene.Shape> objects = place(r, shapes, randomColors(r, shapes.size(), false), null);
        Scene.Shape target = objects.get(r.nextInt(objects.size()));
        String shape = Scene.SHAPE_NAMES.get(target.shape());
        String color = Scene.COLOR_NAMES.get(target.color());
        Choices c = choices(r, color, Scene.COLOR_NAMES, 2 + r.nextInt(4));
        return imageProblem("What color is the " + shape + "?", c, scene(r, objects), grade, "Identify colors",
                "The " + shape + " in the picture is " + color + ".");
    }

    private Problem shapeOf(SplittableRandom r, int grade) {
        int n = 1 + r.nextInt(3);
        List<Integer> colors = pick(r, Scene.COLOR_NAMES.size(), n);
        List<Integer> shapes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            shapes.add(r.nextInt(Scene.SHAPE_NAMES.size()));
        }
        List<Scene.Shape> objects = place(r, shapes, colors, null);
        Scene.Shape target = objects.get(r.nextInt(objects.size()));
        String shape = Scene.SHAPE_NAMES.get(target.shape());
        String color = Scene.COLOR_NAMES.get(target.color());
        Choices c = choices(r, shape, Scene.SHAPE_NAMES, 2 + r.nextInt(2));
        return imageProblem("Which shape is " + color + "?", c, scene(r, objects), grade, "Identify shapes",
                "The " + color + " object in the picture is a " + shape + ".");
    }

    private Problem count(SplittableRandom r, int grade) {
        int shape = r.nextInt(Scene.SHAPE_NAMES.size());
        int many = 1 + r.nextInt(4);
        int others = r.nextInt(3);
        List<Integer> shapes = new ArrayList<>();
        for (int i = 0; i < many; i++) {
            shapes.add(shape);
        }
        for (int i = 0; i < others; i++) {
            shapes.add((shape + 1 + r.nextInt(Scene.SHAPE_NAMES.size() - 1)) % Scene.SHAPE_NAMES.size());
        }
        List<Scene.Shape> objects = place(r, shapes, randomColors(r, shapes.size(), true), null);
        String name = Scene.SHAPE_NAMES.get(shape);
        Choices c = choices(r, String.valueOf(many), List.of("1", "2", "3", "4", "5"), 2 + r.nextInt(4));
        return imageProblem("How many " + name + "s are in the picture?", c, scene(r, objects), grade, "Count objects",
                "The number of " + name + "s in the picture is " + many + ".");
    }

    private Problem position(SplittableRandom r, int grade) {
        List<Integer> shapes = pick(r, Scene.SHAPE_NAMES.size(), 2);
        List<Integer> colors = pick(r, Scene.COLOR_NAMES.size(), 2);
        int dir = r.nextInt(4);
        // cells on a 3x3 grid: the first object lies in direction dir from the second, in the same row or column
        int row = r.nextInt(3);
        int col = r.nextInt(3);
        int a = r.nextInt(2);
        int b = a + 1 + r.nextInt(2 - a);
        int[][] cells = switch (dir) {
            case 0 -> new int[][] {{row, a}, {row, b}};
            case 1 -> new int[][] {{row, b}, {row, a}};
            case 2 -> new int[][] {{a, col}, {b, col}};
            default -> new int[][] {{b, col}, {a, col}};
        };
        List<Scene.Shape> objects = place(r, shapes, colors, cells);
        Choices c = choices(r, DIRECTIONS.get(dir), DIRECTIONS, 2 + r.nextInt(3));
        String q = "Where is the " + objects.get(0).name() + " compared with the " + objects.get(1).name() + "?";
        return imageProblem(q, c, scene(r, objects), grade, "Describe positions",
                "Compared with the " + objects.get(1).name() + ", the " + objects.get(0).name() + " is " + positionPhrase(dir) + ".");
    }

    private Problem size(SplittableRandom r, int grade) {
        List<Integer> shapes = pick(r, Scene.SHAPE_NAMES.size(), 2);
        List<Integer> colors = pick(r, Scene.COLOR_NAMES.size(), 2);
        List<Scene.Shape> placed = place(r, shapes, colors, null);
        // sizes at least 1.7x apart so "larger" is visible after the model's resize
        int cell = imageSize / 3;
        int small = Math.max(4, cell * 2 / 5);
        int big = Math.max(small * 17 / 10 + 1, cell - 2);
        boolean firstBig = r.nextBoolean();
        List<Scene.Shape> objects = List.of(resized(placed.get(0), firstBig ? big : small), resized(placed.get(1), firstBig ? small : big));
        String larger = objects.get(firstBig ? 0 : 1).name();
        String smaller = objects.get(firstBig ? 1 : 0).name();
        boolean askLarger = r.nextBoolean();
        String right = "the " + (askLarger ? larger : smaller);
        Choices c = choices(r, right, List.of("the " + larger, "the " + smaller), 2);
        return imageProblem("Which object is " + (askLarger ? "larger" : "smaller") + "?", c, scene(r, objects), grade,
                "Compare sizes", "The " + (askLarger ? "larger" : "smaller") + " object is " + right + ".");
    }

    private static Scene.Shape resized(Scene.Shape s, int size) {
        return new Scene.Shape(s.shape(), s.color(), s.x(), s.y(), size);
    }

    /** The direction as a solution ends with it, the choice's own word last ("to the left", "above"). */
    private static String positionPhrase(int dir) {
        return switch (dir) {
            case 0 -> "to the left";
            case 1 -> "to the right";
            case 2 -> "above";
            default -> "below";
        };
    }

    private Problem imageProblem(String question, Choices c, Scene scene, int grade, String skill, String solution) {
        return new Problem("IMG", question, c.choices(), c.answer(), "", scene, "grade" + grade, "natural science",
                "visual reasoning", skill, skill.toLowerCase(java.util.Locale.ROOT),
                "Look carefully at the picture: the answer is in it.", solution);
    }

    private Scene scene(SplittableRandom r, List<Scene.Shape> objects) {
        // light tinted backgrounds, so colour is never read off the background
        Color bg = new Color(200 + r.nextInt(56), 200 + r.nextInt(56), 200 + r.nextInt(56));
        return new Scene(imageSize, bg, objects, r.nextLong());
    }

    /** Objects in distinct cells of a 3x3 grid (or the given cells), jittered, sized to fit their cell. */
    private List<Scene.Shape> place(SplittableRandom r, List<Integer> shapes, List<Integer> colors, int[][] cells) {
        int cell = imageSize / 3;
        List<Integer> free = pick(r, 9, shapes.size());
        List<Scene.Shape> out = new ArrayList<>();
        for (int i = 0; i < shapes.size(); i++) {
            int row = cells == null ? free.get(i) / 3 : cells[i][0];
            int col = cells == null ? free.get(i) % 3 : cells[i][1];
            int s = Math.max(4, cell / 2 + r.nextInt(Math.max(1, cell / 2 - 1)));
            int slack = Math.max(0, cell - s);
            int x = col * cell + s / 2 + r.nextInt(slack + 1);
            int y = row * cell + s / 2 + r.nextInt(slack + 1);
            out.add(new Scene.Shape(shapes.get(i), colors.get(i), x, y, s));
        }
        return out;
    }

    private static List<Integer> randomColors(SplittableRandom r, int n, boolean repeats) {
        if (!repeats) {
            return pick(r, Scene.COLOR_NAMES.size(), n);
        }
        List<Integer> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add(r.nextInt(Scene.COLOR_NAMES.size()));
        }
        return c;
    }

    // ---- TXT ----

    private Problem text(SplittableRandom r) {
        int grade = 2 + r.nextInt(8);
        return r.nextInt(3) < 2 ? lookup(r, grade) : compare(r, grade);
    }

    private Problem lookup(SplittableRandom r, int grade) {
        List<String> family = ATTRIBUTES.get(r.nextInt(ATTRIBUTES.size()));
        List<String> values = family.subList(2, family.size());
        int people = 3 + r.nextInt(3);
        List<Integer> who = pick(r, PEOPLE.size(), people);
        List<Integer> what = pick(r, values.size(), people);
        StringBuilder hint = new StringBuilder();
        for (int i = 0; i < people; i++) {
            hint.append(i == 0 ? "" : " ").append(PEOPLE.get(who.get(i))).append(' ')
                    .append(String.format(family.get(1), values.get(what.get(i)))).append('.');
        }
        int t = r.nextInt(people);
        String person = PEOPLE.get(who.get(t));
        String value = values.get(what.get(t));
        // distractors come first from the other people's facts in the hint, so only reading the right sentence works
        List<String> pool = new ArrayList<>();
        for (int i = 0; i < people; i++) {
            pool.add(values.get(what.get(i)));
        }
        for (String v : values) {
            if (!pool.contains(v)) {
                pool.add(v);
            }
        }
        Choices c = choices(r, value, pool.subList(0, Math.max(people, 5)), 2 + r.nextInt(4), true);
        String q = switch (family.get(0)) {
            case "pet" -> "Which pet does " + person + " have?";
            case "fruit" -> "Which fruit does " + person + " like to eat?";
            case "city" -> "Which city does " + person + " live in?";
            default -> "Which instrument does " + person + " play?";
        };
        return new Problem("TXT", q, c.choices(), c.answer(), hint.toString(), null, "grade" + grade, "social science",
                "reading", "Find facts in a text", "read-facts", "The hint says what each person's " + family.get(0) + " is.",
                person + " " + String.format(family.get(1), value) + ".");
    }

    private Problem compare(SplittableRandom r, int grade) {
        int n = 2 + r.nextInt(3);
        List<Integer> objs = pick(r, OBJECTS.size(), n);
        List<Integer> kilos = pick(r, 19, n);
        StringBuilder hint = new StringBuilder();
        int heaviest = 0;
        int lightest = 0;
        for (int i = 0; i < n; i++) {
            hint.append(i == 0 ? "" : " ").append("The ").append(OBJECTS.get(objs.get(i))).append(" weighs ")
                    .append(kilos.get(i) + 1).append(" kilograms.");
            heaviest = kilos.get(i) > kilos.get(heaviest) ? i : heaviest;
            lightest = kilos.get(i) < kilos.get(lightest) ? i : lightest;
        }
        boolean heavy = r.nextBoolean();
        List<String> names = new ArrayList<>();
        for (int o : objs) {
            names.add("the " + OBJECTS.get(o));
        }
        String right = names.get(heavy ? heaviest : lightest);
        Choices c = choices(r, right, names, n);
        return new Problem("TXT", "Which object is " + (heavy ? "heaviest" : "lightest") + "?", c.choices(), c.answer(),
                hint.toString(), null, "grade" + grade, "natural science", "physics", "Compare masses", "compare-mass",
                "Mass is how much matter an object has; compare the numbers in the hint.",
                "The " + (heavy ? "heaviest" : "lightest") + " object is " + right + ".");
    }

    // ---- NO ----

    private Problem closedWorld(SplittableRandom r) {
        int grade = 1 + r.nextInt(12);
        return switch (r.nextInt(3)) {
            case 0 -> {
                String[] f = FactTables.ANIMALS.get(r.nextInt(FactTables.ANIMALS.size()));
                Choices c = choices(r, f[1], FactTables.ANIMAL_CLASSES, 2 + r.nextInt(4));
                yield new Problem("NO", "What kind of animal is a " + f[0] + "?", c.choices(), c.answer(), "", null,
                        "grade" + grade, "natural science", "biology", "Classify animals", "classify-animals",
                        "Animals are grouped into mammals, birds, fish, reptiles and amphibians.", "A " + f[0] + " is a " + f[1] + ".");
            }
            case 1 -> {
                String[] f = FactTables.OPPOSITES.get(r.nextInt(FactTables.OPPOSITES.size()));
                List<String> pool = new ArrayList<>();
                for (String[] o : FactTables.OPPOSITES) {
                    if (!o[0].equals(f[0])) {
                        pool.add(o[1]);
                    }
                }
                pool.add(0, f[1]);
                Choices c = choices(r, f[1], pool, 2 + r.nextInt(4));
                yield new Problem("NO", "Which word is the opposite of " + f[0] + "?", c.choices(), c.answer(), "", null,
                        "grade" + grade, "language science", "vocabulary", "Antonyms", "antonyms",
                        "Opposites are words with contrary meanings.", "The opposite of " + f[0] + " is " + f[1] + ".");
            }
            default -> {
                String[] f = FactTables.CAPITALS.get(r.nextInt(FactTables.CAPITALS.size()));
                List<String> pool = new ArrayList<>();
                for (String[] o : FactTables.CAPITALS) {
                    pool.add(o[1]);
                }
                Choices c = choices(r, f[1], pool, 2 + r.nextInt(4));
                yield new Problem("NO", "What is the capital of " + f[0] + "?", c.choices(), c.answer(), "", null,
                        "grade" + grade, "social science", "geography", "State capitals", "state-capitals",
                        "A capital is the city where a state's government meets.", "The capital of " + f[0] + " is " + f[1] + ".");
            }
        };
    }

    // ---- choices ----

    record Choices(List<String> choices, int answer) {
    }

    private static Choices choices(SplittableRandom r, String right, List<String> pool, int n) {
        return choices(r, right, pool, n, false);
    }

    /**
     * {@code n} choices (capped by the pool) holding {@code right} at a uniform position; distractors drawn from the
     * pool without repeats, in pool order first when {@code preferFirst} (the hint's own values).
     */
    private static Choices choices(SplittableRandom r, String right, List<String> pool, int n, boolean preferFirst) {
        List<String> others = new ArrayList<>(pool);
        others.remove(right);
        int size = Math.min(n, others.size() + 1);
        List<String> distractors = new ArrayList<>();
        if (preferFirst) {
            List<String> head = new ArrayList<>(others.subList(0, Math.min(others.size(), size - 1)));
            shuffle(r, head);
            distractors.addAll(head);
        } else {
            shuffle(r, others);
            distractors.addAll(others.subList(0, size - 1));
        }
        shuffle(r, distractors);
        int at = r.nextInt(size);
        List<String> out = new ArrayList<>(distractors);
        out.add(at, right);
        return new Choices(List.copyOf(out), at);
    }

    /** {@code k} distinct values of 0..n-1 in random order. */
    static List<Integer> pick(SplittableRandom r, int n, int k) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        shuffle(r, all);
        return new ArrayList<>(all.subList(0, k));
    }

    private static <T> void shuffle(SplittableRandom r, List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
