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
    void loadsTheChosenBlasFromTheSystemAndTheKernelsFromTheJar() {
        NativeLibraries.Loaded l = NativeBackend.instance().libraries();
        String chosen = System.getProperty(NativeLibraries.BLAS_PROPERTY, "openblas");
        BlasLibrary blas = l.blas();
        assertEquals(chosen, blas.provider().label(), blas.toString());
        assertTrue(blas.path().getFileName().toString().startsWith("lib" + chosen), l.toString());
        assertTrue(l.kernels().startsWith("jar:/native/" + NativeLibraries.platform() + "/"), l.toString());
        assertTrue(blas.version().startsWith(chosen.equals("blis") ? "BLIS " : "OpenBLAS "), blas.version());
        assertTrue(!blas.kernelSet().isEmpty(), blas.toString());
    }

    @Test
    void threadCountCanBeSetAndReadBack() {
        NativeBackend b = NativeBackend.instance();
        int before = b.threads();
        int other = before == 1 ? 2 : 1;
        try (NativeBackend.ThreadCount count = b.withThreads(other)) {
            assertEquals(other, b.threads());
        }
        assertEquals(before, b.threads(), "the count before, set back when the scope closed");
    }

    @Test
    void aChildJvmLoadsCleanlyWithoutWarnings() throws Exception {
        Run run = probe();
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().startsWith("loaded "), run.output());
        assertTrue(!run.output().contains("WARNING"), run.output());
    }

    @Test
    void aMissingBlasPathNamesTheLibraryAndHowToInstall() throws Exception {
        Run run = probe("-D" + NativeLibraries.BLAS_PROPERTY + "=/nonexistent/libopenblas.so.0");
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Could not load the BLAS library: pnn.blas (--blas on the command line) is "
                + "'/nonexistent/libopenblas.so.0', which is neither 'openblas' nor 'blis' nor the path of a file"),
                run.output());
        assertTrue(run.output().contains("apt-get install libopenblas0"), run.output());
        assertTrue(run.output().contains("apt-get install libblis4"), run.output());
    }

    @Test
    void aFileThatIsNotALibraryIsReportedWithTheLoadersReason(@TempDir Path dir) throws Exception {
        Path fake = Files.writeString(dir.resolve("libopenblas.so.0"), "not an ELF file");
        Run run = probe("-D" + NativeLibraries.BLAS_PROPERTY + "=" + fake);
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Could not load the BLAS library from " + fake), run.output());
    }

    /** A real shared library without the CBLAS interface: our own kernels. */
    @Test
    void aLibraryWithoutCblasIsRefusedByName() throws Exception {
        Path kernels = Path.of("../native/build/" + NativeLibraries.platform() + "/libpnnkernels.so")
                .toAbsolutePath().normalize();
        Run run = probe("-D" + NativeLibraries.BLAS_PROPERTY + "=" + kernels);
        assertEquals(3, run.exit(), run.output());
        assertTrue(run.output().contains("Could not use " + kernels + " as the BLAS library: it has no cblas_sgemm, "
                + "so it is not a CBLAS"), run.output());
    }

    /** Any CBLAS by path: BLIS's file named directly is recognised as BLIS by its symbols. */
    @Test
    void aBlasNamedByPathIsRecognisedByItsSymbols() throws Exception {
        Path blis = NativeLibraries.librarySearchPath().stream().map(d -> d.resolve("libblis.so.4"))
                .filter(Files::isRegularFile).findFirst()
                .orElseThrow(() -> new AssertionError("BLIS is not installed: run 'make deps'"));
        Run run = probe("-D" + NativeLibraries.BLAS_PROPERTY + "=" + blis);
        assertEquals(0, run.exit(), run.output());
        assertTrue(run.output().contains("blis (BLIS "), run.output());
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
