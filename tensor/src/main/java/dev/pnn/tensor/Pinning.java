package dev.pnn.tensor;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which CPUs the members of a {@link WorkerTeam} run on: where the operating system puts them
 * ({@link #none()}, the default), or member {@code k} on one CPU each, fixed for the team's life.
 *
 * <p>A team's members hand work to each other every few dozen microseconds. Left to the
 * scheduler, two of them sometimes share one CPU for a while (after a wake-up, or while another
 * thread such as the JIT compiler runs) and then take turns, each waiting out the other's spin:
 * on a two-vCPU machine, runs of steps 6 to 10 times as long (BENCHMARKS.md, "Pinned threads").
 * Pinning keeps them apart. It suits a machine that runs one such team, as a training job does;
 * where several processes share the CPUs it can also keep a member on a busy CPU, so it is off
 * unless asked for.
 *
 * @param enabled whether members are pinned
 * @param cpus    member {@code k}'s CPU is {@code cpus.get(k)}; empty when enabled: the first
 *                CPUs the creating thread may run on, one per member
 */
public record Pinning(boolean enabled, List<Integer> cpus) {

    /** The system property read by {@link #fromSystemProperty()}: {@code false}, {@code true} or a CPU list. */
    public static final String PROPERTY = "pnn.pinThreads";

    public Pinning {
        cpus = List.copyOf(cpus);
        if (!enabled && !cpus.isEmpty()) {
            throw new IllegalArgumentException("CPUs " + cpus + " given but pinning is off");
        }
        for (int cpu : cpus) {
            if (cpu < 0) {
                throw new IllegalArgumentException("CPU numbers are >= 0, got " + cpu + " in " + cpus);
            }
        }
    }

    /** Members run wherever the operating system puts them. */
    public static Pinning none() {
        return new Pinning(false, List.of());
    }

    /** Member {@code k} on the {@code k}-th CPU the thread that creates the team may run on. */
    public static Pinning firstAllowed() {
        return new Pinning(true, List.of());
    }

    /** Member {@code k} on CPU {@code cpus[k]}. */
    public static Pinning of(int... cpus) {
        if (cpus.length == 0) {
            throw new IllegalArgumentException("name at least one CPU, or use firstAllowed()");
        }
        List<Integer> list = new ArrayList<>();
        for (int c : cpus) {
            list.add(c);
        }
        return new Pinning(true, list);
    }

    /**
     * {@code false} (or {@code none}), {@code true} (the first allowed CPUs), or CPU numbers
     * separated by commas ({@code 2,3}).
     *
     * @param source where the value came from, for the error message (a property, an option)
     * @throws IllegalArgumentException naming {@code source}, what was expected and what was found
     */
    public static Pinning parse(String value, String source) {
        String v = value.trim();
        if (v.equals("false") || v.equals("none")) {
            return none();
        }
        if (v.equals("true")) {
            return firstAllowed();
        }
        String[] parts = v.split(",", -1);
        int[] cpus = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                cpus[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                cpus[i] = -1;
            }
            if (cpus[i] < 0) {
                throw new IllegalArgumentException(source + ": expected true, false or CPU numbers separated by "
                        + "commas (such as 0,1), found '" + value + "'");
            }
        }
        return of(cpus);
    }

    /** The pinning the system property {@value #PROPERTY} asks for; {@link #none()} when it is not set. */
    public static Pinning fromSystemProperty() {
        String v = System.getProperty(PROPERTY);
        return v == null ? none() : parse(v, "system property " + PROPERTY);
    }

    /** Whether this system can pin threads (Linux). */
    public static boolean supported() {
        return ThreadAffinity.supported();
    }

    /**
     * The CPU of each of {@code members} members, for a team created on the calling thread:
     * member {@code k}'s at index {@code k}; empty when pinning is off.
     *
     * @throws IllegalArgumentException when fewer CPUs are named, or allowed, than there are members
     * @throws UnsupportedOperationException when pinning is on and this system cannot pin threads
     */
    public List<Integer> cpusFor(int members) {
        if (!enabled) {
            return List.of();
        }
        ThreadAffinity.requireSupported(); // named CPUs too: a team could not keep them
        if (!cpus.isEmpty()) {
            if (cpus.size() < members) {
                throw new IllegalArgumentException("pinning " + members + " threads needs " + members + " CPUs, "
                        + cpus.size() + " given: " + cpus);
            }
            return cpus.subList(0, members);
        }
        BitSet allowed = ThreadAffinity.get(0);
        if (allowed.cardinality() < members) {
            throw new IllegalArgumentException("pinning " + members + " threads needs " + members
                    + " CPUs, this thread may run on " + allowed.cardinality() + ": " + allowed);
        }
        List<Integer> out = new ArrayList<>();
        for (int cpu = allowed.nextSetBit(0); out.size() < members; cpu = allowed.nextSetBit(cpu + 1)) {
            out.add(cpu);
        }
        return List.copyOf(out);
    }

    /** {@code "pinned to CPUs 0, 1"} for CPUs {@code [0, 1]}, as the command lines' headers say it. */
    public static String describe(List<Integer> cpus) {
        return "pinned to CPUs " + cpus.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return !enabled ? "not pinned" : cpus.isEmpty() ? "pinned to the first allowed CPUs" : describe(cpus);
    }
}
