package dev.pnn.train.io;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;

import dev.pnn.tensor.Backend;
import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.MemoryBudget;
import dev.pnn.train.exec.Network;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.model.LayerTypes;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ModelSpec;
import dev.pnn.train.model.ParameterSpec;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A model in one file that numpy and PyTorch open: an {@code .npz} (a zip of {@code .npy}
 * arrays) with one little-endian float32 array per parameter, named as PyTorch's
 * {@code state_dict} names them ({@code 0.weight} of shape {@code (out, in)}, {@code 0.bias} of
 * {@code (out,)}, the number being the layer's index in the model), and a {@code model.json}
 * entry:
 *
 * <pre>{@code
 * {"format": "panama-nn model", "format_version": 1,
 *  "model": {"input": [784], "layers": [{"type": "Linear", "in": 784, "out": 128}, ...]},
 *  "normalization": {"mean": 0.1307, "std": 0.3081}, "classes": ["0", ..., "9"],
 *  "training": {"epochs": 10, "optimizer": "momentum 0.9", "seed": 42, "final_accuracy": 98.35}}
 * }</pre>
 *
 * so that {@code torch.nn.Sequential(...).load_state_dict({k: torch.from_numpy(v) for k, v in
 * numpy.load(file).items()})} takes the arrays as they are.
 *
 * <p>Writing is atomic ({@link AtomicFiles}). Loading checks, before it allocates anything, that
 * the file is a regular file holding a zip, the format version, the model spec, every array's
 * dtype, order and shape against the spec and every entry's size, and that the parameters fit
 * in this machine's memory; then it reads each array, checking its CRC-32 and that every value
 * is finite. Any failure is a {@link ModelFileException} naming the file and the entry, and
 * nothing half-loaded escapes: the parameters are freed before it is thrown.
 */
public final class ModelFile {

    /** The entry holding the model's description. */
    public static final String MODEL_JSON = "model.json";
    /** The value of {@code format} in {@code model.json}. */
    public static final String FORMAT = "panama-nn model";
    /** The {@code format_version} this code writes and reads. */
    public static final int FORMAT_VERSION = 1;

    /** A loaded model: the network (which owns its parameters) and what the file says about it. */
    public record Loaded(Network network, ModelInfo info) implements AutoCloseable {
        @Override
        public void close() {
            network.close();
        }
    }

    private ModelFile() {}

    /** Writes {@code net}'s model and parameters with {@code info} to {@code file}, atomically. */
    public static void save(Path file, Network net, ModelInfo info) throws IOException {
        save(file, net.parameters(), info, w -> { });
    }

    /**
     * Writes a model file with more entries: {@code arrays} (flat float32 arrays, named without
     * {@code .npy}, each starting with {@value #STATE_PREFIX}) and {@code json} entries. A
     * checkpoint is such a file; a model loader ignores the extra entries.
     */
    public static void save(Path file, Parameters parameters, ModelInfo info, Map<String, Tensor> arrays,
                            Map<String, String> json) throws IOException {
        for (String name : arrays.keySet()) {
            if (!name.startsWith(STATE_PREFIX)) {
                throw new IllegalArgumentException("extra array '" + name + "' must start with " + STATE_PREFIX);
            }
        }
        save(file, parameters, info, w -> {
            for (Map.Entry<String, Tensor> a : arrays.entrySet()) {
                w.array(a.getKey(), a.getValue(), ParameterSpec.FileLayout.identity(a.getValue().shape()));
            }
            for (Map.Entry<String, String> j : json.entrySet()) {
                w.json(j.getKey(), j.getValue());
            }
        });
    }

    /** The prefix of the names of extra arrays (a checkpoint's optimizer state). */
    public static final String STATE_PREFIX = "state.";

    private static void save(Path file, Parameters parameters, ModelInfo info, Extra extra) throws IOException {
        String json = modelJson(parameters.model(), info).toString();
        AtomicFiles.write(file, out -> {
            Npz.Writer w = new Npz.Writer(out);
            w.json(MODEL_JSON, json);
            for (String name : parameters.names()) {
                w.array(name, parameters.get(name), parameters.spec(name).layout());
            }
            extra.write(w);
            w.finish();
        });
    }

    /** More entries for a file, written after the parameters. */
    @FunctionalInterface
    private interface Extra {
        void write(Npz.Writer w) throws IOException;
    }

    /** Loads a model written by {@link #save}, with the library's layer types, onto {@code backend}. */
    public static Loaded load(Path file, Backend backend) throws IOException {
        return load(file, backend, LayerTypes.builtIn());
    }

    /**
     * Loads a model written by {@link #save} onto {@code backend}, its layers built by {@code types}.
     * An {@code .npz} without a {@code model.json} entry (as numpy saves a PyTorch state dict)
     * takes its description from a {@code model.json} file beside it, else from
     * {@code <name>.json} beside it.
     */
    public static Loaded load(Path file, Backend backend, LayerTypes types) throws IOException {
        try (Npz.Reader r = new Npz.Reader(file)) {
            String json;
            Path from = file;
            if (r.has(MODEL_JSON)) {
                json = r.json(MODEL_JSON);
            } else {
                from = sidecar(file);
                json = Files.readString(from);
            }
            Description d = parse(from, json, types);
            return new Loaded(Network.adopt(read(r, file, d.model()), backend), d.info());
        }
    }

    /**
     * Loads the arrays of an {@code .npz} that has no description of its own (as numpy saves a
     * PyTorch state dict) as the parameters of {@code spec}'s model.
     */
    public static Loaded load(Path file, Backend backend, ModelSpec spec, ModelInfo info) throws IOException {
        try (Npz.Reader r = new Npz.Reader(file)) {
            Model model;
            try {
                model = spec.toModel();
            } catch (IllegalArgumentException e) {
                throw new ModelFileException(file, "model spec", "a valid model", e.getMessage(), e);
            }
            return new Loaded(Network.adopt(read(r, file, model), backend), info);
        }
    }

    /** The model file's description of {@code file}'s model, without reading the arrays. */
    public static ModelInfo info(Path file) throws IOException {
        try (Npz.Reader r = new Npz.Reader(file)) {
            return parse(file, r.json(MODEL_JSON), LayerTypes.builtIn()).info();
        }
    }

    /**
     * A JSON entry of {@code file} other than {@code model.json} (a checkpoint's), its CRC checked.
     *
     * @throws ModelFileException when the file has no such entry or it is corrupt
     */
    public static String json(Path file, String entry) throws IOException {
        try (Npz.Reader r = new Npz.Reader(file)) {
            return r.json(entry);
        }
    }

    /**
     * Reads the extra array {@code name} (see {@link #save(Path, Parameters, ModelInfo, Map, Map)})
     * of {@code file} into {@code into}, which must have its shape; checked as parameters are.
     */
    public static void readArray(Path file, String name, Tensor into) throws IOException {
        try (Npz.Reader r = new Npz.Reader(file)) {
            r.checkArray(name, into.shape());
            r.readArray(name, into, ParameterSpec.FileLayout.identity(into.shape()));
        }
    }

    private static Path sidecar(Path file) throws ModelFileException {
        Path dir = file.toAbsolutePath().getParent();
        String name = file.getFileName().toString();
        String base = name.endsWith(".npz") ? name.substring(0, name.length() - 4) : name;
        for (Path p : List.of(dir.resolve(MODEL_JSON), dir.resolve(base + ".json"))) {
            if (Files.isRegularFile(p)) {
                return p;
            }
        }
        throw new ModelFileException(file, MODEL_JSON, "an entry, or a model.json or " + base
                + ".json beside the file, describing the model", "none");
    }

    // ---- model.json ----------------------------------------------------------------------------

    record Description(Model model, ModelInfo info) {}

    static JsonObject modelJson(Model model, ModelInfo info) {
        JsonObject o = new JsonObject();
        o.addProperty("format", FORMAT);
        o.addProperty("format_version", FORMAT_VERSION);
        o.add("model", JsonParser.parseString(model.spec().toJson()));
        JsonObject norm = new JsonObject();
        norm.addProperty("mean", info.normalization().mean());
        norm.addProperty("std", info.normalization().std());
        o.add("normalization", norm);
        JsonArray classes = new JsonArray();
        info.classes().forEach(classes::add);
        o.add("classes", classes);
        JsonObject training = new JsonObject();
        for (Map.Entry<String, Object> e : info.training().entrySet()) {
            switch (e.getValue()) {
                case Number n -> training.addProperty(e.getKey(), n);
                case Boolean b -> training.addProperty(e.getKey(), b);
                default -> training.addProperty(e.getKey(), String.valueOf(e.getValue()));
            }
        }
        o.add("training", training);
        if (!info.featureMean().isEmpty()) {
            JsonObject scaling = new JsonObject();
            JsonArray mean = new JsonArray();
            info.featureMean().forEach(mean::add);
            JsonArray std = new JsonArray();
            info.featureStd().forEach(std::add);
            scaling.add("mean", mean);
            scaling.add("std", std);
            o.add("feature_scaling", scaling);
        }
        return o;
    }

    /** Pretty JSON, as written. */
    static String pretty(JsonElement e) {
        return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(e);
    }

    static Description parse(Path file, String json, LayerTypes types) throws ModelFileException {
        JsonObject o;
        try {
            JsonElement root = JsonParser.parseString(json);
            if (!root.isJsonObject()) {
                throw new ModelFileException(file, MODEL_JSON, "a JSON object", abbreviate(json));
            }
            o = root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new ModelFileException(file, MODEL_JSON, "valid JSON", "a parse error (" + e.getMessage() + ")", e);
        }
        String format = string(o, "format");
        if (!FORMAT.equals(format)) {
            throw new ModelFileException(file, MODEL_JSON + ": format", "\"" + FORMAT + "\"", String.valueOf(format));
        }
        JsonElement version = o.get("format_version");
        if (version == null || !version.isJsonPrimitive() || !version.getAsJsonPrimitive().isNumber()
                || version.getAsDouble() != FORMAT_VERSION) {
            throw new ModelFileException(file, MODEL_JSON + ": format_version", Integer.toString(FORMAT_VERSION)
                    + " (files of a later version need a later panama-nn)", String.valueOf(version));
        }
        Model model;
        try {
            JsonElement spec = o.get("model");
            if (spec == null) {
                throw new IllegalArgumentException("no \"model\" field");
            }
            model = ModelSpec.fromJson(spec.toString()).toModel(types);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, MODEL_JSON + ": model", "a valid model spec", e.getMessage(), e);
        }
        Normalization normalization;
        try {
            JsonObject n = o.getAsJsonObject("normalization");
            normalization = n == null ? Normalization.NONE
                    : new Normalization(n.get("mean").getAsDouble(), n.get("std").getAsDouble());
        } catch (RuntimeException e) {
            throw new ModelFileException(file, MODEL_JSON + ": normalization", "{\"mean\": m, \"std\": s > 0}",
                    String.valueOf(o.get("normalization")), e);
        }
        List<String> classes = new ArrayList<>();
        JsonElement c = o.get("classes");
        if (c != null && c.isJsonArray()) {
            c.getAsJsonArray().forEach(e -> classes.add(e.getAsString()));
        }
        if (!classes.isEmpty() && classes.size() != model.outputs()) {
            throw new ModelFileException(file, MODEL_JSON + ": classes", model.outputs() + " names (one per output)",
                    Integer.toString(classes.size()));
        }
        Map<String, Object> training = new LinkedHashMap<>();
        JsonElement t = o.get("training");
        if (t != null && t.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : t.getAsJsonObject().entrySet()) {
                if (e.getValue().isJsonPrimitive()) {
                    var p = e.getValue().getAsJsonPrimitive();
                    training.put(e.getKey(), p.isNumber() ? p.getAsDouble() : p.isBoolean() ? p.getAsBoolean()
                            : p.getAsString());
                }
            }
        }
        List<Float> mean = new ArrayList<>();
        List<Float> std = new ArrayList<>();
        JsonElement fs = o.get("feature_scaling");
        if (fs != null && fs.isJsonObject()) {
            try {
                fs.getAsJsonObject().getAsJsonArray("mean").forEach(e -> mean.add(e.getAsFloat()));
                fs.getAsJsonObject().getAsJsonArray("std").forEach(e -> std.add(e.getAsFloat()));
            } catch (RuntimeException e) {
                throw new ModelFileException(file, MODEL_JSON + ": feature_scaling", "{\"mean\": [...], \"std\": [...]}",
                        abbreviate(fs.toString()), e);
            }
            if (mean.size() != model.inputs() || std.size() != model.inputs()) {
                throw new ModelFileException(file, MODEL_JSON + ": feature_scaling", model.inputs()
                        + " means and standard deviations", mean.size() + " and " + std.size());
            }
        }
        return new Description(model, new ModelInfo(normalization, classes, training, mean, std));
    }

    private static String string(JsonObject o, String field) {
        JsonElement e = o.get(field);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static String abbreviate(String s) {
        return s.length() > 60 ? s.substring(0, 57) + "..." : s;
    }

    // ---- arrays ----------------------------------------------------------------------------------

    /**
     * Checks every array against {@code model}, then allocates its parameters and reads them;
     * on any failure frees them and throws. The caller owns what it returns.
     */
    static Parameters read(Npz.Reader r, Path file, Model model) throws IOException {
        Set<String> expected = new HashSet<>();
        long count = model.parameterCount();
        if (count > Integer.MAX_VALUE) {
            throw new ModelFileException(file, MODEL_JSON + ": model", "at most " + Integer.MAX_VALUE + " parameters",
                    count + " parameters");
        }
        try {
            MemoryBudget.require("model " + model.widths(), Parameters.bytesFor(model));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, MODEL_JSON + ": model", "a model that fits in memory", e.getMessage(), e);
        }
        List<String> names = new ArrayList<>();
        List<ParameterSpec> specs = new ArrayList<>();
        for (int i = 0; i < model.layers().size(); i++) {
            for (ParameterSpec p : model.layers().get(i).parameters()) {
                names.add(i + "." + p.name());
                specs.add(p);
            }
        }
        for (int k = 0; k < names.size(); k++) {
            Shape fileShape = specs.get(k).fileShape();
            r.checkArray(names.get(k), fileShape);
            expected.add(names.get(k));
        }
        for (String a : r.arrays()) {
            if (!expected.contains(a) && !a.startsWith(STATE_PREFIX)) {
                throw new ModelFileException(file, a + ".npy", "only the arrays of model " + model.widths() + " ("
                        + String.join(", ", names) + ")", "an array it does not have");
            }
        }
        Parameters parameters = Parameters.zeros(model);
        try {
            for (int k = 0; k < names.size(); k++) {
                r.readArray(names.get(k), parameters.get(names.get(k)), specs.get(k).layout());
            }
            return parameters;
        } catch (IOException | RuntimeException e) {
            parameters.close();
            throw e;
        }
    }
}
