package dev.pnn.train.data;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;

/**
 * Labelled examples held off-heap: one uint8 image (or any uint8 feature row) per row of
 * {@code images}, its class in {@code labels}. The arena the two were allocated in owns them.
 *
 * @param images  {@code n x features}, values 0 to 255
 * @param labels  {@code n} classes, each in {@code [0, classes)}
 * @param classes number of classes
 */
public record Dataset(ByteMatrix images, IntVector labels, int classes) {

    public Dataset {
        if (images.rows() != labels.size()) {
            throw new IllegalArgumentException("dataset: " + images.rows() + " images but " + labels.size()
                    + " labels");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("dataset: classes must be >= 1, got " + classes);
        }
    }

    public int size() {
        return images.rows();
    }

    public int features() {
        return images.cols();
    }
}
