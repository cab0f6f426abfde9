package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.TestData;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Plain SGD applied inside the weights' gradient products ({@code Workspace.backward(Tensor, float)})
 * against the same update applied after the backward pass.
 */
class PlainDescentTest {

    private static final float LR = 0.05f;
    private static final int STEPS = 5;

    /** One shard: every Linear's weight; two: the first layer split by its inputs ({@link FirstLayerSplit}). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void descentInTheProductsHasTheBitsOfTheUpdateAfterBackward(int shards) {
        NativeBackend backend = NativeBackend.instance(NativeBackend.Products.AUTO);
        int threads = backend.threads();
        backend.setThreads(1);
        try (Arena arena = Arena.ofShared(); // the shards' threads read the batch
             Network fused = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 11);
             Network apart = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 11);
             TrainingStep step = new TrainingStep(fused, Loss.nll(), Sgd.plain(), shards);
             TrainingStep gradients = new TrainingStep(apart, Loss.nll(), Sgd.plain(), shards)) {
            for (int s = 0; s < STEPS; s++) {
                Tensor x = TestData.uniform(arena, 64, 784, -1, 1, 100 + s);
                IntVector y = TestData.labels(arena, 64, 10, 200 + s);
                double loss = step.run(x, y, LR);
                double same = gradients.gradients(x, y);
                backend.sgd(apart.parameters().flat(), gradients.workspace().gradients(), LR, 0f);
                assertEquals(same, loss, "step " + s + ": the loss before the update");
            }
            List<String> names = fused.parameters().names();
            if (shards == 1) {
                // the three Linear weights were descended along, the biases updated after
                for (int i = 0; i < names.size(); i++) {
                    assertEquals(names.get(i).endsWith("weight"), step.workspace().descended(i), names.get(i));
                }
            } else {
                // the split's first weight descended: its gradient was never written
                float[] g = values(step.workspace().gradient("0.weight"));
                for (float v : g) {
                    assertEquals(0f, v, "the first weight's gradient after descents");
                }
            }
            float[] a = values(fused.parameters().flat());
            float[] b = values(apart.parameters().flat());
            if (backend.matmul().startsWith("own kernel")) {
                // -lr * sum + w rounded as sgd's w - lr * g: the same bits
                assertArrayEquals(bits(b), bits(a), "parameters after " + STEPS + " steps");
            } else {
                // the BLAS may round alpha * sum + beta * c its own way
                double apartBy = Comparison.maxAbsDifference(fused.parameters().flat(), apart.parameters().flat());
                assertTrue(apartBy <= 1e-6, "parameters " + apartBy + " apart with " + backend.matmul());
            }
        } finally {
            backend.setThreads(threads);
        }
    }

    @Test
    void momentumAndWeightDecayAreNotDescendedInTheProducts() {
        NativeBackend backend = NativeBackend.instance();
        for (Sgd sgd : List.of(Sgd.momentum(0.9), Sgd.plain().withWeightDecay(1e-4))) {
            try (Arena arena = Arena.ofConfined();
                 Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 3);
                 TrainingStep step = new TrainingStep(net, Loss.nll(), sgd)) {
                step.run(TestData.uniform(arena, 16, 784, -1, 1, 5), TestData.labels(arena, 16, 10, 6), LR);
                for (int i = 0; i < net.parameters().names().size(); i++) {
                    assertFalse(step.workspace().descended(i), sgd + ": " + net.parameters().names().get(i));
                }
            }
        }
    }

    @Test
    void aBatchWithANonFiniteLossLeavesTheParametersAsTheyWere() {
        NativeBackend backend = NativeBackend.instance();
        try (Arena arena = Arena.ofConfined();
             Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 3);
             TrainingStep step = new TrainingStep(net, Loss.nll(), Sgd.plain())) {
            Tensor x = TestData.uniform(arena, 16, 784, -1, 1, 7);
            x.set(3, 100, Float.NaN);
            float[] before = values(net.parameters().flat());
            double loss = step.run(x, TestData.labels(arena, 16, 10, 8), LR);
            assertTrue(Double.isNaN(loss), "the loss of a batch holding a NaN: " + loss);
            assertArrayEquals(bits(before), bits(values(net.parameters().flat())), "parameters after a NaN batch");
            assertFalse(step.workspace().descended(0), "no descent in a pass whose loss is NaN");
        }
    }

    private static float[] values(Tensor t) {
        float[] v = new float[Math.toIntExact(t.size())];
        t.get(0, v);
        return v;
    }

    private static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }
}
