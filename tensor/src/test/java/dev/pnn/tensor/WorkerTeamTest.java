package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class WorkerTeamTest {

    /** Every part runs once per run, each on its own thread, and the caller sees what the parts wrote. */
    @Test
    void everyPartRunsOncePerRunAndItsWritesAreSeen() {
        try (WorkerTeam team = new WorkerTeam(3, "test")) {
            long[] counts = new long[3];
            String[] threads = new String[3];
            IntConsumer task = k -> {
                counts[k]++;
                threads[k] = Thread.currentThread().getName();
            };
            for (int r = 0; r < 20_000; r++) {
                team.run(task);
            }
            assertArrayEquals(new long[] {20_000, 20_000, 20_000}, counts);
            assertEquals(Thread.currentThread().getName(), threads[0]);
            assertEquals("test 1", threads[1]);
            assertEquals("test 2", threads[2]);
        }
    }

    /**
     * A member idle for longer than it spins and yields parks (its thread waits, burning no
     * core), and the next run wakes it.
     */
    @Test
    @Timeout(30)
    void idleMembersParkAndWakeForTheNextRun() throws InterruptedException {
        try (WorkerTeam team = new WorkerTeam(2, "park test")) {
            Thread member = Thread.getAllStackTraces().keySet().stream()
                    .filter(t -> t.getName().equals("park test 1")).findFirst().orElseThrow();
            int[] seen = new int[2];
            IntConsumer task = k -> seen[k]++;
            for (int r = 0; r < 3; r++) {
                team.run(task);
                TimeUnit.NANOSECONDS.sleep(WorkerTeam.PARK_NANOS);
                while (member.getState() != Thread.State.WAITING) {
                    TimeUnit.MILLISECONDS.sleep(1);
                }
            }
            team.run(task);
            assertArrayEquals(new int[] {4, 4}, seen);
        }
    }

    /** A part's failure reaches the caller after every part finished, and the team runs on. */
    @Test
    void aFailingPartIsRethrownToTheCallerAndTheTeamRunsOn() {
        try (WorkerTeam team = new WorkerTeam(2, "test")) {
            IllegalStateException boom = new IllegalStateException("part 1 failed");
            int[] finished = new int[2];
            RuntimeException thrown = assertThrows(RuntimeException.class, () -> team.run(k -> {
                if (k == 1) {
                    throw boom;
                }
                finished[k]++;
            }));
            assertSame(boom, thrown);
            assertEquals(1, finished[0]);
            team.run(k -> finished[k]++);
            assertArrayEquals(new int[] {2, 1}, finished);
        }
    }

    @Test
    void aTeamOfOneRunsOnTheCallerAndAClosedTeamRefuses() {
        WorkerTeam team = new WorkerTeam(1, "test");
        String[] where = new String[1];
        team.run(k -> where[k] = Thread.currentThread().getName());
        assertEquals(Thread.currentThread().getName(), where[0]);
        team.close();
        assertThrows(IllegalStateException.class, () -> team.run(k -> { }));
        assertThrows(IllegalArgumentException.class, () -> new WorkerTeam(0, "test"));
    }
}
