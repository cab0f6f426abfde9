package dev.pnn.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.ShapeMismatchException;
import dev.pnn.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private Tensor input(int rows, int cols, long seed) {
        Rng rng = new Rng(seed);
        Tensor x = Tensor.allocate(arena, rows, cols);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) rng.uniform(-1, 2));
        }
        return x;
    }

    @Test
    void modelsCheckThatLayersFitTogether() {
        Model m = Model.mnist();
        assertEquals("784-128-64-10", m.widths());
        assertEquals(784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10, m.parameterCount());
        assertEquals(6, m.layers().size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Model.sequential(new Linear(784, 128), new ReLU(), new Linear(100, 10)));
        assertTrue(e.getMessage().contains("layer 2: Linear(100, 10) cannot take 128 input features"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Model.sequential(new ReLU()));
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3));
        // any other MLP is one line
        Model wide = Model.mlp(784, List.of(256, 128, 64), 10, Activation.SIGMOID);
        assertEquals("784-256-128-64-10", wide.widths());
        assertTrue(wide.layers().get(1) instanceof Sigmoid);
    }

    @Test
    void parametersAreOneBufferCarvedIntoLayerViewsInOrder() {
        try (Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 1)) {
            assertEquals(Model.mnist().parameterCount(), net.parameters().size());
            assertEquals(net.parameters().size(), net.gradients().size());
            long base = net.parameters().segment().address();
            long offset = 0;
            for (int i : new int[] {0, 2, 4}) {
                assertEquals(base + 4 * offset, net.weight(i).segment().address(), "weight " + i);
                offset += net.weight(i).size();
                assertEquals(base + 4 * offset, net.bias(i).segment().address(), "bias " + i);
                offset += net.bias(i).size();
            }
            assertEquals(net.parameters().size(), offset);
            assertEquals(new dev.pnn.tensor.Shape(784, 128), net.weight(0).shape());
            assertEquals(new dev.pnn.tensor.Shape(1, 10), net.biasGradient(4).shape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> net.weight(1));
            assertTrue(e.getMessage().contains("layer 1"), e.getMessage());
            // the gradient views write into the flat gradient buffer
            net.biasGradient(4).set(0, 9, 3.5f);
            assertEquals(3.5f, net.gradients().getFlat(net.gradients().size() - 1));
            net.zeroGradients();
            assertEquals(0f, net.gradients().getFlat(net.gradients().size() - 1));
        }
    }

    @Test
    void pytorchInitIsUniformWithinOneOverSqrtFanIn() {
        try (Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 1)) {
            for (int layer : new int[] {0, 2, 4}) {
                int fanIn = net.weight(layer).rows();
                double bound = 1 / Math.sqrt(fanIn);
                float[] w = net.weight(layer).toArray();
                double max = 0;
                double sumSq = 0;
                for (float v : w) {
                    max = Math.max(max, Math.abs(v));
                    sumSq += v * v;
                }
                assertTrue(max <= bound, "layer " + layer + " max " + max + " > " + bound);
                // uniform on [-b, b] has variance b^2 / 3
                double variance = sumSq / w.length;
                assertEquals(bound * bound / 3, variance, 0.1 * bound * bound / 3, "layer " + layer);
                for (float b : net.bias(layer).toArray()) {
                    assertTrue(Math.abs(b) <= bound);
                }
            }
        }
        try (Network he = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 1)) {
            float[] w = he.weight(0).toArray();
            double sumSq = 0;
            for (float v : w) {
                sumSq += v * v;
            }
            assertEquals(2.0 / 784, sumSq / w.length, 0.05 * 2.0 / 784, "He-normal variance 2 / fan_in");
            assertArrayEquals(new float[128], he.bias(0).toArray());
        }
    }

    @Test
    void sameSeedSameParametersDifferentSeedDifferent() {
        try (Network a = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 9);
             Network b = Network.create(Model.mnist(), NativeBackend.instance(), Init.HE_NORMAL, 9);
             Network c = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 10)) {
            assertArrayEquals(a.parameters().toArray(), b.parameters().toArray());
            assertTrue(a.parameters().getFlat(0) != c.parameters().getFlat(0));
        }
    }

    @Test
    void forwardRejectsAnInputOfTheWrongWidth() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> net.forward(input(64, 783, 1)));
            assertTrue(e.getMessage().contains("64x783") && e.getMessage().contains("784"), e.getMessage());
            Vjp v = net.forward(input(64, 784, 1));
            e = assertThrows(ShapeMismatchException.class, () -> v.pullback().apply(Tensor.allocate(arena, 64, 9)));
            assertTrue(e.getMessage().contains("64x9") && e.getMessage().contains("64x10"), e.getMessage());
        }
    }

    /** The fused Linear+ReLU forward is the plain composition of backend calls, to the bit. */
    @Test
    void forwardIsTheCompositionOfTheLayersBitForBit() {
        Backend b = NativeBackend.instance();
        try (Network net = Network.create(Model.mnist(), b, Init.PYTORCH_DEFAULT, 1)) {
            Tensor x = input(37, 784, 2);
            Tensor out = net.forward(x).output();
            Tensor h1 = b.relu(b.biasAdd(b.gemm(false, false, 1, x, net.weight(0), 0, Tensor.allocate(arena, 37, 128)),
                    net.bias(0), Tensor.allocate(arena, 37, 128)), Tensor.allocate(arena, 37, 128));
            Tensor h2 = b.relu(b.biasAdd(b.gemm(false, false, 1, h1, net.weight(2), 0, Tensor.allocate(arena, 37, 64)),
                    net.bias(2), Tensor.allocate(arena, 37, 64)), Tensor.allocate(arena, 37, 64));
            Tensor z = b.biasAdd(b.gemm(false, false, 1, h2, net.weight(4), 0, Tensor.allocate(arena, 37, 10)),
                    net.bias(4), Tensor.allocate(arena, 37, 10));
            Tensor expected = b.logSoftmax(z, Tensor.allocate(arena, 37, 10));
            assertArrayEquals(expected.toArray(), out.toArray());
            // the first five layers give the logits
            assertArrayEquals(z.toArray(), net.forward(x, 5, false).output().toArray());
        }
    }

    @Test
    void workspacesAreAllocatedOncePerBatchSize() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            Tensor full = input(64, 784, 1);
            Tensor last = input(32, 784, 2);
            Tensor first = net.forward(full).output();
            for (int i = 0; i < 5; i++) {
                assertTrue(net.forward(full).output().sameMemory(first), "a new output buffer on step " + i);
                net.forward(last).pullback().apply(Tensor.allocate(arena, 32, 10));
            }
            assertEquals(2, net.workspaceCount());
        }
    }

    @Test
    void pullbackReturnsTheInputGradientOnlyWhenAskedFor() {
        Model model = Model.sequential(new Linear(5, 4), new ReLU(), new Linear(4, 3), new LogSoftMax());
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 1)) {
            Tensor x = input(2, 5, 3);
            Tensor dy = Tensor.allocate(arena, 2, 3).fill(0.25f);
            assertNull(net.forward(x).pullback().apply(dy));
            Tensor dx = net.forward(x, 4, true).pullback().apply(dy);
            assertNotNull(dx);
            assertEquals(new dev.pnn.tensor.Shape(2, 5), dx.shape());
            // d/dx of sum(dy * f(x)) by finite differences on one input element, in float32
            float saved = x.get(1, 2);
            double h = 1e-2;
            double[] sides = new double[2];
            for (int s = 0; s < 2; s++) {
                x.set(1, 2, (float) (saved + (s == 0 ? h : -h)));
                Tensor y = net.forward(x).output();
                for (int c = 0; c < 3; c++) {
                    sides[s] += 0.25 * (y.get(0, c) + y.get(1, c));
                }
            }
            x.set(1, 2, saved);
            double numeric = (sides[0] - sides[1]) / (2 * h);
            assertEquals(numeric, dx.get(1, 2), 1e-3, "input gradient");
        }
    }

    /** Pullbacks accumulate into the gradients (zeroing is its own call): two backward passes give twice one. */
    @Test
    void pullbacksAccumulateParameterGradients() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1)) {
            Tensor x = input(16, 784, 4);
            Tensor dy = Tensor.allocate(arena, 16, 10).fill(0.01f);
            net.zeroGradients();
            net.forward(x).pullback().apply(dy);
            float[] once = net.gradients().toArray();
            net.forward(x).pullback().apply(dy);
            float[] twice = net.gradients().toArray();
            int nonzero = 0;
            double max = 0;
            for (float g : once) {
                max = Math.max(max, Math.abs(g));
            }
            for (int i = 0; i < once.length; i++) {
                // BLAS adds its blocked partial sums into the existing gradient one block at a time, so
                // the second pass is 2x the first up to rounding; overwriting would be off by a whole gradient
                assertEquals(2 * once[i], twice[i], 1e-5 * max, "gradient " + i);
                nonzero += once[i] != 0 ? 1 : 0;
            }
            assertTrue(nonzero > once.length / 2, "only " + nonzero + " nonzero gradients");
        }
    }

    @Test
    void savedParametersLoadBackBitForBit(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("mnist.pnnw");
        try (Network a = Network.create(Model.mnist(), NativeBackend.instance(), Init.HE_NORMAL, 3);
             Network b = Network.zeros(Model.mnist(), NativeBackend.instance())) {
            a.saveParameters(file);
            assertEquals(4 + 4 + 4 + Model.mnist().toString().length() + 8 + 4 * Model.mnist().parameterCount(),
                    Files.size(file));
            b.loadParameters(file);
            assertArrayEquals(a.parameters().toArray(), b.parameters().toArray());
        }
    }

    @Test
    void loadingTheWrongFileNamesItAndChangesNothing(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("small.pnnw");
        Model small = Model.sequential(new Linear(784, 10), new LogSoftMax());
        try (Network saved = Network.create(small, ReferenceBackend.INSTANCE, Init.HE_NORMAL, 3);
             Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 4)) {
            saved.saveParameters(file);
            float[] before = net.parameters().toArray();
            ParameterFileException e = assertThrows(ParameterFileException.class, () -> net.loadParameters(file));
            assertTrue(e.getMessage().startsWith(file + ": model: expected 784-128-64-10"), e.getMessage());
            assertTrue(e.getMessage().contains("found 784-10 (Linear(784, 10), LogSoftMax)"), e.getMessage());

            byte[] bytes = Files.readAllBytes(file);
            Path cut = Files.write(dir.resolve("cut.pnnw"), java.util.Arrays.copyOf(bytes, bytes.length - 7));
            try (Network same = Network.zeros(small, ReferenceBackend.INSTANCE)) {
                e = assertThrows(ParameterFileException.class, () -> same.loadParameters(cut));
                assertTrue(e.getMessage().contains("parameter bytes") && e.getMessage().contains("truncated"),
                        e.getMessage());
                assertArrayEquals(new float[(int) same.parameters().size()], same.parameters().toArray());
            }
            Path idx = Files.write(dir.resolve("not-weights"), new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 5, 0, 0, 0});
            e = assertThrows(ParameterFileException.class, () -> net.loadParameters(idx));
            assertTrue(e.getMessage().contains("magic: expected PNNW"), e.getMessage());
            assertArrayEquals(before, net.parameters().toArray());
        }
    }

    @Test
    void closingFreesTheBuffers() {
        Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
        Tensor p = net.parameters();
        net.close();
        assertThrows(IllegalStateException.class, () -> p.get(0, 0));
    }
}
