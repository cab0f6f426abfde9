package dev.pnn.train.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Rng;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code kill -9} at a random moment while a child JVM saves a 23 MB model over the same file,
 * again and again: the file under its name is always a whole model, the last one saved or the
 * one being saved, never a part.
 */
class KillDuringSaveTest {

    @Test
    void aKilledSaveLeavesAWholeFile(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("big.npz");
        Rng rng = new Rng(2024);
        int midSave = 0;
        for (int trial = 0; trial < 4; trial++) {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    SaveLoop.class.getName(), target.toString()).redirectErrorStream(true).start();
            AtomicInteger saved = new AtomicInteger();
            StringBuilder other = new StringBuilder();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        if (line.startsWith("saved ")) {
                            saved.set(Integer.parseInt(line.substring(6)));
                        } else {
                            other.append(line).append('\n');
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // the stream closes when the child is killed
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (saved.get() == 0 && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertTrue(saved.get() > 0, "the child saved nothing: " + other);
            Thread.sleep(rng.nextInt(400));
            p.destroyForcibly(); // SIGKILL
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(137, p.exitValue(), "killed by SIGKILL");
            reader.join(10_000);
            int lastSaved = saved.get();
            try (ModelFile.Loaded m = ModelFile.load(target, ReferenceBackend.INSTANCE)) {
                float marker = m.network().parameters().get("0.bias").getFlat(0);
                assertEquals(marker, m.network().parameters().get("4.bias").getFlat(9), "one whole version");
                assertTrue(marker == lastSaved || marker == lastSaved + 1, "version " + marker + " after " + lastSaved
                        + " were reported saved");
            }
            try (var files = Files.list(dir)) {
                midSave += files.anyMatch(f -> f.getFileName().toString().endsWith(".tmp")) ? 1 : 0;
            }
        }
        // most kills land inside a save (a save takes most of each loop); a left temporary file shows one did
        assertTrue(midSave > 0, "no kill landed inside a save");
    }
}
