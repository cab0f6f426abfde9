package dev.pnn.train.model;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * A parameterless layer that keeps its input's shape and whose pullback needs only its output:
 * ReLU, Sigmoid, LogSoftMax. It names the two backend operations; the rest is here once.
 */
interface Elementwise extends Layer {

    /** {@code out = f(x)}; returns out. */
    Tensor apply(Backend backend, Tensor x, Tensor out);

    /** {@code dinp = f'(x) dout}, from the forward output {@code out}; returns dinp. */
    Tensor applyBackward(Backend backend, Tensor out, Tensor dout, Tensor dinp);

    @Override
    default Shape outputShape(Shape input) {
        return input;
    }

    @Override
    default Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = apply(ctx.backend(), x, ctx.output());
        return new Vjp(y, dy -> ctx.needsInputGradient() ? applyBackward(ctx.backend(), y, dy, ctx.inputGradient())
                : null);
    }

    @Override
    default LayerSpec spec() {
        return LayerSpec.of(toString());
    }

    /** Checks that a spec of such a layer has no arguments, and returns {@code layer}. */
    static <L extends Elementwise> L fromSpec(LayerSpec spec, L layer) {
        spec.requireArguments();
        return layer;
    }
}
