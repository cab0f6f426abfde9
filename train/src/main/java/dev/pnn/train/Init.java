package dev.pnn.train;

import dev.pnn.tensor.Tensor;

import java.util.Locale;

/** How a {@link Network} draws the initial parameters of each {@link Linear} layer. */
public enum Init {

    /**
     * PyTorch's default for {@code nn.Linear}: weights and biases uniform in
     * {@code [-1/sqrt(in), 1/sqrt(in))} (Kaiming-uniform with a = sqrt(5) reduces to this bound).
     */
    PYTORCH_DEFAULT,

    /** He-normal: weights from {@code N(0, 2/in)}, biases zero; suited to ReLU networks. */
    HE_NORMAL;

    /** Fills one Linear layer's weight ({@code in x out}) and bias ({@code 1 x out}), weights first, row-major. */
    void fill(Tensor weight, Tensor bias, Rng rng) {
        int fanIn = weight.rows();
        switch (this) {
            case PYTORCH_DEFAULT -> {
                double bound = 1 / Math.sqrt(fanIn);
                for (long i = 0; i < weight.size(); i++) {
                    weight.setFlat(i, (float) rng.uniform(-bound, bound));
                }
                for (long i = 0; i < bias.size(); i++) {
                    bias.setFlat(i, (float) rng.uniform(-bound, bound));
                }
            }
            case HE_NORMAL -> {
                double std = Math.sqrt(2.0 / fanIn);
                for (long i = 0; i < weight.size(); i++) {
                    weight.setFlat(i, (float) (std * rng.nextGaussian()));
                }
                bias.zero();
            }
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
