package io.easspark.engine.vision;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import io.easspark.engine.eas.PiaAdapter;
import io.easspark.engine.llama.MultiHeadAttention;
import io.easspark.engine.model.WeightReader;

/**
 * CLIP ViT image tower with LaVIN-EAS's visual PIA adapters, then {@code adapter_proj} (DESIGN.md §1.1). Each block:
 * {@code x = x + attn(PIAv(ln_1(x)))}, {@code x = x + mlp(ln_2(x))}; the class token after every
 * {@code tap_every}-th block becomes one visual token. No {@code ln_post}, no {@code proj}.
 *
 * <p>Letters: N images, S image size, p patch size, G = S/p, Tv = G² + 1 tokens, W width, D decoder width.
 */
public final class ClipVit {

    /** CLIP's QuickGELU constant: {@code x·sigmoid(1.702x)}. */
    private static final float QUICK_GELU = 1.702f;

    private record Block(NDArray ln1W, NDArray ln1B, NDArray inT, NDArray inB, NDArray outT, NDArray outB,
                         NDArray ln2W, NDArray ln2B, NDArray fcT, NDArray fcB, NDArray projT, NDArray projB,
                         PiaAdapter adapter) {
    }

    private final VisionConfig config;
    private final NDArray patchT; // [3·p·p, W]
    private final NDArray classEmbedding; // [W]
    private final NDArray positional; // [Tv, W]
    private final NDArray lnPreW;
    private final NDArray lnPreB;
    private final Block[] blocks;
    private final MultiHeadAttention attention;
    private final NDArray proj1T; // [W, P]
    private final NDArray proj1B;
    private final NDArray proj2T; // [P, D]
    private final NDArray proj2B;

    private ClipVit(VisionConfig config, NDArray patchT, NDArray classEmbedding, NDArray positional, NDArray lnPreW,
            NDArray lnPreB, Block[] blocks, NDArray proj1T, NDArray proj1B, NDArray proj2T, NDArray proj2B) {
        this.config = config;
        this.patchT = patchT;
        this.classEmbedding = classEmbedding;
        this.positional = positional;
        this.lnPreW = lnPreW;
        this.lnPreB = lnPreB;
        this.blocks = blocks;
        this.attention = new MultiHeadAttention(new MultiHeadAttention.Spec(config.heads(), config.headDim()));
        this.proj1T = proj1T;
        this.proj1B = proj1B;
        this.proj2T = proj2T;
        this.proj2B = proj2B;
    }

    /** Reads the tower (native names, {@code backbone.visual.*}) and {@code adapter_proj.*}; every shape is checked. */
    public static ClipVit load(VisionConfig c, int decoderDim, WeightReader r) {
        NDManager m = r.manager();
        int w = c.width();
        int p = c.patchSize();
        String v = "backbone.visual.";
        NDArray patchT = r.readTransposed(v + "conv1.weight", w, 3, p, p); // [3·p·p, W]
        Block[] blocks = new Block[c.layers()];
        for (int j = 0; j < c.layers(); j++) {
            String b = v + "transformer.resblocks." + j + ".";
            String ad = b + "adapter_attn.";
            int rank = c.adapterRank();
            PiaAdapter adapter = PiaAdapter.create(m, new PiaAdapter.Tensors(
                    r.read(ad + "conv_A.weight", rank, w), r.read(ad + "conv_A.bias", rank),
                    r.read(ad + "conv_B.weight", w, rank / c.adapterGroups()), r.read(ad + "conv_B.bias", w),
                    r.read(ad + "conv_D.weight", w, rank / c.adapterGroups()), r.read(ad + "conv_D.bias", w),
                    null, null,
                    r.read(ad + "expert_weights.weight", 2, w), r.read(ad + "expert_weights.bias", 2)),
                    c.adapterGroups(), c.adapterScale(), c.routerTemperature());
            blocks[j] = new Block(
                    r.read(b + "ln_1.weight", w), r.read(b + "ln_1.bias", w),
                    r.readTransposed(b + "attn.in_proj_weight", 3L * w, w), r.read(b + "attn.in_proj_bias", 3L * w),
                    r.readTransposed(b + "attn.out_proj.weight", w, w), r.read(b + "attn.out_proj.bias", w),
                    r.read(b + "ln_2.weight", w), r.read(b + "ln_2.bias", w),
                    r.readTransposed(b + "mlp.c_fc.weight", 4L * w, w), r.read(b + "mlp.c_fc.bias", 4L * w),
                    r.readTransposed(b + "mlp.c_proj.weight", w, 4L * w), r.read(b + "mlp.c_proj.bias", w),
                    adapter);
        }
        int hidden = c.projHidden();
        return new ClipVit(c, patchT,
                r.read(v + "class_embedding", w),
                r.read(v + "positional_embedding", c.tokens(), w),
                r.read(v + "ln_pre.weight", w), r.read(v + "ln_pre.bias", w),
                blocks,
                r.readTransposed("adapter_proj.conv_A.weight", hidden, w), r.read("adapter_proj.conv_A.bias", hidden),
                r.readTransposed("adapter_proj.conv_B.weight", decoderDim, hidden),
                r.read("adapter_proj.conv_B.bias", decoderDim));
    }

