package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * {@code 1 / (1 + exp(-x))} elementwise, without overflow for any finite x.
 */
public record Sigmoid() implements Layer {

    static Sigmoid fromSpec(LayerSpec spec) {
        spec.requireArguments();
        return new Sigmoid();
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = ctx.backend().sigmoid(x, ctx.output());
        return new Vjp(y, dy -> ctx.needsInputGradient()
                ? ctx.backend().sigmoidBackward(y, dy, ctx.inputGradient()) : null);
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("Sigmoid");
    }

    @Override
    public String toString() {
        return "Sigmoid";
    }
}
