package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

import java.util.List;

/**
 * A fully connected layer, {@code y = x W + b}, with {@code W} stored {@code in x out}, row-major
 * (as JAX/Flax's Dense stores its kernel; PyTorch's {@code nn.Linear.weight} is its transpose), and
 * {@code b} of {@code out}. The layout is chosen for speed: OpenBLAS multiplies the batch by an
 * untransposed {@code W} markedly faster than by a transposed one at these shapes (BENCHMARKS.md).
 *
 * <p>Parameters: {@code weight} ({@code in x out}; in model files {@code out x in}, as PyTorch holds
 * it) and {@code bias} ({@code out}), both drawn with
 * fan-in {@code in}. Pullback: {@code dW += x^T dy}, {@code db += colsum(dy)}, {@code dx = dy W^T};
 * in a pass that updates in the products ({@link LayerContext#updateInProduct}), W's update with
 * the gradient {@code x^T dy} in place of {@code dW}.
 *
 * @param in  input features, {@code >= 1}
 * @param out output features, {@code >= 1}
 */
public record Linear(int in, int out) implements Layer {

    public Linear {
        if (in < 1 || out < 1) {
            throw new IllegalArgumentException("Linear(" + in + ", " + out + "): features must be >= 1");
        }
    }

    static Linear fromSpec(LayerSpec spec) {
        spec.requireArguments("in", "out");
        return new Linear(spec.intArgument("in"), spec.intArgument("out"));
    }

    @Override
    public Shape outputShape(Shape input) {
        if (input.rank() != 1 || input.dim(0) != in) {
            throw new IllegalArgumentException(this + " cannot take " + (input.rank() == 1
                    ? input.dim(0) + " input features" : "samples of shape " + input + " (flatten them first)"));
        }
        return new Shape(out);
    }

    @Override
    public List<ParameterSpec> parameters() {
        return List.of(new ParameterSpec("weight", new Shape(in, out), Initializer.weight(in),
                        new ParameterSpec.FileLayout(new Shape(in, out), new int[] {1, 0})),
                new ParameterSpec("bias", new Shape(out), Initializer.bias(in)));
    }

    @Override
    public Vjp forward(LayerContext context, Tensor x) {
        return affine(context, x, false);
    }

    /**
     * {@code y = x W + b}, or {@code relu(x W + b)} when {@code relu}: one GEMM and one bias
     * kernel. With the ReLU, the pullback first masks {@code dy} by it into a scratch buffer. The
     * pullback object is kept on the context and rebound to each pass's input.
     */
    static Vjp affine(LayerContext ctx, Tensor x, boolean relu) {
        Backend backend = ctx.backend();
        Tensor y = ctx.output();
        backend.gemm(false, false, 1f, x, ctx.parameter(0), 0f, y);
        if (relu) {
            backend.biasAddRelu(y, ctx.parameter(1), y);
        } else {
            backend.biasAdd(y, ctx.parameter(1), y);
        }
        AffinePullback p = ctx.kept() instanceof AffinePullback kept && kept.relu == relu && kept.vjp.output() == y
                ? kept : new AffinePullback(ctx, relu, y);
        ctx.keep(p);
        p.x = x;
        return p.vjp;
    }

    /**
     * {@code dx = dPre W^T}, {@code dW += x^T dPre} (or W's update with that gradient, when the
     * pass updates in the products), {@code db += colsum(dPre)}, with {@code dPre} masked by the
     * ReLU.
     */
    private static final class AffinePullback implements Pullback {
        final LayerContext ctx;
        final boolean relu;
        final Vjp vjp;
        Tensor x;

        AffinePullback(LayerContext ctx, boolean relu, Tensor y) {
            this.ctx = ctx;
            this.relu = relu;
            this.vjp = new Vjp(y, this);
        }

        @Override
        public Tensor apply(Tensor dy) {
            Backend backend = ctx.backend();
            Tensor y = vjp.output();
            Tensor dPre = relu ? backend.reluBackward(y, dy, ctx.scratch(0, y.shape())) : dy;
            // dx first: an update in this pullback changes W
            Tensor dx = ctx.needsInputGradient()
                    ? backend.gemm(false, true, 1f, dPre, ctx.parameter(0), 0f, ctx.inputGradient()) : null;
            if (!ctx.updateInProduct(0, true, x, dPre)) {
                float beta = ctx.gradientBeta(0); // 0: overwrite a zeroed gradient instead of adding to zeros
                backend.gemm(true, false, 1f, x, dPre, beta, ctx.gradient(0));
            }
            backend.biasBackward(dPre, ctx.gradient(1));
            return dx;
        }
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("Linear", "in", in, "out", out);
    }

    @Override
    public String toString() {
        return "Linear(" + in + ", " + out + ")";
    }
}
