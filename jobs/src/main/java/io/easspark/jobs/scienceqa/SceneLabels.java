package io.easspark.jobs.scienceqa;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The generated pictures' captions read back as class labels, one group per grid cell and attribute: for each of the
 * 3×3 cells (reading order) the shape, the colour and the size of the object there, class 0 meaning "no object". They
 * are the targets of the vision tower's supervised pre-training ({@code eas tune --vision-steps}), the stand-in for
 * CLIP's: a caption through the decoder teaches the tower one word at a time and leaves shape and place unlearnt
 * (docs/TUNING.md, "Runs 40-41"); a label per cell asks the class token for the whole scene at once.
 */
public final class SceneLabels {

    /** Cells in reading order, as {@link Scene#caption()} names them. */
    public static final List<String> CELLS = List.of("top left", "top centre", "top right", "middle left", "centre",
            "middle right", "bottom left", "bottom centre", "bottom right");
    public static final List<String> SIZES = List.of("small", "medium", "large");
    /** The attribute of each group, in group order (cell-major: shape, colour, size of cell 0, then cell 1, ...). */
    public static final List<String> KINDS = List.of("shape", "colour", "size");

    private static final Pattern OBJECT = Pattern.compile("An? (?:(small|large) )?(\\w+) (\\w+) at the (.+?)\\.");

    private SceneLabels() {
    }

    /** Classes per group: 1 + the attribute's values (0 = empty cell), for each cell and attribute. */
    public static int[] groupSizes() {
        int[] sizes = new int[CELLS.size() * KINDS.size()];
        for (int c = 0; c < CELLS.size(); c++) {
            sizes[3 * c] = 1 + Scene.SHAPE_NAMES.size();
            sizes[3 * c + 1] = 1 + Scene.COLOR_NAMES.size();
            sizes[3 * c + 2] = 1 + SIZES.size();
        }
        return sizes;
    }

    /** The attribute name of each group, parallel to {@link #groupSizes()}. */
    public static String[] groupKinds() {
        String[] kinds = new String[CELLS.size() * KINDS.size()];
        for (int i = 0; i < kinds.length; i++) {
            kinds[i] = KINDS.get(i % KINDS.size());
        }
        return kinds;
    }

    /**
     * The labels of a caption {@link Scene#caption()} wrote, or null when it is not one (a real dataset's free-text
     * caption, an unknown word, text left over): a label guessed from a sentence we cannot read would teach noise.
     */
    public static int[] parse(String caption) {
        if (caption == null || caption.isBlank()) {
            return null;
        }
        int[] labels = new int[CELLS.size() * KINDS.size()];
        Matcher m = OBJECT.matcher(caption.trim());
        int at = 0;
        List<Integer> seen = new ArrayList<>();
        while (m.find()) {
            if (!caption.trim().substring(at, m.start()).isBlank()) {
                return null;
            }
            at = m.end();
            int shape = Scene.SHAPE_NAMES.indexOf(m.group(3));
            int colour = Scene.COLOR_NAMES.indexOf(m.group(2));
            int cell = CELLS.indexOf(m.group(4));
            if (shape < 0 || colour < 0 || cell < 0 || seen.contains(cell)) {
                return null; // two objects named in one cell cannot both be its label
            }
            seen.add(cell);
            int size = m.group(1) == null ? 1 : SIZES.indexOf(m.group(1));
            labels[3 * cell] = 1 + shape;
            labels[3 * cell + 1] = 1 + colour;
            labels[3 * cell + 2] = 1 + size;
        }
        return seen.isEmpty() || at != caption.trim().length() ? null : labels;
    }
}
