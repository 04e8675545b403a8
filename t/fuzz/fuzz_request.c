
/*
 * The request syntax read apart from nginx (lapor_request.c): query
 * arguments and the numbers in them (cursors, limits, years),
 * Authorization: Bearer, Idempotency-Key.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_request.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                i, len;
    int64_t               n;
    unsigned char        *buf;
    const unsigned char  *v;
    static const char    *names[] = {
        "cursor", "limit", "status", "agency", "category", "overdue",
        "year", "c"
    };

    buf = fuzz_copy(data, size);

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (lapor_request_arg(buf, size, names[i], strlen(names[i]), &v,
                              &len)
            == 0)
        {
            FUZZ_ASSERT(v > buf && v + len <= buf + size);
            FUZZ_ASSERT(v[-1] == '=');
            FUZZ_ASSERT(memchr(v, '&', len) == NULL);

            n = lapor_request_number(v, len);
            FUZZ_ASSERT(n >= -1);
        }
    }

    n = lapor_request_number(buf, size);

    if (n >= 0) {
        for (i = 0; i < size; i++) {
            FUZZ_ASSERT(buf[i] >= '0' && buf[i] <= '9');
        }
    }

    if (lapor_request_bearer(buf, size, &v, &len) == 0) {
        FUZZ_ASSERT(len > 0 && v >= buf + 7 && v + len <= buf + size);
        FUZZ_ASSERT(v[0] != ' ' && v[len - 1] != ' ');
    }

    if (lapor_request_idem_key(buf, size, 255) == 0) {
        FUZZ_ASSERT(size >= 1 && size <= 255);
    }

    fuzz_free_all();

    return 0;
}
