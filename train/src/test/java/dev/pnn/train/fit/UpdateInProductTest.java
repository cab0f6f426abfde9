package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.TestData;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The weights updated where the products that compute their gradients run
 * ({@code Workspace.backward(Tensor, ProductUpdate)}, {@code FirstLayerSplit}) against the whole
 * update after the backward pass: the same bits, for every form of SGD, on the own product
 * kernel and on the BLAS.
 */
class UpdateInProductTest {

    private static final float LR = 0.05f;
    private static final int STEPS = 5;
    private static final List<Sgd> RULES = List.of(Sgd.plain(), Sgd.momentum(0.9).withWeightDecay(5e-4),
            Sgd.nesterov(0.9), Sgd.plain().withWeightDecay(1e-4));

    /** One shard: every Linear's weight; two: the first layer split by its inputs ({@link FirstLayerSplit}). */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void theWeightsUpdatedInTheProductsHaveTheBitsOfTheUpdateAfterBackward(int shards) {
        for (NativeBackend.Products products : NativeBackend.Products.values()) {
            NativeBackend backend = NativeBackend.instance(products);
            try (NativeBackend.ThreadCount one = backend.withThreads(1)) {
                for (Sgd rule : RULES) {
                    check(backend, rule, shards);
                }
            }
        }
    }

    private static void check(NativeBackend backend, Sgd rule, int shards) {
        String what = rule + ", " + shards + " shard(s), products: " + backend.matmul();
        try (Arena arena = Arena.ofShared(); // the shards' threads read the batch
             Network inProducts = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 11);
             Network after = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 11);
             TrainingStep step = new TrainingStep(inProducts, Loss.nll(), rule, shards);
             TrainingStep gradients = new TrainingStep(after, Loss.nll(), rule, shards)) {
            for (int s = 0; s < STEPS; s++) {
                Tensor x = TestData.uniform(arena, 64, 784, -1, 1, 100 + s);
                IntVector y = TestData.labels(arena, 64, 10, 200 + s);
                double loss = step.run(x, y, LR);
                double same = gradients.gradients(x, y);
                rule.step(backend, after.parameters().flat(), gradients.workspace().gradients(),
                        gradients.optimizerState(), LR);
                assertEquals(same, loss, what + ", step " + s + ": the loss before the update");
            }
            assertEquals(STEPS, step.optimizerState().steps(), what + ": updates counted");
            assertArrayEquals(bits(after.parameters().flat()), bits(inProducts.parameters().flat()),
                    what + ": parameters after " + STEPS + " steps");
            for (int b = 0; b < step.optimizerState().bufferCount(); b++) {
                assertArrayEquals(bits(gradients.optimizerState().buffer(b)), bits(step.optimizerState().buffer(b)),
                        what + ": optimizer buffer " + b);
            }
            List<String> names = inProducts.parameters().names();
            if (shards == 1) {
                // the three Linear weights were updated in their products, the biases after
                for (int i = 0; i < names.size(); i++) {
                    assertEquals(names.get(i).endsWith("weight"), step.workspace().updatedInProduct(i),
                            what + ": " + names.get(i));
                }
            } else if (backend.matmul().startsWith("own kernel") && rule.momentum() == 0 && rule.weightDecay() == 0) {
                // the split's first weight was updated in the one kernel: its gradient never stored
                for (float v : step.workspace().gradient("0.weight").toArray()) {
                    assertEquals(0f, v, what + ": the first weight's gradient");
                }
            }
        }
    }

    @Test
    void adamUpdatesEverythingAfterTheBackwardPass() {
        NativeBackend backend = NativeBackend.instance();
        try (Arena arena = Arena.ofConfined();
             Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 3);
             TrainingStep step = new TrainingStep(net, Loss.nll(), Adam.defaults())) {
            step.run(TestData.uniform(arena, 16, 784, -1, 1, 5), TestData.labels(arena, 16, 10, 6), LR);
            for (int i = 0; i < net.parameters().names().size(); i++) {
                assertFalse(step.workspace().updatedInProduct(i), net.parameters().names().get(i));
            }
            assertEquals(1, step.optimizerState().steps());
        }
    }

    @Test
    void aBatchWithANonFiniteLossLeavesTheParametersAsTheyWere() {
        NativeBackend backend = NativeBackend.instance();
        for (Optimizer rule : RULES) {
            try (Arena arena = Arena.ofConfined();
                 Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 3);
                 TrainingStep step = new TrainingStep(net, Loss.nll(), rule)) {
                Tensor x = TestData.uniform(arena, 16, 784, -1, 1, 7);
                x.set(3, 100, Float.NaN);
                int[] before = bits(net.parameters().flat());
                double loss = step.run(x, TestData.labels(arena, 16, 10, 8), LR);
                assertTrue(Double.isNaN(loss), rule + ": the loss of a batch holding a NaN: " + loss);
                assertArrayEquals(before, bits(net.parameters().flat()), rule + ": parameters after a NaN batch");
                assertFalse(step.workspace().updatedInProduct(0), rule + ": no update in a pass whose loss is NaN");
                assertEquals(0, step.optimizerState().steps(), rule + ": no update counted");
            }
        }
    }

    private static int[] bits(Tensor t) {
        float[] v = t.toArray();
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = Float.floatToRawIntBits(v[i]);
        }
        return b;
    }
}
