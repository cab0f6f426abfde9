package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Dropout;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ModelSpec;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.optim.Adam;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The convolutional network: shapes, spec, native against reference over ten steps, dropout. */
class CnnTest {

    private static final Mnist mnist = MnistFixture.shared();

    @Test
    void theCnnPresetHasPyTorchsShapes() {
        Model cnn = Model.cnn();
        assertEquals(Shape.of(26, 26, 32), cnn.shape(1));
        assertEquals(Shape.of(13, 13, 32), cnn.shape(3));
        assertEquals(Shape.of(5, 5, 64), cnn.shape(6));
        assertEquals(Shape.of(1600), cnn.shape(7));
        assertEquals(32 * 9 + 32 + 64 * 288 + 64 + 1600 * 128 + 128 + 128 * 10 + 10, cnn.parameterCount());
        assertEquals(cnn, ModelSpec.fromJson(cnn.spec().toJson()).toModel());
        try (var p = dev.pnn.train.exec.Parameters.zeros(cnn)) {
            assertEquals(Shape.of(32, 1, 3, 3), p.spec("0.weight").fileShape(), "PyTorch's (out, in, kh, kw)");
            assertEquals(Shape.of(64, 32, 3, 3), p.spec("3.weight").fileShape());
            assertEquals(Shape.of(128, 1600), p.spec("7.weight").fileShape());
        }
    }

    private static Network train(Backend backend, int steps) {
        Network net = Network.create(Model.cnn(), backend, Init.PYTORCH_DEFAULT, 4);
        try (Batches batches = new Batches(mnist.train(), 16, Normalization.MNIST, backend, 4, true);
             TrainingStep step = new TrainingStep(net, Loss.nll(), Adam.defaults()).seed(4)) {
            batches.startEpoch(0);
            for (int i = 0; i < steps; i++) {
                Batches.Batch b = batches.next();
                step.run(b.images(), b.labels(), 1e-3f);
            }
        }
        return net;
    }

    /**
     * Ten Adam steps of the CNN, dropout included (the same masks on both backends), from the
     * same weights: native and reference end within 1e-4 (the Adam bound of TrainingParityTest:
     * a gradient at the rounding level can flip a step of lr = 1e-3); the weights moved by far more.
     */
    @Test
    void nativeAndReferenceTrainTheCnnToTheSameWeights() {
        try (Network nat = train(NativeBackend.instance(), 10); Network ref = train(ReferenceBackend.INSTANCE, 10);
             Network start = Network.create(Model.cnn(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 4)) {
            double moved = Comparison.maxAbsDifference(ref.parameters().flat(), start.parameters().flat());
            double apart = Comparison.maxAbsDifference(nat.parameters().flat(), ref.parameters().flat());
            assertTrue(moved > 5e-3, "training moved the weights by only " + moved);
            assertTrue(apart <= 1e-4, "native and reference differ by " + apart + " after 10 steps (moved " + moved + ")");
        }
    }

    /** Dropout drops in training (masks fixed by seed and step), passes everything in evaluation. */
    @Test
    void dropoutDropsInTrainingOnlyAndItsPullbackUsesTheSameMask() {
        Model m = new Model(Shape.of(8), List.of(new Linear(8, 400), new ReLU(), new Dropout(0.25), new Linear(400, 3)));
        try (Arena arena = Arena.ofConfined();
             Network net = Network.create(m, NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            Tensor x = Tensor.allocate(arena, 5, 8).fill(1f);
            Tensor hidden = Tensor.allocate(arena, 5, 400).copyFrom(ws.forward(x, 2, false).output());
            ws.randomStream(7, 3);
            Tensor dropped = Tensor.allocate(arena, 5, 400).copyFrom(ws.forward(x, 3, false, true).output());
            int zeros = 0;
            int active = 0;
            for (long i = 0; i < hidden.size(); i++) {
                if (hidden.getFlat(i) > 0) {
                    active++;
                    float d = dropped.getFlat(i);
                    assertTrue(d == 0 || Math.abs(d - hidden.getFlat(i) / 0.75f) <= 1e-6 * Math.abs(d), "scaled");
                    zeros += d == 0 ? 1 : 0;
                }
            }
            assertEquals(0.25, zeros / (double) active, 0.05, "a quarter dropped");
            // the same seed and step: the same mask; evaluation: nothing dropped
            assertArrayEquals(dropped.toArray(), ws.forward(x, 3, false, true).output().toArray());
            assertArrayEquals(hidden.toArray(), ws.forward(x, 3, false, false).output().toArray());
            ws.randomStream(7, 4);
            assertTrue(!java.util.Arrays.equals(dropped.toArray(), ws.forward(x, 3, false, true).output().toArray()),
                    "the next step, another mask");
        }
    }
}
