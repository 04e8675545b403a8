
/*
 * Strict UTF-8 validation (RFC 3629 well-formed sequences only, plus a
 * policy against control characters).
 */


#include <stdint.h>
#include <string.h>

#include "lapor_utf8.h"


#define LAPOR_UTF8_ONES   0x0101010101010101ULL
#define LAPOR_UTF8_HIGHS  0x8080808080808080ULL


/*
 * Whether all eight bytes of w are printable ASCII (0x20..0x7e): no byte
 * with the high bit, none below 0x20 (w - 0x20.. borrows into the high bit
 * of such a byte), none equal to 0x7f (that byte of w ^ 0x7f.. is zero).
 */

static int
lapor_utf8_printable8(uint64_t w)
{
    uint64_t  v;

    v = w ^ (0x7f * LAPOR_UTF8_ONES);

    return ((w | ((w - 0x20 * LAPOR_UTF8_ONES) & ~w)
             | ((v - LAPOR_UTF8_ONES) & ~v))
            & LAPOR_UTF8_HIGHS) == 0;
}


int
lapor_utf8_check(const unsigned char *s, size_t len, unsigned flags,
    size_t *nchars)
{
    size_t         i, n, need, k;
    uint64_t       w;
    unsigned char  c, lo, hi;

    i = 0;
    n = 0;

    while (i < len) {

        /* texts are mostly printable ASCII: eight bytes at a time */

        if (len - i >= 8) {
            memcpy(&w, s + i, 8);

            if (lapor_utf8_printable8(w)) {
                i += 8;
                n += 8;
                continue;
            }
        }

        c = s[i];

        if (c < 0x80) {
            if (flags & LAPOR_UTF8_ALLOW_CONTROLS) {
                i++;
                n++;
                continue;
            }

            if (c == 0x7f) {
                goto invalid;
            }

            if (c < 0x20) {
                if (!(flags & LAPOR_UTF8_ALLOW_NEWLINES)
                    || (c != '\n' && c != '\r' && c != '\t'))
                {
                    goto invalid;
                }
            }

            i++;
            n++;
            continue;
        }

        /*
         * The range of the second byte depends on the lead byte: this is
         * where overlong forms, surrogates and code points above U+10FFFF
         * are excluded (the table in RFC 3629, section 4).
         */

        lo = 0x80;
        hi = 0xbf;

        if (c < 0xc2) {
            /* a stray continuation byte, or C0/C1: always overlong */
            goto invalid;

        } else if (c < 0xe0) {
            need = 1;

            /* U+0080..U+009F are the C1 controls */
            if (c == 0xc2 && !(flags & LAPOR_UTF8_ALLOW_CONTROLS)) {
                lo = 0xa0;
            }

        } else if (c < 0xf0) {
            need = 2;

            if (c == 0xe0) {
                lo = 0xa0;

            } else if (c == 0xed) {
                hi = 0x9f;
            }

        } else if (c < 0xf5) {
            need = 3;

            if (c == 0xf0) {
                lo = 0x90;

            } else if (c == 0xf4) {
                hi = 0x8f;
            }

        } else {
            goto invalid;
        }

        if (len - i <= need) {
            goto invalid;
        }

        if (s[i + 1] < lo || s[i + 1] > hi) {
            goto invalid;
        }

        for (k = 2; k <= need; k++) {
            if (s[i + k] < 0x80 || s[i + k] > 0xbf) {
                goto invalid;
            }
        }

        i += need + 1;
        n++;
    }

    if (nchars) {
        *nchars = n;
    }

    return 0;

invalid:

    if (nchars) {
        *nchars = i;
    }

    return -1;
}
