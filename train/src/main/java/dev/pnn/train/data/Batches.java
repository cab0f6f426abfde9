package dev.pnn.train.data;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.BatchBuffers;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;

/**
 * Mini-batches of a {@link Dataset}: images gathered by the backend's gather kernel (scaled and
 * normalized on the way), or rows of a table copied as they are, and their labels, in the order of an index that is shuffled at the
 * start of every epoch (seeded: the same seed and epoch give the same order). The last, partial
 * batch is included. Batch buffers are allocated once per batch size (two: full and the
 * remainder, in {@link BatchBuffers}), so steady-state iteration allocates nothing. Owns its
 * buffers and the order; not thread-safe, except that several threads may {@link #fill} parts of
 * one batch at once.
 */
public final class Batches implements AutoCloseable {

    /** One batch: {@code rows x features} inputs and {@code rows} labels, reused from step to step. */
    public record Batch(Tensor images, IntVector labels) {
        public int rows() {
            return images.rows();
        }
    }

    private final Arena arena = Arena.ofShared();
    private final Dataset data;
    private final int batchSize;
    private final Normalization normalization;
    private final Backend backend;
    private final long seed;
    private final boolean shuffle;
    /** The epoch's order of the examples: shuffled here, copied into {@link #order} for the gather kernel. */
    private final int[] permutation;
    private final IntVector order;
    /** The dataset's labels, and their epoch order: a batch's labels are one block of the latter. */
    private final int[] labelValues;
    private final int[] labelsInOrder;
    private final IntVector orderedLabels;
    private final BatchBuffers<Batch> buffers;
    /** One row of a table, on its way into a batch. */
    private final float[] row;
    private int next;
    /** The batch {@link #nextUnfilled} returned last (until the order changes), and its first place in the order. */
    private Batch unfilled;
    private int unfilledStart;

