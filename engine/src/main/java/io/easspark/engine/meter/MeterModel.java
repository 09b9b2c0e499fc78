package io.easspark.engine.meter;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.model.WeightReader;
import io.easspark.engine.model.WeightSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A loaded METER-EAS model (DESIGN-METER.md): RoBERTa and CLIP ViT encoders, the cross-modal transforms and token
 * types, {@code fusion_layers} co-attention layers per stream, the poolers and whichever task heads the checkpoint
 * has (VQA, NLVR2, retrieval). Immutable after load, shared by every thread; the skip set is an argument of
 * {@link #fuse}, so one loaded model serves every set. Owns its {@link NDManager}. Weight names are the original
 * checkpoint's {@code state_dict} names with 1×1 conv weights squeezed to [out, in/groups].
 *
 * <p>Letters: B rows, L text tokens, Tv image tokens, d width.
 */
public final class MeterModel implements AutoCloseable {

    /** Rows of {@code token_type_embeddings} (§3.1): text, the (first) image, NLVR2's second image. */
    public static final int TYPE_TEXT = 0;
    public static final int TYPE_IMAGE = 1;
    public static final int TYPE_SECOND_IMAGE = 2;

    /**
     * The fusion of one batch: every layer's text [B, L, d] and image [B, Tv, d] stream (pads included) and the
     * pooled features {@code [p_t; p_v]} [B, 2d].
     */
    public record Fusion(List<NDArray> text, List<NDArray> image, NDArray pooled) {
    }

    /** The fusion's inputs (§3.1): streams x [B, L, d], y [B, Tv, d] and the text's additive key mask. */
    record Streams(NDArray text, NDArray image, NDArray textMask) {
    }

    private final MeterConfig config;
    private final NDManager manager;
    private final RobertaEncoder roberta;
    private final MeterVit vit;
    private final Affine textTransform;
    private final Affine imageTransform;
    private final NDArray tokenTypes; // [3, d]
    private final NDArray token4classifier; // [1, 1, d]
    private final CoAttentionLayer[] textLayers;
    private final CoAttentionLayer[] imageLayers;
    private final Affine textPooler;
    private final Affine imagePooler;
    private final ClassifierHead vqa;
    private final ClassifierHead nlvr2;
    private final Affine rankOutput;

    private MeterModel(MeterConfig config, NDManager manager, RobertaEncoder roberta, MeterVit vit,
            Affine textTransform, Affine imageTransform, NDArray tokenTypes, NDArray token4classifier,
            CoAttentionLayer[] textLayers, CoAttentionLayer[] imageLayers, Affine textPooler, Affine imagePooler,
            ClassifierHead vqa, ClassifierHead nlvr2, Affine rankOutput) {
        this.config = config;
        this.manager = manager;
        this.roberta = roberta;
        this.vit = vit;
        this.textTransform = textTransform;
        this.imageTransform = imageTransform;
        this.tokenTypes = tokenTypes;
        this.token4classifier = token4classifier;
        this.textLayers = textLayers;
        this.imageLayers = imageLayers;
        this.textPooler = textPooler;
        this.imagePooler = imagePooler;
        this.vqa = vqa;
        this.nlvr2 = nlvr2;
        this.rankOutput = rankOutput;
    }

    /** Loads every tensor the forward uses, checking each shape; task heads the checkpoint lacks stay absent. */
    public static MeterModel load(MeterConfig c, WeightSource source, Device device) {
        NDManager manager = NDManager.newBaseManager(device);
        try {
            WeightReader r = new WeightReader(source, manager);
            int d = c.hidden();
            MultiHeadAttention attention = new MultiHeadAttention(new MultiHeadAttention.Spec(c.heads(), c.headDim()));
            CoAttentionLayer[] text = new CoAttentionLayer[c.fusionLayers()];
            CoAttentionLayer[] image = new CoAttentionLayer[c.fusionLayers()];
            for (int i = 0; i < text.length; i++) {
                text[i] = CoAttentionLayer.read(r, "cross_modal_text_layers." + i + ".", c, attention);
                image[i] = CoAttentionLayer.read(r, "cross_modal_image_layers." + i + ".", c, attention);
            }
            MeterModel model = new MeterModel(c, manager, RobertaEncoder.read(r, c, attention), MeterVit.read(r, c),
                    Affine.read(r, "cross_modal_text_transform", d, d),
                    Affine.read(r, "cross_modal_image_transform", d, c.vitWidth()),
                    r.read("token_type_embeddings.weight", 3, d), r.read("token4classifier", 1, 1, d), text, image,
                    Affine.read(r, "cross_modal_text_pooler.dense", d, d),
                    Affine.read(r, "cross_modal_image_pooler.dense", d, d),
                    c.vqaLabels() == 0 ? null : ClassifierHead.readOptional(r, "vqa_classifier", 2 * d, 2 * d, c.vqaLabels()),
                    ClassifierHead.readOptional(r, "nlvr2_classifier", 4 * d, 2 * d, 2),
                    Affine.readOptional(r, "rank_output", 1, 2 * d));
            // weights only from here on: a batch that leaves an array in the model's manager fails loudly
            manager.cap();
            return model;
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    public MeterConfig config() {
        return config;
    }

    /** A scope for one batch's arrays; close it after reading the outputs. */
    public NDManager newScope() {
        return manager.newSubManager();
    }

    /** RoBERTa's output [B, L, d] for ids padded to exactly {@code max_text_len}. */
    public NDArray encodeText(long[][] ids, NDManager scope) {
        checkIds(ids);
        return roberta.forward(ids, RobertaEncoder.keyMask(ids, scope), scope);
    }

    /** The ViT's output [B, Tv, W] for normalised pixels [B, 3, S, S]. */
    public NDArray encodeImage(NDArray pixels) {
        return vit.forward(pixels);
    }

    /**
     * Both encoders, then the co-attention fusion with {@code skips} (§3) and the poolers (§4).
     *
     * @param ids [B][L] token ids, every row padded with {@code <pad>} = 1 to exactly {@code max_text_len}
     * @param pixels normalised [B, 3, S, S], owned by {@code scope}
     * @param imageType {@link #TYPE_IMAGE}, or {@link #TYPE_SECOND_IMAGE} for NLVR2's second image
     */
    public Fusion fuse(long[][] ids, NDArray pixels, int imageType, MeterSkipSet skips, NDManager scope) {
        if (skips.layers() != config.fusionLayers()) {
            throw new IllegalArgumentException("skip set is for " + skips.layers() + " fusion layers but the model has "
                    + config.fusionLayers());
        }
        if (pixels.getShape().get(0) != ids.length) {
            throw new IllegalArgumentException(ids.length + " text rows but " + pixels.getShape().get(0) + " images");
        }
        Streams s = streams(ids, pixels, imageType, scope);
        NDArray x = s.text();
        NDArray y = s.image();
        List<NDArray> texts = new ArrayList<>();
        List<NDArray> images = new ArrayList<>();
        for (int i = 0; i < textLayers.length; i++) {
            // both streams read the previous layer's x and y (§3.2); the image stream has no padding
            // one scope per layer: its intermediates are freed when it ends; x and y (kept in Fusion) go back to scope
            try (NDManager step = scope.newSubManager()) {
                x.tempAttach(step);
                y.tempAttach(step);
                NDArray x2 = textLayers[i].forward(x, y, s.textMask(), null, skips.textSelf(i), skips.textCross(i));
                NDArray y2 = imageLayers[i].forward(y, x, null, s.textMask(), skips.imageSelf(i), skips.imageCross(i));
                x2.attach(scope);
                y2.attach(scope);
                x = x2;
                y = y2;
            }
            texts.add(x);
            images.add(y);
        }
        return new Fusion(texts, images, pool(x, y));
    }

    /** VQA answer logits [B, vqa_labels] from pooled features [B, 2d]; argmax indexes the answer vocabulary. */
    public NDArray vqaLogits(NDArray pooled) {
        return require(vqa, "VQA", "vqa_classifier").apply(pooled);
    }

    /** NLVR2 logits [B, 2] (index 1 = "True") from the pooled features of image 0 and image 1. */
    public NDArray nlvr2Logits(NDArray pooled0, NDArray pooled1) {
        return require(nlvr2, "NLVR2", "nlvr2_classifier").apply(NDArrays.concat(new NDList(pooled0, pooled1), 1));
    }

    /** Image–text match score [B, 1] ({@code rank_output}, as METER's retrieval ranks). */
    public NDArray itmScore(NDArray pooled) {
        return require(rankOutput, "retrieval", "rank_output").apply(pooled);
    }

    public boolean hasVqaHead() {
        return vqa != null;
    }

    public boolean hasNlvr2Head() {
        return nlvr2 != null;
    }

    public boolean hasItmHead() {
        return rankOutput != null;
    }

    /** §3.1: transforms, {@code token4classifier} in place of the transformed {@code <s>}, token types. */
    Streams streams(long[][] ids, NDArray pixels, int imageType, NDManager scope) {
        if (imageType != TYPE_IMAGE && imageType != TYPE_SECOND_IMAGE) {
            throw new IllegalArgumentException("image token type must be 1 or 2: " + imageType);
        }
        checkIds(ids);
        NDArray mask = RobertaEncoder.keyMask(ids, scope);
        NDArray t = textTransform.apply(roberta.forward(ids, mask, scope)); // [B, L, d]
        NDArray cls = t.get(":, 0:1, :").zerosLike().add(token4classifier); // [B, 1, d]
        NDArray x = NDArrays.concat(new NDList(cls, t.get(":, 1:, :")), 1).add(tokenType(TYPE_TEXT, scope));
        NDArray y = imageTransform.apply(vit.forward(pixels)).add(tokenType(imageType, scope)); // [B, Tv, d]
        return new Streams(x, y, mask);
    }

    CoAttentionLayer textLayer(int i) {
        return textLayers[i];
    }

    CoAttentionLayer imageLayer(int i) {
        return imageLayers[i];
    }

    /** Poolers (§4): {@code [tanh(W x[:, 0] + b); tanh(W' y[:, 0] + b')]} [B, 2d]. */
    private NDArray pool(NDArray x, NDArray y) {
        NDArray pt = textPooler.apply(x.get(":, 0, :")).tanh(); // [B, d]
        NDArray pv = imagePooler.apply(y.get(":, 0, :")).tanh();
        return NDArrays.concat(new NDList(pt, pv), 1); // [B, 2d]
    }

    private NDArray tokenType(int row, NDManager scope) {
        return tokenTypes.get(scope, new NDIndex(row + ":" + (row + 1))); // [1, d]
    }

    private void checkIds(long[][] ids) {
        if (ids.length == 0) {
            throw new IllegalArgumentException("a METER batch needs at least one row");
        }
        for (int i = 0; i < ids.length; i++) {
            // the PIA's mean counts pads (§3.3), so every row must have exactly the original's length
            if (ids[i].length != config.maxTextLen()) {
                throw new IllegalArgumentException("row " + i + " has " + ids[i].length
                        + " token ids but METER pads every row to max_text_len = " + config.maxTextLen());
            }
            for (long id : ids[i]) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("row " + i + " has token id " + id + " outside the vocabulary of "
                            + config.vocabSize());
                }
            }
        }
    }

    private static <T> T require(T head, String task, String prefix) {
        if (head == null) {
            throw new IllegalStateException("this METER model has no " + task + " head (" + prefix
                    + ".* is not in its weights): it was fine-tuned for another task");
        }
        return head;
    }

    @Override
    public void close() {
        manager.close();
    }
}
