package dev.pnn.train;

import static dev.pnn.train.GradientChecks.BATCH;
import static dev.pnn.train.GradientChecks.analytic;
import static dev.pnn.train.GradientChecks.assertClose;
import static dev.pnn.train.GradientChecks.checkAgainstDoublePrecision;
import static dev.pnn.train.GradientChecks.directional;
import static dev.pnn.train.GradientChecks.input;
import static dev.pnn.train.GradientChecks.labels;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.fit.TrainingStep;
import dev.pnn.train.model.Conv2d;
import dev.pnn.train.model.Flatten;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.MaxPool2d;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.model.Sigmoid;
import dev.pnn.train.model.Vjp;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Whole-network gradient checks; the bounds are derived in {@link GradientChecks}. */
class GradientCheckTest {

    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofConfined();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    @Test
    void defaultNetworkWithFusedCrossEntropyMatchesDoublePrecisionFiniteDifferences() {
        checkAgainstDoublePrecision(Model.mnist(), Loss.nll(), Init.PYTORCH_DEFAULT);
    }

    @Test
    void sigmoidNetworkWithMseMatchesDoublePrecisionFiniteDifferences() {
        Model sigmoid = new Model(784, List.of(new Linear(784, 32), new Sigmoid(), new Linear(32, 10), new Sigmoid()));
        checkAgainstDoublePrecision(sigmoid, Loss.mse(), Init.HE_NORMAL);
    }

    /** Nielsen's 784-30-10 sigmoid network with his quadratic cost. */
    @Test
    void sigmoidNetworkWithTheQuadraticCostMatchesDoublePrecisionFiniteDifferences() {
        checkAgainstDoublePrecision(Model.sigmoid30(), Loss.quadratic(), Init.PYTORCH_DEFAULT);
    }

    /** A small CNN: convolutions with stride and padding, max pooling, flatten, Linear; fused and unfused ReLU. */
    @Test
    void aSmallConvolutionalNetworkMatchesDoublePrecisionFiniteDifferences() {
        Model cnn = new Model(Shape.of(9, 9, 2), List.of(
                new Conv2d(2, 4, 3, 1, 1), new ReLU(),
                new MaxPool2d(2),
                new Conv2d(4, 5, 3, 2, 2), new Sigmoid(),
                new Flatten(), new Linear(5 * 3 * 3, 7), new LogSoftMax()));
        checkAgainstDoublePrecision(cnn, Loss.nll(), Init.PYTORCH_DEFAULT);
    }

    /** Each new layer alone after a Linear, its input gradient checked through the Linear's weights. */
    @Test
    void eachConvolutionalLayerMatchesDoublePrecisionFiniteDifferences() {
        checkAgainstDoublePrecision(new Model(Shape.of(6, 5, 3), List.of(
                new Conv2d(3, 2, 2, 1, 0), new Flatten(),
                new Linear(2 * 5 * 4, 10), new LogSoftMax())), Loss.nll(), Init.HE_NORMAL);
        checkAgainstDoublePrecision(new Model(Shape.of(7, 7, 3), List.of(
                new Conv2d(3, 3, 1), new MaxPool2d(3, 2),
                new Flatten(), new Linear(27, 10), new LogSoftMax())),
                Loss.nll(), Init.PYTORCH_DEFAULT);
    }

    @Test
    void crossEntropyOnLogitsMatchesDoublePrecisionFiniteDifferences() {
        Model logits = new Model(784, List.of(new Linear(784, 64), new ReLU(), new Linear(64, 10)));
        checkAgainstDoublePrecision(logits, Loss.crossEntropy(), Init.HE_NORMAL);
    }

