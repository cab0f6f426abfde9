package dev.pnn.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;


import org.junit.jupiter.api.Test;

/**
 * Native and reference backends, from the same initial weights over the same 20 MNIST batches,
 * end with the same weights up to float32 rounding; and a training run is bit-reproducible.
 */
class TrainingParityTest {

    private static final Mnist mnist = MnistFixture.shared();

    /** Runs {@code steps} training steps of the default model, as Trainer.fit does, on {@code backend}. */
    private static Network train(Backend backend, Optimizer optimizer, int steps, long seed) {
        float lr = optimizer instanceof Adam ? 1e-3f : 0.05f;
        Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, seed);
        try (Batches batches = new Batches(mnist.train(), 64, Normalization.MNIST, backend, seed, true);
             TrainingStep step = new TrainingStep(net, Loss.nll(), optimizer)) {
            batches.startEpoch(0);
            for (int i = 0; i < steps; i++) {
                Batches.Batch batch = batches.next();
                step.run(batch.images(), batch.labels(), lr);
            }
        }
        return net;
    }

    /**
     * SGD with momentum at lr 0.05 and Adam at lr 1e-3 (their usual rates). Each step's gradients
     * differ between backends by float32 rounding, at most ~2e-4 of their size (GradientCheckTest);
     * a step moves a weight by about lr * |g| ~ 1e-3, so it adds at most ~2e-7 to the difference,
     * and 20 steps at most ~4e-6 (Adam's update is normalized, so the same holds for it as long as
     * no gradient sits at the rounding level, where its sign could differ). Bound: 1e-5. A wrong
     * kernel moves weights by whole updates, 1e-3 and more; training moves them by 0.02 to 0.2.
     * (Measured here: 6e-8 for both.)
     */
    @Test
    void nativeAndReferenceEndWithTheSameWeightsAfter20Batches() {
        for (Optimizer optimizer : new Optimizer[] {Sgd.momentum(0.9).withWeightDecay(5e-4), Adam.defaults()}) {
            try (Network nat = train(NativeBackend.instance(), optimizer, 20, 3);
                 Network ref = train(ReferenceBackend.INSTANCE, optimizer, 20, 3);
                 Network start = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 3)) {
                double moved = maxAbsDiff(ref.parameters(), start.parameters());
                double apart = maxAbsDiff(nat.parameters(), ref.parameters());

                assertTrue(moved > 1e-3, optimizer + ": training moved the weights by only " + moved);
                assertTrue(apart <= 1e-5, optimizer + ": native and reference weights differ by " + apart
                        + " after 20 steps (training moved them by " + moved + ")");
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeights() {
        try (Network a = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 5);
             Network b = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 5);
             Network c = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 6)) {
            float[] wa = a.parameters().toArray();
            float[] wb = b.parameters().toArray();
            for (int i = 0; i < wa.length; i++) {
                assertEquals(Float.floatToRawIntBits(wa[i]), Float.floatToRawIntBits(wb[i]), "parameter " + i);
            }
            assertTrue(maxAbsDiff(a.parameters(), c.parameters()) > 1e-3, "a different seed gave the same weights");
        }
    }

    private static double maxAbsDiff(Tensor a, Tensor b) {
        double max = 0;
        for (long i = 0; i < a.size(); i++) {
            max = Math.max(max, Math.abs(a.getFlat(i) - b.getFlat(i)));
        }
        return max;
    }
}
