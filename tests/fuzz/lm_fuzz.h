/*
 * lm_fuzz: what the libFuzzer harnesses in tests/fuzz/ share.
 *
 * Each fuzz-<target>.c defines LLVMFuzzerTestOneInput (and, when it loads
 * models or builds a store once, LLVMFuzzerInitialize).  Besides the
 * sanitizers' own findings (memory errors, leaks, undefined behaviour),
 * a harness checks the invariants its target promises — valid UTF-8 out of
 * the parser, offsets inside the text — with LM_FUZZ_ASSERT, which aborts
 * so that libFuzzer saves the input.  Library messages never print: a
 * fuzzer's output is its findings.
 */
#ifndef LM_FUZZ_H
#define LM_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define LM_FUZZ_ASSERT(cond)                                                  \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__,        \
                    __LINE__, #cond);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
