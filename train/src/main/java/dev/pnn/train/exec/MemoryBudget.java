package dev.pnn.train.exec;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Refuses, with the size it needs, an allocation larger than the memory this machine has
 * available: off-heap memory beyond it is not an exception but a process killed by the
 * operating system (allocations are zeroed, so every page is touched at once).
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
     * Memory that can be had now without swapping: Linux's {@code MemAvailable}, else the free
     * memory the JVM reports, else -1.
     */
    public static long availableBytes() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or not readable: ask the JVM
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getFreeMemorySize();
        }
        return -1;
    }

    /** Below this, a buffer is allocated without asking: the check itself costs a file read. */
    private static final long CHECKED = 64L << 20;

    /**
     * @throws IllegalArgumentException when {@code bytes} exceed the memory that can be had now
     *                                  (checked from 64 MiB up), naming {@code what}, the size
     *                                  it needs and the size there is
     */
    public static void require(String what, long bytes) {
        if (bytes < CHECKED) {
            return;
        }
        long available = availableBytes();
        if (available > 0 && bytes > available) {
            throw new IllegalArgumentException(what + " needs " + gib(bytes) + "; this machine has " + gib(available)
                    + " of memory available (" + gib(physicalBytes()) + " in all)");
        }
    }

    /** {@code 12.3 GiB}. */
    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }
}
