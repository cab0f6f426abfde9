package dev.pnn.tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

/** The instruction-set flags of this processor, as Linux lists them in {@code /proc/cpuinfo}. */
final class CpuFlags {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static volatile Set<String> flags;

    private CpuFlags() {}

    /** This processor's flags (read once); empty where {@code /proc/cpuinfo} cannot be read. */
    static Set<String> get() {
        Set<String> f = flags;
        if (f == null) {
            f = read(CPUINFO);
            flags = f;
        }
        return f;
    }

    /** The flags on the first {@code flags} line of a cpuinfo file; empty when it has none or cannot be read. */
    static Set<String> read(Path cpuinfo) {
        try (var lines = Files.lines(cpuinfo)) {
            return lines.filter(l -> l.startsWith("flags"))
                    .findFirst()
                    .map(l -> Arrays.stream(l.substring(l.indexOf(':') + 1).trim().split("\\s+"))
                            .collect(Collectors.toUnmodifiableSet()))
                    .orElse(Set.of());
        } catch (IOException | UncheckedIOException e) {
            return Set.of();
        }
    }
}
