package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibrariesTest {

    /** Run in a child JVM: loads the native backend and prints one line about it. */
    public static final class Probe {
        public static void main(String[] args) {
            try {
                NativeBackend b = NativeBackend.instance();
                System.out.println("loaded " + b.libraries() + " threads=" + b.threads());
            } catch (NativeLibraryException e) {
                System.out.println("error: " + e.getMessage());
                System.exit(3);
            }
        }
    }

    private record Run(int exit, String output) {}

    private static Run probe(String... jvmOptions) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Probe.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "probe JVM did not finish");
        return new Run(p.exitValue(), out);
    }

    @Test
    void platformNamesTheJarFolder() {
        String p = NativeLibraries.platform();
        assertTrue(p.matches("[a-z]+-[a-z0-9_]+"), p);
        if (System.getProperty("os.name").equals("Linux") && System.getProperty("os.arch").equals("amd64")) {
            assertEquals("linux-x86_64", p);
        }
    }

    @Test
    void loadsOpenBlasFromTheSystemAndTheKernelsFromTheJar() {
        NativeLibraries.Loaded l = NativeBackend.instance().libraries();
        assertTrue(l.openBlas().getFileName().toString().startsWith("libopenblas"), l.toString());
        assertTrue(l.kernels().startsWith("jar:/native/" + NativeLibraries.platform() + "/"), l.toString());
        String config = NativeBackend.instance().openBlasConfig();
        assertTrue(config.startsWith("OpenBLAS"), config);
    }

    @Test
    void threadCountCanBeSetAndReadBack() {
        NativeBackend b = NativeBackend.instance();
        int before = b.threads();
        try {
            b.setThreads(1);
            assertEquals(1, b.threads());
        } finally {
            b.setThreads(before);
        }
    }

    @Test
    void aChildJvmLoadsCleanlyWithoutWarnings() throws Exception {
        Run run = probe();
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("loaded "), run.output());
        assertTrue(!run.output().contains("WARNING"), run.output());
    }

    @Test
    void missingOpenBlasNamesTheLibraryWhereItLookedAndHowToInstall() throws Exception {
        Run run = probe("-D" + NativeLibraries.OPENBLAS_PROPERTY + "=/nonexistent/libopenblas.so.0");
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Could not load OpenBLAS"), run.output());
        assertTrue(run.output().contains("/nonexistent/libopenblas.so.0"), run.output());
        assertTrue(run.output().contains("apt-get install libopenblas0"), run.output());
    }

    @Test
    void aFileThatIsNotALibraryIsReportedWithTheLoadersReason(@TempDir Path dir) throws Exception {
        Path fake = Files.writeString(dir.resolve("libopenblas.so.0"), "not an ELF file");
        Run run = probe("-D" + NativeLibraries.OPENBLAS_PROPERTY + "=" + fake);
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Could not load OpenBLAS from " + fake), run.output());
    }

    @Test
    void missingKernelsSayHowToBuildThem() throws Exception {
        Run run = probe("-D" + NativeLibraries.KERNELS_PROPERTY + "=/nonexistent/libpnnkernels.so");
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("panama-nn kernels"), run.output());
        assertTrue(run.output().contains("make native"), run.output());
    }

    /** The user's folders come first, in their order, each folder once: a user's OpenBLAS wins over the system's. */
    @Test
    void searchPathPutsTheUsersFoldersFirstInOrderWithoutDuplicates() {
        String saved = System.getProperty("java.library.path");
        try {
            System.setProperty("java.library.path", "/opt/first:/usr/lib:/opt/second:/opt/first");
            List<Path> path = NativeLibraries.librarySearchPath();
            List<Path> fromEnv = new ArrayList<>();
            String env = System.getenv("LD_LIBRARY_PATH");
            if (env != null) {
                for (String d : env.split(":")) {
                    if (!d.isBlank() && !fromEnv.contains(Path.of(d))) {
                        fromEnv.add(Path.of(d));
                    }
                }
            }
            assertEquals(fromEnv, path.subList(0, fromEnv.size()), "LD_LIBRARY_PATH first: " + path);
            int first = path.indexOf(Path.of("/opt/first"));
            assertTrue(first >= 0 && path.indexOf(Path.of("/opt/second")) > first, path.toString());
            assertTrue(path.indexOf(Path.of("/usr/lib")) < path.indexOf(Path.of("/opt/second"))
                    || fromEnv.contains(Path.of("/usr/lib")), "java.library.path order kept: " + path);
            assertEquals(path.size(), path.stream().distinct().count(), "duplicates in " + path);
        } finally {
            System.setProperty("java.library.path", saved);
        }
    }
}
