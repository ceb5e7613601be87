/*
 * lm_cpu: what the processor we run on can do, for kernels compiled for
 * instruction sets beyond the build's baseline (x86-64) and picked at run
 * time.  Asked through CPUID and XGETBV directly rather than
 * __builtin_cpu_supports, because a feature is only usable when the
 * operating system also saves its registers (XCR0), and because clang 14
 * does not know every name GCC does.
 *
 * LITMINE_CPU_NO_AVX512BF16 set to anything non-empty in the environment
 * makes lm_cpu_has_avx512bf16() answer no: the tests use it to exercise
 * the "not on this CPU" path on a machine that has the feature.
 */
#ifndef LM_CPU_H
#define LM_CPU_H

/* AVX-512 Foundation and BF16 (VDPBF16PS, VCVTNE2PS2BF16), with the
 * operating system saving the ZMM and mask registers.  0 on other
 * architectures. */
int lm_cpu_has_avx512bf16(void);

#endif
