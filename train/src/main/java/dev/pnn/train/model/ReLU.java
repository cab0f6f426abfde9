package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * {@code max(x, 0)} elementwise (NaN passes through); its gradient at exactly 0 is 0. After a
 * {@link Linear}, the executor runs the two as one fused kernel ({@link Fusions}).
 */
public record ReLU() implements Layer {

    static ReLU fromSpec(LayerSpec spec) {
        spec.requireArguments();
        return new ReLU();
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = ctx.backend().relu(x, ctx.output());
        return new Vjp(y, dy -> ctx.needsInputGradient() ? ctx.backend().reluBackward(y, dy, ctx.inputGradient()) : null);
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("ReLU");
    }

    @Override
    public String toString() {
        return "ReLU";
    }
}
