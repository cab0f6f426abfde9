/**
 * jextract's bindings to {@code cblas.h} and {@code native/include/pnn_kernels.h}, and the
 * kernels library they call ({@code native/<platform>/libpnnkernels.so} inside this jar). Only
 * {@code dev.pnn.tensor} uses them. Their downcalls are restricted methods: run with
 * {@code --enable-native-access=dev.pnn.bindings,dev.pnn.tensor} (on the module path) or
 * {@code ALL-UNNAMED} (on the class path).
 */
module dev.pnn.bindings {
    exports dev.pnn.bindings.kernels to dev.pnn.tensor;
    exports dev.pnn.bindings.cblas to dev.pnn.tensor;
}