    /**
     * The unfused path (LogSoftMax's own pullback after NLL's gradient) gives the fused path's
     * gradients: both compute (softmax - onehot) / rows, in a different order of roundings.
     */
    @Test
    void unfusedLogSoftMaxAndNllGiveTheFusedGradients() {
        Model model = Model.mnist();
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7);
             Workspace ws = net.newWorkspace()) {
            Tensor x = input(arena, model, 11);
            IntVector y = labels(arena, 10, 13);
            Tensor fusedGradients = Tensor.allocate(arena, ws.gradients().shape());
            double[] fused = analytic(net, x, y, Loss.nll());
            for (int i = 0; i < fused.length; i++) {
                fusedGradients.setFlat(i, (float) fused[i]);
            }
            double fusedLoss = Loss.crossEntropy().value(net.backend(), ws.forward(x, 5, false).output(), y);
            Vjp v = ws.forward(x);
            ws.zeroGradients();
            Tensor dy = Tensor.allocate(arena, BATCH, 10);
            double unfused = Loss.nll().valueAndGradient(net.backend(), v.output(), y, dy);
            v.pullback().apply(dy);
            assertTrue(Math.abs(fusedLoss - unfused) <= 1e-6 * Math.abs(fusedLoss), fusedLoss + " vs " + unfused);
            assertClose("fused vs unfused gradients", ws.gradients(), fusedGradients, 1e-5);
        }
    }

    /**
     * Float32 finite differences through the reference backend itself, along the normalized
     * gradient (where the derivative is |g|, of order 1).
     *
     * <p>The float32 loss carries an error eps_L of about 1e-6 (float activations; the loss itself
     * is summed in double), so a float32 central difference with step h errs by at most
     * eps_L / h = 1e-3 for h = 1e-3 relative to the same difference taken in double precision.
     * It cannot be compared with |g| directly at that step: along its steepest direction the loss
     * is far from linear over 1e-3 (first-layer pre-activations move by ~5e-3 and cross ReLU
     * kinks), which moves the difference by ~0.5%; the double-precision difference shows this, and
     * at h = 1e-5 it matches |g| (truncation ~h^2, roundoff ~1e-11).
     */
    @Test
    void float32FiniteDifferencesThroughTheReferenceBackendAgree() {
        Model model = Model.mnist();
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7);
             Workspace ws = net.newWorkspace()) {
            Tensor x = input(arena, model, 11);
            IntVector y = labels(arena, 10, 13);
            double[] g = analytic(net, x, y, Loss.nll());
            double norm = Math.sqrt(java.util.Arrays.stream(g).map(v -> v * v).sum());
            double[] theta = DoubleModel.toDoubles(net.parameters().flat());
            DoubleModel exact = new DoubleModel(model);
            double[][] xs = DoubleModel.rows(x);
            int[] ys = y.toArray();

            double h = 1e-3;
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                double sign = side == 0 ? 1 : -1;
                for (int i = 0; i < theta.length; i++) {
                    net.parameters().flat().setFlat(i, (float) (theta[i] + sign * h * g[i] / norm));
                }
                losses[side] = Loss.nll().value(net.backend(), ws.forward(x).output(), y);
            }
            double float32 = (losses[0] - losses[1]) / (2 * h);
            double[] unit = java.util.Arrays.stream(g).map(v -> v / norm).toArray();
            double float64 = directional(exact, Loss.nll(), theta, unit, h, xs, ys);
            assertTrue(Math.abs(float32 - float64) <= 1e-6 / h, "float32 central difference " + float32
                    + " vs double " + float64 + " at h = " + h + ": |diff| " + Math.abs(float32 - float64));
            double limit = directional(exact, Loss.nll(), theta, unit, 1e-5, xs, ys);
            assertTrue(Math.abs(limit - norm) <= 1e-3 * norm, "double central difference at h = 1e-5 " + limit
                    + " vs analytic |g| " + norm);
        }
    }

    /**
     * Native against reference analytic gradients from the same parameters and batch: both are
     * float32 with different summation orders (OpenBLAS blocks its sums), so they agree to the
     * same ~1.5e-4 relative error budget as above, here against the group's largest entry.
     */
    @Test
    void nativeAndReferenceGradientsAgree() {
        Model model = Model.mnist();
        try (Network nat = Network.create(model, NativeBackend.instance(), Init.PYTORCH_DEFAULT, 7);
             Network ref = Network.create(model, ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 7);
             TrainingStep sn = new TrainingStep(nat, Loss.nll(),
                     Sgd.plain());
             TrainingStep sr = new TrainingStep(ref, Loss.nll(),
                     Sgd.plain())) {
            Tensor x = input(arena, model, 11);
            IntVector y = labels(arena, 10, 13);
            double ln = sn.gradients(x, y);
            double lr = sr.gradients(x, y);
            assertTrue(Math.abs(ln - lr) <= 1e-5 * Math.abs(lr), "loss " + ln + " vs " + lr);
            for (String name : nat.parameters().names()) {
                assertClose(name, sn.workspace().gradient(name), sr.workspace().gradient(name), 2e-4);
            }
        }
    }
}
