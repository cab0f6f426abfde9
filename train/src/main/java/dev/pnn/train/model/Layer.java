package dev.pnn.train.model;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;

import java.util.List;

/**
 * A layer: an immutable description of a differentiable function of one sample, with all of its
 * behaviour in one place. A layer states
 * <ul>
 *   <li>its output shape for an input shape ({@link #outputShape}), checked once when a
 *       {@link Model} is built;</li>
 *   <li>its parameters ({@link #parameters}): names in PyTorch's manner ({@code weight},
 *       {@code bias}; a model prefixes the layer's index, {@code 0.weight}), shapes and
 *       initialisation;</li>
 *   <li>its forward pass on a batch, which returns the output with its pullback
 *       ({@link #forward});</li>
 *   <li>its description as data ({@link #spec}), from which {@link LayerTypes} rebuilds it.</li>
 * </ul>
 *
 * <p>Layers hold no buffers and no parameter values: the executor ({@code dev.pnn.train.exec})
 * allocates those and hands them to {@link #forward} through a {@link LayerContext}. Any class
 * can implement this interface; register its type with {@link LayerTypes#with} to read it back
 * from a {@link ModelSpec}.
 */
public interface Layer {

    /**
     * The shape of one output sample for one input sample of {@code input}.
     *
     * @throws IllegalArgumentException when this layer cannot take {@code input}
     */
    Shape outputShape(Shape input);

    /** The trainable parameters, in order; none by default. */
    default List<ParameterSpec> parameters() {
        return List.of();
    }

    /**
     * Runs the layer on a batch: reads {@code input} ({@code rows x} the input shape), writes
     * {@link LayerContext#output()} and returns it with the pullback. The pullback accumulates
     * into {@link LayerContext#gradient(int)} and returns the input gradient in
     * {@link LayerContext#inputGradient()}, or null when
     * {@link LayerContext#needsInputGradient()} is false. The pullback may read {@code input}
     * and the output: the executor keeps both unchanged until it runs.
     */
    Vjp forward(LayerContext context, Tensor input);

    /** This layer as data: its type and arguments. */
    LayerSpec spec();

    /** Number of trainable parameters. */
    default long parameterCount() {
        long n = 0;
        for (ParameterSpec p : parameters()) {
            n += p.shape().size();
        }
        return n;
    }
}
