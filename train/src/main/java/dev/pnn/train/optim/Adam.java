package dev.pnn.train.optim;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * Adam (Kingma and Ba), as PyTorch's {@code torch.optim.Adam}; with {@code decoupled} its weight
 * decay is AdamW's ({@code params *= 1 - lr * wd}) instead of an L2 term in the gradient.
 *
 * @param beta1       first-moment decay, in [0, 1)
 * @param beta2       second-moment decay, in [0, 1)
 * @param eps         added to the denominator, {@code > 0}
 * @param weightDecay {@code >= 0}
 * @param decoupled   AdamW's decoupled weight decay
 */
public record Adam(double beta1, double beta2, double eps, double weightDecay, boolean decoupled)
        implements Optimizer {

    public Adam {
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam betas must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (!(eps > 0 && Double.isFinite(eps))) {
            throw new IllegalArgumentException("Adam eps must be finite and > 0, got " + eps);
        }
        if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
    }

    /** PyTorch's default learning rate for Adam and AdamW. */
    public static final double DEFAULT_LR = 1e-3;

    /** PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay (the learning rate is {@link #DEFAULT_LR}). */
    public static Adam defaults() {
        return new Adam(0.9, 0.999, 1e-8, 0, false);
    }

    /** AdamW with PyTorch's defaults and the given decoupled weight decay. */
    public static Adam adamW(double weightDecay) {
        return new Adam(0.9, 0.999, 1e-8, weightDecay, true);
    }

    public Adam withWeightDecay(double weightDecay) {
        return new Adam(beta1, beta2, eps, weightDecay, decoupled);
    }

    @Override
    public int stateBuffers() {
        return 2;
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] buffers, long t, float lr) {
        backend.adam(params, buffers[0], buffers[1], grads, t, lr, (float) beta1, (float) beta2, (float) eps,
                (float) weightDecay, decoupled);
    }

    @Override
    public String toString() {
        String kind = decoupled ? "adamw" : "adam";
        return weightDecay == 0 ? kind : kind + ", weight decay " + Numbers.format(weightDecay);
    }
}
