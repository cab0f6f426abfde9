package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

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
     * and 20 steps at most ~4e-6. Bound for SGD: 1e-5. Adam normalizes its update, m / sqrt(v):
     * for a weight whose gradient is itself at the level of rounding (a unit that barely fires),
     * rounding decides the size and sign of its step, up to lr = 1e-3, so its bound is 1e-4. A
     * wrong kernel moves weights by whole updates, 1e-3 and more; training moves them by 0.02 to
     * 0.2. (Measured: momentum 7.5e-8 everywhere; Adam 6e-8 on an Intel Xeon with OpenBLAS's
     * SkylakeX kernels, 3.2e-6 and 1.1e-5 at one and two OpenBLAS threads on an AMD EPYC with its
     * Haswell kernels.)
     */
    @Test
    void nativeAndReferenceEndWithTheSameWeightsAfter20Batches() {
        for (Optimizer optimizer : new Optimizer[] {Sgd.momentum(0.9).withWeightDecay(5e-4), Adam.defaults()}) {
            try (Network nat = train(NativeBackend.instance(), optimizer, 20, 3);
                 Network ref = train(ReferenceBackend.INSTANCE, optimizer, 20, 3);
                 Network start = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 3)) {
                double moved = Comparison.maxAbsDifference(ref.parameters().flat(), start.parameters().flat());
                double apart = Comparison.maxAbsDifference(nat.parameters().flat(), ref.parameters().flat());

                assertTrue(moved > 1e-3, optimizer + ": training moved the weights by only " + moved);
                double bound = optimizer instanceof Adam ? 1e-4 : 1e-5;
                assertTrue(apart <= bound, optimizer + ": native and reference weights differ by " + apart
                        + " after 20 steps (training moved them by " + moved + ")");
            }
        }
    }

    @Test
    void sameSeedGivesBitIdenticalWeights() {
        try (Network a = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 5);
             Network b = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 5);
             Network c = train(NativeBackend.instance(), Sgd.momentum(0.9), 50, 6)) {
            float[] wa = a.parameters().flat().toArray();
            float[] wb = b.parameters().flat().toArray();
            for (int i = 0; i < wa.length; i++) {
                assertEquals(Float.floatToRawIntBits(wa[i]), Float.floatToRawIntBits(wb[i]), "parameter " + i);
            }
            assertTrue(Comparison.maxAbsDifference(a.parameters().flat(), c.parameters().flat()) > 1e-3, "a different seed gave the same weights");
        }
    }
}
