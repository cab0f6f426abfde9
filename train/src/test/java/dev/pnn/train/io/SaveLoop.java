package dev.pnn.train.io;

import dev.pnn.tensor.ReferenceBackend;
import dev.pnn.train.data.Normalization;
import dev.pnn.train.exec.Network;
import dev.pnn.train.model.Activation;
import dev.pnn.train.model.Model;

import java.nio.file.Path;
import java.util.List;

/** Run in a child JVM by {@link KillDuringSaveTest}: saves a large model over one file, again and again. */
public final class SaveLoop {

    private SaveLoop() {}

    static final Model MODEL = Model.mlp(784, List.of(2048, 2048), 10, Activation.RELU);

    public static void main(String[] args) throws Exception {
        Path target = Path.of(args[0]);
        try (Network net = Network.zeros(MODEL, ReferenceBackend.INSTANCE)) {
            for (int i = 1; ; i++) {
                net.parameters().get("0.bias").setFlat(0, i);
                net.parameters().get("4.bias").setFlat(9, i);
                ModelFile.save(target, net, ModelInfo.of(Normalization.NONE));
                System.out.println("saved " + i);
                System.out.flush();
            }
        }
    }
}
