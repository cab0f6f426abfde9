package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * Row-wise numerically stable log-softmax: log-probabilities over each sample's features.
 * Followed by {@link Loss#nll()}, training computes the two as one fused cross-entropy
 * ({@link Fusions#objective}).
 */
public record LogSoftMax() implements Layer {

    static LogSoftMax fromSpec(LayerSpec spec) {
        spec.requireArguments();
        return new LogSoftMax();
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = ctx.backend().logSoftmax(x, ctx.output());
        return new Vjp(y, dy -> ctx.needsInputGradient()
                ? ctx.backend().logSoftmaxBackward(y, dy, ctx.inputGradient()) : null);
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("LogSoftMax");
    }

    @Override
    public String toString() {
        return "LogSoftMax";
    }
}
