
/*
 * The UTF-8 check (lapor_utf8.c) against a plain reference decoder, with
 * every flag combination: the same verdict and the same character count.
 */


#include <stdio.h>

#include "fuzz.h"
#include "lapor_utf8.h"


/* RFC 3629; -1 for a malformed sequence, else code points and flags */

static int
reference(const unsigned char *s, size_t len, unsigned flags, size_t *n)
{
    size_t    i, k, need;
    uint32_t  c, min;

    *n = 0;

    for (i = 0; i < len; /* void */) {
        c = s[i];

        if (c < 0x80) {
            need = 0; min = 0;
        } else if (c >= 0xc2 && c <= 0xdf) {
            need = 1; c &= 0x1f; min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            need = 2; c &= 0x0f; min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3; c &= 0x07; min = 0x10000;
        } else {
            return -1;
        }

        if (len - i - 1 < need) {
            return -1;
        }

        for (k = 1; k <= need; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return -1;
            }

            c = (c << 6) | (s[i + k] & 0x3f);
        }

        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
            return -1;
        }

        if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
            if (c == '\n' || c == '\r' || c == '\t') {
                if (!(flags & (LAPOR_UTF8_ALLOW_NEWLINES
                               | LAPOR_UTF8_ALLOW_CONTROLS)))
                {
                    return -1;
                }

            } else if (!(flags & LAPOR_UTF8_ALLOW_CONTROLS)) {
                return -1;
            }
        }

        i += need + 1;
        (*n)++;
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc, want;
    size_t          n, wn;
    unsigned        flags;
    unsigned char  *buf;

    buf = fuzz_copy(data, size);

    for (flags = 0; flags < 4; flags++) {
        n = (size_t) -1;
        rc = lapor_utf8_check(buf, size, flags, &n);
        want = reference(buf, size, flags, &wn);

        FUZZ_ASSERT((rc == 0) == (want == 0));

        if (rc == 0) {
            FUZZ_ASSERT(n == wn);
        }
    }

    fuzz_free_all();

    return 0;
}
