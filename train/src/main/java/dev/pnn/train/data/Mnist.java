package dev.pnn.train.data;

import dev.pnn.tensor.ByteMatrix;
import dev.pnn.tensor.IntVector;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The MNIST digits (or any dataset in its four-file IDX layout, such as Fashion-MNIST): 60,000
 * training and 10,000 test images of 28x28 greyscale pixels, labels 0 to 9.
 *
 * @param train the training set
 * @param test  the test set
 */
public record Mnist(Dataset train, Dataset test) {

    public static final int CLASSES = 10;
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte";

    /**
     * Loads the four files from {@code dir}, each by its standard name with or without
     * {@code .gz}, into {@code arena}.
     *
     * @throws NoSuchFileException when a file is missing (the message says how to fetch MNIST)
     * @throws IdxFormatException  when a file is malformed, or images and labels disagree in count
     */
    public static Mnist load(Path dir, Arena arena) throws IOException {
        return new Mnist(load(dir, TRAIN_IMAGES, TRAIN_LABELS, arena), load(dir, TEST_IMAGES, TEST_LABELS, arena));
    }

    private static Dataset load(Path dir, String imagesName, String labelsName, Arena arena) throws IOException {
        Path imagesFile = find(dir, imagesName);
        Path labelsFile = find(dir, labelsName);
        ByteMatrix images = Idx.readUnsignedBytes(imagesFile, 3, arena);
        IntVector labels = Idx.readLabels(labelsFile, CLASSES, arena);
        if (labels.size() != images.rows()) {
            throw new IdxFormatException(labelsFile, "number of labels (dimension 0)", images.rows()
                    + ", the number of images in " + imagesFile.getFileName(), Integer.toString(labels.size()));
        }
        return new Dataset(images, labels, CLASSES);
    }

    /** {@code dir/name}, else {@code dir/name.gz}. */
    static Path find(Path dir, String name) throws NoSuchFileException {
        Path raw = dir.resolve(name);
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        Path gz = dir.resolve(name + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new NoSuchFileException(raw.toString(), null, "neither " + name + " nor " + name + ".gz is in " + dir
                + " (run 'make data' to fetch MNIST into data/mnist)");
    }
}
