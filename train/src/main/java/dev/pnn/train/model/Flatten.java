package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * Flattens each {@code (h, w, c)} image into {@code c h w} values in PyTorch's order (channel by
 * channel), so that a Linear layer after it has PyTorch's weights: NHWC is our layout, NCHW
 * PyTorch's, and this is where the two meet. A one-dimensional sample passes as it is.
 */
public record Flatten() implements Layer {

    static Flatten fromSpec(LayerSpec spec) {
        spec.requireArguments();
        return new Flatten();
    }

    @Override
    public Shape outputShape(Shape input) {
        return new Shape(Math.toIntExact(input.size()));
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = ctx.output();
        Shape s = x.shape();
        if (s.rank() != 4 || s.dim(3) == 1 || s.dim(1) * s.dim(2) == 1) {
            y.copyFrom(x.reshape(y.shape())); // already in PyTorch's order
            return new Vjp(y, dy -> ctx.needsInputGradient() ? ctx.inputGradient().copyFrom(dy.reshape(s)) : null);
        }
        int pixels = s.dim(1) * s.dim(2);
        int c = s.dim(3);
        permute(x, y, pixels, c, true);
        return new Vjp(y, dy -> {
            if (!ctx.needsInputGradient()) {
                return null;
            }
            permute(dy, ctx.inputGradient(), pixels, c, false);
            return ctx.inputGradient();
        });
    }

    /** Per sample, (pixels, c) to (c, pixels) when {@code toChannelsFirst}, else back. */
    private static void permute(Tensor from, Tensor to, int pixels, int c, boolean toChannelsFirst) {
        int per = pixels * c;
        float[] a = new float[per];
        float[] b = new float[per];
        for (int n = 0; n < from.rows(); n++) {
            from.get((long) n * per, a);
            for (int p = 0; p < pixels; p++) {
                for (int ch = 0; ch < c; ch++) {
                    if (toChannelsFirst) {
                        b[ch * pixels + p] = a[p * c + ch];
                    } else {
                        b[p * c + ch] = a[ch * pixels + p];
                    }
                }
            }
            to.set((long) n * per, b);
        }
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("Flatten");
    }

    @Override
    public String toString() {
        return "Flatten";
    }
}
