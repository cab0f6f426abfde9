package dev.pnn.train.model;

import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

/** How a parameter's initial values are drawn, given the network's {@link Init} scheme and its generator. */
@FunctionalInterface
public interface Initializer {

    /** Fills {@code parameter}, drawing from {@code rng} in row-major order. */
    void fill(Tensor parameter, Init scheme, Rng rng);

    /** A weight with {@code fanIn} inputs per output, drawn as {@code scheme} draws weights. */
    static Initializer weight(int fanIn) {
        return (t, scheme, rng) -> scheme.fillWeight(t, fanIn, rng);
    }

    /** A bias of a layer with {@code fanIn} inputs per output, drawn as {@code scheme} draws biases. */
    static Initializer bias(int fanIn) {
        return (t, scheme, rng) -> scheme.fillBias(t, fanIn, rng);
    }

    /** Every element {@code value}, whatever the scheme. */
    static Initializer constant(float value) {
        return (t, scheme, rng) -> t.fill(value);
    }
}
