package dev.pnn.train.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The layer types a {@link ModelSpec} can name, each with the factory that builds it from its
 * {@link LayerSpec}: an immutable value, so it is safe to share. {@link #builtIn()} knows the
 * library's layers; {@link #with} adds one of your own:
 *
 * <pre>{@code
 * LayerTypes types = LayerTypes.builtIn().with("Scale", spec -> new Scale(spec.intArgument("features")));
 * Model model = ModelSpec.fromJson(json).toModel(types);
 * }</pre>
 */
public final class LayerTypes {

    private static final LayerTypes BUILT_IN = new LayerTypes(Map.of())
            .with("Linear", Linear::fromSpec)
            .with("ReLU", s -> Elementwise.fromSpec(s, new ReLU()))
            .with("Sigmoid", s -> Elementwise.fromSpec(s, new Sigmoid()))
            .with("LogSoftMax", s -> Elementwise.fromSpec(s, new LogSoftMax()))
            .with("Conv2d", Conv2d::fromSpec)
            .with("MaxPool2d", MaxPool2d::fromSpec)
            .with("Flatten", Flatten::fromSpec)
            .with("Dropout", Dropout::fromSpec);

    private final Map<String, Function<LayerSpec, Layer>> factories;

    private LayerTypes(Map<String, Function<LayerSpec, Layer>> factories) {
        this.factories = factories;
    }

    /** Linear, ReLU, Sigmoid, LogSoftMax, Conv2d, MaxPool2d, Flatten and Dropout. */
    public static LayerTypes builtIn() {
        return BUILT_IN;
    }

    /** These types and {@code type}, built by {@code factory}; a type already known is replaced. */
    public LayerTypes with(String type, Function<LayerSpec, ? extends Layer> factory) {
        Map<String, Function<LayerSpec, Layer>> m = new LinkedHashMap<>(factories);
        m.put(type, factory::apply);
        return new LayerTypes(Collections.unmodifiableMap(m));
    }

    /**
     * The layer {@code spec} describes.
     *
     * @throws IllegalArgumentException for an unknown type or arguments its factory rejects
     */
    public Layer create(LayerSpec spec) {
        Function<LayerSpec, Layer> f = factories.get(spec.type());
        if (f == null) {
            throw new IllegalArgumentException("unknown layer type '" + spec.type() + "': known types are "
                    + String.join(", ", factories.keySet()) + " (register others with LayerTypes.with)");
        }
        return f.apply(spec);
    }
}
