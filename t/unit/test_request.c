
/*
 * Unit tests for the request syntax helpers (lapor_request.c): query
 * arguments as ngx_http_arg() finds them, numbers as ngx_atoi() reads
 * them, Authorization: Bearer and Idempotency-Key.
 */


#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_request.h"
#include "unit.h"


/* an exact-size copy: a read past the end is seen by ASan/valgrind */

static unsigned char *
copy(const char *s, size_t *len)
{
    unsigned char  *p;

    *len = strlen(s);
    p = malloc(*len ? *len : 1);
    if (p) {
        memcpy(p, s, *len);
    }

    return p;
}


/* 1 and the value when found, 0 when not; "want" NULL: not found */

static void
arg(const char *args, const char *name, const char *want, int line)
{
    int                   rc;
    size_t                len, vlen;
    unsigned char        *a;
    const unsigned char  *v;

    a = copy(args, &len);
    rc = lapor_request_arg(a, len, name, strlen(name), &v, &vlen);

    if (want == NULL) {
        if (rc == -1) {
            unit_passed++;
        } else {
            unit_failed++;
            fprintf(stderr, "FAIL line %d: \"%s\" %s found\n", line, args,
                    name);
        }

    } else if (rc == 0 && vlen == strlen(want)
               && memcmp(v, want, vlen) == 0)
    {
        unit_passed++;

    } else {
        unit_failed++;
        fprintf(stderr, "FAIL line %d: \"%s\" %s: rc %d \"%.*s\"\n", line,
                args, name, rc, rc == 0 ? (int) vlen : 0,
                rc == 0 ? (const char *) v : "");
    }

    free(a);
}


static int64_t
number(const char *s)
{
    size_t          len;
    int64_t         n;
    unsigned char  *p;

    p = copy(s, &len);
    n = lapor_request_number(p, len);
    free(p);

    return n;
}


static int
bearer(const char *s, const char *want)
{
    int                   rc;
    size_t                len, tlen;
    unsigned char        *p;
    const unsigned char  *t;

    p = copy(s, &len);
    rc = lapor_request_bearer(p, len, &t, &tlen);

    if (rc == 0 && (want == NULL || tlen != strlen(want)
                    || memcmp(t, want, tlen) != 0))
    {
        rc = -2;
    }

    free(p);

    return rc;
}


static int
idem(const char *s, size_t max)
{
    int             rc;
    size_t          len;
    unsigned char  *p;

    p = copy(s, &len);
    rc = lapor_request_idem_key(p, len, max);
    free(p);

    return rc;
}


int
main(void)
{
    char  buf[300];

    /* arguments */
    arg("cursor=12", "cursor", "12", __LINE__);
    arg("limit=5&cursor=12", "cursor", "12", __LINE__);
    arg("cursor=12&limit=5", "cursor", "12", __LINE__);
    arg("CURSOR=7", "cursor", "7", __LINE__);
    arg("xcursor=1&cursor=2", "cursor", "2", __LINE__);
    arg("cursor=1&cursor=2", "cursor", "1", __LINE__);
    arg("cursor=", "cursor", "", __LINE__);
    arg("cursor=&limit=1", "cursor", "", __LINE__);
    arg("cursor", "cursor", NULL, __LINE__);
    arg("cursor&cursor=3", "cursor", "3", __LINE__);
    arg("", "cursor", NULL, __LINE__);
    arg("c", "cursor", NULL, __LINE__);
    arg("a=b&cursorx=1", "cursor", NULL, __LINE__);
    arg("a=cursor=1", "cursor", NULL, __LINE__);
    arg("&cursor=%31", "cursor", "%31", __LINE__);
    arg("year=2026", "year", "2026", __LINE__);
    arg("a=1&&year=x&", "year", "x", __LINE__);

    /* numbers */
    UNIT_EQ(number("0"), 0);
    UNIT_EQ(number("42"), 42);
    UNIT_EQ(number("0042"), 42);
    UNIT_EQ(number("9223372036854775807"), INT64_MAX);
    UNIT_EQ(number("9223372036854775808"), (uint64_t) -1);
    UNIT_EQ(number("99999999999999999999"), (uint64_t) -1);
    UNIT_EQ(number(""), (uint64_t) -1);
    UNIT_EQ(number("-1"), (uint64_t) -1);
    UNIT_EQ(number("+1"), (uint64_t) -1);
    UNIT_EQ(number("1 "), (uint64_t) -1);
    UNIT_EQ(number("1x"), (uint64_t) -1);

    /* Authorization */
    UNIT_EQ(bearer("Bearer abc", "abc"), 0);
    UNIT_EQ(bearer("bearer abc", "abc"), 0);
    UNIT_EQ(bearer("BEARER   abc  ", "abc"), 0);
    UNIT_EQ(bearer("Bearer a b", "a b"), 0);
    UNIT_EQ(bearer("Bearer ", NULL), -1);
    UNIT_EQ(bearer("Bearer     ", NULL), -1);
    UNIT_EQ(bearer("Bearer", NULL), -1);
    UNIT_EQ(bearer("Basic abc", NULL), -1);
    UNIT_EQ(bearer("Bearerabc", NULL), -1);
    UNIT_EQ(bearer("", NULL), -1);

    /* Idempotency-Key */
    UNIT_EQ(idem("k", 255), 0);
    UNIT_EQ(idem("a-B_c.1~!", 255), 0);
    UNIT_EQ(idem("", 255), -1);
    UNIT_EQ(idem("a b", 255), -1);
    UNIT_EQ(idem("a\x7f", 255), -1);
    UNIT_EQ(idem("a\xc3\xa9", 255), -1);

    memset(buf, 'k', 255);
    buf[255] = '\0';
    UNIT_EQ(idem(buf, 255), 0);
    buf[255] = 'k';
    buf[256] = '\0';
    UNIT_EQ(idem(buf, 255), -1);

    return unit_report("request");
}
