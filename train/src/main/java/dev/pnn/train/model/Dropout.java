package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

/**
 * Dropout, as PyTorch's {@code nn.Dropout}: in training each value is zeroed with probability
 * {@code p} and the others scaled by {@code 1 / (1 - p)}; in evaluation it passes everything.
 * The masks are drawn from the run's seed and step ({@link LayerContext#randomSeed()}), so a run
 * draws the same masks every time, on every machine and backend, and after a resume.
 *
 * @param p the probability of dropping, in [0, 1)
 */
public record Dropout(double p) implements Layer {

    public Dropout {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("Dropout(" + p + "): p must be in [0, 1)");
        }
    }

    static Dropout fromSpec(LayerSpec spec) {
        spec.requireArguments("p");
        return new Dropout(spec.doubleArgument("p"));
    }

    @Override
    public Shape outputShape(Shape input) {
        return input;
    }

    @Override
    public Vjp forward(LayerContext ctx, Tensor x) {
        if (!ctx.training() || p == 0) {
            return new Vjp(x, dy -> ctx.needsInputGradient() ? dy : null);
        }
        Tensor mask = ctx.scratch(0, x.shape());
        ctx.backend().dropoutMask((float) p, ctx.randomSeed(), ctx.randomCounter() << 32, mask);
        Tensor y = ctx.backend().multiply(x, mask, ctx.output());
        return new Vjp(y, dy -> ctx.needsInputGradient() ? ctx.backend().multiply(dy, mask, ctx.inputGradient()) : null);
    }

    @Override
    public LayerSpec spec() {
        return LayerSpec.of("Dropout", "p", p);
    }

    @Override
    public String toString() {
        return "Dropout(" + p + ")";
    }
}
