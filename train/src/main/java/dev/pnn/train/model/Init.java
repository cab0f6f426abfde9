package dev.pnn.train.model;

import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.util.Locale;

/**
 * How a network draws its initial weights and biases (each layer's {@link Initializer}s say which
 * of its parameters are which), from SplitMix64 and {@link StrictMath}: the same seed gives the
 * same bits everywhere.
 */
public enum Init {

    /**
     * PyTorch's default for {@code nn.Linear}: weights and biases uniform in
     * {@code [-1/sqrt(fan_in), 1/sqrt(fan_in))} (Kaiming-uniform with a = sqrt(5) reduces to this bound).
     */
    PYTORCH_DEFAULT,

    /** He-normal: weights from {@code N(0, 2/fan_in)}, biases zero; suited to ReLU networks. */
    HE_NORMAL;

    /** Fills a weight of {@code fanIn} inputs per output, row-major. */
    void fillWeight(Tensor weight, int fanIn, Rng rng) {
        switch (this) {
            case PYTORCH_DEFAULT -> uniform(weight, 1 / Math.sqrt(fanIn), rng);
            case HE_NORMAL -> {
                double std = Math.sqrt(2.0 / fanIn);
                for (long i = 0; i < weight.size(); i++) {
                    weight.setFlat(i, (float) (std * rng.nextGaussian()));
                }
            }
        }
    }

    /** Fills a bias of a layer with {@code fanIn} inputs per output. */
    void fillBias(Tensor bias, int fanIn, Rng rng) {
        switch (this) {
            case PYTORCH_DEFAULT -> uniform(bias, 1 / Math.sqrt(fanIn), rng);
            case HE_NORMAL -> bias.zero();
        }
    }

    private static void uniform(Tensor t, double bound, Rng rng) {
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) rng.uniform(-bound, bound));
        }
    }

    /** {@code pytorch} or {@code he}, as {@link #parse} reads them. */
    @Override
    public String toString() {
        return this == PYTORCH_DEFAULT ? "pytorch" : "he";
    }

    /** {@code pytorch} or {@code he}, case-insensitive. */
    public static Init parse(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "pytorch", "pytorch_default", "default" -> PYTORCH_DEFAULT;
            case "he", "he_normal", "kaiming" -> HE_NORMAL;
            default -> throw new IllegalArgumentException("unknown init '" + name + "': expected pytorch or he");
        };
    }
}
