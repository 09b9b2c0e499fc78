package io.easspark.engine.tune;

/**
 * A picture and one class label per group of a {@link SceneHead}: the vision tower's supervised pre-training example.
 *
 * @param pixels normalised pixels [3·S·S], channel-first, as the tower takes them
 * @param labels one class per group; class 0 means "nothing here" (an empty grid cell), which accuracy reports apart
 */
public record SceneExample(float[] pixels, int[] labels) {

    public SceneExample {
        if (pixels == null || labels == null || labels.length == 0) {
            throw new IllegalArgumentException("a scene example needs its pixels and at least one label");
        }
        pixels = pixels.clone();
        labels = labels.clone();
    }

    @Override
    public float[] pixels() {
        return pixels.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }
}
