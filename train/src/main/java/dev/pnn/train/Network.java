package dev.pnn.train;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.ShapeMismatchException;
import dev.pnn.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link Model} given parameters, gradients and buffers, run on a {@link Backend}.
 *
 * <p>Parameters live in one contiguous off-heap buffer, {@link #parameters()}, and gradients in a
 * twin buffer of the same layout, {@link #gradients()}; both are carved into per-layer views
 * ({@link #weight}, {@link #bias}, ...), so an optimizer step is one flat operation. Activations
 * and activation gradients live in a workspace allocated once per batch size: a steady-state
 * training step allocates nothing off-heap.
 *
 * <p>{@link #forward} returns the output together with its pullback (a {@link Vjp}); backward is
 * the composition of the layers' pullbacks in reverse order, so no network's backward is written
 * by hand. A Linear followed by a ReLU runs as one fused bias-add-ReLU kernel.
 *
 * <p>The network owns its memory and frees it on {@link #close()}. It is not thread-safe. The
 * tensors a forward pass returns belong to the workspace of that batch size and stay valid until
 * the next forward pass with the same number of rows.
 */
public final class Network implements AutoCloseable {

    private final Model model;
    private final Backend backend;
    private final Arena arena;
    private final Tensor parameters;
    private final Tensor gradients;
    private final Tensor[] weights;
    private final Tensor[] biases;
    private final Tensor[] weightGrads;
    private final Tensor[] biasGrads;
    private final List<Workspace> workspaces = new ArrayList<>();

    private Network(Model model, Backend backend) {
        this.model = model;
        this.backend = backend;
        this.arena = Arena.ofShared();
        int n = model.layers().size();
        long count = model.parameterCount();
        if (count > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model " + model.widths() + " has " + count
                    + " parameters; at most " + Integer.MAX_VALUE + " fit one flat buffer");
        }
        this.parameters = Tensor.allocate(arena, 1, (int) Math.max(count, 1));
        this.gradients = Tensor.allocate(arena, 1, (int) Math.max(count, 1));
        this.weights = new Tensor[n];
        this.biases = new Tensor[n];
        this.weightGrads = new Tensor[n];
        this.biasGrads = new Tensor[n];
        long offset = 0;
        for (int i = 0; i < n; i++) {
            if (model.layers().get(i) instanceof Linear l) {
                weights[i] = parameters.view(offset, l.in(), l.out());
                weightGrads[i] = gradients.view(offset, l.in(), l.out());
                offset += (long) l.out() * l.in();
                biases[i] = parameters.view(offset, 1, l.out());
                biasGrads[i] = gradients.view(offset, 1, l.out());
                offset += l.out();
            }
        }
    }

    /**
     * A network for {@code model} on {@code backend}, its Linear layers initialized by
     * {@code init} from {@code seed}: the same seed gives bit-identical parameters on every run.
     */
    public static Network create(Model model, Backend backend, Init init, long seed) {
        Network net = new Network(model, backend);
        Rng rng = new Rng(seed);
        for (int i = 0; i < net.weights.length; i++) {
            if (net.weights[i] != null) {
                init.fill(net.weights[i], net.biases[i], rng);
            }
        }
        return net;
    }

    /** A network for {@code model} with every parameter zero (set them through {@link #parameters()}). */
    public static Network zeros(Model model, Backend backend) {
        return new Network(model, backend);
    }

    public Model model() {
        return model;
    }

    public Backend backend() {
        return backend;
    }

    /**
     * All parameters as one {@code 1 x P} tensor: for each Linear layer in order, its weight
     * ({@code in x out}, row-major) then its bias.
     */
    public Tensor parameters() {
        return parameters;
    }

    /** The gradients, in the layout of {@link #parameters()}. */
    public Tensor gradients() {
        return gradients;
    }

    /** The weight of Linear layer {@code layer} ({@code in x out}), a view into {@link #parameters()}. */
    public Tensor weight(int layer) {
        return linearView(weights, layer);
    }

    /** The bias of Linear layer {@code layer} ({@code 1 x out}), a view into {@link #parameters()}. */
    public Tensor bias(int layer) {
        return linearView(biases, layer);
    }

    /** The gradient of {@link #weight(int)}, a view into {@link #gradients()}. */
    public Tensor weightGradient(int layer) {
        return linearView(weightGrads, layer);
    }

    /** The gradient of {@link #bias(int)}, a view into {@link #gradients()}. */
    public Tensor biasGradient(int layer) {
        return linearView(biasGrads, layer);
    }

    private Tensor linearView(Tensor[] views, int layer) {
        if (layer < 0 || layer >= views.length || views[layer] == null) {
            throw new IllegalArgumentException("layer " + layer + " of " + model + " is not a Linear layer");
        }
        return views[layer];
    }

    /** Sets every gradient to zero (one memset over the flat buffer). */
    public void zeroGradients() {
        gradients.zero();
    }

    /** Forward through every layer; the pullback does not compute a gradient for {@code input}. */
    public Vjp forward(Tensor input) {
        return forward(input, model.layers().size(), false);
    }

    /**
     * Forward through the first {@code layers} layers.
     *
     * @param input         {@code rows x model.inputs()}
     * @param layers        how many layers to run, 1 to all
     * @param inputGradient whether the pullback should return the gradient with respect to
     *                      {@code input}; when false it returns null and skips that work (the
     *                      first Linear's {@code dy W^T} product)
     * @return the output ({@code rows x model.features(layers)}) and its pullback, which
     *         accumulates into {@link #gradients()} and returns the input gradient or null
     */
    public Vjp forward(Tensor input, int layers, boolean inputGradient) {
        if (input.cols() != model.inputs()) {
            throw new ShapeMismatchException("forward: input is " + input.shape() + " but model " + model.widths()
                    + " takes " + model.inputs() + " features a row");
        }
        if (layers < 1 || layers > model.layers().size()) {
            throw new IllegalArgumentException("forward: layers must be in [1, " + model.layers().size() + "], got "
                    + layers);
        }
        Workspace ws = workspace(input.rows());
        Pullback[] pullbacks = new Pullback[layers];
        Tensor h = input;
        for (int i = 0; i < layers; i++) {
            boolean needsInputGradient = i > 0 || inputGradient;
            Layer layer = model.layers().get(i);
            boolean fuseRelu = layer instanceof Linear && i + 1 < layers && model.layers().get(i + 1) instanceof ReLU;
            Vjp v = fuseRelu ? linear(i, ws, h, true, needsInputGradient)
                    : apply(layer, i, ws, h, needsInputGradient);
            pullbacks[i] = v.pullback();
            h = v.output();
            if (fuseRelu) {
                i++; // the ReLU ran inside the Linear; its slot stays empty
            }
        }
        Tensor output = h;
        return new Vjp(output, dOutput -> {
            if (!dOutput.shape().equals(output.shape())) {
                throw new ShapeMismatchException("pullback: dOutput is " + dOutput.shape() + " but the output is "
                        + output.shape());
            }
            Tensor g = dOutput;
            for (int i = pullbacks.length - 1; i >= 0; i--) {
                if (pullbacks[i] != null) {
                    g = pullbacks[i].apply(g);
                }
            }
            return g;
        });
    }

    // ---- the layers ----------------------------------------------------------------------------

    private Vjp apply(Layer layer, int i, Workspace ws, Tensor x, boolean needsInputGradient) {
        Tensor y = ws.output(i);
        return switch (layer) {
            case Linear l -> linear(i, ws, x, false, needsInputGradient);
            case ReLU r -> new Vjp(backend.relu(x, y), !needsInputGradient ? NO_INPUT :
                    dy -> backend.reluBackward(y, dy, ws.inputGradient(i)));
            case Sigmoid s -> new Vjp(backend.sigmoid(x, y), !needsInputGradient ? NO_INPUT :
                    dy -> backend.sigmoidBackward(y, dy, ws.inputGradient(i)));
            case LogSoftMax s -> new Vjp(backend.logSoftmax(x, y), !needsInputGradient ? NO_INPUT :
                    dy -> backend.logSoftmaxBackward(y, dy, ws.inputGradient(i)));
        };
    }

    /** Stands in for the pullback of a first parameterless layer whose input needs no gradient. */
    private static final Pullback NO_INPUT = dy -> null;

    /**
     * {@code y = x W + b}, or {@code relu(x W + b)} when fused with the next layer. Pullback:
     * {@code dW += x^T dy}, {@code db += colsum(dy)}, {@code dx = dy W^T} (after masking dy by the
     * ReLU, into the ReLU's own gradient slot, when fused).
     */
    private Vjp linear(int i, Workspace ws, Tensor x, boolean fuseRelu, boolean needsInputGradient) {
        Tensor w = weights[i];
        Tensor b = biases[i];
        Tensor y = ws.output(i);
        backend.gemm(false, false, 1f, x, w, 0f, y);
        if (fuseRelu) {
            backend.biasAddRelu(y, b, y);
        } else {
            backend.biasAdd(y, b, y);
        }
        return new Vjp(y, dy -> {
            Tensor dPre = fuseRelu ? backend.reluBackward(y, dy, ws.inputGradient(i + 1)) : dy;
            backend.gemm(true, false, 1f, x, dPre, 1f, weightGrads[i]);
            backend.biasBackward(dPre, biasGrads[i]);
            return needsInputGradient ? backend.gemm(false, true, 1f, dPre, w, 0f, ws.inputGradient(i)) : null;
        });
    }

    // ---- workspaces ----------------------------------------------------------------------------

    private Workspace workspace(int rows) {
        for (int k = 0; k < workspaces.size(); k++) {
            if (workspaces.get(k).rows == rows) {
                return workspaces.get(k);
            }
        }
        Workspace ws = new Workspace(rows);
        workspaces.add(ws);
        return ws;
    }

    /** How many workspaces (batch sizes) this network has allocated: for tests and diagnostics. */
    public int workspaceCount() {
        return workspaces.size();
    }

    /**
     * The buffers of one batch size: each layer's output, allocated at the first forward pass, and
     * each layer's input gradient, allocated at the first backward pass (inference never needs
     * them). Each set is one segment carved into 64-byte aligned views.
     */
    private final class Workspace {
        final int rows;
        final Tensor[] outputs;
        Tensor[] inputGradients;

        Workspace(int rows) {
            this.rows = rows;
            int n = model.layers().size();
            int[] widths = new int[n];
            for (int i = 0; i < n; i++) {
                widths[i] = model.features(i + 1);
            }
            this.outputs = carve(rows, widths);
        }

        Tensor output(int layer) {
            return outputs[layer];
        }

        Tensor inputGradient(int layer) {
            if (inputGradients == null) {
                int n = model.layers().size();
                int[] widths = new int[n];
                for (int i = 0; i < n; i++) {
                    widths[i] = model.features(i);
                }
                inputGradients = carve(rows, widths);
            }
            return inputGradients[layer];
        }

        /** One block, carved into a {@code rows x width} view per layer, each starting on a 64-byte line. */
        private Tensor[] carve(int rows, int[] widths) {
            long perLine = Tensor.ALIGNMENT / Float.BYTES;
            long[] offsets = new long[widths.length];
            long floats = 0;
            for (int i = 0; i < widths.length; i++) {
                offsets[i] = floats;
                long size = (long) rows * widths[i];
                floats = Math.addExact(floats, (size + perLine - 1) / perLine * perLine);
            }
            Tensor block = Tensor.allocate(arena, 1, Math.toIntExact(floats));
            Tensor[] views = new Tensor[widths.length];
            for (int i = 0; i < widths.length; i++) {
                views[i] = block.view(offsets[i], rows, widths[i]);
            }
            return views;
        }
    }

    // ---- saving and loading ----------------------------------------------------------------------

    private static final byte[] MAGIC = {'P', 'N', 'N', 'W'};
    private static final int FORMAT_VERSION = 1;
    private static final long IO_CHUNK = 1L << 30;

    /**
     * Writes the parameters to {@code file}: {@code PNNW}, format version 1, the model's
     * description (UTF-8), the parameter count, then the parameters as little-endian float32 in
     * the order of {@link #parameters()}.
     */
    public void saveParameters(Path file) throws IOException {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new IOException("saving parameters needs a little-endian machine");
        }
        byte[] description = model.toString().getBytes(StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer header = ByteBuffer.allocate(4 + 4 + 4 + description.length + 8).order(ByteOrder.LITTLE_ENDIAN);
            header.put(MAGIC).putInt(FORMAT_VERSION).putInt(description.length).put(description)
                    .putLong(parameters.size()).flip();
            while (header.hasRemaining()) {
                ch.write(header);
            }
            for (long at = 0, bytes = parameters.segment().byteSize(); at < bytes; at += IO_CHUNK) {
                ByteBuffer body = parameters.segment().asSlice(at, Math.min(IO_CHUNK, bytes - at)).asByteBuffer();
                while (body.hasRemaining()) {
                    ch.write(body);
                }
            }
        }
    }

    /**
     * Reads parameters written by {@link #saveParameters} for the same model into this network.
     *
     * @throws ParameterFileException naming the file and field when it is not such a file, holds
     *                                another model, or is truncated; this network is then unchanged
     */
    public void loadParameters(Path file) throws IOException {
        long size = Files.size(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer head = read(ch, file, 12, "header", "12 bytes");
            byte[] magic = new byte[4];
            head.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new ParameterFileException(file, "magic", "PNNW", new String(magic, StandardCharsets.ISO_8859_1));
            }
            int version = head.getInt();
            if (version != FORMAT_VERSION) {
                throw new ParameterFileException(file, "format version", Integer.toString(FORMAT_VERSION),
                        Integer.toString(version));
            }
            int length = head.getInt();
            String expected = model.toString();
            if (length < 0 || length > 1 << 20) {
                throw new ParameterFileException(file, "model description length", "at most 1 MiB",
                        Integer.toUnsignedString(length));
            }
            ByteBuffer desc = read(ch, file, length, "model description", length + " bytes");
            String found = StandardCharsets.UTF_8.decode(desc).toString();
            if (!found.equals(expected)) {
                throw new ParameterFileException(file, "model", expected, found);
            }
            long count = read(ch, file, 8, "parameter count", "8 bytes").getLong();
            if (count != parameters.size()) {
                throw new ParameterFileException(file, "parameter count", Long.toString(parameters.size()),
                        Long.toString(count));
            }
            long bodyBytes = parameters.size() * Float.BYTES;
            long remaining = size - ch.position();
            if (remaining != bodyBytes) {
                throw new ParameterFileException(file, "parameter bytes", Long.toString(bodyBytes),
                        remaining + (remaining < bodyBytes ? " (the file is truncated)" : " (trailing data)"));
            }
            // read everything before touching the parameters: a failure leaves the network unchanged
            try (Arena scratch = Arena.ofConfined()) {
                Tensor staged = Tensor.allocate(scratch, parameters.rows(), parameters.cols());
                for (long at = 0; at < bodyBytes; at += IO_CHUNK) {
                    ByteBuffer body = staged.segment().asSlice(at, Math.min(IO_CHUNK, bodyBytes - at)).asByteBuffer();
                    while (body.hasRemaining()) {
                        if (ch.read(body) < 0) {
                            throw new ParameterFileException(file, "parameter bytes", Long.toString(bodyBytes),
                                    (at + body.position()) + " (the file is truncated)");
                        }
                    }
                }
                parameters.copyFrom(staged);
            }
        }
    }

    private static ByteBuffer read(FileChannel ch, Path file, int bytes, String field, String expected)
            throws IOException {
        ByteBuffer b = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new ParameterFileException(file, field, expected, b.position() + " bytes before the end of the file");
            }
        }
        return b.flip();
    }

    /** Frees parameters, gradients and every workspace; every tensor of this network becomes unusable. */
    @Override
    public void close() {
        arena.close();
    }

    @Override
    public String toString() {
        return "Network[" + model + ", " + model.parameterCount() + " parameters, " + backend.name() + "]";
    }
}
