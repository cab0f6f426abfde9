/*
 * pnn_matmul against its contract (pnn_kernels.h), bit for bit, on seeded random shapes: every
 * element one fused multiply-add after another over k from 0, then alpha and beta. Every operand
 * ends where an unreadable page begins, so a read past its end (a tail lane, a gather, the
 * last row of b) faults instead of passing unseen. Run by `make test`; exits 1 on a mismatch.
 */
#define _DEFAULT_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pnn_kernels.h"

#define CASES 3000

/* n floats whose last one ends where a PROT_NONE page begins */
static float* guarded(long n) {
    const long page = sysconf(_SC_PAGESIZE);
    const long bytes = n * (long) sizeof(float);
    const long total = ((bytes + page - 1) / page + 1) * page;
    char* p = mmap(NULL, (size_t) total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || mprotect(p + total - page, (size_t) page, PROT_NONE) != 0) {
        perror("pnn_matmul_test: mmap");
        exit(2);
    }
    return (float*) (p + total - page - bytes);
}

static void release(float* f, long n) {
    const long page = sysconf(_SC_PAGESIZE);
    const long bytes = n * (long) sizeof(float);
    const long total = ((bytes + page - 1) / page + 1) * page;
    munmap((char*) f + bytes + page - total, (size_t) total);
}

static uint64_t state = 88172645463325252ULL;

static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

/* a value in [-1, 1] on a grid of 1/1000 */
static float value(void) { return (float) (next() % 2001) / 1000.0f - 1.0f; }

int main(void) {
    if (!pnn_matmul_supported()) {
        fprintf(stderr, "pnn_matmul_test: this processor has no AVX-512F, which pnn_matmul needs\n");
        return 1;
    }
    int mismatches = 0, updates_differ = 0;
    for (int t = 0; t < CASES; t++) {
        const int m = 1 + (int) (next() % 70), n = 1 + (int) (next() % 140);
        const int ta = (int) (next() % 2), tb = (int) (next() % 2);
        const int k = 1 + (int) (next() % (tb ? PNN_MATMUL_MAX_PACKED_K : 300));
        const float alpha = next() % 4 == 0 ? 1.0f : next() % 8 == 0 ? 0.0f : 2.0f * value();
        const float beta = next() % 3 == 0 ? 0.0f : next() % 3 == 0 ? 1.0f : 2.0f * value();
        float* a = guarded((long) m * k);
        float* b = guarded((long) k * n);
        float* c = guarded((long) m * n);
        float* want = malloc((size_t) m * n * sizeof(float));
        for (long i = 0; i < (long) m * k; i++) a[i] = value();
        for (long i = 0; i < (long) k * n; i++) b[i] = value();
        for (long i = 0; i < (long) m * n; i++) c[i] = want[i] = value();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0.0f;
                for (int p = 0; p < k; p++) {
                    sum = fmaf(ta ? a[p * m + i] : a[i * k + p], tb ? b[j * k + p] : b[p * n + j], sum);
                }
                const float old = want[i * n + j];
                want[i * n + j] = alpha == 0.0f ? (beta == 0.0f ? 0.0f : beta * old)
                                : beta == 0.0f ? alpha * sum : alpha * sum + beta * old;
            }
        }
        pnn_matmul(c, a, b, m, n, k, ta ? 1 : k, ta ? m : 1, tb ? 1 : n, tb ? k : 1, n, alpha, beta);
        if (memcmp(c, want, (size_t) m * n * sizeof(float)) != 0) {
            if (++mismatches <= 5) {
                fprintf(stderr, "pnn_matmul_test: %dx%dx%d transA=%d transB=%d alpha=%g beta=%g differs from "
                        "its contract\n", m, n, k, ta, tb, alpha, beta);
            }
        }
        /* the momentum update inside the product against the gradient stored, then
         * pnn_sgd_momentum_update: the same bits, a zero a (a zero gradient) now and then so
         * that tiny velocities decay into the range that is flushed to 0 */
        const long mn = (long) m * n;
        if (next() % 8 == 0) {
            for (long i = 0; i < (long) m * k; i++) a[i] = 0.0f;
        }
        const float lr = 0.1f * (value() + 1.0f), mu = 0.5f * (value() + 1.0f);
        const float wd = next() % 2 == 0 ? 0.0f : 0.01f * (value() + 1.0f);
        const int nesterov = (int) (next() % 2);
        float* p = guarded(mn);
        float* v = guarded(mn);
        float* grad = malloc((size_t) mn * sizeof(float));
        float* p_want = malloc((size_t) mn * sizeof(float));
        float* v_want = malloc((size_t) mn * sizeof(float));
        for (long i = 0; i < mn; i++) {
            p[i] = p_want[i] = i % 3 == 0 ? 0.0f : value();
            v[i] = v_want[i] = i % 5 == 0 ? 1e-38f * value() : value();
        }
        pnn_matmul(grad, a, b, m, n, k, ta ? 1 : k, ta ? m : 1, tb ? 1 : n, tb ? k : 1, n, 1.0f, 0.0f);
        pnn_sgd_momentum_update(p_want, v_want, grad, mn, lr, mu, wd, nesterov);
        pnn_matmul_momentum(p, v, a, b, m, n, k, ta ? 1 : k, ta ? m : 1, tb ? 1 : n, tb ? k : 1, n, lr, mu, wd,
                            nesterov);
        if (memcmp(p, p_want, (size_t) mn * sizeof(float)) != 0 || memcmp(v, v_want, (size_t) mn * sizeof(float)) != 0) {
            if (++updates_differ <= 5) {
                fprintf(stderr, "pnn_matmul_test: momentum in the %dx%dx%d product (transA=%d transB=%d lr=%g "
                        "momentum=%g weight decay=%g nesterov=%d) differs from the update after it\n", m, n, k, ta,
                        tb, lr, mu, wd, nesterov);
            }
        }
        free(grad);
        free(p_want);
        free(v_want);
        release(p, mn);
        release(v, mn);
        free(want);
        release(a, (long) m * k);
        release(b, (long) k * n);
        release(c, (long) m * n);
    }
    printf("pnn_matmul_test: %d products, %d differ from the contract; %d momentum updates in the product, %d "
           "differ from the update after it\n", CASES, mismatches, CASES, updates_differ);
    return mismatches == 0 && updates_differ == 0 ? 0 : 1;
}
