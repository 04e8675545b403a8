
/*
 * Shared by the libFuzzer harnesses: an arena allocator for the code
 * under test (its callers use nginx pools, never freeing one block), freed
 * after each input so that LeakSanitizer sees only real leaks.
 */


#ifndef _LAPOR_FUZZ_H_INCLUDED_
#define _LAPOR_FUZZ_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>


typedef struct fuzz_block_s  fuzz_block_t;

struct fuzz_block_s {
    fuzz_block_t  *next;
    max_align_t    data[];
};


static fuzz_block_t  *fuzz_blocks;


static void *
fuzz_alloc(void *ctx, size_t size)
{
    fuzz_block_t  *b;

    (void) ctx;

    b = malloc(sizeof(fuzz_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = fuzz_blocks;
    fuzz_blocks = b;

    return b->data;
}


static void
fuzz_free_all(void)
{
    fuzz_block_t  *b, *next;

    for (b = fuzz_blocks; b; b = next) {
        next = b->next;
        free(b);
    }

    fuzz_blocks = NULL;
}


/* an exact-size copy: a read past the input's end is an ASan report */

static unsigned char *
fuzz_copy(const uint8_t *data, size_t size)
{
    unsigned char  *p;

    p = fuzz_alloc(NULL, size ? size : 1);
    if (p == NULL) {
        abort();
    }

    memcpy(p, data, size);

    return p;
}


/* an invariant the harness checks: a failure is a crash libFuzzer keeps */

#define FUZZ_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz invariant failed %s:%d: %s\n",              \
                    __FILE__, __LINE__, #cond);                               \
            abort();                                                          \
        }                                                                     \
    } while (0)


/* the example catalog, read once (LAPOR_FUZZ_CATALOG: its path) */

#ifdef LAPOR_FUZZ_WITH_CATALOG

#include <stdio.h>

#include "lapor_catalog.h"

/* blocks kept for the whole run, linked: reachable, never a leak */

static fuzz_block_t  *fuzz_kept;


static void *
fuzz_keep_alloc(void *ctx, size_t size)
{
    fuzz_block_t  *b;

    (void) ctx;

    b = malloc(sizeof(fuzz_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = fuzz_kept;
    fuzz_kept = b;

    return b->data;
}


static lapor_catalog_t *
fuzz_catalog(void)
{
    FILE                    *f;
    long                     n;
    char                     err[LAPOR_CATALOG_ERR_LEN];
    static unsigned char    *buf;      /* kept: reachable, not a leak */
    static lapor_catalog_t  *cat;

    if (cat) {
        return cat;
    }

    f = fopen(LAPOR_FUZZ_CATALOG, "rb");
    if (f == NULL) {
        perror(LAPOR_FUZZ_CATALOG);
        abort();
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        abort();
    }

    fclose(f);

    if (lapor_catalog_parse(buf, n, fuzz_keep_alloc, NULL, &cat, err,
                            sizeof(err))
        != 0)
    {
        fprintf(stderr, "%s: %s\n", LAPOR_FUZZ_CATALOG, err);
        abort();
    }

    return cat;
}


/* read before the first input: not counted as that input's allocations */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void) argc;
    (void) argv;

    (void) fuzz_catalog();

    return 0;
}

#endif


#endif /* _LAPOR_FUZZ_H_INCLUDED_ */