    /**
     * @param shuffle whether {@link #startEpoch} shuffles; without it batches come in dataset order
     */
    public Batches(Dataset data, int batchSize, Normalization normalization, Backend backend, long seed,
                   boolean shuffle) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        this.data = data;
        this.batchSize = Math.min(batchSize, data.size());
        this.normalization = normalization;
        this.backend = backend;
        this.seed = seed;
        this.shuffle = shuffle;
        this.permutation = new int[data.size()];
        this.order = IntVector.allocate(arena, data.size());
        this.labelValues = new int[data.size()];
        this.labelsInOrder = new int[data.size()];
        this.orderedLabels = IntVector.allocate(arena, data.size());
        this.buffers = new BatchBuffers<>(2, (a, rows) -> new Batch(Tensor.allocate(a, rows, data.features()),
                IntVector.allocate(a, rows)));
        this.next = data.size(); // no batch until startEpoch arranges the order and the labels
        this.row = new float[data.features()];
    }

    /** Batches an epoch: the last one may be partial. */
    public int batchCount() {
        return (data.size() + batchSize - 1) / batchSize;
    }

    /**
     * Starts epoch {@code epoch} (from 0): restores the dataset order and, when shuffling,
     * applies the epoch's Fisher-Yates permutation, so an epoch's order depends only on
     * (seed, epoch), never on the epochs before it.
     */
    public void startEpoch(int epoch) {
        int n = data.size();
        for (int i = 0; i < n; i++) {
            permutation[i] = i;
        }
        unfilled = null;
        if (shuffle) {
            Rng rng = Rng.of(seed, epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = t;
            }
        }
        arrange();
        next = 0;
    }

    /** The order and the dataset's labels in it, from {@link #permutation} (on the heap, then one copy each). */
    private void arrange() {
        data.labels().get(0, labelValues);
        for (int i = 0; i < permutation.length; i++) {
            labelsInOrder[i] = labelValues[permutation[i]];
        }
        order.set(0, permutation);
        orderedLabels.set(0, labelsInOrder);
    }

    /** Skips the next {@code batches} batches of this epoch without gathering them (to resume mid-epoch). */
    public void skip(int batches) {
        if (batches < 0 || batches > batchCount()) {
            throw new IllegalArgumentException("cannot skip " + batches + " of " + batchCount() + " batches");
        }
        next = (int) Math.min(data.size(), next + (long) batches * batchSize);
        unfilled = null;
    }

    public boolean hasNext() {
        return next < data.size();
    }

    /** Gathers the next batch into its reused buffers and returns them. */
    public Batch next() {
        Batch b = nextUnfilled();
        fill(b.images(), 0);
        return b;
    }

    /**
     * The next batch with its labels set and its images not yet gathered: {@link #fill} gathers
     * them, in parts if need be, until the next call of {@code next} or {@code nextUnfilled}. A
     * training step split over threads has each thread gather its own rows
     * ({@link dev.pnn.train.fit.TrainingStep#run(Tensor, IntVector, float, dev.pnn.train.fit.TrainingStep.Fill)}),
     * so the gathering runs in parallel and the rows land in the cache of the core that uses them.
     * Rows of a table are copied here already.
     */
    public Batch nextUnfilled() {
        if (!hasNext()) {
            throw new IllegalStateException("no batches left in this epoch; call startEpoch first");
        }
        int rows = Math.min(batchSize, data.size() - next);
        Batch b = buffers.get(rows);
        if (!data.isImages()) {
            int cols = data.features();
            for (int r = 0; r < rows; r++) {
                data.table().get((long) permutation[next + r] * cols, row);
                b.images().set((long) r * cols, row);
            }
        }
        b.labels().copyFrom(orderedLabels, next);
        unfilled = b;
        unfilledStart = next;
        next += rows;
        return b;
    }

    /**
     * Gathers rows {@code from .. from + rows.rows() - 1} of the batch {@link #nextUnfilled}
     * returned last into {@code rows} (those rows of its images, or a tensor of their shape):
     * {@link #fill(Tensor, int, int)} of whole rows.
     *
     * @throws IllegalStateException    when no batch was taken
     * @throws IllegalArgumentException when the rows are not within the batch, or not as wide as
     *                                  the dataset's examples
     */
    public void fill(Tensor rows, int from) {
        if (rows.cols() != data.features()) {
            throw new IllegalArgumentException("cannot fill rows of " + rows.cols() + " features: the examples have "
                    + data.features());
        }
        fill(rows, from, 0);
    }

    /**
     * Gathers a block of the batch {@link #nextUnfilled} returned last into {@code block}: rows
     * {@code row .. row + block.rows() - 1}, features {@code column .. column + block.cols() - 1}
     * of each (a view of those rows of its images, or a tensor of the block's shape). Asks for the
     * same block of the next batch on the way ({@link dev.pnn.tensor.Backend#prefetchRows}), so
     * that it comes from cache a step later. Threads may fill disjoint blocks of the same batch at
     * once, when they were handed the batch after {@code nextUnfilled} returned (by a thread
     * start, a lock, a volatile write).
     *
     * @throws IllegalStateException    when no batch was taken
     * @throws IllegalArgumentException when the block is not within the batch
     */
    public void fill(Tensor block, int row, int column) {
        Batch b = unfilled;
        if (b == null) {
            throw new IllegalStateException("no batch to fill: call nextUnfilled first");
        }
        int width = block.cols();
        if (row < 0 || row > b.rows() - block.rows() || column < 0 || column > data.features() - width) {
            throw new IllegalArgumentException("cannot fill " + block.rows() + " rows of " + width
                    + " features from row " + row + ", feature " + column + " of a batch of " + b.rows()
                    + " rows of " + data.features() + " features");
        }
        if (data.isImages()) {
            int at = unfilledStart + row;
            backend.gatherRows(data.images(), order, at, column, normalization.scale(), normalization.shift(),
                    block);
            // the same block of the next batch, asked for a step ahead (by the thread that will gather it)
            int ahead = Math.min(block.rows(), data.size() - (at + b.rows()));
            if (ahead > 0) {
                backend.prefetchRows(data.images(), order, at + b.rows(), ahead, column, width);
            }
            return;
        }
        // a table's rows are in the batch already (nextUnfilled): copy the block unless it is them
        block.copyFrom(b.images(), row, column);
    }

    @Override
    public void close() {
        try (arena) {
            buffers.close();
        }
    }
}
