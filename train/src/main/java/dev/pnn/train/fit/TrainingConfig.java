package dev.pnn.train.fit;

import dev.pnn.tensor.Pinning;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.model.Loss;
import dev.pnn.train.optim.LrSchedule;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

/**
 * Everything a training run is given, validated on construction.
 *
 * @param epochs         passes over the training set, {@code >= 1}
 * @param batchSize      examples per step, {@code >= 1}
 * @param optimizer      the update rule
 * @param schedule       the learning rate over the run
 * @param loss           the loss; {@link Loss#nll()} for a model ending in LogSoftMax
 * @param normalization  how pixels become inputs
 * @param seed           seeds the shuffle of every epoch
 * @param evalBatchSize  examples per evaluation batch (no gradients), {@code >= 1}
 * @param shards         threads each training batch is split over, {@code >= 1}: each runs its
 *                       rows in its own workspace and the gradients are summed in a fixed order
 *                       ({@link TrainingStep}); results are bit-identical from run to run for a
 *                       given number of shards, and differ in the last bits between numbers
 * @param pinning        which CPU each shard's thread runs on ({@link Pinning}); it changes where the
 *                       threads run, never what they compute, so a checkpoint does not record it
 */
public record TrainingConfig(int epochs, int batchSize, Optimizer optimizer, LrSchedule schedule, Loss loss,
                             Normalization normalization, long seed, int evalBatchSize, int shards,
                             Pinning pinning) {

    public TrainingConfig {
        if (epochs < 1) {
            throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
        }
        if (batchSize < 1 || evalBatchSize < 1) {
            throw new IllegalArgumentException("batch sizes must be >= 1, got " + batchSize + " and " + evalBatchSize);
        }
        if (optimizer == null || schedule == null || loss == null || normalization == null) {
            throw new IllegalArgumentException("optimizer, schedule, loss and normalization are required");
        }
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be >= 1, got " + shards);
        }
        if (pinning == null) {
            throw new IllegalArgumentException("pinning is required: Pinning.none() to leave the threads to the "
                    + "operating system");
        }
    }

    /**
     * A run whose threads are pinned as the system property {@value Pinning#PROPERTY} asks
     * ({@link Pinning#fromSystemProperty()}; not pinned when it is not set).
     *
     * @throws IllegalArgumentException as the canonical constructor, or when the property's value is not a pinning
     */
    public TrainingConfig(int epochs, int batchSize, Optimizer optimizer, LrSchedule schedule, Loss loss,
                          Normalization normalization, long seed, int evalBatchSize, int shards) {
        this(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize, shards,
                Pinning.fromSystemProperty());
    }

    /** A run on one thread's workspace ({@code shards} 1). */
    public TrainingConfig(int epochs, int batchSize, Optimizer optimizer, LrSchedule schedule, Loss loss,
                          Normalization normalization, long seed, int evalBatchSize) {
        this(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize, 1);
    }

    // The defaults of a training run, here and nowhere else: the command line reads them too.
    public static final int DEFAULT_EPOCHS = 10;
    public static final int DEFAULT_BATCH_SIZE = 64;
    public static final double DEFAULT_LR = 0.05;
    public static final double DEFAULT_MOMENTUM = 0.9;
    public static final double DEFAULT_WEIGHT_DECAY = 5e-4;
    public static final long DEFAULT_SEED = 42;
    public static final int DEFAULT_EVAL_BATCH_SIZE = 1000;
    /**
     * Two shards where the machine has two cores or more, else one: at batch 64 on two cores a
     * step split over two threads is the fastest configuration measured (BENCHMARKS.md).
     */
    public static final int DEFAULT_SHARDS = Math.min(2, Runtime.getRuntime().availableProcessors());

    /**
     * The defaults of {@code make train}: 10 epochs of batch 64, SGD with momentum 0.9 and
     * weight decay 5e-4, learning rate 0.05 annealed by cosine to 0, NLL loss, MNIST
     * normalization, seed 42, evaluation in batches of 1000, each batch over
     * {@link #DEFAULT_SHARDS} threads, pinned as the system property {@value Pinning#PROPERTY} asks.
     */
    public static TrainingConfig defaults() {
        return new TrainingConfig(DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE,
                Sgd.momentum(DEFAULT_MOMENTUM).withWeightDecay(DEFAULT_WEIGHT_DECAY), LrSchedule.cosine(DEFAULT_LR, 0),
                Loss.nll(), Normalization.MNIST, DEFAULT_SEED, DEFAULT_EVAL_BATCH_SIZE, DEFAULT_SHARDS,
                Pinning.fromSystemProperty());
    }

    public TrainingConfig withEpochs(int epochs) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withBatchSize(int batchSize) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withOptimizer(Optimizer optimizer) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withSchedule(LrSchedule schedule) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withLoss(Loss loss) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withNormalization(Normalization normalization) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withSeed(long seed) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    public TrainingConfig withShards(int shards) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }

    /** This run with its shards' threads pinned as {@code pinning} says. */
    public TrainingConfig withPinning(Pinning pinning) {
        return new TrainingConfig(epochs, batchSize, optimizer, schedule, loss, normalization, seed, evalBatchSize,
                shards, pinning);
    }
}
