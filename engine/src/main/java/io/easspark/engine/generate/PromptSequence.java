package io.easspark.engine.generate;

import java.util.Arrays;

/**
 * One row's prompt as the decoder sees it (DESIGN.md §1.2): the modality token, {@code prefixIds}
 * (encode("Image: ", bos) or encode("Image: N/A", bos)), the visual tokens when {@code pixels} is non-null, then
 * {@code promptIds}.
 *
 * @param prefixIds ids before the visual tokens, BOS first
 * @param pixels normalised pixels [3·S·S] channel-first, or null for a row without an image
 * @param promptIds ids of the prompt text
 * @param rowKey seeds this row's sampler, so its output never depends on its batch neighbours
 */
public record PromptSequence(long[] prefixIds, float[] pixels, long[] promptIds, long rowKey) {

    public PromptSequence {
        if (prefixIds == null || prefixIds.length == 0) {
            throw new IllegalArgumentException("a prompt needs its prefix ids (BOS first)");
        }
        if (promptIds == null) {
            throw new IllegalArgumentException("prompt ids must not be null");
        }
        prefixIds = prefixIds.clone();
        promptIds = promptIds.clone();
    }

    public boolean hasImage() {
        return pixels != null;
    }

    /** Positions the row occupies: modality token, prefix, visual tokens, prompt. */
    public int length(int nVisualTokens) {
        return 1 + prefixIds.length + (hasImage() ? nVisualTokens : 0) + promptIds.length;
    }

    @Override
    public long[] prefixIds() {
        return prefixIds.clone();
    }

    @Override
    public long[] promptIds() {
        return promptIds.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptSequence p && Arrays.equals(p.prefixIds, prefixIds) && Arrays.equals(p.promptIds, promptIds)
                && Arrays.equals(p.pixels, pixels) && p.rowKey == rowKey;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(prefixIds) * 31 + Arrays.hashCode(promptIds);
    }

    @Override
    public String toString() {
        return "PromptSequence[prefix=" + prefixIds.length + ", image=" + hasImage() + ", prompt=" + promptIds.length + "]";
    }
}