    public VisionConfig config() {
        return config;
    }

    /** Class-token taps [N, taps, W] from normalised pixels [N, 3, S, S]. */
    public NDArray taps(NDArray pixels) {
        long n = pixels.getShape().get(0);
        int g = config.patchesPerSide();
        int p = config.patchSize();
        int w = config.width();
        // patch conv (stride p, no bias) as a matmul over flattened patches
        NDArray patches = pixels.reshape(n, 3, g, p, g, p).transpose(0, 2, 4, 1, 3, 5)
                .reshape(n, (long) g * g, 3L * p * p).matMul(patchT); // [N, G², W]
        NDArray cls = patches.get(":, 0:1, :").zerosLike().add(classEmbedding); // [N, 1, W]
        NDArray x = NDArrays.concat(new NDList(cls, patches), 1).add(positional); // [N, Tv, W]
        x = layerNorm(x, lnPreW, lnPreB);
        NDList taps = new NDList();
        for (int j = 0; j < blocks.length; j++) {
            x = block(x, blocks[j]);
            if ((j + 1) % config.tapEvery() == 0) {
                taps.add(x.get(":, 0:1, :")); // class token after block j+1 (1-based)
            }
        }
        return NDArrays.concat(taps, 1); // [N, taps, W]
    }

    /** Visual tokens [N, taps, D]: {@code adapter_proj} (Linear → SiLU → Linear) of each tap. */
    public NDArray visualTokens(NDArray pixels) {
        NDArray h = taps(pixels).matMul(proj1T).add(proj1B);
        return Activation.sigmoid(h).mul(h).matMul(proj2T).add(proj2B);
    }

    private NDArray block(NDArray x, Block b) {
        NDArray z = layerNorm(x, b.ln1W(), b.ln1B()); // z = ln_1(x)
        // PIAv router: mean of z over the patch tokens (class token excluded), per image, in every block
        NDArray pooled = z.get(":, 1:, :").mean(new int[] {1}, true); // [N, 1, W]
        NDArray wts = b.adapter().routerWeights(pooled); // [N, 1, 2]
        NDArray adapted = b.adapter().kept(z, wts.get(":, :, 0:1"), wts.get(":, :, 1:2"), b.adapter().rowBias(wts));
        NDArray qkv = adapted.matMul(b.inT()).add(b.inB()); // [N, Tv, 3W]
        x = x.add(attention.forward(qkv, null, null, null).matMul(b.outT()).add(b.outB()));
        NDArray h = layerNorm(x, b.ln2W(), b.ln2B()).matMul(b.fcT()).add(b.fcB()); // [N, Tv, 4W]
        h = Activation.sigmoid(h.mul(QUICK_GELU)).mul(h); // QuickGELU
        return x.add(h.matMul(b.projT()).add(b.projB()));
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(config.width()), gamma, beta, (float) config.lnEps()).singletonOrThrow();
    }
}
