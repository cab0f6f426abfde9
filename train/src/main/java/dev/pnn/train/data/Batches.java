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
 * buffers and the order; not thread-safe.
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
    private final IntVector order;
    private final BatchBuffers<Batch> buffers;
    /** One row of a table, on its way into a batch. */
    private final float[] row;
    private int next;

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
        this.order = IntVector.allocate(arena, data.size());
        for (int i = 0; i < data.size(); i++) {
            order.set(i, i);
        }
        this.buffers = new BatchBuffers<>(2, (a, rows) -> new Batch(Tensor.allocate(a, rows, data.features()),
                IntVector.allocate(a, rows)));
        this.next = data.size();
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
            order.set(i, i);
        }
        if (shuffle) {
            Rng rng = Rng.of(seed, epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = order.get(i);
                order.set(i, order.get(j));
                order.set(j, t);
            }
        }
        next = 0;
    }

    /** Skips the next {@code batches} batches of this epoch without gathering them (to resume mid-epoch). */
    public void skip(int batches) {
        if (batches < 0 || batches > batchCount()) {
            throw new IllegalArgumentException("cannot skip " + batches + " of " + batchCount() + " batches");
        }
        next = (int) Math.min(data.size(), next + (long) batches * batchSize);
    }

    public boolean hasNext() {
        return next < data.size();
    }

    /** Gathers the next batch into its reused buffers and returns them. */
    public Batch next() {
        if (!hasNext()) {
            throw new IllegalStateException("no batches left in this epoch; call startEpoch first");
        }
        int rows = Math.min(batchSize, data.size() - next);
        Batch b = buffers.get(rows);
        if (data.isImages()) {
            backend.gatherRows(data.images(), order, next, normalization.scale(), normalization.shift(), b.images());
        } else {
            int cols = data.features();
            for (int r = 0; r < rows; r++) {
                data.table().get((long) order.get(next + r) * cols, row);
                b.images().set((long) r * cols, row);
            }
        }
        IntVector labels = data.labels();
        for (int r = 0; r < rows; r++) {
            b.labels().set(r, labels.get(order.get(next + r)));
        }
        next += rows;
        return b;
    }

    @Override
    public void close() {
        try (arena) {
            buffers.close();
        }
    }
}
