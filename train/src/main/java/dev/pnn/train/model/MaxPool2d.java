package dev.pnn.train.model;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.Window;

/**
 * Max pooling over {@code kernel x kernel} windows moved by {@code stride} (no padding), per
 * channel of NHWC images, as PyTorch's {@code nn.MaxPool2d}: {@code (h, w, c)} becomes
 * {@code ((h - kernel) / stride + 1, ..., c)}. It remembers each window's argmax; the pullback
 * sends each output's gradient there.
 *
 * @param kernel the window's side
 * @param stride {@code >= 1}
 */
public record MaxPool2d(int kernel, int stride) implements Layer {

    public MaxPool2d {
        if (kernel < 1 || stride < 1) {
            throw new IllegalArgumentException("MaxPool2d(" + kernel + ", " + stride + "): kernel and stride >= 1");
        }
    }

    /** PyTorch's default: the stride is the kernel. */
    public MaxPool2d(int kernel) {
        this(kernel, kernel);
    }

    static MaxPool2d fromSpec(LayerSpec spec) {
        spec.requireArguments("kernel", "stride");
        return new MaxPool2d(spec.intArgument("kernel"), spec.intArgument("stride"));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 3 || input.dim(0) < kernel || input.dim(1) < kernel) {
            throw new IllegalArgumentException(this + " cannot take samples of shape " + input
                    + " (it takes h x w x c images of at least " + kernel + "x" + kernel + ")");
        }
        return new Shape((input.dim(0) - kernel) / stride + 1, (input.dim(1) - kernel) / stride + 1, input.dim(2));
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        Shape s = x.shape();
        Window window = new Window(s.dim(0), s.dim(1), s.dim(2), s.dim(3), kernel, kernel, stride, 0);
        Tensor y = ctx.output();
        IntVector argmax = ctx.scratchInts(0, Math.toIntExact(y.size()));
        ctx.backend().maxPool(x, window, argmax, y);
        return new Vjp(y, dy -> ctx.needsInputGradient()
                ? ctx.backend().maxPoolBackward(dy, argmax, ctx.inputGradient()) : null);
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("MaxPool2d", "kernel", kernel, "stride", stride);
    }

    @Override
    public String toString() {
        return "MaxPool2d(" + kernel + (stride != kernel ? ", stride " + stride : "") + ")";
    }
}
