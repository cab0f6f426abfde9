package dev.pnn.train.exec;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Refuses, with the size it needs, an allocation larger than this machine's physical memory:
 * off-heap memory beyond it is not an exception but a process killed by the operating system.
 */
public final class MemoryBudget {

    private MemoryBudget() {}

    /** This machine's physical memory in bytes, or -1 when the JVM cannot tell. */
    public static long physicalBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /**
     * @throws IllegalArgumentException when {@code bytes} exceed the physical memory, naming
     *                                  {@code what}, the size it needs and the size there is
     */
    public static void require(String what, long bytes) {
        long total = physicalBytes();
        if (total > 0 && bytes > total) {
            throw new IllegalArgumentException(what + " needs " + gib(bytes) + "; this machine has " + gib(total)
                    + " of memory");
        }
    }

    /** {@code 12.3 GiB}. */
    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
