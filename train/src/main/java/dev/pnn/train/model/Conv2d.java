package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.tensor.Window;

import java.util.List;

/**
 * A 2-D convolution with bias over NHWC images, as PyTorch's {@code nn.Conv2d} computes it:
 * samples of shape {@code (h, w, inChannels)} become {@code (oh, ow, outChannels)} with
 * {@code oh = (h + 2 padding - kernel) / stride + 1}. Forward is im2col then one GEMM with the
 * weight stored {@code (kernel kernel in) x out} (row-major over {@code (kh, kw, in, out)}; in
 * model files {@code (out, in, kh, kw)}, as PyTorch holds it), then the bias; the pullback is two
 * GEMMs ({@code dW += col^T dy}, {@code dcol = dy W^T}) and col2im. Initialisation as PyTorch's:
 * uniform in {@code +-1/sqrt(in kernel kernel)} for weight and bias under {@link Init#PYTORCH_DEFAULT}.
 *
 * @param in      input channels
 * @param out     output channels
 * @param kernel  the square kernel's side
 * @param stride  {@code >= 1}
 * @param padding zeros around each side, {@code 0 <= padding < kernel}
 */
public record Conv2d(int in, int out, int kernel, int stride, int padding) implements Layer {

    public Conv2d {
        if (in < 1 || out < 1 || kernel < 1 || stride < 1 || padding < 0 || padding >= kernel) {
            throw new IllegalArgumentException("Conv2d(in " + in + ", out " + out + ", kernel " + kernel + ", stride "
                    + stride + ", padding " + padding + "): expected channels and kernel >= 1, stride >= 1 and"
                    + " 0 <= padding < kernel");
        }
    }

    /** A 3x3 (or any) convolution with stride 1 and no padding. */
    public Conv2d(int in, int out, int kernel) {
        this(in, out, kernel, 1, 0);
    }

    static Conv2d fromSpec(LayerSpec spec) {
        spec.requireArguments("in", "out", "kernel", "stride", "padding");
        return new Conv2d(spec.intArgument("in"), spec.intArgument("out"), spec.intArgument("kernel"),
                spec.intArgument("stride"), spec.intArgument("padding"));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 3 || input.dim(2) != in) {
            throw new IllegalArgumentException(this + " cannot take samples of shape " + input + " (it takes h x w x "
                    + in + " images, channels last)");
        }
        int oh = (input.dim(0) + 2 * padding - kernel) / stride + 1;
        int ow = (input.dim(1) + 2 * padding - kernel) / stride + 1;
        if (input.dim(0) + 2 * padding < kernel || input.dim(1) + 2 * padding < kernel) {
            throw new IllegalArgumentException(this + " cannot take " + input.dim(0) + "x" + input.dim(1)
                    + " images: the kernel is larger");
        }
        return new Shape(oh, ow, out);
    }

    @Override
    public List<ParameterSpec> parameters() {
        int fanIn = in * kernel * kernel;
        Shape stored = new Shape(kernel * kernel * in, out);
        return List.of(new ParameterSpec("weight", stored, Initializer.weight(fanIn),
                        new ParameterSpec.FileLayout(new Shape(kernel, kernel, in, out), new int[] {3, 2, 0, 1})),
                new ParameterSpec("bias", new Shape(out), Initializer.bias(fanIn)));
    }

    @Override
    public Vjp forward(LayerContext context, Tensor x) {
        return convolve(context, x, false);
    }

    /** The convolution, or {@code relu} of it when fused with the next layer. */
    Vjp convolve(LayerContext ctx, Tensor x, boolean relu) {
        Backend backend = ctx.backend();
        Shape s = x.shape();
        Window window = new Window(s.dim(0), s.dim(1), s.dim(2), in, kernel, kernel, stride, padding);
        Tensor col = ctx.scratch(0, new Shape(window.columnRows(), window.columnCols()));
        backend.im2col(x, window, col);
        Tensor w = ctx.parameter(0);
        Tensor b = ctx.parameter(1);
        Tensor y = ctx.output();
        Tensor ym = y.reshape(window.columnRows(), out);
        backend.gemm(false, false, 1f, col, w, 0f, ym);
        if (relu) {
            backend.biasAddRelu(ym, b, ym);
        } else {
            backend.biasAdd(ym, b, ym);
        }
        return new Vjp(y, dy -> {
            Tensor dym = dy.reshape(window.columnRows(), out);
            Tensor dPre = relu ? backend.reluBackward(ym, dym, ctx.scratch(2, ym.shape())) : dym;
            backend.gemm(true, false, 1f, col, dPre, 1f, ctx.gradient(0));
            backend.biasBackward(dPre, ctx.gradient(1));
            if (!ctx.needsInputGradient()) {
                return null;
            }
            Tensor dcol = ctx.scratch(1, col.shape());
            backend.gemm(false, true, 1f, dPre, w, 0f, dcol);
            return backend.col2im(dcol, window, ctx.inputGradient());
        });
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("Conv2d", "in", in, "out", out, "kernel", kernel, "stride", stride, "padding", padding);
    }

    @Override
    public String toString() {
        return "Conv2d(" + in + ", " + out + ", " + kernel + (stride != 1 || padding != 0 ? ", stride " + stride
                + ", padding " + padding : "") + ")";
    }
}
