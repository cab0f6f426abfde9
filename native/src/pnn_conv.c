/* Convolution (im2col/col2im), max pooling and dropout, NHWC; see pnn_kernels.h. */
#include <math.h>
#include <string.h>

#include "pnn_kernels.h"

void pnn_im2col_nhwc(float* col, const float* inp, int n, int h, int w, int c, int kh, int kw, int stride, int pad,
                     int oh, int ow) {
    const int64_t row = (int64_t) kh * kw * c;
    for (int i = 0; i < n; i++) {
        const float* img = inp + (int64_t) i * h * w * c;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                float* dst = col + (((int64_t) i * oh + y) * ow + x) * row;
                for (int ky = 0; ky < kh; ky++) {
                    const int sy = y * stride - pad + ky;
                    float* d = dst + (int64_t) ky * kw * c;
                    if (sy < 0 || sy >= h) {
                        memset(d, 0, sizeof(float) * (size_t) kw * c);
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        const int sx = x * stride - pad + kx;
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

void pnn_col2im_nhwc(float* dinp, const float* dcol, int n, int h, int w, int c, int kh, int kw, int stride, int pad,
                     int oh, int ow) {
    const int64_t row = (int64_t) kh * kw * c;
    memset(dinp, 0, sizeof(float) * (size_t) n * h * w * c);
    for (int i = 0; i < n; i++) {
        float* img = dinp + (int64_t) i * h * w * c;
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                const float* src = dcol + (((int64_t) i * oh + y) * ow + x) * row;
                for (int ky = 0; ky < kh; ky++) {
                    const int sy = y * stride - pad + ky;
                    if (sy < 0 || sy >= h) {
                        continue;
                    }
                    for (int kx = 0; kx < kw; kx++) {
                        const int sx = x * stride - pad + kx;
                        if (sx < 0 || sx >= w) {
                            continue;
                        }
                        float* d = img + ((int64_t) sy * w + sx) * c;
                        const float* s = src + ((int64_t) ky * kw + kx) * c;
                        for (int ch = 0; ch < c; ch++) {
                            d[ch] += s[ch];
                        }
                    }
                }
            }
        }
    }
}

void pnn_maxpool_forward_nhwc(float* out, int32_t* argmax, const float* inp, int n, int h, int w, int c, int k,
                              int stride, int oh, int ow) {
    for (int i = 0; i < n; i++) {
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                const int64_t o = (((int64_t) i * oh + y) * ow + x) * c;
                for (int ch = 0; ch < c; ch++) {
                    float best = 0;
                    int64_t at = -1;
                    for (int ky = 0; ky < k; ky++) {
                        for (int kx = 0; kx < k; kx++) {
                            const int64_t j = (((int64_t) i * h + y * stride + ky) * w + x * stride + kx) * c + ch;
                            const float v = inp[j];
                            if (at < 0 || v > best || (isnan(v) && !isnan(best))) {
                                best = v;
                                at = j;
                            }
                        }
                    }
                    out[o + ch] = best;
                    argmax[o + ch] = (int32_t) at;
                }
            }
        }
    }
}

void pnn_maxpool_backward(float* dinp, const float* dout, const int32_t* argmax, int64_t count_in, int64_t count_out) {
    memset(dinp, 0, sizeof(float) * (size_t) count_in);
    for (int64_t j = 0; j < count_out; j++) {
        dinp[argmax[j]] += dout[j];
    }
}

static uint64_t splitmix64(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

void pnn_dropout_mask(float* mask, int64_t n, float p, uint64_t seed, int64_t offset) {
    const float keep = 1.0f / (1.0f - p);
    /* the top 24 bits of the hash as a uniform in [0, 1), exactly as the Java reference draws it */
    for (int64_t i = 0; i < n; i++) {
        const float u = (float) (splitmix64(seed ^ splitmix64((uint64_t) (offset + i))) >> 40) * 0x1p-24f;
        mask[i] = u < p ? 0.0f : keep;
    }
}

void pnn_mul(float* out, const float* a, const float* b, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        out[i] = a[i] * b[i];
    }
}
