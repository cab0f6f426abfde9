package dev.pnn.train.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonWriter;

import dev.pnn.tensor.Tensor;
import dev.pnn.train.exec.Parameters;
import dev.pnn.train.model.ParameterSpec;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Parameters as {@code {"param_0": ..., "param_1": ...}}: every parameter in the model's order,
 * oriented as PyTorch holds them (a weight is a list of {@code out} rows of {@code in} values, a
 * bias a list of {@code out} values). What {@code export --format json} and snapshots write.
 */
final class ParamJson {

    private ParamJson() {}

    static void write(OutputStream out, Parameters p) throws IOException {
        JsonWriter w = new JsonWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
        w.beginObject();
        int k = 0;
        for (String name : p.names()) {
            w.name("param_" + k++);
            array(w, p.get(name), p.spec(name));
        }
        w.endObject();
        w.flush();
    }

    /** A parameter's values in its file layout's row-major order (as PyTorch holds them). */
    static float[] fileOrder(Tensor t, ParameterSpec spec) {
        return spec.layout().toFile(t.toArray());
    }

    /** Nested lists in the file shape: a bias a list, a weight a list of rows, a 4-D kernel deeper. */
    private static void array(JsonWriter w, Tensor t, ParameterSpec spec) throws IOException {
        nest(w, fileOrder(t, spec), spec.fileShape().dims(), 0, 0);
    }

    private static int nest(JsonWriter w, float[] v, int[] dims, int axis, int at) throws IOException {
        w.beginArray();
        for (int i = 0; i < dims[axis]; i++) {
            if (axis == dims.length - 1) {
                w.value(v[at++]);
            } else {
                at = nest(w, v, dims, axis + 1, at);
            }
        }
        w.endArray();
        return at;
    }

    private static void flatten(JsonElement e, List<Float> into) {
        if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(x -> flatten(x, into));
        } else {
            into.add(e.getAsFloat());
        }
    }

    /** The arrays of such a file, in order, each as rows (a bias as one row). */
    static List<float[][]> read(Path file) throws IOException {
        JsonElement root;
        try {
            root = JsonParser.parseString(Files.readString(file));
        } catch (RuntimeException e) {
            throw new IOException(file + ": expected the JSON of a snapshot or an export, found a parse error ("
                    + e.getMessage() + ")");
        }
        if (!root.isJsonObject() || !root.getAsJsonObject().has("param_0")) {
            throw new IOException(file + ": expected {\"param_0\": ..., ...}, found another JSON document");
        }
        JsonObject o = root.getAsJsonObject();
        List<float[][]> out = new ArrayList<>();
        for (int k = 0; o.has("param_" + k); k++) {
            JsonArray a = o.getAsJsonArray("param_" + k);
            if (a.isEmpty() || !a.get(0).isJsonArray()) {
                float[] row = new float[a.size()];
                for (int i = 0; i < row.length; i++) {
                    row[i] = a.get(i).getAsFloat();
                }
                out.add(new float[][] {row});
            } else {
                float[][] m = new float[a.size()][];
                for (int r = 0; r < m.length; r++) {
                    List<Float> flat = new ArrayList<>();
                    flatten(a.get(r), flat);
                    m[r] = new float[flat.size()];
                    for (int c = 0; c < m[r].length; c++) {
                        m[r][c] = flat.get(c);
                    }
                }
                out.add(m);
            }
        }
        return out;
    }
}
