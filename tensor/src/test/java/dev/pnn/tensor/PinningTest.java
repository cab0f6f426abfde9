package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A pinned {@link WorkerTeam} keeps each member on its CPU and gives a calling thread its CPUs
 * back; {@link Pinning} reads its settings and says what is wrong with a bad one. The tests run
 * on Linux, where threads can be pinned (the CI's machines); elsewhere asking for pinning must
 * fail with a clear error, which is what they assert there.
 */
class PinningTest {

    private static BitSet cpus(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus) {
            b.set(c);
        }
        return b;
    }

    /** The first two CPUs this thread may use, or the first one twice on a machine with one. */
    private static int[] twoAllowed() {
        BitSet allowed = ThreadAffinity.get(0);
        int first = allowed.nextSetBit(0);
        int second = allowed.nextSetBit(first + 1);
        return new int[] {first, second < 0 ? first : second};
    }

    @Test
    void eachMemberRunsOnItsCpuAndTheCallerGetsItsCpusBackAtClose() {
        if (!Pinning.supported()) {
            assertThrows(UnsupportedOperationException.class, () -> new WorkerTeam(2, "pin", Pinning.firstAllowed()));
            return;
        }
        BitSet before = ThreadAffinity.get(0);
        int[] two = twoAllowed();
        BitSet[] seen = new BitSet[2];
        try (WorkerTeam team = new WorkerTeam(2, "pin", Pinning.of(two))) {
            assertEquals(List.of(two[0], two[1]), team.cpus());
            for (int r = 0; r < 3; r++) {
                team.run(k -> seen[k] = ThreadAffinity.get(0));
                assertEquals(cpus(two[0]), seen[0], "the caller, run " + r);
                assertEquals(cpus(two[1]), seen[1], "the team's thread, run " + r);
            }
        }
        assertEquals(before, ThreadAffinity.get(0), "the caller's CPUs after close");
    }

    @Test
    void firstAllowedTakesTheLowestCpusTheCreatorMayUse() {
        if (!Pinning.supported()) {
            assertThrows(UnsupportedOperationException.class, () -> Pinning.firstAllowed().cpusFor(1));
            assertThrows(UnsupportedOperationException.class, () -> Pinning.of(0, 1).cpusFor(2));
            assertEquals(List.of(), Pinning.none().cpusFor(4));
            return;
        }
        BitSet allowed = ThreadAffinity.get(0);
        assertEquals(List.of(allowed.nextSetBit(0)), Pinning.firstAllowed().cpusFor(1));
        int n = allowed.cardinality();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Pinning.firstAllowed().cpusFor(n + 1));
        assertTrue(e.getMessage().contains("pinning " + (n + 1) + " threads needs " + (n + 1) + " CPUs"),
                e.getMessage());
        assertEquals(List.of(), Pinning.none().cpusFor(4));
    }

    /** A second calling thread is pinned in turn, and the first, still running, gets its CPUs back. */
    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aNewCallerTakesThePinAndThePreviousCallerGetsItsCpusBack() throws Exception {
        if (!Pinning.supported()) {
            return; // the first test asserts the error here
        }
        BitSet allowed = ThreadAffinity.get(0);
        int[] two = twoAllowed();
        try (WorkerTeam team = new WorkerTeam(2, "pin", Pinning.of(two))) {
            CountDownLatch firstRan = new CountDownLatch(1);
            CountDownLatch secondRan = new CountDownLatch(1);
            AtomicReference<BitSet> firstDuring = new AtomicReference<>();
            AtomicReference<BitSet> firstAfter = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread first = new Thread(() -> {
                try {
                    team.run(k -> { });
                    firstDuring.set(ThreadAffinity.get(0));
                    firstRan.countDown();
                    secondRan.await();
                    firstAfter.set(ThreadAffinity.get(0));
                } catch (Throwable t) {
                    failure.set(t);
                    firstRan.countDown();
                }
            });
            first.start();
            firstRan.await();
            BitSet[] seen = new BitSet[1];
            team.run(k -> {
                if (k == 0) {
                    seen[0] = ThreadAffinity.get(0);
                }
            });
            secondRan.countDown();
            first.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            assertEquals(cpus(two[0]), firstDuring.get(), "the first caller while it was the caller");
            assertEquals(allowed, firstAfter.get(), "the first caller after another thread called");
            assertEquals(cpus(two[0]), seen[0], "the second caller");
        }
        assertEquals(allowed, ThreadAffinity.get(0), "the second caller after close");
    }

    @Test
    void aCpuThisProcessMayNotUseIsAnErrorThatNamesIt() {
        if (!Pinning.supported()) {
            return; // the first test asserts the error here
        }
        int[] two = twoAllowed();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WorkerTeam(2, "pin", Pinning.of(two[0], 1023)));
        assertTrue(e.getMessage().contains("cannot run a thread on CPUs {1023}"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new WorkerTeam(3, "pin", Pinning.of(two)));
        assertTrue(e.getMessage().contains("pinning 3 threads needs 3 CPUs, 2 given"), e.getMessage());
    }

    @Test
    void anUnpinnedTeamLeavesEveryThreadWhereItWas() {
        try (WorkerTeam team = new WorkerTeam(2, "free")) {
            assertEquals(List.of(), team.cpus());
            if (Pinning.supported()) {
                BitSet before = ThreadAffinity.get(0);
                BitSet[] seen = new BitSet[2];
                team.run(k -> seen[k] = ThreadAffinity.get(0));
                assertEquals(before, seen[0]);
                assertEquals(before, seen[1]);
            }
        }
    }

    @Test
    void settingsParseAndBadOnesSayWhatWasExpected() {
        assertFalse(Pinning.parse("false", "p").enabled());
        assertFalse(Pinning.parse("none", "p").enabled());
        assertEquals(Pinning.firstAllowed(), Pinning.parse("true", "p"));
        assertEquals(Pinning.of(2, 3), Pinning.parse(" 2, 3 ", "p"));
        for (String bad : new String[] {"yes", "1,,2", "-1", "0,x", ""}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Pinning.parse(bad, "--pin-threads"), bad);
            assertEquals("--pin-threads: expected true, false or CPU numbers separated by commas (such as 0,1), "
                    + "found '" + bad + "'", e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> new Pinning(false, List.of(1)));
        assertThrows(IllegalArgumentException.class, () -> Pinning.of());
    }

    @Test
    void theSystemPropertyIsReadWhenSet() {
        String old = System.getProperty(Pinning.PROPERTY);
        try {
            System.clearProperty(Pinning.PROPERTY);
            assertEquals(Pinning.none(), Pinning.fromSystemProperty());
            System.setProperty(Pinning.PROPERTY, "0,1");
            assertEquals(Pinning.of(0, 1), Pinning.fromSystemProperty());
            System.setProperty(Pinning.PROPERTY, "on");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Pinning::fromSystemProperty);
            assertTrue(e.getMessage().startsWith("system property " + Pinning.PROPERTY + ": expected"), e.getMessage());
        } finally {
            if (old == null) {
                System.clearProperty(Pinning.PROPERTY);
            } else {
                System.setProperty(Pinning.PROPERTY, old);
            }
        }
    }
}
