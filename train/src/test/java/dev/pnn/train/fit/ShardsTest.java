package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.Pinning;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.TestData;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Conv2d;
import dev.pnn.train.model.Dropout;
import dev.pnn.train.model.Flatten;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.MaxPool2d;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ReLU;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A batch split over threads, by its rows or (an MLP's first layer) by the inputs: the same loss,
 * gradient and output as the whole batch, and the same bits every run.
 */
class ShardsTest {

    private final NativeBackend backend = NativeBackend.instance();
    private Arena arena;

    @BeforeEach
    void open() {
        arena = Arena.ofShared();
    }

    @AfterEach
    void close() {
        arena.close();
    }

    private static Model cnn(boolean dropout) {
        List<Layer> layers = new ArrayList<>(List.of(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2), new Flatten(),
                new Linear(100, 16), new ReLU()));
        if (dropout) {
            layers.add(new Dropout(0.5));
        }
        layers.addAll(List.of(new Linear(16, 10), new LogSoftMax()));
        return new Model(Shape.of(12, 12, 1), layers);
    }

    /**
     * An MLP over the same 144 inputs: with up to 4 shards its first layer is split by its inputs
     * ({@link FirstLayerSplit}), with more the batch is split.
     */
    private static Model mlp(boolean dropout) {
        List<Layer> layers = new ArrayList<>(List.of(new Linear(144, 32), new ReLU()));
        if (dropout) {
            layers.add(new Dropout(0.5));
        }
        layers.addAll(List.of(new Linear(32, 16), new ReLU(), new Linear(16, 10), new LogSoftMax()));
        return new Model(144, layers);
    }

    private Tensor inputs(int rows, long seed) {
        return TestData.uniform(arena, rows, 144, -1, 1, seed);
    }

    private IntVector labels(int rows) {
        return TestData.labels(arena, rows, 10, 7);
    }

    @Test
    void shardedGradientLossAndOutputAreTheWholeBatchs() {
        for (Model model : List.of(cnn(false), mlp(false))) {
            for (int shards : new int[] {2, 3, 8}) {
                int rows = 7; // shards of 2, 2, 3 rows; with 8 shards, 7 of one row each
                try (Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, 3);
                     TrainingStep whole = new TrainingStep(net, Loss.nll(), Adam.defaults());
                     TrainingStep split = new TrainingStep(net, Loss.nll(), Adam.defaults(), shards)) {
                    Tensor x = inputs(rows, 5);
                    IntVector y = labels(rows);
                    double wholeLoss = whole.gradients(x, y);
                    double splitLoss = split.gradients(x, y);
                    assertEquals(wholeLoss, splitLoss, 1e-6 * Math.abs(wholeLoss), model.widths() + ", " + shards
                            + " shards: loss");
                    Tensor g = whole.workspace().gradients();
                    // float sums in another order: a few roundings of the largest gradient
                    Comparison.assertClose(shards + " shards: gradient", split.workspace().gradients(), g,
                            Comparison.Bound.relativeToMax(1e-5, g));
                    assertEquals(Shape.of(rows, 10), split.output().shape());
                    Comparison.assertClose(shards + " shards: output", split.output(), whole.output(),
                            Comparison.Bound.relativeToMax(1e-6, whole.output()));
                }
            }
        }
    }

    private float[] train(Model model, int shards, int steps) {
        try (Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, 9);
             TrainingStep step = new TrainingStep(net, Loss.nll(), Adam.defaults(), shards).seed(9)) {
            for (int s = 0; s < steps; s++) {
                step.run(inputs(16, 100 + s), labels(16), 1e-3f);
            }
            return net.parameters().flat().toArray();
        }
    }

    /** Models a first-layer split is not for (nothing after the first layer to split by rows) split the batch. */
    @Test
    void aFirstLinearWithNothingToSplitAfterItSplitsTheBatch() {
        for (Model model : List.of(new Model(144, List.of(new Linear(144, 10), new LogSoftMax())),
                new Model(144, List.of(new Linear(144, 10), new ReLU())))) {
            Loss loss = model.layers().getLast() instanceof LogSoftMax ? Loss.nll() : Loss.mse();
            try (Network net = Network.create(model, backend, Init.PYTORCH_DEFAULT, 3);
                 TrainingStep whole = new TrainingStep(net, loss, Sgd.plain());
                 TrainingStep split = new TrainingStep(net, loss, Sgd.plain(), 2)) {
                Tensor x = inputs(6, 5);
                IntVector y = labels(6);
                assertEquals(whole.gradients(x, y), split.gradients(x, y), 1e-6, model.widths() + ": loss");
                Tensor g = whole.workspace().gradients();
                Comparison.assertClose(model.widths() + ": gradient", split.workspace().gradients(), g,
                        Comparison.Bound.relativeToMax(1e-5, g));
            }
        }
    }

    @Test
    void theSameShardsGiveTheSameBits() {
        for (Model model : List.of(cnn(true), mlp(true))) {
            float[] a = train(model, 2, 4);
            float[] b = train(model, 2, 4);
            assertArrayEquals(a, b, "two runs with 2 shards");
            // the dropout masks (and the order of the sums) depend on the shards
            assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(train(model, 1, 4)));
        }
    }

    /**
     * Shards whose threads are pinned to CPUs train to the bits of unpinned ones, with the MLP's
     * first layer split by its inputs and with a convolution's rows split (where threads cannot be
     * pinned, asking for it is an error instead).
     */
    @Test
    void pinnedShardsTrainToTheBitsOfUnpinnedOnes() {
        Mnist mnist = MnistFixture.shared();
        Model conv = new Model(Shape.of(28, 28, 1), List.of(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(13 * 13 * 4, 10), new LogSoftMax()));
        if (!Pinning.supported()) {
            try (Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 5)) {
                assertThrows(UnsupportedOperationException.class,
                        () -> new TrainingStep(net, Loss.nll(), Sgd.momentum(0.9), 2, Pinning.firstAllowed()));
            }
            return;
        }
        int first = Pinning.firstAllowed().cpusFor(1).get(0);
        Pinning pinning = Runtime.getRuntime().availableProcessors() >= 2 ? Pinning.firstAllowed()
                : Pinning.of(first, first);
        for (Model model : List.of(Model.mnist(), conv)) {
            try (Network a = Network.create(model, backend, Init.PYTORCH_DEFAULT, 5);
                 Network b = Network.create(model, backend, Init.PYTORCH_DEFAULT, 5);
                 TrainingStep free = new TrainingStep(a, Loss.nll(), Sgd.momentum(0.9), 2, Pinning.none());
                 TrainingStep pinned = new TrainingStep(b, Loss.nll(), Sgd.momentum(0.9), 2, pinning);
                 Batches batches = new Batches(mnist.train(), 50, Normalization.MNIST, backend, 3, true)) {
                batches.startEpoch(0);
                for (int s = 0; s < 5; s++) {
                    Batches.Batch x = batches.next();
                    assertEquals(free.run(x.images(), x.labels(), 0.05f), pinned.run(x.images(), x.labels(), 0.05f),
                            model.widths() + ", step " + s + ": loss");
                }
                assertArrayEquals(a.parameters().flat().toArray(), b.parameters().flat().toArray(),
                        model.widths() + ": parameters");
            }
        }
    }

    /**
     * A run's configuration carries its pinning to the step's threads: naming a CPU the process
     * may not use (or pinning where threads cannot be pinned) stops {@link Trainer#fit} before
     * its first step, with the error of the team that could not be made.
     */
    @Test
    void theFitPinsAsItsConfigurationSays() {
        Mnist mnist = MnistFixture.shared();
        TrainingConfig config = TrainingConfig.defaults().withEpochs(1).withShards(2);
        try (Network net = Network.create(Model.mnist(), backend, Init.PYTORCH_DEFAULT, 5)) {
            if (!Pinning.supported()) {
                assertThrows(UnsupportedOperationException.class, () -> Trainer.fit(net, mnist.train(), mnist.test(),
                        config.withPinning(Pinning.firstAllowed()), e -> { }));
                return;
            }
            int first = Pinning.firstAllowed().cpusFor(1).get(0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Trainer.fit(net,
                    mnist.train(), mnist.test(), config.withPinning(Pinning.of(first, 1023)), s -> { }));
            assertTrue(e.getMessage().contains("cannot run a thread on CPUs {1023}"), e.getMessage());
        }
    }

    /**
     * A batch that each thread gathers its part of ({@code Batches.nextUnfilled} and
     * {@code Batches::fill}) trains to the bits of the same batch gathered whole beforehand: on
     * one thread and with the batch split (a convolution first: each shard gathers its rows, and
     * the batch ends up gathered whole), and with the MLP's first layer split by its inputs (each
     * thread gathers its features of every row into a block of its own).
     */
    @Test
    void threadsThatFillTheirOwnPartTrainAsOnAGatheredBatch() {
        Mnist mnist = MnistFixture.shared();
        Model conv = new Model(Shape.of(28, 28, 1), List.of(new Conv2d(1, 4, 3), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(13 * 13 * 4, 10), new LogSoftMax()));
        for (Model model : List.of(Model.mnist(), conv)) {
            for (int shards : new int[] {1, 2, 3}) {
                boolean split = FirstLayerSplit.appliesTo(model, Loss.nll(), shards);
                assertEquals(model == conv || shards == 1, !split, "which way " + shards + " shards split");
                try (Network a = Network.create(model, backend, Init.PYTORCH_DEFAULT, 5);
                     Network b = Network.create(model, backend, Init.PYTORCH_DEFAULT, 5);
                     TrainingStep stepA = new TrainingStep(a, Loss.nll(), Sgd.momentum(0.9), shards);
                     TrainingStep stepB = new TrainingStep(b, Loss.nll(), Sgd.momentum(0.9), shards);
                     Batches gathered = new Batches(mnist.train(), 50, Normalization.MNIST, backend, 3, true);
                     Batches filled = new Batches(mnist.train(), 50, Normalization.MNIST, backend, 3, true)) {
                    gathered.startEpoch(0);
                    filled.startEpoch(0);
                    TrainingStep.Fill fill = filled::fill;
                    String what = model.widths() + ", " + shards + " shards";
                    for (int s = 0; s < 5; s++) {
                        Batches.Batch x = gathered.next();
                        Batches.Batch y = filled.nextUnfilled();
                        double lossA = stepA.run(x.images(), x.labels(), 0.05f);
                        double lossB = stepB.run(y.images(), y.labels(), 0.05f, fill);
                        assertEquals(lossA, lossB, what + ", step " + s + ": loss");
                        if (!split) {
                            assertArrayEquals(x.images().toArray(), y.images().toArray(), what + ": the batch");
                        }
                    }
                    assertArrayEquals(a.parameters().flat().toArray(), b.parameters().flat().toArray(),
                            what + ": parameters");
                }
            }
        }
    }

    /**
     * The update split over the team's members, each over its range of the parameters, has the
     * bits of one update over the whole buffers from the same summed gradient: for plain SGD,
     * momentum (its velocity buffer) and Adam (two buffers and the step count).
     */
    @Test
    void theUpdateSplitByRangesHasTheBitsOfOneWholeUpdate() {
        for (Optimizer optimizer : List.of(Sgd.plain(), Sgd.momentum(0.9).withWeightDecay(5e-4), Adam.defaults())) {
            for (int shards : new int[] {2, 3}) {
                for (Model model : List.of(cnn(false), mlp(false))) {
                    try (Network split = Network.create(model, backend, Init.PYTORCH_DEFAULT, 4);
                         Network whole = Network.create(model, backend, Init.PYTORCH_DEFAULT, 4);
                         TrainingStep a = new TrainingStep(split, Loss.nll(), optimizer, shards);
                         TrainingStep b = new TrainingStep(whole, Loss.nll(), optimizer, shards)) {
                        for (int s = 0; s < 3; s++) {
                            Tensor x = inputs(13, 40 + s);
                            a.run(x, labels(13), 0.01f);
                            b.gradients(x, labels(13));
                            optimizer.step(backend, whole.parameters().flat(), b.workspace().gradients(),
                                    b.optimizerState(), 0.01f);
                        }
                        assertArrayEquals(whole.parameters().flat().toArray(), split.parameters().flat().toArray(),
                                optimizer + ", " + shards + " shards, " + model.widths());
                        assertEquals(3, a.optimizerState().steps());
                    }
                }
            }
        }
    }

    /** More shards than parameters: the update is split over one member per parameter, the rest idle. */
    @Test
    void moreShardsThanParametersStillUpdateEveryParameterOnce() {
        Model tiny = new Model(2, List.of(new Linear(2, 2), new LogSoftMax())); // 6 parameters
        Optimizer sgd = Sgd.momentum(0.9);
        try (Network split = Network.create(tiny, backend, Init.PYTORCH_DEFAULT, 5);
             Network whole = Network.create(tiny, backend, Init.PYTORCH_DEFAULT, 5);
             TrainingStep a = new TrainingStep(split, Loss.nll(), sgd, 8);
             TrainingStep b = new TrainingStep(whole, Loss.nll(), sgd, 8)) {
            Tensor x = TestData.uniform(arena, 8, 2, -1, 1, 6);
            IntVector y = TestData.labels(arena, 8, 2, 7);
            for (int s = 0; s < 3; s++) {
                a.run(x, y, 0.1f);
                b.gradients(x, y);
                sgd.step(backend, whole.parameters().flat(), b.workspace().gradients(), b.optimizerState(), 0.1f);
            }
            assertArrayEquals(whole.parameters().flat().toArray(), split.parameters().flat().toArray());
        }
    }

    @Test
    void shardsAreCheckedAndPartOfACheckpointsSettings() {
        try (Network net = Network.create(cnn(false), backend, Init.PYTORCH_DEFAULT, 3)) {
            assertThrows(IllegalArgumentException.class, () -> new TrainingStep(net, Loss.nll(), Adam.defaults(), 0));
        }
        TrainingConfig c = TrainingConfig.defaults().withShards(1);
        assertThrows(IllegalArgumentException.class, () -> c.withShards(0));
        assertEquals(Checkpoint.settings(c), Checkpoint.settings(c.withShards(1)));
        assertNotEquals(Checkpoint.settings(c), Checkpoint.settings(c.withShards(2)),
                "a checkpoint of a 2-shard run does not resume as a 1-shard run");
    }
}
