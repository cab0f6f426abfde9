package dev.pnn.train.optim;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Tensor;

/**
 * Stochastic gradient descent, as PyTorch's {@code torch.optim.SGD} (dampening 0): plain when
 * {@code momentum == 0}, else with a velocity buffer, optionally Nesterov. Weight decay adds
 * {@code weightDecay * params} to the gradient (L2), to every parameter.
 *
 * @param momentum    in [0, 1)
 * @param nesterov    Nesterov momentum (needs momentum &gt; 0)
 * @param weightDecay L2 coefficient, {@code >= 0}
 */
public record Sgd(double momentum, boolean nesterov, double weightDecay) implements Optimizer {

    public Sgd {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("SGD momentum must be in [0, 1), got " + momentum);
        }
        if (nesterov && momentum == 0) {
            throw new IllegalArgumentException("Nesterov SGD needs a momentum > 0");
        }
        if (!(weightDecay >= 0 && Double.isFinite(weightDecay))) {
            throw new IllegalArgumentException("weight decay must be finite and >= 0, got " + weightDecay);
        }
    }

    public static Sgd plain() {
        return new Sgd(0, false, 0);
    }

    public static Sgd momentum(double momentum) {
        return new Sgd(momentum, false, 0);
    }

    public static Sgd nesterov(double momentum) {
        return new Sgd(momentum, true, 0);
    }

    public Sgd withWeightDecay(double weightDecay) {
        return new Sgd(momentum, nesterov, weightDecay);
    }

    @Override
    public int stateBuffers() {
        return momentum == 0 ? 0 : 1;
    }

    /** {@code Backend.sgdOfProduct} or {@code Backend.sgdMomentumOfProduct}: the update's kernel takes the product. */
    @Override
    public boolean updateInProduct(Backend backend, boolean transA, Tensor a, Tensor b, Tensor params, Tensor grads,
                                   Tensor[] buffers, long t, float lr) {
        if (momentum == 0) {
            backend.sgdOfProduct(transA, false, a, b, params, grads, lr, (float) weightDecay);
        } else {
            backend.sgdMomentumOfProduct(transA, false, a, b, params, buffers[0], grads, lr, (float) momentum,
                    (float) weightDecay, nesterov);
        }
        return true;
    }

    @Override
    public void update(Backend backend, Tensor params, Tensor grads, Tensor[] buffers, long t, float lr) {
        if (momentum == 0) {
            backend.sgd(params, grads, lr, (float) weightDecay);
        } else {
            backend.sgdMomentum(params, buffers[0], grads, lr, (float) momentum, (float) weightDecay, nesterov);
        }
    }

    @Override
    public String toString() {
        String kind = momentum == 0 ? "sgd" : (nesterov ? "nesterov" : "momentum") + " " + Numbers.format(momentum);
        return weightDecay == 0 ? kind : kind + ", weight decay " + Numbers.format(weightDecay);
    }
}
