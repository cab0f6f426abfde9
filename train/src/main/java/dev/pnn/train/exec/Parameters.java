package dev.pnn.train.exec;

import dev.pnn.tensor.Rng;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ParameterSpec;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;

/**
 * The trainable parameters of a {@link Model}: one contiguous off-heap buffer ({@link #flat()}),
 * carved into a named view per parameter ({@link #get(String)}: {@code 0.weight},
 * {@code 0.bias}, {@code 2.weight}, ..., in PyTorch's {@code state_dict} manner). Layer by layer,
 * each layer's parameters in the order it declares them, row-major.
 *
 * <p>This object owns the buffer: it allocates it in an arena of its own and frees it on
 * {@link #close()}; or it is a view of a buffer someone else owns ({@link #over}). Any number
 * of {@link Workspace}s may read it at once; whoever updates it (an optimizer step) must not
 * run while they do.
 */
public final class Parameters implements AutoCloseable {

    private final Model model;
    private final Layout layout;
    private final Arena arena;
    private final Tensor flat;
    private final Tensor[][] views;
    private final Map<String, Tensor> byName;

    /** The parameters of {@code model} in {@code flat}, laid out by {@code layout}; {@code arena} owns it, or null. */
    private Parameters(Model model, Layout layout, Arena arena, Tensor flat) {
        this.model = model;
        this.layout = layout;
        this.arena = arena;
        this.flat = flat;
        this.views = layout.carve(flat, model.layers().size());
        this.byName = layout.byName(views);
    }

    /** A buffer of its own for {@code model}'s parameters, every value zero. */
    private static Parameters allocate(Model model) {
        Layout layout = new Layout(model);
        MemoryBudget.require("model " + model.widths() + " (" + layout.count() + " parameters)", bytesFor(model));
        Arena arena = Arena.ofShared();
        try {
            return new Parameters(model, layout, arena, Tensor.allocate(arena, layout.flatShape()));
        } catch (RuntimeException | OutOfMemoryError e) {
            arena.close();
            throw e;
        }
    }

    /**
     * The parameters of {@code model} in {@code flat}, which the caller owns: for a model made of
     * the last layers of another, its parameters are the end of the other's buffer (the layout
     * is layer by layer). {@link #close()} frees nothing.
     *
     * @throws IllegalArgumentException when {@code flat} does not hold as many values as the model has parameters
     */
    public static Parameters over(Model model, Tensor flat) {
        Layout layout = new Layout(model);
        if (flat.size() != layout.count()) {
            throw new IllegalArgumentException("model " + model.widths() + " has " + layout.count()
                    + " parameters, the buffer holds " + flat.size());
        }
        return new Parameters(model, layout, null, flat.view(0, layout.flatShape()));
    }

    /** Parameters for {@code model}, every value zero (set them through {@link #flat()} or {@link #get}). */
    public static Parameters zeros(Model model) {
        return allocate(model);
    }

    /**
     * Parameters for {@code model}, each drawn by its layer's initializer under {@code init} from
     * one generator seeded with {@code seed}, in layout order: the same seed gives bit-identical
     * parameters on every run and machine.
     */
    public static Parameters initialized(Model model, Init init, long seed) {
        Parameters p = allocate(model);
        Rng rng = new Rng(seed);
        for (Layout.Entry e : p.layout.entries()) {
            e.spec().initializer().fill(p.byName.get(e.name()), init, rng);
        }
        return p;
    }

    public Model model() {
        return model;
    }

    /** All parameters as one tensor of {@link #count()} floats (one, zero, when the model has none). */
    public Tensor flat() {
        return flat;
    }

    /** Number of parameters. */
    public long count() {
        return layout.count();
    }

    /** The full names in layout order: {@code 0.weight}, {@code 0.bias}, ... */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * The parameter named {@code name}, a view into {@link #flat()} of the shape its layer declares.
     *
     * @throws IllegalArgumentException naming the parameters there are, when there is no such one
     */
    public Tensor get(String name) {
        Tensor t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("model " + model.widths() + " has no parameter '" + name
                    + "'; it has " + byName.keySet());
        }
        return t;
    }

    /**
     * The spec of the parameter named {@code name}: its shape, initializer and orientation.
     *
     * @throws IllegalArgumentException when there is no such parameter
     */
    public ParameterSpec spec(String name) {
        get(name);
        for (Layout.Entry e : layout.entries()) {
            if (e.name().equals(name)) {
                return e.spec();
            }
        }
        throw new AssertionError(name);
    }

    /** Bytes of the flat buffer a model's parameters need, whether or not they fit one buffer. */
    public static long bytesFor(Model model) {
        return Math.multiplyExact(Math.max(model.parameterCount(), 1), (long) Float.BYTES);
    }

    /** The parameters of layer {@code layer}, in the order it declares them. */
    Tensor[] layer(int layer) {
        return views[layer];
    }

    Layout layout() {
        return layout;
    }

    /** Frees the buffer (when this object allocated it); every view becomes unusable. */
    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "Parameters[" + model.widths() + ", " + count() + "]";
    }
}
