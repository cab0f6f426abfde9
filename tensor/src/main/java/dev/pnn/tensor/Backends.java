package dev.pnn.tensor;

import java.util.Locale;

/**
 * Picks a {@link Backend} by name. There is deliberately no silent fallback: a machine without
 * its BLAS gets a {@link NativeLibraryException} saying how to install it, not a 100x slower run.
 */
public final class Backends {

    private Backends() {}

    /**
     * {@code "native"} or {@code "reference"}, case-insensitive.
     *
     * @throws IllegalArgumentException for any other name
     * @throws NativeLibraryException when {@code native} cannot load its libraries
     */
    public static Backend named(String name) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "native" -> NativeBackend.instance();
            case "reference" -> ReferenceBackend.INSTANCE;
            default -> throw new IllegalArgumentException("unknown backend '" + name
                    + "': expected 'native' or 'reference'");
        };
    }
}
