/*
 * lm_sort: qsort for arrays that may be empty.
 *
 * qsort(NULL, 0, ...) is undefined behaviour (its pointer is declared
 * non-null) and UBSan stops on it; an empty result array is often NULL.
 */
#ifndef LM_SORT_H
#define LM_SORT_H

#include <stdlib.h>

static inline void lm_qsort(void *base, size_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
    if (n > 1)
        qsort(base, n, size, cmp);
}

#endif
