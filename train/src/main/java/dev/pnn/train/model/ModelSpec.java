package dev.pnn.train.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;

import dev.pnn.tensor.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model as data: the shape of one input sample and the specs of its layers. It is a model's
 * identity in a saved file, and round-trips through JSON:
 *
 * <pre>{@code
 * {"input": [784], "layers": [{"type": "Linear", "in": 784, "out": 128}, {"type": "ReLU"}, ...]}
 * }</pre>
 *
 * @param input  the shape of one input sample
 * @param layers the layers in order, at least one
 */
public record ModelSpec(Shape input, List<LayerSpec> layers) {

    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    public ModelSpec {
        if (input == null) {
            throw new IllegalArgumentException("a model spec needs an input shape");
        }
        layers = List.copyOf(layers);
        if (layers.isEmpty()) {
            throw new IllegalArgumentException("a model spec needs at least one layer");
        }
    }

    /** The spec of {@code model}. */
    public static ModelSpec of(Model model) {
        return new ModelSpec(model.input(), model.layers().stream().map(Layer::spec).toList());
    }

    /** The model, built from the library's layer types. */
    public Model toModel() {
        return toModel(LayerTypes.builtIn());
    }

    /**
     * The model, its layers built by {@code types}.
     *
     * @throws IllegalArgumentException naming the layer when a type is unknown, an argument is
     *                                  wrong, or the layers do not fit together
     */
    public Model toModel(LayerTypes types) {
        List<Layer> built = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            try {
                built.add(types.create(layers.get(i)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("layers[" + i + "]: " + e.getMessage(), e);
            }
        }
        return new Model(input, built);
    }

    /** This spec as one line of JSON (see the class comment). */
    public String toJson() {
        return GSON.toJson(toJsonTree());
    }

    private JsonObject toJsonTree() {
        JsonObject root = new JsonObject();
        JsonArray dims = new JsonArray();
        for (int d : input.dims()) {
            dims.add(d);
        }
        root.add("input", dims);
        JsonArray list = new JsonArray();
        for (LayerSpec l : layers) {
            JsonObject o = new JsonObject();
            o.addProperty("type", l.type());
            for (Map.Entry<String, Object> a : l.arguments().entrySet()) {
                switch (a.getValue()) {
                    case Number n -> o.addProperty(a.getKey(), n);
                    case Boolean b -> o.addProperty(a.getKey(), b);
                    default -> o.addProperty(a.getKey(), (String) a.getValue());
                }
            }
            list.add(o);
        }
        root.add("layers", list);
        return root;
    }

    /**
     * Reads a spec written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException naming the field, what was expected and what was found
     */
    public static ModelSpec fromJson(String json) {
        JsonElement root;
        try {
            root = JsonParser.parseString(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("model spec: not valid JSON: " + e.getMessage(), e);
        }
        return fromJsonTree(root);
    }

    private static ModelSpec fromJsonTree(JsonElement root) {
        if (!root.isJsonObject()) {
            throw new IllegalArgumentException("model spec: expected a JSON object, found " + kind(root));
        }
        JsonObject o = root.getAsJsonObject();
        JsonElement input = o.get("input");
        if (input == null || !input.isJsonArray() || input.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException("model spec: input: expected an array of dimensions such as [784], found "
                    + kind(input));
        }
        JsonArray dimsJson = input.getAsJsonArray();
        int[] dims = new int[dimsJson.size()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = wholeNumber(dimsJson.get(i), "input[" + i + "]");
        }
        Shape shape;
        try {
            shape = new Shape(dims);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("model spec: input: " + e.getMessage(), e);
        }
        JsonElement layersJson = o.get("layers");
        if (layersJson == null || !layersJson.isJsonArray() || layersJson.getAsJsonArray().isEmpty()) {
            throw new IllegalArgumentException("model spec: layers: expected a non-empty array, found "
                    + kind(layersJson));
        }
        List<LayerSpec> specs = new ArrayList<>();
        JsonArray arr = layersJson.getAsJsonArray();
        for (int i = 0; i < arr.size(); i++) {
            String where = "layers[" + i + "]";
            JsonElement e = arr.get(i);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException("model spec: " + where + ": expected an object, found " + kind(e));
            }
            JsonElement type = e.getAsJsonObject().get("type");
            if (type == null || !type.isJsonPrimitive() || !type.getAsJsonPrimitive().isString()) {
                throw new IllegalArgumentException("model spec: " + where + ".type: expected a string, found "
                        + kind(type));
            }
            Map<String, Object> args = new LinkedHashMap<>();
            for (Map.Entry<String, JsonElement> a : e.getAsJsonObject().entrySet()) {
                if (!a.getKey().equals("type")) {
                    args.put(a.getKey(), scalar(a.getValue(), where + "." + a.getKey()));
                }
            }
            try {
                specs.add(new LayerSpec(type.getAsString(), args));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("model spec: " + where + ": " + ex.getMessage(), ex);
            }
        }
        return new ModelSpec(shape, specs);
    }

    private static Object scalar(JsonElement e, String where) {
        if (e != null && e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isNumber()) {
                return p.getAsDouble();
            }
            return p.isBoolean() ? (Object) p.getAsBoolean() : p.getAsString();
        }
        throw new IllegalArgumentException("model spec: " + where + ": expected a number, string or boolean, found "
                + kind(e));
    }

    private static int wholeNumber(JsonElement e, String where) {
        if (e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber()) {
            double d = e.getAsDouble();
            if (d == Math.rint(d) && d >= 1 && d <= Integer.MAX_VALUE) {
                return (int) d;
            }
        }
        throw new IllegalArgumentException("model spec: " + where + ": expected a whole number >= 1, found " + kind(e));
    }

    private static String kind(JsonElement e) {
        if (e == null) {
            return "nothing";
        }
        String s = e.toString();
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }
}
