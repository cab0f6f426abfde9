/*
 * PNN_VECTOR marks a kernel whose loops gcc vectorizes: it is compiled three times, for
 * AVX-512, AVX2 and baseline x86-64, and the loader picks the clone this processor runs
 * (gcc's target_clones, resolved once per process). The clones differ in vector width only:
 * the library is built in ISO C mode (-std=c11), where gcc fuses no multiply-add
 * (-ffp-contract=off) and reorders no floating-point sum, so every clone computes the same
 * bits as the plain C and as the Java reference.
 */
#ifndef PNN_VECTOR_H
#define PNN_VECTOR_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define PNN_VECTOR __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PNN_VECTOR
#endif

#endif
