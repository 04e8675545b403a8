
/*
 * A minimal assertion kit for the C unit tests: every check counts, each
 * failure prints its file and line, and unit_report() prints the closing
 * "N passed, N failed" line and returns the exit status.
 */


#ifndef _LAPOR_UNIT_H_INCLUDED_
#define _LAPOR_UNIT_H_INCLUDED_


#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>


static unsigned long  unit_passed;
static unsigned long  unit_failed;


#define UNIT_TRUE(cond)                                                       \
    do {                                                                      \
        if (cond) {                                                           \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                     \
    } while (0)


#define UNIT_EQ(got, want)                                                    \
    do {                                                                      \
        unsigned long long  g_ = (unsigned long long) (got);                  \
        unsigned long long  w_ = (unsigned long long) (want);                 \
                                                                              \
        if (g_ == w_) {                                                       \
            unit_passed++;                                                    \
        } else {                                                              \
            unit_failed++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s == %llu, want %llu\n",            \
                    __FILE__, __LINE__, #got, g_, w_);                        \
        }                                                                     \
    } while (0)


static int
unit_report(const char *suite)
{
    printf("%s: %lu passed, %lu failed\n", suite, unit_passed, unit_failed);

    return unit_failed == 0 ? 0 : 1;
}


/*
 * Allocations the code under test and the tests make, tracked so that
 * unit_free_all() frees them at once (valgrind then sees no leak).
 */

static void    **unit_blocks;
static size_t    unit_nblocks;
static size_t    unit_cblocks;


static inline void *
unit_alloc(size_t size)
{
    void    *p, **nb;
    size_t   n;

    if (unit_nblocks == unit_cblocks) {
        n = unit_cblocks ? unit_cblocks * 2 : 256;
        nb = realloc(unit_blocks, n * sizeof(void *));

        if (nb == NULL) {
            return NULL;
        }

        unit_blocks = nb;
        unit_cblocks = n;
    }

    p = malloc(size ? size : 1);

    if (p == NULL) {
        return NULL;
    }

    unit_blocks[unit_nblocks++] = p;

    return p;
}


static inline void
unit_free_all(void)
{
    while (unit_nblocks) {
        free(unit_blocks[--unit_nblocks]);
    }

    free(unit_blocks);
    unit_blocks = NULL;
    unit_cblocks = 0;
}


/* xorshift64: deterministic random numbers, so a failure can be replayed */

static uint64_t  unit_rand_state = 0x9e3779b97f4a7c15ull;


static inline uint64_t
unit_rand64(void)
{
    unit_rand_state ^= unit_rand_state << 13;
    unit_rand_state ^= unit_rand_state >> 7;
    unit_rand_state ^= unit_rand_state << 17;

    return unit_rand_state;
}


/* 0 to n - 1 */

static inline unsigned
unit_rand(unsigned n)
{
    return (unsigned) (unit_rand64() % n);
}


#endif /* _LAPOR_UNIT_H_INCLUDED_ */
