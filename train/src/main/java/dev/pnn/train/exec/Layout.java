package dev.pnn.train.exec;

import dev.pnn.tensor.Shape;
import dev.pnn.tensor.Tensor;
import dev.pnn.train.model.Layer;
import dev.pnn.train.model.Model;
import dev.pnn.train.model.ParameterSpec;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where each parameter of a model lives in one flat buffer: layer by layer, each layer's
 * parameters in the order it declares them, row-major, packed. Parameters and their gradients
 * share this layout, so an optimizer step is one pass over a flat buffer.
 */
final class Layout {

    /** One parameter: its full name ({@code 2.weight}), layer index, spec and offset in floats. */
    record Entry(String name, int layer, ParameterSpec spec, long offset) {}

    private final List<Entry> entries;
    private final int[] firstOfLayer;
    private final long count;

    Layout(Model model) {
        List<Entry> list = new ArrayList<>();
        firstOfLayer = new int[model.layers().size() + 1];
        long offset = 0;
        for (int i = 0; i < model.layers().size(); i++) {
            firstOfLayer[i] = list.size();
            Layer layer = model.layers().get(i);
            for (ParameterSpec p : layer.parameters()) {
                list.add(new Entry(i + "." + p.name(), i, p, offset));
                offset = Math.addExact(offset, p.shape().size());
            }
        }
        firstOfLayer[model.layers().size()] = list.size();
        if (offset > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("model " + model.widths() + " has " + offset
                    + " parameters; at most " + Integer.MAX_VALUE + " fit one flat buffer");
        }
        this.entries = List.copyOf(list);
        this.count = offset;
    }

    List<Entry> entries() {
        return entries;
    }

    long count() {
        return count;
    }

    /** The flat buffer's shape: {@code count} floats, at least one so that a model without parameters has a buffer too. */
    Shape flatShape() {
        return new Shape((int) Math.max(count, 1));
    }

    /** Views of {@code flat} for every parameter, by layer: {@code views[layer][k]}. */
    Tensor[][] carve(Tensor flat, int layers) {
        Tensor[][] views = new Tensor[layers][];
        for (int i = 0; i < layers; i++) {
            views[i] = new Tensor[firstOfLayer[i + 1] - firstOfLayer[i]];
            for (int k = 0; k < views[i].length; k++) {
                Entry e = entries.get(firstOfLayer[i] + k);
                views[i][k] = flat.view(e.offset(), e.spec().shape());
            }
        }
        return views;
    }

    /** The same views by full name, in layout order. */
    Map<String, Tensor> byName(Tensor[][] views) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < views.length; i++) {
            for (int k = 0; k < views[i].length; k++) {
                m.put(entries.get(firstOfLayer[i] + k).name(), views[i][k]);
            }
        }
        return Collections.unmodifiableMap(m);
    }
}
