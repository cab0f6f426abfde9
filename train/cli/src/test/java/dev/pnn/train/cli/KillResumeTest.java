package dev.pnn.train.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Rng;
import dev.pnn.train.io.ModelFile;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pnn train} killed with SIGKILL at random moments and resumed from its newest checkpoint
 * ends with weights bit-identical to an uninterrupted run with the same seed and thread count.
 */
class KillResumeTest {

    private static List<String> train(Path dir, String... more) {
        List<String> args = new ArrayList<>(List.of("train", "--data", MainTest.DATA.toString(), "--epochs", "2",
                "--batch-size", "128", "--optimizer", "adam", "--threads", "1", "--checkpoint-dir",
                dir.resolve("checkpoints").toString(), "--checkpoint-every", "40", "--save",
                dir.resolve("final.npz").toString()));
        args.addAll(List.of(more));
        return args;
    }

    private static String finish(Process p) throws Exception {
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    private static float[] weights(Path file) throws Exception {
        try (ModelFile.Loaded m = ModelFile.load(file, ReferenceBackend.INSTANCE)) {
            return m.network().parameters().flat().toArray();
        }
    }

    @Test
    void killedAndResumedRunsEndBitIdenticalToAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path reference = Files.createDirectory(tmp.resolve("reference"));
        finish(MainTest.startChild(train(reference)));
        float[] expected = weights(reference.resolve("final.npz"));
        Rng rng = new Rng(7);
        int killedWhileTraining = 0;
        for (int trial = 0; trial < 4; trial++) {
            Path dir = Files.createDirectory(tmp.resolve("trial-" + trial));
            Process p = MainTest.startChild(train(dir));
            AtomicBoolean training = new AtomicBoolean();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        if (line.startsWith("training ")) {
                            training.set(true);
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // closed when the child is killed
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!training.get() && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(2);
            }
            Thread.sleep(rng.nextInt(1200));
            boolean alive = p.isAlive();
            p.destroyForcibly();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            killedWhileTraining += alive ? 1 : 0;
            Path checkpoints = dir.resolve("checkpoints");
            boolean any;
            try (var s = Files.list(checkpoints)) {
                any = s.anyMatch(f -> f.getFileName().toString().startsWith("checkpoint-"));
            }
            String out = finish(MainTest.startChild(any ? train(dir, "--resume", checkpoints.toString()) : train(dir)));
            assertTrue(!any || out.contains("resuming from "), out);
            assertArrayEquals(expected, weights(dir.resolve("final.npz")), "trial " + trial + (any ? ", resumed" : ""));
        }
        assertTrue(killedWhileTraining >= 2, "only " + killedWhileTraining + " of 4 kills landed during training");
    }
}
