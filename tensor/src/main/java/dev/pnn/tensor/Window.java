package dev.pnn.tensor;

/**
 * A sliding window over a batch of NHWC images: {@code n} images of {@code h x w} pixels with
 * {@code c} channels, a {@code kh x kw} window moved by {@code stride}, with {@code pad} pixels
 * of zeros around each image. What a convolution's im2col and a max pool need to know.
 *
 * @param n      images, {@code >= 1}
 * @param h      height, {@code >= 1}
 * @param w      width, {@code >= 1}
 * @param c      channels, {@code >= 1}
 * @param kh     window height, {@code >= 1}
 * @param kw     window width, {@code >= 1}
 * @param stride {@code >= 1}
 * @param pad    {@code >= 0}, smaller than the window
 */
public record Window(int n, int h, int w, int c, int kh, int kw, int stride, int pad) {

    public Window {
        if (n < 1 || h < 1 || w < 1 || c < 1 || kh < 1 || kw < 1 || stride < 1 || pad < 0 || pad >= Math.max(kh, kw)) {
            throw new IllegalArgumentException("window " + this + ": sizes >= 1, stride >= 1, 0 <= pad < kernel");
        }
        if (h + 2L * pad < kh || w + 2L * pad < kw) {
            throw new ShapeMismatchException("a " + kh + "x" + kw + " window does not fit " + h + "x" + w
                    + " images padded by " + pad);
        }
        if ((long) n * h * w * c > Integer.MAX_VALUE * 64L) {
            throw new IllegalArgumentException("window " + this + ": too many elements");
        }
    }

    /** Output height: {@code (h + 2 pad - kh) / stride + 1}. */
    public int oh() {
        return (h + 2 * pad - kh) / stride + 1;
    }

    /** Output width. */
    public int ow() {
        return (w + 2 * pad - kw) / stride + 1;
    }

    /** Elements of the input batch. */
    public long inputSize() {
        return (long) n * h * w * c;
    }

    /** Rows of im2col's matrix, one per output pixel: {@code n * oh * ow}. */
    public int columnRows() {
        return Math.toIntExact((long) n * oh() * ow());
    }

    /** Columns of im2col's matrix: {@code kh * kw * c}. */
    public int columnCols() {
        return Math.toIntExact((long) kh * kw * c);
    }

    /** Elements of a pooled output with the input's channels: {@code n * oh * ow * c}. */
    public long pooledSize() {
        return (long) columnRows() * c;
    }

    @Override
    public String toString() {
        return n + "x" + h + "x" + w + "x" + c + " images, " + kh + "x" + kw + " window, stride " + stride + ", pad "
                + pad;
    }
}
