package io.easspark.engine.meter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.model.WeightReader;

/**
 * METER's image encoder (DESIGN-METER.md §2): OpenAI CLIP ViT without adapters, {@code vit_blocks} pre-LN blocks
 * (11 of CLIP-B/16's 12: the original builds {@code layers − 1}), then {@code ln_post} on every token; no
 * {@code proj}. Unlike LaVIN's {@link io.easspark.engine.vision.ClipVit}, whose blocks carry PIA adapters and tap
 * class tokens, so the two share only the attention.
 *
 * <p>Letters: B images, S side, p patch, G = S/p, Tv = G² + 1 tokens, W width.
 */
final class MeterVit {

    /** CLIP's QuickGELU constant: {@code x·sigmoid(1.702x)}. */
    private static final float QUICK_GELU = 1.702f;

    private record Block(Norm ln1, NDArray inT, NDArray inB, Affine out, Norm ln2, Affine fc, Affine proj) {
    }

    private final int side;
    private final int patch;
    private final int width;
    private final NDArray patchT; // [3·p·p, W]
    private final NDArray classEmbedding; // [W]
    private final NDArray positional; // [Tv, W]
    private final Norm lnPre;
    private final Block[] blocks;
    private final Norm lnPost;
    private final MultiHeadAttention attention;

    private MeterVit(MeterConfig c, NDArray patchT, NDArray classEmbedding, NDArray positional, Norm lnPre,
            Block[] blocks, Norm lnPost) {
        this.side = c.imageSize();
        this.patch = c.patchSize();
        this.width = c.vitWidth();
        this.patchT = patchT;
        this.classEmbedding = classEmbedding;
        this.positional = positional;
        this.lnPre = lnPre;
        this.blocks = blocks;
        this.lnPost = lnPost;
        this.attention = new MultiHeadAttention(new MultiHeadAttention.Spec(c.vitHeads(), c.vitWidth() / c.vitHeads()));
    }

    static MeterVit read(WeightReader r, MeterConfig c) {
        int w = c.vitWidth();
        int p = c.patchSize();
        double eps = c.vitLnEps();
        String v = "vit_model.visual.";
        Block[] blocks = new Block[c.vitBlocks()];
        for (int j = 0; j < blocks.length; j++) {
            String b = v + "transformer.resblocks." + j + ".";
            blocks[j] = new Block(Norm.read(r, b + "ln_1", w, eps),
                    r.readTransposed(b + "attn.in_proj_weight", 3L * w, w), r.read(b + "attn.in_proj_bias", 3L * w),
                    Affine.read(r, b + "attn.out_proj", w, w), Norm.read(r, b + "ln_2", w, eps),
                    Affine.read(r, b + "mlp.c_fc", 4 * w, w), Affine.read(r, b + "mlp.c_proj", w, 4 * w));
        }
        return new MeterVit(c, r.readTransposed(v + "conv1.weight", w, 3, p, p),
                r.read(v + "class_embedding", w), r.read(v + "positional_embedding", c.imageTokens(), w),
                Norm.read(r, v + "ln_pre", w, eps), blocks, Norm.read(r, v + "ln_post", w, eps));
    }

    /** Normalised pixels [B, 3, S, S] → tokens [B, Tv, W] after ln_post. */
    NDArray forward(NDArray pixels) {
        long n = pixels.getShape().get(0);
        if (pixels.getShape().dimension() != 4 || pixels.getShape().get(2) != side || pixels.getShape().get(3) != side) {
            throw new IllegalArgumentException("pixels must be [B, 3, " + side + ", " + side + "] but are " + pixels.getShape());
        }
        int g = side / patch;
        // patch conv (stride p, no bias) as a matmul over flattened patches, row-major
        NDArray patches = pixels.reshape(n, 3, g, patch, g, patch).transpose(0, 2, 4, 1, 3, 5)
                .reshape(n, (long) g * g, 3L * patch * patch).matMul(patchT); // [B, G², W]
        NDArray cls = patches.get(":, 0:1, :").zerosLike().add(classEmbedding); // [B, 1, W]
        NDArray x = lnPre.apply(NDArrays.concat(new NDList(cls, patches), 1).add(positional)); // [B, Tv, W]
        NDManager outer = x.getManager();
        for (Block b : blocks) {
            // one scope per block: its intermediates (a batch of 64 holds gigabytes of them) are freed when it ends
            try (NDManager step = outer.newSubManager()) {
                x.attach(step); // the block's input is not needed after it
                NDArray qkv = b.ln1().apply(x).matMul(b.inT()).add(b.inB()); // [B, Tv, 3W]
                NDArray a = x.add(b.out().apply(attention.forward(qkv, (NDList) null, null, null)));
                NDArray h = b.fc().apply(b.ln2().apply(a)); // [B, Tv, 4W]
                x = a.add(b.proj().apply(Activation.sigmoid(h.mul(QUICK_GELU)).mul(h)));
                x.attach(outer);
            }
        }
        return lnPost.apply(x);
    }

    int width() {
        return width;
    }
}
