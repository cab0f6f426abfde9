package dev.pnn.train.data;

/**
 * How uint8 pixels become network inputs: {@code (pixel / 255 - mean) / std}.
 *
 * @param mean subtracted after scaling to [0, 1]
 * @param std  divided by, {@code > 0}
 */
public record Normalization(double mean, double std) {

    /** Pixels scaled to [0, 1] only. */
    public static final Normalization NONE = new Normalization(0, 1);
    /** MNIST's training-set mean and standard deviation, as PyTorch's examples use them. */
    public static final Normalization MNIST = new Normalization(0.1307, 0.3081);

    public Normalization {
        if (!Double.isFinite(mean) || !(std > 0 && Double.isFinite(std))) {
            throw new IllegalArgumentException("normalization needs a finite mean and std > 0, got mean " + mean
                    + ", std " + std);
        }
    }

    /** The factor for the gather kernel: {@code 1 / (255 std)}. */
    public float scale() {
        return (float) (1 / (255 * std));
    }

    /** {@code normalized (mean 0.1307, std 0.3081)}, or {@code scaled to [0, 1]} for {@link #NONE}. */
    @Override
    public String toString() {
        return equals(NONE) ? "scaled to [0, 1]" : "normalized (mean " + mean + ", std " + std + ")";
    }

    /** The offset for the gather kernel: {@code -mean / std}. */
    public float shift() {
        return (float) (-mean / std);
    }
}
