
/*
 * A minimal assertion kit for the C unit tests: every check counts, each
 * failure prints its file and line, and unit_report() prints the closing
 * "N passed, N failed" line and returns the exit status.
 */


#ifndef _LAPOR_UNIT_H_INCLUDED_
#define _LAPOR_UNIT_H_INCLUDED_


#include <stdio.h>


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


#endif /* _LAPOR_UNIT_H_INCLUDED_ */
