/* Convolution (im2col/col2im), max pooling and dropout, NHWC; see pnn_kernels.h. */
#include <math.h>
#include <string.h>

#include "pnn_kernels.h"
#include "pnn_vector.h"

PNN_VECTOR
void pnn_im2col_nhwc(float* col, const float* inp, int n, int h, int w, int c, int kh, int kw, int stride, int pad,
                     int oh, int ow) {
    const int64_t row = (int64_t) kh * kw * c;
    for (int i = 0; i < n; i++) {
        const float* img = inp + (int64_t) i * h * w * c;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                float* dst = col + (((int64_t) i * oh + y) * ow + x) * row;
                const int x0 = x * stride - pad;
                for (int ky = 0; ky < kh; ky++) {
                    const int sy = y * stride - pad + ky;
                    float* d = dst + (int64_t) ky * kw * c;
                    if (sy < 0 || sy >= h) {
                        memset(d, 0, sizeof(float) * (size_t) kw * c);
                    } else if (x0 >= 0 && x0 + kw <= w) {
                        /* the window's row lies inside the image: kw * c contiguous values (NHWC) */
                        memcpy(d, img + ((int64_t) sy * w + x0) * c, sizeof(float) * (size_t) kw * c);
                    } else {
                        for (int kx = 0; kx < kw; kx++) {
                            const int sx = x0 + kx;
                            if (sx < 0 || sx >= w) {
                                memset(d + (int64_t) kx * c, 0, sizeof(float) * (size_t) c);
                            } else {
                                memcpy(d + (int64_t) kx * c, img + ((int64_t) sy * w + sx) * c, sizeof(float) * (size_t) c);
                            }
                        }
                    }
                }
            }
        }
    }
}

PNN_VECTOR
void pnn_col2im_nhwc(float* dinp, const float* dcol, int n, int h, int w, int c, int kh, int kw, int stride, int pad,
                     int oh, int ow) {
    const int64_t row = (int64_t) kh * kw * c;
    memset(dinp, 0, sizeof(float) * (size_t) n * h * w * c);
    for (int i = 0; i < n; i++) {
        float* img = dinp + (int64_t) i * h * w * c;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                const float* src = dcol + (((int64_t) i * oh + y) * ow + x) * row;
                const int x0 = x * stride - pad;
                for (int ky = 0; ky < kh; ky++) {
                    const int sy = y * stride - pad + ky;
                    if (sy < 0 || sy >= h) {
                        continue;
                    }
                    const float* s = src + (int64_t) ky * kw * c;
                    if (x0 >= 0 && x0 + kw <= w) {
                        float* d = img + ((int64_t) sy * w + x0) * c;
                        const int64_t len = (int64_t) kw * c;
                        for (int64_t j = 0; j < len; j++) {
                            d[j] += s[j];
                        }
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        const int sx = x0 + kx;
                        if (sx < 0 || sx >= w) {
                            continue;
                        }
                        float* d = img + ((int64_t) sy * w + sx) * c;
                        const float* t = s + (int64_t) kx * c;
                        for (int ch = 0; ch < c; ch++) {
                            d[ch] += t[ch];
                        }
                    }
                }
            }
        }
    }
}

/* One window position against the running maxima of c channels: branch-free, so that it
 * vectorizes and costs the same whatever the data (a branch per value mispredicts on real activations). */
static void pool_step(float* restrict best, int32_t* restrict at, const float* restrict v, int32_t base, int c) {
    for (int ch = 0; ch < c; ch++) {
        const float x = v[ch];
        const float b = best[ch];
        /* the first maximum wins; a NaN beats any number (as in PyTorch) */
        const int take = (x > b) | ((x != x) & (b == b));
        best[ch] = take ? x : b;
        at[ch] = take ? base + ch : at[ch];
    }
}

PNN_VECTOR
void pnn_maxpool_forward_nhwc(float* out, int32_t* argmax, const float* inp, int n, int h, int w, int c, int k,
                              int stride, int oh, int ow) {
    for (int i = 0; i < n; i++) {
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                const int64_t o = (((int64_t) i * oh + y) * ow + x) * c;
                float* best = out + o;
                int32_t* at = argmax + o;
                /* channels innermost: every comparison is a contiguous pass */
                const int64_t first = (((int64_t) i * h + (int64_t) y * stride) * w + (int64_t) x * stride) * c;
                for (int ch = 0; ch < c; ch++) {
                    best[ch] = inp[first + ch];
                    at[ch] = (int32_t) (first + ch);
                }
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        if (ky == 0 && kx == 0) {
                            continue;
                        }
                        const int64_t j = (((int64_t) i * h + (int64_t) y * stride + ky) * w + (int64_t) x * stride + kx) * c;
                        pool_step(best, at, inp + j, (int32_t) j, c);
                    }
                }
            }
        }
    }
}

PNN_VECTOR
int64_t pnn_maxpool_backward(float* dinp, const float* dout, const int32_t* argmax, int64_t count_in,
                             int64_t count_out) {
    for (int64_t j = 0; j < count_out; j++) {
        if (argmax[j] < 0 || argmax[j] >= count_in) {
            return j;
        }
    }
    memset(dinp, 0, sizeof(float) * (size_t) count_in);
    for (int64_t j = 0; j < count_out; j++) {
        dinp[argmax[j]] += dout[j];
    }
    return -1;
}

static uint64_t splitmix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

PNN_VECTOR
void pnn_dropout_mask(float* mask, int64_t n, float p, uint64_t seed, int64_t offset) {
    const float keep = 1.0f / (1.0f - p);
    /* the top 24 bits of the hash as a uniform in [0, 1), exactly as the Java reference draws it */
    for (int64_t i = 0; i < n; i++) {
        const float u = (float) (splitmix64(seed ^ splitmix64((uint64_t) (offset + i))) >> 40) * 0x1p-24f;
        mask[i] = u < p ? 0.0f : keep;
    }
}

PNN_VECTOR
void pnn_mul(float* out, const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        out[i] = a[i] * b[i];
    }
}
