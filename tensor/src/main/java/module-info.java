/**
 * Off-heap tensors and the {@link dev.pnn.tensor.Backend} operations over them, native (a
 * CBLAS such as OpenBLAS or BLIS, and the C kernels) or pure Java. Loading the native libraries
 * is a restricted operation: run with {@code --enable-native-access=dev.pnn.bindings,dev.pnn.tensor}.
 */
module dev.pnn.tensor {
    requires dev.pnn.bindings;

    exports dev.pnn.tensor;
}
