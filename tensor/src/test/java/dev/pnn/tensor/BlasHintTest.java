package dev.pnn.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The header's hint when OpenBLAS leaves a processor's AVX-512 unused, and the flags it is decided by. */
class BlasHintTest {

    private static final Set<String> ZEN5 = Set.of("sse2", "avx2", "fma", "avx512f", "avx512cd", "avx512bw",
            "avx512dq", "avx512vl", "avx512_bf16");
    private static final Set<String> AVX2_ONLY = Set.of("sse2", "avx2", "fma");

    @Test
    void haswellKernelsOnAnAvx512ProcessorNameTheReasonAndTheRemedy() {
        assertEquals("; this processor has AVX-512, which Haswell kernels do not use (OPENBLAS_CORETYPE=Haswell is "
                        + "set in the environment): OPENBLAS_CORETYPE=SkylakeX selects OpenBLAS's AVX-512 kernels",
                BlasLibrary.openBlasHint("Haswell", ZEN5, "Haswell"));
        assertTrue(BlasLibrary.openBlasHint("Zen", ZEN5, null).contains("(it does not recognise this processor)"));
        assertTrue(BlasLibrary.openBlasHint("Zen", ZEN5, " ").contains("(it does not recognise this processor)"));
    }

    @Test
    void noHintWhenTheKernelsUseAvx512OrTheProcessorLacksIt() {
        assertEquals("", BlasLibrary.openBlasHint("SkylakeX", ZEN5, null));
        assertEquals("", BlasLibrary.openBlasHint("cooperlake", ZEN5, "CooperLake"));
        assertEquals("", BlasLibrary.openBlasHint("Haswell", AVX2_ONLY, "Haswell"));
        assertEquals("", BlasLibrary.openBlasHint("Haswell", Set.of("avx512f"), null), "AVX-512F alone is not enough");
        assertEquals("", BlasLibrary.openBlasHint("", ZEN5, null), "a library that names no kernel set");
    }

    @Test
    void flagsComeFromTheFirstFlagsLineOfCpuinfo(@TempDir Path dir) throws IOException {
        Path cpuinfo = dir.resolve("cpuinfo");
        Files.writeString(cpuinfo, """
                processor\t: 0
                model name\t: Some CPU
                flags\t\t: fpu sse2 avx2 avx512f
                processor\t: 1
                flags\t\t: fpu
                """);
        assertEquals(Set.of("fpu", "sse2", "avx2", "avx512f"), CpuFlags.read(cpuinfo));
        assertEquals(Set.of(), CpuFlags.read(dir.resolve("missing")));
        Files.writeString(cpuinfo, "processor\t: 0\n");
        assertEquals(Set.of(), CpuFlags.read(cpuinfo));
    }
}
