package dev.pnn.tensor;

import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed team of threads that run one task together, for work split into as many parts as
 * there are members: part 0 runs on the calling thread, parts 1 to {@code size - 1} on threads
 * the team owns. {@link #run} returns when every part has finished.
 *
 * <p>Made for hand-offs a few dozen microseconds apart, as between the phases of a training
 * step: a member that finishes waits for the next task by spinning ({@link Thread#onSpinWait})
 * for up to {@link #SPIN_NANOS}, then by yielding its core ({@link Thread#yield}) until
 * {@link #PARK_NANOS}, and only then parks, so a task that follows soon starts at once instead of
 * after the operating system wakes a sleeping thread (which costs about as much as a small
 * matrix product, and on a busy virtual machine up to a millisecond). The caller waits for the
 * other parts the same way. A team of one runs everything on the caller and owns no thread.
 *
 * <p>A team made with a {@link Pinning} runs member {@code k} on one CPU: its own threads
 * from the start, and the thread that calls {@link #run} from its first call until the team is
 * closed or another thread calls {@code run}, when that thread's former CPUs are given back
 * (threads it starts meanwhile inherit the one CPU; a virtual thread is not pinned).
 *
 * <p>A run allocates nothing: the task is passed as an {@link IntConsumer} that the caller
 * keeps (a field, not a fresh lambda per call). Not for use by several callers at once.
 */
public final class WorkerTeam implements AutoCloseable {

    /**
     * How long a waiting thread spins before it starts to yield: long enough to cover the gaps
     * inside a training step once the code is compiled, short enough that while it warms up
     * (long, uneven gaps) the JIT compiler gets the core instead of a spinning thread.
     */
    public static final long SPIN_NANOS = 50_000;

    /**
     * How long a waiting thread waits in all before it parks; past {@link #SPIN_NANOS} it yields
     * its core between looks, so a compiler thread or another process can run, but its processor
     * never goes idle. Parking after the spin alone let one slow wake-up start a chain: the
     * partner of a late thread waits past the spin and parks in turn, its own wake-up is late,
     * and so on: on a two-vCPU virtual machine, hundreds of parks in some epochs, those
     * hand-offs 0.1 to 1 ms each, and those epochs up to 1.7 times as long as the others
     * (BENCHMARKS.md, "Hand-offs: yield before parking").
     */
    public static final long PARK_NANOS = 20_000_000;

    private final int size;
    private final Thread[] threads;
    /** The task's generation, raised by {@link #run}; members start when it moves. */
    private volatile long generation;
    private volatile IntConsumer task;
    private volatile boolean closed;
    /** Per member: the last generation it finished. */
    private final AtomicLongArray finished;
    /** Per member: whether it is parked (and so needs an unpark). */
    private final AtomicLongArray parked;
    private final Throwable[] failures;
    /** The thread in {@link #run}, and whether it is parked waiting for the others. */
    private volatile Thread caller;
    private volatile boolean callerParked;
    /** Member k's CPU, or null when the team is not pinned. */
    private final int[] cpus;
    /** The calling thread pinned to cpus[0], its kernel id and the CPUs it had before; guarded by this. */
    private volatile Thread pinnedCaller;
    private int pinnedCallerTid;
    private BitSet callerCpusBefore;

    /**
     * @param size the number of parts a task is split into, the calling thread included
     * @param name the threads' name, shown in thread dumps
     * @throws IllegalArgumentException when {@code size < 1}
     */
    public WorkerTeam(int size, String name) {
        this(size, name, Pinning.none());
    }

    /**
     * @param size    the number of parts a task is split into, the calling thread included
     * @param name    the threads' name, shown in thread dumps
     * @param pinning the CPU of each member, or none
     * @throws IllegalArgumentException when {@code size < 1}, or {@code pinning} names fewer CPUs
     *                                  than members or CPUs this process may not use
     * @throws UnsupportedOperationException when pinning is asked for where threads cannot be pinned
     */
    public WorkerTeam(int size, String name, Pinning pinning) {
        if (size < 1) {
            throw new IllegalArgumentException("a team needs at least one member, got " + size);
        }
        List<Integer> pinned = pinning.cpusFor(size);
        this.cpus = pinned.isEmpty() ? null : pinned.stream().mapToInt(Integer::intValue).toArray();
        this.size = size;
        this.finished = new AtomicLongArray(size);
        this.parked = new AtomicLongArray(size);
        this.failures = new Throwable[size];
        this.threads = new Thread[size - 1];
        CountDownLatch started = new CountDownLatch(size - 1);
        for (int k = 1; k < size; k++) {
            int member = k;
            Thread t = new Thread(() -> {
                try {
                    if (cpus != null) {
                        ThreadAffinity.set(0, single(cpus[member]));
                    }
                } catch (RuntimeException e) {
                    failures[member] = e;
                    return;
                } finally {
                    started.countDown();
                }
                work(member);
            }, name + " " + k);
            t.setDaemon(true);
            threads[k - 1] = t;
            t.start();
        }
        if (cpus != null) {
            boolean interrupted = false;
            while (started.getCount() > 0) {
                try {
                    started.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            for (Throwable f : failures) {
                if (f != null) {
                    close();
                    throw (RuntimeException) f;
                }
            }
        }
    }

    private static BitSet single(int cpu) {
        BitSet b = new BitSet();
        b.set(cpu);
        return b;
    }

    /** Member {@code k}'s CPU at index {@code k}; empty when the team is not pinned. */
    public List<Integer> cpus() {
        return cpus == null ? List.of() : Arrays.stream(cpus).boxed().toList();
    }

    /** The number of parts a task is split into. */
    public int size() {
        return size;
    }

    /**
     * Runs {@code task.accept(k)} for every member {@code k} in {@code 0..size-1}, part 0 on the
     * calling thread, and waits for all of them.
     *
     * @throws RuntimeException the first failure of a part, by member number; an
     *                          {@link Error} is rethrown as is
     */
    public void run(IntConsumer task) {
        if (closed) {
            throw new IllegalStateException("this team is closed");
        }
        if (cpus != null && pinnedCaller != Thread.currentThread()) {
            pinCaller();
        }
        if (size == 1) {
            task.accept(0);
            return;
        }
        this.task = task;
        long gen = generation + 1;
        generation = gen;
        for (int k = 1; k < size; k++) {
            if (parked.get(k) != 0) {
                LockSupport.unpark(threads[k - 1]);
            }
        }
        try {
            task.accept(0);
        } catch (Throwable t) {
            failures[0] = t;
        }
        awaitFinished(gen);
        this.task = null;
        rethrowFirstFailure();
    }

    private void rethrowFirstFailure() {
        for (int k = 0; k < size; k++) {
            Throwable t = failures[k];
            if (t != null) {
                Arrays.fill(failures, null);
                if (t instanceof RuntimeException r) {
                    throw r;
                }
                if (t instanceof Error e) {
                    throw e;
                }
                throw new IllegalStateException("part " + k + " of a team's task failed", t);
            }
        }
    }

    private void work(int member) {
        long seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            long gen;
            while ((gen = generation) == seen && !closed) {
                if (!waitBriefly(spinStart)) {
                    parked.set(member, 1);
                    // a run that raised the generation before this flag was seen unparks nobody: look again
                    if (generation == seen && !closed) {
                        LockSupport.park(this);
                    }
                    parked.set(member, 0);
                    spinStart = System.nanoTime();
                }
            }
            if (closed) {
                return;
            }
            seen = gen;
            try {
                task.accept(member);
            } catch (Throwable t) {
                failures[member] = t;
            }
            finished.set(member, gen);
            if (callerParked) {
                LockSupport.unpark(caller);
            }
        }
    }

    /**
     * One look's pause in a wait that began at {@code start}: a spin at first, then a yield of the
     * core; false, without a pause, once the wait is long enough to park.
     */
    private static boolean waitBriefly(long start) {
        long waited = System.nanoTime() - start;
        if (waited < SPIN_NANOS) {
            Thread.onSpinWait();
            return true;
        }
        if (waited < PARK_NANOS) {
            Thread.yield();
            return true;
        }
        return false;
    }

    /** Waits for every other member to finish generation {@code gen}: spins, yields, then parks. */
    private void awaitFinished(long gen) {
        long start = System.nanoTime();
        for (int k = 1; k < size; k++) {
            while (finished.get(k) != gen) {
                if (waitBriefly(start)) {
                    continue;
                }
                caller = Thread.currentThread();
                callerParked = true;
                // a member that finished before the flag was seen unparks nobody: look again
                if (finished.get(k) != gen) {
                    LockSupport.park(this);
                }
                callerParked = false;
            }
        }
    }

    /** Pins the calling thread to member 0's CPU, after giving the previous caller its CPUs back. */
    private synchronized void pinCaller() {
        restoreCaller();
        Thread self = Thread.currentThread();
        if (self.isVirtual()) {
            callerCpusBefore = null; // its carrier thread is not its own to pin
            pinnedCaller = self;
            return;
        }
        int tid = ThreadAffinity.currentTid();
        BitSet before = ThreadAffinity.get(0);
        ThreadAffinity.set(0, single(cpus[0]));
        pinnedCallerTid = tid;
        callerCpusBefore = before;
        pinnedCaller = self;
    }

    /** Gives the pinned caller, if any and still running, the CPUs it had before. */
    private synchronized void restoreCaller() {
        Thread t = pinnedCaller;
        if (t == null) {
            return;
        }
        pinnedCaller = null;
        if (callerCpusBefore == null) {
            return;
        }
        if (t == Thread.currentThread()) {
            ThreadAffinity.set(0, callerCpusBefore);
        } else if (t.isAlive()) {
            try {
                ThreadAffinity.set(pinnedCallerTid, callerCpusBefore);
            } catch (IllegalStateException e) {
                // it ended meanwhile: nothing to give back
            }
        }
    }

    /** Stops the team's threads and gives a pinned caller its CPUs back; a team cannot run after this. */
    @Override
    public void close() {
        closed = true;
        for (Thread t : threads) {
            LockSupport.unpark(t);
        }
        if (cpus != null) {
            restoreCaller();
        }
    }
}
