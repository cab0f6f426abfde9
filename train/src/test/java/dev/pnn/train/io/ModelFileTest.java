package dev.pnn.train.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;

import dev.pnn.tensor.NativeBackend;
import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Workspace;
import dev.pnn.train.model.Conv2d;
import dev.pnn.train.model.Flatten;
import dev.pnn.train.model.Init;
import dev.pnn.train.model.Linear;
import dev.pnn.train.model.LogSoftMax;
import dev.pnn.train.model.MaxPool2d;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ModelSpec;
import dev.pnn.train.model.ReLU;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelFileTest {

    private static final ModelInfo INFO = new ModelInfo(Normalization.MNIST,
            List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Map.of("epochs", 3, "optimizer", "sgd"));

    @TempDir
    Path dir;

    private Path saved(String name, Model model, long seed) throws IOException {
        Path file = dir.resolve(name);
        try (Network net = Network.create(model, ReferenceBackend.INSTANCE, Init.HE_NORMAL, seed)) {
            ModelFile.save(file, net, model.outputs() == 10 ? INFO : ModelInfo.of(Normalization.NONE));
        }
        return file;
    }

    @Test
    void aSavedModelLoadsBackBitForBitWithItsInfoAndPredictsTheSame() throws IOException {
        Path file = dir.resolve("mnist.npz");
        try (Network net = Network.create(Model.mnist(), NativeBackend.instance(), Init.PYTORCH_DEFAULT, 3);
             Workspace ws = net.newWorkspace();
             Arena arena = Arena.ofConfined()) {
            ModelFile.save(file, net, INFO);
            try (ModelFile.Loaded m = ModelFile.load(file, NativeBackend.instance());
                 Workspace ws2 = m.network().newWorkspace()) {
                assertEquals(Model.mnist(), m.network().model());
                assertEquals(INFO.normalization(), m.info().normalization());
                assertEquals(INFO.classes(), m.info().classes());
                assertEquals(3.0, m.info().training().get("epochs"));
                assertEquals("sgd", m.info().training().get("optimizer"));
                for (String name : net.parameters().names()) {
                    assertArrayEquals(net.parameters().get(name).toArray(), m.network().parameters().get(name).toArray(),
                            name);
                }
                Tensor x = Tensor.allocate(arena, 5, 784).fill(0.3f);
                assertArrayEquals(ws.forward(x).output().toArray(), ws2.forward(x).output().toArray());
            }
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(file)));
        }
    }

    /** A convolution's weight is stored (kh, kw, in, out) and saved as PyTorch's (out, in, kh, kw). */
    @Test
    void aConvolutionalModelIsSavedInPyTorchsLayoutAndLoadsBackBitForBit() throws IOException {
        Model cnn = new Model(Shape.of(6, 6, 2), List.of(new Conv2d(2, 3, 3), new ReLU(), new MaxPool2d(2),
                new Flatten(), new Linear(12, 10), new LogSoftMax()));
        Path file = saved("cnn.npz", cnn, 5);
        try (ModelFile.Loaded m = ModelFile.load(file, NativeBackend.instance());
             Network again = Network.create(cnn, ReferenceBackend.INSTANCE, Init.HE_NORMAL, 5);
             Arena arena = Arena.ofConfined()) {
            for (String name : again.parameters().names()) {
                assertArrayEquals(again.parameters().get(name).toArray(), m.network().parameters().get(name).toArray(),
                        name);
            }
            float[] stored = again.parameters().get("0.weight").toArray();
            Tensor file4d = Tensor.allocate(arena, Shape.of(3, 2, 3, 3));
            ModelFile.readArray(file, "0.weight", file4d);
            for (int o = 0; o < 3; o++) {
                for (int i = 0; i < 2; i++) {
                    for (int ky = 0; ky < 3; ky++) {
                        for (int kx = 0; kx < 3; kx++) {
                            assertEquals(stored[((ky * 3 + kx) * 2 + i) * 3 + o],
                                    file4d.getFlat(((o * 2 + i) * 3 + ky) * 3 + kx), "0.weight[" + o + ", " + i + ", "
                                            + ky + ", " + kx + "]");
                        }
                    }
                }
            }
        }
    }

    /** numpy opens the file as it is: PyTorch's names and orientations, float32, and model.json. */
    @Test
    void numpyLoadsTheArraysAndComputesTheSamePredictions() throws Exception {
        Path file = dir.resolve("for-numpy.npz");
        try (Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.PYTORCH_DEFAULT, 5);
             Workspace ws = net.newWorkspace();
             Arena arena = Arena.ofConfined()) {
            ModelFile.save(file, net, INFO);
            Tensor x = Tensor.allocate(arena, 4, 784);
            for (long i = 0; i < x.size(); i++) {
                x.setFlat(i, (float) Math.sin(i * 0.37));
            }
            float[] ours = ws.forward(x).output().toArray();
            String script = """
                    import json, sys, numpy as np
                    z = np.load(sys.argv[1])
                    meta = json.loads(bytes(z["model.json"]).decode())
                    assert meta["format_version"] == 1 and meta["classes"][7] == "7", meta
                    shapes = {k: (z[k].shape, str(z[k].dtype)) for k in z.files if k != "model.json"}
                    assert shapes == {"0.weight": ((128, 784), "float32"), "0.bias": ((128,), "float32"),
                                      "2.weight": ((64, 128), "float32"), "2.bias": ((64,), "float32"),
                                      "4.weight": ((10, 64), "float32"), "4.bias": ((10,), "float32")}, shapes
                    x = np.sin(np.arange(4 * 784) * 0.37).astype(np.float32).reshape(4, 784)
                    h = np.maximum(x @ z["0.weight"].T + z["0.bias"], 0)
                    h = np.maximum(h @ z["2.weight"].T + z["2.bias"], 0)
                    o = h @ z["4.weight"].T + z["4.bias"]
                    o = o - o.max(axis=1, keepdims=True)
                    o = o - np.log(np.exp(o).sum(axis=1, keepdims=True))
                    print(" ".join(repr(float(v)) for v in o.ravel()))
                    """;
            Process p = new ProcessBuilder("/usr/bin/python3", "-c", script, file.toString())
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertEquals(0, p.waitFor(), "python3 with numpy (Debian's python3-numpy, which .ci/run installs): " + out);
            double[] theirs = Arrays.stream(out.split(" ")).mapToDouble(Double::parseDouble).toArray();
            assertEquals(ours.length, theirs.length);
            for (int i = 0; i < ours.length; i++) {
                assertEquals(theirs[i], ours[i], 1e-4, "log-probability " + i);
            }
        }
    }

    /** As numpy saves a PyTorch state dict: (out, in) weights, no model.json; the model comes from a file beside it. */
    @Test
    void anNpzWithoutModelJsonLoadsWithAModelJsonBesideItOrASpec() throws IOException {
        Model small = Model.sequential(new Linear(3, 2), new LogSoftMax());
        Path npz = dir.resolve("state.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(npz))) {
            zip.putNextEntry(new ZipEntry("0.weight.npy"));
            zip.write(Npy.header(dev.pnn.tensor.Shape.of(2, 3)));
            zip.write(floats(1, 2, 3, 4, 5, 6)); // PyTorch's (out, in): row o holds the weights into output o
            zip.putNextEntry(new ZipEntry("0.bias.npy"));
            zip.write(Npy.header(dev.pnn.tensor.Shape.of(2)));
            zip.write(floats(0.5f, -0.5f));
        }
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(npz, NativeBackend.instance()));
        assertTrue(e.getMessage().contains("model.json: expected an entry, or a model.json or state.json beside"),
                e.getMessage());
        try (ModelFile.Loaded m = ModelFile.load(npz, NativeBackend.instance(), small.spec(), ModelInfo.of(Normalization.NONE))) {
            // stored in x out: W[i][o] = file[o][i]
            assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, m.network().parameters().get("0.weight").toArray());
        }
        Files.writeString(dir.resolve("state.json"), ModelFile.modelJson(small, ModelInfo.of(Normalization.NONE)).toString());
        try (ModelFile.Loaded m = ModelFile.load(npz, NativeBackend.instance())) {
            assertEquals(small, m.network().model());
            assertArrayEquals(new float[] {0.5f, -0.5f}, m.network().parameters().get("0.bias").toArray());
        }
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private void assertRefused(Path file, String expected) {
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelFile.load(file, NativeBackend.instance()));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void truncatedFilesAreRefusedAtEveryOffset() throws IOException {
        byte[] good = Files.readAllBytes(saved("good.npz", Model.mnist(), 1));
        for (int cut : new int[] {0, 3, 30, 1000, good.length / 2, good.length - 30, good.length - 1}) {
            Path f = Files.write(dir.resolve("cut-" + cut + ".npz"), Arrays.copyOf(good, cut));
            assertRefused(f, cut == 0 ? "file: expected a zip archive (an .npz), found an empty file"
                    : "zip structure: expected a zip archive");
        }
    }

    @Test
    void aFlippedByteIsCaughtByTheChecksumsOrTheZipStructure() throws IOException {
        byte[] good = Files.readAllBytes(saved("good.npz", Model.mnist(), 1));
        int caught = 0;
        for (int at = 40; at < good.length; at += good.length / 23) {
            byte[] bad = good.clone();
            bad[at] ^= 0x10;
            Path f = Files.write(dir.resolve("flip-" + at + ".npz"), bad);
            ModelFileException e = assertThrows(ModelFileException.class,
                    () -> ModelFile.load(f, NativeBackend.instance()).close(), "flipped byte at " + at);
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            caught++;
        }
        assertTrue(caught >= 20, caught + " flips");
    }

    @Test
    void aModelJsonThatDoesNotMatchTheArraysIsRefused() throws IOException {
        Path good = saved("good.npz", Model.mnist(), 1);
        Path other = rewrite(good, "shape.npz", "model.json", json -> json.replace("\"out\":128", "\"out\":129")
                .replace("\"in\":128", "\"in\":129"));
        assertRefused(other, "0.weight.npy: shape: expected (129, 784), found (128, 784)");
        Path version = rewrite(good, "version.npz", "model.json", json -> json.replace("\"format_version\":1",
                "\"format_version\":7"));
        assertRefused(version, "model.json: format_version: expected 1 (files of a later version need a later "
                + "panama-nn), found 7");
        Path missing = rewrite(good, "missing.npz", "2.bias.npy", null);
        assertRefused(missing, "2.bias.npy: expected an entry of that name, found none");
        Path layer = rewrite(good, "layer.npz", "model.json", json -> json.replace("ReLU", "Relu"));
        assertRefused(layer, "model.json: model: expected a valid model spec, found layers[1]: unknown layer type 'Relu'");
    }

    @Test
    void nonFiniteAndOverflowingWeightsAreRefused() throws IOException {
        Model small = Model.sequential(new Linear(3, 2), new LogSoftMax());
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, 3.4e38f}) {
            Path f = dir.resolve("bad-" + bad + ".npz");
            try (Network net = Network.create(small, ReferenceBackend.INSTANCE, Init.HE_NORMAL, 1)) {
                net.parameters().get("0.bias").setFlat(1, bad);
                ModelFile.save(f, net, ModelInfo.of(Normalization.NONE));
            }
            assertRefused(f, "0.bias.npy: element 1: expected a finite value of magnitude below 1.0E30, found " + bad);
        }
    }

    @Test
    void whatIsNotARegularZipFileIsRefusedWithoutBlocking(@TempDir Path other) throws Exception {
        assertRefused(other, "file: expected a regular file (an .npz), found a folder");
        Path fifo = dir.resolve("fifo.npz");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        assertRefused(fifo, "file: expected a regular file (an .npz), found a special file");
        Path text = Files.writeString(dir.resolve("text.npz"), "not a zip at all, just some words of text");
        assertRefused(text, "zip structure: expected a zip archive");
        assertThrows(java.nio.file.NoSuchFileException.class, () -> ModelFile.load(dir.resolve("none.npz"),
                NativeBackend.instance()));
    }

    @Test
    void unexpectedArraysAreRefused() throws IOException {
        Path good = saved("good.npz", Model.sequential(new Linear(3, 2), new LogSoftMax()), 1);
        Path extra = dir.resolve("extra.npz");
        try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(good));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(extra))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
            }
            out.putNextEntry(new ZipEntry("1.running_mean.npy"));
            out.write(Npy.header(dev.pnn.tensor.Shape.of(2)));
            out.write(floats(0, 0));
        }
        assertRefused(extra, "1.running_mean.npy: expected only the arrays of model 3-2 (0.weight, 0.bias), found an "
                + "array it does not have");
    }

    /** A copy of {@code from} with entry {@code name} changed by {@code edit} (null: left out). */
    private Path rewrite(Path from, String to, String name, java.util.function.UnaryOperator<String> edit)
            throws IOException {
        Path out = dir.resolve(to);
        try (var in = new java.util.zip.ZipInputStream(Files.newInputStream(from));
             ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(out))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                byte[] content = in.readAllBytes();
                if (e.getName().equals(name)) {
                    if (edit == null) {
                        continue;
                    }
                    content = edit.apply(new String(content, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                }
                zip.putNextEntry(new ZipEntry(e.getName()));
                zip.write(content);
            }
        }
        return out;
    }

    /** A full disk: the write fails, the old file stays whole, and no temporary file is left behind. */
    @Test
    void aFullDiskLeavesTheOldFileIntact() throws IOException {
        try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix().toBuilder().setMaxSize(300_000)
                .setBlockSize(4096).build())) {
            Path target = fs.getPath("/models/mnist.npz");
            Files.createDirectories(target.getParent());
            Model small = Model.sequential(new Linear(784, 10), new LogSoftMax());
            try (Network net = Network.create(small, ReferenceBackend.INSTANCE, Init.HE_NORMAL, 1);
                 Network big = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 2)) {
                ModelFile.save(target, net, INFO);
                byte[] before = Files.readAllBytes(target);
                IOException e = assertThrows(IOException.class, () -> ModelFile.save(target, big, INFO));
                assertTrue(e.getMessage() != null, e.toString());
                assertArrayEquals(before, Files.readAllBytes(target), "the old file is whole");
                try (var files = Files.list(target.getParent())) {
                    assertEquals(List.of(target), files.toList(), "no temporary file left");
                }
            }
        }
    }

    @Test
    void savingFromAClosedNetworkLeavesTheOldFileIntact() throws IOException {
        Path file = saved("kept.npz", Model.mnist(), 1);
        byte[] before = Files.readAllBytes(file);
        Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 2);
        net.close();
        assertThrows(IllegalStateException.class, () -> ModelFile.save(file, net, INFO));
        assertArrayEquals(before, Files.readAllBytes(file));
    }

    @Test
    void savingToAFolderAFifoOrAMissingFolderIsRefusedBeforeWriting() throws Exception {
        try (Network net = Network.create(Model.mnist(), ReferenceBackend.INSTANCE, Init.HE_NORMAL, 2)) {
            IOException e = assertThrows(IOException.class, () -> ModelFile.save(dir, net, INFO));
            assertTrue(e.getMessage().contains("expected a regular file to write, found a folder"), e.getMessage());
            Path fifo = dir.resolve("fifo");
            assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
            e = assertThrows(IOException.class, () -> ModelFile.save(fifo, net, INFO));
            assertTrue(e.getMessage().contains("found a special file (FIFO, device or socket)"), e.getMessage());
            e = assertThrows(java.nio.file.NoSuchFileException.class,
                    () -> ModelFile.save(dir.resolve("no/such/folder/m.npz"), net, INFO));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
            // a folder nobody may write into (as root, chmod does not stop writes; /sys does)
            Path locked = Files.createDirectory(dir.resolve("locked"));
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
            Path target = Files.isWritable(locked) ? Path.of("/sys/pnn-model.npz") : locked.resolve("m.npz");
            assertThrows(java.nio.file.AccessDeniedException.class, () -> ModelFile.save(target, net, INFO));
        }
    }

    @Test
    void specAndArraysOfAModelTooLargeForMemoryAreRefusedBeforeAllocating() throws IOException {
        Path good = saved("good.npz", Model.sequential(new Linear(3, 2), new LogSoftMax()), 1);
        ModelSpec huge = new ModelSpec(dev.pnn.tensor.Shape.of(3), List.of(
                dev.pnn.train.model.LayerSpec.of("Linear", "in", 3, "out", 2_000_000_000),
                dev.pnn.train.model.LayerSpec.of("Linear", "in", 2_000_000_000, "out", 2)));
        Path f = rewrite(good, "huge.npz", "model.json", json -> json.replaceFirst("\"model\":\\{.*?\\]\\}",
                "\"model\":" + java.util.regex.Matcher.quoteReplacement(huge.toJson())));
        assertRefused(f, "model.json: model: expected at most 2147483647 parameters, found 12000000002 parameters");
    }
}
