package dev.pnn.train.infer;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Backends;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.io.ModelFile;
import dev.pnn.train.io.ModelInfo;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.Sigmoid;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Classifies images with a trained network, from any number of threads at once.
 *
 * <pre>{@code
 * try (Classifier c = Classifier.load(Path.of("mnist.npz"))) {
 *     Prediction p = c.classify(pixels);          // 784 values in [0, 1], or 784 raw bytes
 *     System.out.println(p.label() + " " + p.confidence());
 * }
 * }</pre>
 *
 * <p><b>Threads.</b> The network's parameters are shared and only read. Each call borrows a
 * {@link Workspace} (with its input buffers) from a pool, runs, and returns it: a pool grows to
 * as many workspaces as calls have run at once, and a thread never shares one with another. The
 * results do not depend on which workspace or thread ran them.
 *
 * <p><b>Closing.</b> {@link #close()} waits for the calls that are running to finish, then frees
 * every workspace (and the network, when this classifier owns it); a call that starts after it
 * throws {@link IllegalStateException}. Nothing a caller does can free memory under a running call.
 */
public final class Classifier implements AutoCloseable {

    /** Rows a batch call runs at once. */
    static final int BATCH = 256;

    private final Network net;
    private final boolean ownsNetwork;
    private final ModelInfo info;
    private final Output output;
    private final ConcurrentLinkedQueue<Slot> pool = new ConcurrentLinkedQueue<>();
    private final List<Slot> all = new ArrayList<>();
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    /** What the network's last layer gives, and so how its outputs become probabilities. */
    private enum Output { LOG_PROBABILITIES, PROBABILITIES, LOGITS }

    private Classifier(Network net, boolean ownsNetwork, ModelInfo info) {
        this.net = net;
        this.ownsNetwork = ownsNetwork;
        this.info = info;
        Layer last = net.model().layers().getLast();
        this.output = last instanceof LogSoftMax ? Output.LOG_PROBABILITIES
                : last instanceof Sigmoid ? Output.PROBABILITIES : Output.LOGITS;
    }

    /** A classifier for the model file {@code file} on the native backend; it owns what it loads. */
    public static Classifier load(Path file) throws IOException {
        return load(file, Backends.named("native"));
    }

    /** A classifier for the model file {@code file} on {@code backend}; it owns what it loads. */
    public static Classifier load(Path file, Backend backend) throws IOException {
        ModelFile.Loaded m = ModelFile.load(file, backend);
        return new Classifier(m.network(), true, m.info());
    }

    /** A classifier over a network its caller owns (and closes after this classifier). */
    public static Classifier of(Network net, ModelInfo info) {
        return new Classifier(net, false, info);
    }

    public ModelInfo info() {
        return info;
    }

    /** Values in one input, e.g. 784 for a 28x28 image. */
    public int inputs() {
        return net.model().inputs();
    }

    /** Number of classes. */
    public int classes() {
        return net.model().outputs();
    }

    /** Classifies one image of {@link #inputs()} pixels in [0, 1] (normalized as the model was trained). */
    public Prediction classify(float[] pixels) {
        check(pixels.length);
        return run(s -> {
            Tensor x = s.input(1);
            Normalization n = info.normalization();
            float scale = (float) (1 / n.std());
            float shift = (float) (-n.mean() / n.std());
            for (int i = 0; i < pixels.length; i++) {
                s.row[i] = pixels[i] * scale + shift;
            }
            x.set(0, s.row);
            return List.of(predictions(s.ws.forward(x).output()).getFirst());
        }).getFirst();
    }

    /** Classifies one image of {@link #inputs()} raw unsigned bytes (0 to 255), as MNIST stores them. */
    public Prediction classify(byte[] pixels) {
        check(pixels.length);
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = Byte.toUnsignedInt(pixels[i]) / 255f;
        }
        return classify(f);
    }

    /** Classifies many images of pixels in [0, 1], in batches; the results come in order. */
    public List<Prediction> classify(float[][] images) {
        for (float[] image : images) {
            check(image.length);
        }
        return run(s -> {
            List<Prediction> out = new ArrayList<>(images.length);
            Normalization n = info.normalization();
            float scale = (float) (1 / n.std());
            float shift = (float) (-n.mean() / n.std());
            for (int from = 0; from < images.length; from += BATCH) {
                int rows = Math.min(BATCH, images.length - from);
                Tensor x = s.input(rows);
                for (int r = 0; r < rows; r++) {
                    for (int i = 0; i < s.row.length; i++) {
                        s.row[i] = images[from + r][i] * scale + shift;
                    }
                    x.set((long) r * s.row.length, s.row);
                }
                out.addAll(predictions(s.ws.forward(x).output()));
            }
            return out;
        });
    }

    private void check(int length) {
        if (length != inputs()) {
            throw new IllegalArgumentException("an image of " + length + " values, but model "
                    + net.model().widths() + " takes " + inputs());
        }
    }

    private List<Prediction> predictions(Tensor scores) {
        List<Prediction> out = new ArrayList<>(scores.rows());
        float[] row = new float[scores.cols()];
        for (int r = 0; r < scores.rows(); r++) {
            scores.get((long) r * row.length, row);
            out.add(prediction(row));
        }
        return out;
    }

    private Prediction prediction(float[] scores) {
        float[] p = new float[scores.length];
        int best = -1;
        double sum = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (float v : scores) {
            if (Float.isNaN(v)) {
                java.util.Arrays.fill(p, Float.NaN);
                return new Prediction(-1, "?", p);
            }
            max = Math.max(max, v);
        }
        for (int c = 0; c < scores.length; c++) {
            double v = switch (output) {
                case LOG_PROBABILITIES -> Math.exp(scores[c]);
                case PROBABILITIES -> scores[c];
                case LOGITS -> Math.exp(scores[c] - max);
            };
            p[c] = (float) v;
            sum += v;
            if (best < 0 || scores[c] > scores[best]) {
                best = c;
            }
        }
        for (int c = 0; c < p.length; c++) {
            p[c] = (float) (p[c] / sum);
        }
        return new Prediction(best, info.className(best), p);
    }

    /** One thread's borrowed buffers: a workspace, its input tensors and a row of staging values. */
    private final class Slot {
        final Arena arena = Arena.ofShared();
        final Workspace ws = net.newWorkspace(3);
        final float[] row = new float[inputs()];
        Tensor single;
        Tensor batch;

        Tensor input(int rows) {
            if (rows == 1) {
                return single == null ? single = Tensor.allocate(arena, 1, inputs()) : single;
            }
            if (batch == null) {
                batch = Tensor.allocate(arena, BATCH, inputs());
            }
            return rows == BATCH ? batch : batch.rows(0, rows);
        }

        void close() {
            ws.close();
            arena.close();
        }
    }

    private interface Work<T> {
        T run(Slot slot);
    }

    private <T> T run(Work<T> work) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new IllegalStateException("the classifier is closed");
            }
            Slot s = pool.poll();
            if (s == null) {
                s = new Slot();
                synchronized (all) {
                    all.add(s);
                }
            }
            try {
                return work.run(s);
            } finally {
                pool.add(s);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Waits for running calls, then frees every workspace (and the network when owned). Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            synchronized (all) {
                all.forEach(Slot::close);
                all.clear();
            }
            pool.clear();
            if (ownsNetwork) {
                net.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
