package dev.pnn.train.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A layer as data: its type name and its arguments, e.g. {@code Linear} with {@code in = 784},
 * {@code out = 128}. {@link LayerTypes} turns it back into a {@link Layer}; {@link ModelSpec}
 * writes it as JSON.
 *
 * <p>Argument values are numbers, strings or booleans. A number that is a whole number within
 * int range is held as an {@link Integer}, any other as a {@link Double}, so that a spec read
 * from JSON equals the spec it was written from.
 *
 * @param type      the layer type, e.g. {@code Linear}
 * @param arguments the arguments in order, unmodifiable
 */
public record LayerSpec(String type, Map<String, Object> arguments) {

    public LayerSpec {
        if (type == null || type.isBlank()) {
            throw new IllegalArgumentException("a layer spec needs a type");
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : arguments.entrySet()) {
            if (e.getKey().equals("type")) {
                throw new IllegalArgumentException(type + ": 'type' cannot be an argument name");
            }
            copy.put(e.getKey(), normalize(type, e.getKey(), e.getValue()));
        }
        arguments = Collections.unmodifiableMap(copy);
    }

    /** A spec from alternating names and values: {@code LayerSpec.of("Linear", "in", 784, "out", 128)}. */
    public static LayerSpec of(String type, Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException(type + ": arguments come in name, value pairs");
        }
        Map<String, Object> args = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            args.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return new LayerSpec(type, args);
    }

    /**
     * Argument {@code name} as an int.
     *
     * @throws IllegalArgumentException naming the layer type and argument when it is missing or not a whole number
     */
    public int intArgument(String name) {
        if (argument(name) instanceof Integer i) {
            return i;
        }
        throw wrong(name, "a whole number");
    }

    /** Argument {@code name} as a double; throws as {@link #intArgument} does. */
    public double doubleArgument(String name) {
        if (argument(name) instanceof Number n) {
            return n.doubleValue();
        }
        throw wrong(name, "a number");
    }

    /** Argument {@code name} as a string; throws as {@link #intArgument} does. */
    public String stringArgument(String name) {
        if (argument(name) instanceof String s) {
            return s;
        }
        throw wrong(name, "a string");
    }

    /** Throws unless this spec has exactly the arguments {@code names} (in any order). */
    public LayerSpec requireArguments(String... names) {
        for (String n : names) {
            argument(n);
        }
        if (arguments.size() != names.length) {
            Map<String, Object> extra = new LinkedHashMap<>(arguments);
            for (String n : names) {
                extra.remove(n);
            }
            throw new IllegalArgumentException(type + ": unexpected argument(s) " + extra.keySet() + "; expected "
                    + (names.length == 0 ? "none" : String.join(", ", names)));
        }
        return this;
    }

    private Object argument(String name) {
        Object v = arguments.get(name);
        if (v == null) {
            throw new IllegalArgumentException(type + ": argument '" + name + "' is missing (found "
                    + (arguments.isEmpty() ? "no arguments" : arguments.keySet().toString()) + ")");
        }
        return v;
    }

    private IllegalArgumentException wrong(String name, String expected) {
        Object v = arguments.get(name);
        return new IllegalArgumentException(type + ": argument '" + name + "': expected " + expected + ", found "
                + (v instanceof String ? "'" + v + "'" : v));
    }

    private static Object normalize(String type, String name, Object v) {
        if (v instanceof Number n) {
            double d = n.doubleValue();
            if (d == Math.rint(d) && d >= Integer.MIN_VALUE && d <= Integer.MAX_VALUE && !(d == 0 && 1 / d < 0)) {
                return (int) d;
            }
            return d;
        }
        if (v instanceof String || v instanceof Boolean) {
            return v;
        }
        throw new IllegalArgumentException(type + ": argument '" + name + "' is " + v
                + "; arguments are numbers, strings or booleans");
    }

    /** {@code Linear(in=784, out=128)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(type).append('(');
        int i = 0;
        for (Map.Entry<String, Object> e : arguments.entrySet()) {
            s.append(i++ == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
        }
        return s.append(')').toString();
    }
}
