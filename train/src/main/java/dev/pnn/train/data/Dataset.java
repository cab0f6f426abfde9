package dev.pnn.train.data;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;
import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;

import java.lang.foreign.Arena;
import java.util.List;

/**
 * Labelled examples held off-heap, one a row: either uint8 images ({@code images}, scaled and
 * normalized when batched) or float features ({@code table}, used as they are), and each
 * example's class in {@code labels}. The arena the buffers were allocated in owns them.
 *
 * @param images     {@code n x features} values 0 to 255, or null for a table
 * @param table      {@code n x features} floats, or null for images
 * @param labels     {@code n} classes, each in {@code [0, classes)}
 * @param classes    number of classes
 * @param classNames the name of each class when known (a CSV file's labels), else empty
 */
public record Dataset(ByteMatrix images, Tensor table, IntVector labels, int classes, List<String> classNames) {

    public Dataset {
        if ((images == null) == (table == null)) {
            throw new IllegalArgumentException("dataset: expected images or a table of features, not "
                    + (images == null ? "neither" : "both"));
        }
        int rows = images != null ? images.rows() : table.rows();
        if (rows != labels.size()) {
            throw new IllegalArgumentException("dataset: " + rows + " examples but " + labels.size() + " labels");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("dataset: classes must be >= 1, got " + classes);
        }
        classNames = List.copyOf(classNames);
        if (!classNames.isEmpty() && classNames.size() != classes) {
            throw new IllegalArgumentException("dataset: " + classes + " classes but " + classNames.size() + " names");
        }
    }

    /** Images and their labels. */
    public Dataset(ByteMatrix images, IntVector labels, int classes) {
        this(images, null, labels, classes, List.of());
    }

    /** A table of float features and their labels. */
    public static Dataset ofTable(Tensor table, IntVector labels, int classes, List<String> classNames) {
        return new Dataset(null, table, labels, classes, classNames);
    }

    public int size() {
        return labels.size();
    }

    /** Values in one example. */
    public int features() {
        return images != null ? images.cols() : table.cols();
    }

    public boolean isImages() {
        return images != null;
    }

    /** A copy of the examples at {@code indices}, in that order, in {@code arena}. */
    public Dataset subset(Arena arena, int[] indices) {
        IntVector l = IntVector.allocate(arena, indices.length);
        for (int i = 0; i < indices.length; i++) {
            l.set(i, labels.get(indices[i]));
        }
        if (images != null) {
            ByteMatrix m = ByteMatrix.allocate(arena, indices.length, images.cols());
            byte[] row = new byte[images.cols()];
            for (int i = 0; i < indices.length; i++) {
                images.read((long) indices[i] * row.length, row);
                m.write((long) i * row.length, row, 0, row.length);
            }
            return new Dataset(m, null, l, classes, classNames);
        }
        Tensor t = Tensor.allocate(arena, indices.length, table.cols());
        float[] row = new float[table.cols()];
        for (int i = 0; i < indices.length; i++) {
            table.get((long) indices[i] * row.length, row);
            t.set((long) i * row.length, row);
        }
        return new Dataset(null, t, l, classes, classNames);
    }

    /** A training set and the examples held out from it. */
    public record Split(Dataset train, Dataset validation, int[] trainIndices, int[] validationIndices) {}

    /**
     * Holds out {@code validation} examples, drawn by a seeded shuffle, from the rest: two
     * disjoint copies in {@code arena} that together hold every example once.
     */
    public Split split(Arena arena, int validation, long seed) {
        if (validation < 1 || validation >= size()) {
            throw new IllegalArgumentException("a validation set of " + validation + " examples: expected 1 to "
                    + (size() - 1) + " of the " + size());
        }
        int[] order = new int[size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Rng rng = Rng.of(seed, -1);
        for (int i = order.length - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        int[] held = java.util.Arrays.copyOfRange(order, 0, validation);
        int[] kept = java.util.Arrays.copyOfRange(order, validation, order.length);
        java.util.Arrays.sort(held);
        java.util.Arrays.sort(kept);
        return new Split(subset(arena, kept), subset(arena, held), kept, held);
    }
}
