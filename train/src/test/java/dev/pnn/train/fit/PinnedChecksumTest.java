package dev.pnn.train.fit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Comparison;
import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.train.MnistFixture;
import dev.pnn.train.data.Batches;
import dev.pnn.train.data.Mnist;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.Loss;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.Sigmoid;
import dev.pnn.train.optim.Adam;
import dev.pnn.train.optim.Optimizer;
import dev.pnn.train.optim.Sgd;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;

/**
 * The bits of trained weights, pinned: CRC-32s of the parameters after 30 steps on MNIST of three
 * runs, computed with the code as it was before the layer/executor redesign (commit f6e7f90) and
 * checked against the code as it is. A change that moves a single bit of a single weight fails
 * here. The reference backend is pure Java and gives the same bits on every machine. With its
 * products on the BLAS ({@link NativeBackend.Products#BLAS}), the native backend's bits depend on
 * the BLAS and its kernel set (OpenBLAS's core name) at one thread, so they are pinned for the
 * kernel sets measured; on another kernel set the native run is held to the reference run within
 * the parity bound of {@link TrainingParityTest} instead. With its own product kernel (the default,
 * which runs every product of these networks) the bits are the same whatever the BLAS, pinned once
 * (computed when the kernel came; {@link TrainingParityTest} holds them to the reference run).
 * The native pins of the two cross-entropy runs were computed again when the softmax kernels got
 * their own exponential (exp rounded to float, where glibc's expf had been; the Haswell, Zen,
 * SkylakeX and Cooperlake pins all at once, with OPENBLAS_CORETYPE set to each); the sigmoid run
 * and the reference backend kept their bits.
 */
class PinnedChecksumTest {

    private static final Mnist mnist = MnistFixture.shared();

    private record Run(String name, Model model, Loss loss, Optimizer optimizer, float lr, long seed, int batch) {}

    private static final List<Run> RUNS = List.of(
            new Run("mnist-momentum", Model.mnist(), Loss.nll(), Sgd.momentum(0.9).withWeightDecay(5e-4), 0.05f, 42, 64),
            new Run("mnist-adam", Model.mnist(), Loss.nll(), Adam.defaults(), 1e-3f, 7, 64),
            new Run("sigmoid-mse", new Model(784, List.of(new Linear(784, 30), new Sigmoid(), new Linear(30, 10),
                    new Sigmoid())), Loss.mse(), Sgd.plain(), 3f, 5, 10));

    private static final List<String> REFERENCE = List.of("2bca6ad8", "23afc338", "2d6b33d4");

    /** By BLAS and its kernel set (OpenBLAS's core name; Zen runs the Haswell kernels). */
    private static final Map<String, List<String>> NATIVE = Map.of(
            "openblas Haswell", List.of("3bf8f88f", "dec553c6", "1194e1fd"),
            "openblas Zen", List.of("3bf8f88f", "dec553c6", "1194e1fd"),
            "openblas SkylakeX", List.of("aab5b86f", "a0a48003", "d6459c94"),
            "openblas Cooperlake", List.of("faf24759", "9d1fc077", "d6459c94"));

    /** With the own product kernel, on any BLAS and kernel set. */
    private static final List<String> OWN_KERNEL = List.of("98e78831", "d34aef7d", "d6459c94");

    private static Network train(Backend backend, Run run) {
        Network net = Network.create(run.model(), backend, Init.PYTORCH_DEFAULT, run.seed());
        try (Batches batches = new Batches(mnist.train(), run.batch(), Normalization.MNIST, backend, run.seed(), true);
             TrainingStep step = new TrainingStep(net, run.loss(), run.optimizer())) {
            batches.startEpoch(0);
            for (int i = 0; i < 30; i++) {
                Batches.Batch b = batches.next();
                step.run(b.images(), b.labels(), run.lr());
            }
        }
        return net;
    }

    private static String crc(Network net) {
        float[] p = net.parameters().flat().toArray();
        ByteBuffer bytes = ByteBuffer.allocate(p.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : p) {
            bytes.putFloat(f);
        }
        CRC32 crc = new CRC32();
        crc.update(bytes.array());
        return String.format("%08x", crc.getValue());
    }

    @Test
    void referenceBackendWeightsHaveTheBitsTheyHadBeforeTheRedesign() {
        for (int i = 0; i < RUNS.size(); i++) {
            try (Network net = train(ReferenceBackend.INSTANCE, RUNS.get(i))) {
                assertEquals(REFERENCE.get(i), crc(net), RUNS.get(i).name());
            }
        }
    }

    @Test
    void nativeBackendWeightsHaveTheirPinnedBits() {
        NativeBackend backend = NativeBackend.instance(NativeBackend.Products.BLAS);
        String kernels = backend.blas().provider().label() + " " + backend.blas().kernelSet();
        checkNative(backend, NATIVE.get(kernels), kernels);
    }

    @Test
    void ownProductKernelWeightsHaveTheSameBitsOnEveryBlas() {
        NativeBackend backend = NativeBackend.instance(NativeBackend.Products.AUTO);
        checkNative(backend, OWN_KERNEL, "the own product kernel (" + backend.blas().provider().label() + ")");
    }

    /** Trains each run at one BLAS thread; holds it to its pinned bits, else to the reference run. */
    private static void checkNative(NativeBackend backend, List<String> pinned, String kernels) {
        try (NativeBackend.ThreadCount one = backend.withThreads(1)) {
            for (int i = 0; i < RUNS.size(); i++) {
                try (Network net = train(backend, RUNS.get(i))) {
                    if (pinned != null) {
                        assertEquals(pinned.get(i), crc(net), RUNS.get(i).name() + " on " + kernels);
                    } else {
                        try (Network ref = train(ReferenceBackend.INSTANCE, RUNS.get(i))) {
                            double apart = Comparison.maxAbsDifference(net.parameters().flat(),
                                    ref.parameters().flat());
                            assertTrue(apart <= 1e-5, RUNS.get(i).name() + ": no checksum pinned for "
                                    + kernels + ", and native is " + apart + " from reference");
                        }
                    }
                }
            }
        }
    }
}
