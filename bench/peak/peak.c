// Arithmetic peak of this CPU: independent AVX-512 FMA (fp32) or VDPBF16PS (bf16) chains per thread.
// Build: gcc -O3 -march=native -pthread bench/peak/peak.c -o /tmp/peak; run: /tmp/peak fp32 2 ; /tmp/peak bf16 2
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHAINS 12
#define ITERATIONS 50000000L

static int use_bf16;

static void *run(void *result)
{
    __m512 acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps(1.0f + i * 1e-3f);
    __m512 a = _mm512_set1_ps(0.9999999f), b = _mm512_set1_ps(1e-7f);
#ifdef __AVX512BF16__
    __m512bh a16 = (__m512bh)_mm512_set1_epi16(0x3f80), b16 = (__m512bh)_mm512_set1_epi16(0x3380);
    if (use_bf16)
        for (long k = 0; k < ITERATIONS; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a16, b16);
    else
#endif
        for (long k = 0; k < ITERATIONS; k++)
            for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    float sum = 0;
    for (int i = 0; i < CHAINS; i++) sum += _mm512_reduce_add_ps(acc[i]);
    *(float *)result = sum; // keeps the loop alive
    return NULL;
}

int main(int argc, char **argv)
{
    use_bf16 = argc > 1 && strcmp(argv[1], "bf16") == 0;
    int threads = argc > 2 ? atoi(argv[2]) : 2;
    if (threads < 1 || threads > 64) return 2;
#ifndef __AVX512BF16__
    if (use_bf16) { fprintf(stderr, "built without avx512_bf16\n"); return 2; }
#endif
    pthread_t t[64];
    float r[64];
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, run, &r[i]);
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    double seconds = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) * 1e-9;
    // Per instruction: 16 fp32 FMAs (2 FLOP each), or 32 bf16 products summed into 16 lanes (2 FLOP per product).
    double flop = 2.0 * (use_bf16 ? 32 : 16) * CHAINS * (double)ITERATIONS * threads;
    printf("%s, %d thread(s): %.0f GFLOP/s\n", use_bf16 ? "bf16" : "fp32", threads, flop / seconds / 1e9);
    return 0;
}
