package dev.pnn.train.exec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.ShapeMismatchException;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.TestData;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.model.Vjp;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Parameters, the executor's forward pass and pullback. Workspaces have their own test. */
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

    static Tensor input(Arena arena, int rows, int cols, long seed) {
        return TestData.uniform(arena, rows, cols, -1, 2, seed);
    }

    @Test
    void parametersAreOneBufferCarvedIntoNamedViewsInLayoutOrder() {
        try (Parameters p = Parameters.initialized(Model.mnist(), Init.PYTORCH_DEFAULT, 1)) {
            assertEquals(Model.mnist().parameterCount(), p.count());
            assertEquals(List.of("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"), p.names());
            long base = p.flat().segment().address();
            long offset = 0;
            for (String name : p.names()) {
                assertEquals(base + 4 * offset, p.get(name).segment().address(), name);
                offset += p.get(name).size();
            }
            assertEquals(p.count(), offset);
            assertEquals(new Shape(784, 128), p.get("0.weight").shape());
            assertEquals(new Shape(10), p.get("4.bias").shape());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.get("1.weight"));
            assertTrue(e.getMessage().contains("no parameter '1.weight'") && e.getMessage().contains("0.bias"),
                    e.getMessage());
            // the views write into the flat buffer
            p.get("4.bias").setFlat(9, 3.5f);
            assertEquals(3.5f, p.flat().getFlat(p.count() - 1));
        }
    }

    @Test
    void pytorchInitIsUniformWithinOneOverSqrtFanIn() {
        try (Parameters p = Parameters.initialized(Model.mnist(), Init.PYTORCH_DEFAULT, 1)) {
            for (int layer : new int[] {0, 2, 4}) {
                Tensor w = p.get(layer + ".weight");
                double bound = 1 / Math.sqrt(w.rows());
                double max = 0;
                double sumSq = 0;
                for (float v : w.toArray()) {
                    max = Math.max(max, Math.abs(v));
                    sumSq += v * v;
                }
                assertTrue(max <= bound, "layer " + layer + " max " + max + " > " + bound);
                // uniform on [-b, b] has variance b^2 / 3
                assertEquals(bound * bound / 3, sumSq / w.size(), 0.1 * bound * bound / 3, "layer " + layer);
                for (float b : p.get(layer + ".bias").toArray()) {
                    assertTrue(Math.abs(b) <= bound);
                }
            }
        }
        try (Parameters he = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 1)) {
            double sumSq = 0;
            float[] w = he.get("0.weight").toArray();
            for (float v : w) {
                sumSq += v * v;
            }
            assertEquals(2.0 / 784, sumSq / w.length, 0.05 * 2.0 / 784, "He-normal variance 2 / fan_in");
            assertArrayEquals(new float[128], he.get("0.bias").toArray());
        }
    }

    @Test
    void sameSeedSameParametersDifferentSeedDifferent() {
        try (Parameters a = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 9);
             Parameters b = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 9);
             Parameters c = Parameters.initialized(Model.mnist(), Init.HE_NORMAL, 10)) {
            assertArrayEquals(a.flat().toArray(), b.flat().toArray());
            assertTrue(a.flat().getFlat(0) != c.flat().getFlat(0));
        }
    }

    @Test
    void forwardRejectsAnInputOfTheWrongWidthAndAPullbackOfTheWrongShape() {
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> ws.forward(input(arena, 64, 783, 1)));
            assertTrue(e.getMessage().contains("64x783") && e.getMessage().contains("784"), e.getMessage());
            Vjp v = ws.forward(input(arena, 64, 784, 1));
            e = assertThrows(ShapeMismatchException.class, () -> v.pullback().apply(Tensor.allocate(arena, 64, 9)));
            assertTrue(e.getMessage().contains("64x9") && e.getMessage().contains("64x10"), e.getMessage());
        }
    }

    /** The forward pass, with Linear + ReLU fused, is the plain composition of backend calls, to the bit. */
    @Test
    void forwardIsTheCompositionOfTheLayersBitForBit() {
        Backend b = NativeBackend.instance();
        try (Network net = Network.create(Model.mnist(), b, Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            Parameters p = net.parameters();
            Tensor x = input(arena, 37, 784, 2);
            Tensor out = ws.forward(x).output();
            Tensor h1 = b.relu(b.biasAdd(b.gemm(false, false, 1, x, p.get("0.weight"), 0, Tensor.allocate(arena, 37, 128)),
                    p.get("0.bias"), Tensor.allocate(arena, 37, 128)), Tensor.allocate(arena, 37, 128));
            Tensor h2 = b.relu(b.biasAdd(b.gemm(false, false, 1, h1, p.get("2.weight"), 0, Tensor.allocate(arena, 37, 64)),
                    p.get("2.bias"), Tensor.allocate(arena, 37, 64)), Tensor.allocate(arena, 37, 64));
            Tensor z = b.biasAdd(b.gemm(false, false, 1, h2, p.get("4.weight"), 0, Tensor.allocate(arena, 37, 10)),
                    p.get("4.bias"), Tensor.allocate(arena, 37, 10));
            Tensor expected = b.logSoftmax(z, Tensor.allocate(arena, 37, 10));
            assertArrayEquals(expected.toArray(), out.toArray());
            // the first five layers give the logits
            assertArrayEquals(z.toArray(), ws.forward(x, 5, false).output().toArray());
            // a prefix that cuts a Linear from its ReLU runs the Linear unfused
            assertArrayEquals(b.biasAdd(b.gemm(false, false, 1, x, p.get("0.weight"), 0,
                    Tensor.allocate(arena, 37, 128)), p.get("0.bias"), Tensor.allocate(arena, 37, 128)).toArray(),
                    ws.forward(x, 1, false).output().toArray());
        }
    }

    @Test
    void pullbackReturnsTheInputGradientOnlyWhenAskedFor() {
        Model model = Model.sequential(new Linear(5, 4), new ReLU(), new Linear(4, 3), new LogSoftMax());
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            Tensor x = input(arena, 2, 5, 3);
            Tensor dy = Tensor.allocate(arena, 2, 3).fill(0.25f);
            assertNull(ws.forward(x).pullback().apply(dy));
            Tensor dx = ws.forward(x, 4, true).pullback().apply(dy);
            assertNotNull(dx);
            assertEquals(new Shape(2, 5), dx.shape());
            // d/dx of sum(dy * f(x)) by finite differences on one input element, in float32
            float saved = x.get(1, 2);
            double h = 1e-2;
            double[] sides = new double[2];
            for (int s = 0; s < 2; s++) {
                x.set(1, 2, (float) (saved + (s == 0 ? h : -h)));
                Tensor y = ws.forward(x).output();
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
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
             Workspace ws = net.newWorkspace()) {
            Tensor x = input(arena, 16, 784, 4);
            Tensor dy = Tensor.allocate(arena, 16, 10).fill(0.01f);
            ws.zeroGradients();
            ws.forward(x).pullback().apply(dy);
            float[] once = ws.gradients().toArray();
            ws.forward(x).pullback().apply(dy);
            float[] twice = ws.gradients().toArray();
            assertArrayEquals(new float[16 * 10], dy.toArray(), 0.01f, "the pullback leaves dOutput as it was");
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
            ws.zeroGradients();
            assertArrayEquals(new float[once.length], ws.gradients().toArray());
        }
    }

    @Test
    void samplesOfAnyRankAreViewedWithoutACopy() {
        // a model whose samples are 2x3x4 images: a user layer would flatten; here a Linear-free model
        Model model = new Model(Shape.of(2, 3, 4), List.of(new ReLU(), new LogSoftMax()));
        assertEquals(Shape.of(2, 3, 4), model.output());
        try (Network net = Network.zeros(model, NativeBackend.instance()); Workspace ws = net.newWorkspace()) {
            Tensor flat = input(arena, 5, 24, 6);
            Tensor out = ws.forward(flat).output();
            assertEquals(Shape.of(5, 2, 3, 4), out.shape());
            Tensor images = flat.reshape(5, 2, 3, 4);
            assertEquals(flat.segment().address(), images.segment().address(), "reshape is a view");
            assertArrayEquals(out.toArray(), ws.forward(images).output().toArray());
            Tensor expected = NativeBackend.instance().logSoftmax(
                    NativeBackend.instance().relu(flat, Tensor.allocate(arena, 5, 24)), Tensor.allocate(arena, 5, 24));
            assertArrayEquals(expected.toArray(), out.toArray(), "LogSoftMax over each sample's 24 values");
            ShapeMismatchException e = assertThrows(ShapeMismatchException.class,
                    () -> ws.forward(flat.reshape(5, 2, 12)));
            assertTrue(e.getMessage().contains("input is 5x2x12 but model 2x3x4 takes batches of 2x3x4 samples"),
                    e.getMessage());
        }
    }

    @Test
    void closingTheNetworkFreesParametersItOwnsOnly() {
        Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 1);
        Tensor p = net.parameters().flat();
        net.close();
        assertThrows(IllegalStateException.class, () -> p.get(0, 0));
        try (Parameters shared = Parameters.zeros(Model.mnist())) {
            Network.over(shared, NativeBackend.instance()).close();
            assertEquals(0f, shared.flat().getFlat(0), "parameters shared with a network outlive it");
        }
    }

    @Test
    void aNetworkOverSharedParametersSeesTheirValues() {
        try (Parameters shared = Parameters.initialized(Model.mnist(), Init.PYTORCH_DEFAULT, 3);
             Network a = Network.over(shared, NativeBackend.instance());
             Network b = Network.over(shared, NativeBackend.instance());
             Workspace wa = a.newWorkspace();
             Workspace wb = b.newWorkspace()) {
            Tensor x = input(arena, 8, 784, 1);
            assertArrayEquals(wa.forward(x).output().toArray(), wb.forward(x).output().toArray());
            assertSame(shared, a.parameters());
        }
    }

    @Test
    void modelsBeyondOneBufferOrThisMachinesMemoryAreRefusedWithTheSizeTheyNeed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Parameters.zeros(Model.mlp(784, List.of(65536, 65536), 10, dev.pnn.train.model.Activation.RELU)));
        assertTrue(e.getMessage().contains("has 4347133962 parameters; at most 2147483647 fit one flat buffer"),
                e.getMessage());
        long physical = MemoryBudget.physicalBytes();
        long available = MemoryBudget.availableBytes();
        assertTrue(physical > 1L << 30 && available > 0 && available <= physical, physical + ", " + available);
        e = assertThrows(IllegalArgumentException.class, () -> MemoryBudget.require("a test", physical + 1));
        assertTrue(e.getMessage().startsWith("a test needs ") && e.getMessage().contains("; this machine has ")
                && e.getMessage().contains("of memory available"), e.getMessage());
        MemoryBudget.require("a small thing", 1 << 20);
        // activations are checked too: a batch of 60,000 through a 65536-wide layer needs about 31 GB
        try (Network wide = Network.zeros(Model.mlp(784, List.of(65536), 10, dev.pnn.train.model.Activation.RELU),
                NativeBackend.instance()); Workspace ws = wide.newWorkspace()) {
            Tensor batch = Tensor.allocate(arena, 60_000, 784);
            e = assertThrows(IllegalArgumentException.class, () -> ws.forward(batch));
            assertTrue(e.getMessage().startsWith("a batch of 60000 through model 784-65536-10 needs "), e.getMessage());
        }
    }
}
