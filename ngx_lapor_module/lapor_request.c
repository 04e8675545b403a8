
/*
 * The syntax of the request parts the module reads itself: query-string
 * arguments and numbers, Authorization: Bearer, Idempotency-Key.  These
 * were inline in the handlers; here they can be unit-tested and fuzzed
 * without nginx, and the handlers call them.
 */


#include <string.h>

#include "lapor_request.h"


static int
lapor_request_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}


int
lapor_request_arg(const unsigned char *args, size_t len, const char *name,
    size_t nlen, const unsigned char **value, size_t *vlen)
{
    size_t                i, j, end;
    const unsigned char  *amp;

    if (nlen == 0 || len <= nlen) {
        return -1;
    }

    /* "name=": the name and one more byte, for "=" */

    for (i = 0; i + nlen < len; i++) {

        if (i != 0 && args[i - 1] != '&') {
            continue;
        }

        for (j = 0; j < nlen; j++) {
            if (lapor_request_lower(args[i + j])
                != lapor_request_lower((unsigned char) name[j]))
            {
                break;
            }
        }

        if (j < nlen || args[i + nlen] != '=') {
            continue;
        }

        *value = args + i + nlen + 1;

        amp = memchr(*value, '&', len - (i + nlen + 1));
        end = amp ? (size_t) (amp - args) : len;

        *vlen = end - (i + nlen + 1);

        return 0;
    }

    return -1;
}


int64_t
lapor_request_number(const unsigned char *s, size_t len)
{
    int64_t  value, cutoff, cutlim;

    if (len == 0) {
        return -1;
    }

    cutoff = INT64_MAX / 10;
    cutlim = INT64_MAX % 10;

    for (value = 0; len--; s++) {
        if (*s < '0' || *s > '9') {
            return -1;
        }

        if (value >= cutoff && (value > cutoff || *s - '0' > cutlim)) {
            return -1;
        }

        value = value * 10 + (*s - '0');
    }

    return value;
}


int
lapor_request_bearer(const unsigned char *value, size_t len,
    const unsigned char **token, size_t *tlen)
{
    size_t                i;
    const unsigned char  *t;
    static const char     scheme[] = "bearer ";

    if (len <= sizeof(scheme) - 1) {
        return -1;
    }

    for (i = 0; i < sizeof(scheme) - 1; i++) {
        if (lapor_request_lower(value[i]) != scheme[i]) {
            return -1;
        }
    }

    t = value + sizeof(scheme) - 1;
    len -= sizeof(scheme) - 1;

    while (len && t[0] == ' ') {
        t++;
        len--;
    }

    while (len && t[len - 1] == ' ') {
        len--;
    }

    if (len == 0) {
        return -1;
    }

    *token = t;
    *tlen = len;

    return 0;
}


int
lapor_request_idem_key(const unsigned char *value, size_t len, size_t max)
{
    size_t  i;

    if (len == 0 || len > max) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (value[i] < 0x21 || value[i] > 0x7e) {
            return -1;
        }
    }

    return 0;
}
