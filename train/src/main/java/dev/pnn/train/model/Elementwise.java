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

    /** The output, and a pullback kept on the context from pass to pass (none is allocated once warm). */
    @Override
    default Vjp forward(LayerContext ctx, Tensor x) {
        Tensor y = apply(ctx.backend(), x, ctx.output());
        if (ctx.kept() instanceof ElementwisePullback kept && kept.layer == this && kept.vjp.output() == y) {
            return kept.vjp;
        }
        ElementwisePullback p = new ElementwisePullback(this, ctx, y);
        ctx.keep(p);
        return p.vjp;
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

/** {@code dinp = f'(x) dout} from the output of the pass it was made for. */
final class ElementwisePullback implements Pullback {
    final Elementwise layer;
    final LayerContext ctx;
    final Vjp vjp;

    ElementwisePullback(Elementwise layer, LayerContext ctx, Tensor y) {
        this.layer = layer;
        this.ctx = ctx;
        this.vjp = new Vjp(y, this);
    }

    @Override
    public Tensor apply(Tensor dy) {
        return ctx.needsInputGradient() ? layer.applyBackward(ctx.backend(), vjp.output(), dy, ctx.inputGradient())
                : null;
    }
}
