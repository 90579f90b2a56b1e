/* numpy's pairwise sum of n float64 values: what np.add's reduction loop adds onto its first value.
 * Shared by _lines.c (the lexical score) and _trees.c (the sum over trees), which must both give
 * numpy's float64 results bit for bit (they are built with -ffp-contract=off: no fused multiply-add). */
#ifndef CLEANER_PAIRWISE_H
#define CLEANER_PAIRWISE_H

#include <Python.h>

/* A run of at most PAIRWISE_RUN values is summed on its own (by 8 accumulators); a longer one is split at
 * pairwise_half(n). */
#define PAIRWISE_RUN 128

static inline Py_ssize_t pairwise_half(Py_ssize_t n) {
    Py_ssize_t half = n / 2;
    return half - half % 8;
}

static double pairwise_sum(const double *a, Py_ssize_t n) {
    if (n < 8) {
        double sum = -0.0; /* as numpy: -0.0 keeps a sum of -0.0 values negative */
        for (Py_ssize_t i = 0; i < n; i++) sum += a[i];
        return sum;
    }
    if (n <= PAIRWISE_RUN) {
        double r0 = a[0], r1 = a[1], r2 = a[2], r3 = a[3], r4 = a[4], r5 = a[5], r6 = a[6], r7 = a[7];
        Py_ssize_t i = 8;
        for (; i < n - n % 8; i += 8) {
            r0 += a[i];
            r1 += a[i + 1];
            r2 += a[i + 2];
            r3 += a[i + 3];
            r4 += a[i + 4];
            r5 += a[i + 5];
            r6 += a[i + 6];
            r7 += a[i + 7];
        }
        double sum = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
        for (; i < n; i++) sum += a[i];
        return sum;
    }
    const Py_ssize_t half = pairwise_half(n);
    return pairwise_sum(a, half) + pairwise_sum(a + half, n - half);
}

#endif
