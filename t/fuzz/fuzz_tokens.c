
/*
 * Token files (lapor_tokens.c): any bytes are refused with a message or
 * give tokens each found again by its hash.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_tokens.h"
#include "lapor_workflow.h"


static void
check(const lapor_tokens_t *t, unsigned roles)
{
    size_t  i;

    FUZZ_ASSERT(t->n <= LAPOR_TOKENS_MAX);

    for (i = 0; i < t->n; i++) {
        FUZZ_ASSERT(lapor_tokens_find(t, t->tokens[i].hash) != NULL);
        FUZZ_ASSERT((t->tokens[i].role & ~roles) == 0);
        FUZZ_ASSERT(strlen(t->tokens[i].agency) <= LAPOR_TOKENS_AGENCY_MAX);
        FUZZ_ASSERT(strlen(t->tokens[i].label) <= LAPOR_TOKENS_LABEL_MAX);

        if (i) {
            FUZZ_ASSERT(memcmp(t->tokens[i - 1].hash, t->tokens[i].hash,
                               LAPOR_SHA256_LEN) < 0);
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char             err[LAPOR_TOKENS_ERR_LEN];
    unsigned char   *buf;
    lapor_tokens_t   t;

    buf = fuzz_copy(data, size);

    if (lapor_tokens_parse(buf, size, fuzz_alloc, NULL, &t, err,
                           sizeof(err))
        == 0)
    {
        check(&t, LAPOR_ROLE_ADMIN | LAPOR_ROLE_AGENCY | LAPOR_ROLE_CLIENT);

    } else {
        FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0]);
    }

    /* the Open311 keys file: clients only */
    if (lapor_tokens_parse_roles(buf, size, LAPOR_ROLE_CLIENT, fuzz_alloc,
                                 NULL, &t, err, sizeof(err))
        == 0)
    {
        check(&t, LAPOR_ROLE_CLIENT);
    }

    fuzz_free_all();

    return 0;
}
