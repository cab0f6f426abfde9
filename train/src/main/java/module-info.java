/**
 * Training and serving neural networks: layers and models ({@code model}), the executor
 * ({@code exec}), optimizers ({@code optim}), the training loop and checkpoints ({@code fit}),
 * data ({@code data}), model files ({@code io}) and classification ({@code infer}).
 */
module dev.pnn.train {
    requires transitive dev.pnn.tensor;
    requires com.google.gson;
    requires de.siegmar.fastcsv;
    requires jdk.management;

    exports dev.pnn.train.classic;
    exports dev.pnn.train.data;
    exports dev.pnn.train.exec;
    exports dev.pnn.train.fit;
    exports dev.pnn.train.infer;
    exports dev.pnn.train.io;
    exports dev.pnn.train.model;
    exports dev.pnn.train.optim;
}
