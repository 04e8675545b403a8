
/*
 * Unit tests for the JSON writer (lapor_jsonw.c): random documents written
 * through it and through yajl's generator must be the same bytes; misuse
 * fails the writer; invalid UTF-8 is refused without harm.
 */


#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_gen.h>

#include "lapor_jsonw.h"
#include "unit.h"


/* a number of any size, either sign */

static int64_t
random_int64(void)
{
    uint64_t  u;

    u = unit_rand64() >> unit_rand(64);

    return unit_rand(2) ? (int64_t) u : -(int64_t) (u >> 1);
}


static void *
test_alloc(void *ctx, size_t size)
{
    (void) ctx;

    return unit_alloc(size);
}


/* fails from the (*ctx)th allocation on */

static void *
failing_alloc(void *ctx, size_t size)
{
    unsigned  *left = ctx;

    if (*left == 0) {
        return NULL;
    }

    (*left)--;

    return unit_alloc(size);
}


/* a well-formed UTF-8 string with everything that needs escaping */

static size_t
random_text(unsigned char *buf, size_t max)
{
    size_t    len, n, i;
    unsigned  cp, kind;

    len = 0;
    n = unit_rand(12);

    while (n-- && len + 40 < max) {
        kind = unit_rand(8);

        if (kind < 3) {
            /* a run of plain ASCII, long enough for the word path */
            for (i = unit_rand(30); i; i--) {
                buf[len++] = (unsigned char) (0x20 + unit_rand(0x5f));
            }

        } else if (kind == 3) {
            buf[len++] = "\"\\/\b\f\n\r\t"[unit_rand(8)];

        } else if (kind == 4) {
            buf[len++] = (unsigned char) unit_rand(0x20);

        } else if (kind == 5) {
            buf[len++] = 0x7f;

        } else {
            do {
                cp = 0x80 + unit_rand(0x110000 - 0x80);
            } while (cp >= 0xd800 && cp <= 0xdfff);

            if (cp < 0x800) {
                buf[len++] = (unsigned char) (0xc0 | (cp >> 6));

            } else if (cp < 0x10000) {
                buf[len++] = (unsigned char) (0xe0 | (cp >> 12));
                buf[len++] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));

            } else {
                buf[len++] = (unsigned char) (0xf0 | (cp >> 18));
                buf[len++] = (unsigned char) (0x80 | ((cp >> 12) & 0x3f));
                buf[len++] = (unsigned char) (0x80 | ((cp >> 6) & 0x3f));
            }

            buf[len++] = (unsigned char) (0x80 | (cp & 0x3f));
        }
    }

    return len;
}


/* one random value (a map or an array at most depth levels deep) */

static void
random_value(lapor_jsonw_t *w, yajl_gen g, unsigned depth, int *bad)
{
    size_t          len, n;
    int64_t         v;
    unsigned        kind;
    unsigned char   text[512];

    kind = unit_rand(depth ? 7 : 5);

    switch (kind) {

    case 0:
        len = random_text(text, sizeof(text));
        *bad |= lapor_jsonw_string(w, text, len) != 0;
        *bad |= yajl_gen_string(g, text, len) != yajl_gen_status_ok;
        break;

    case 1:
        v = random_int64();
        *bad |= lapor_jsonw_integer(w, v) != 0;
        *bad |= yajl_gen_integer(g, (long long) v) != yajl_gen_status_ok;
        break;

    case 2:
        n = unit_rand(2);
        *bad |= lapor_jsonw_bool(w, (int) n) != 0;
        *bad |= yajl_gen_bool(g, (int) n) != yajl_gen_status_ok;
        break;

    case 3:
        *bad |= lapor_jsonw_null(w) != 0;
        *bad |= yajl_gen_null(g) != yajl_gen_status_ok;
        break;

    case 4:
        *bad |= lapor_jsonw_number(w, "-12.5e3", 7) != 0;
        *bad |= yajl_gen_number(g, "-12.5e3", 7) != yajl_gen_status_ok;
        break;

    case 5:
        *bad |= lapor_jsonw_map_open(w) != 0;
        *bad |= yajl_gen_map_open(g) != yajl_gen_status_ok;

        for (n = unit_rand(6); n; n--) {
            if (unit_rand(2)) {
                /* a key of the program's own: written as given */
                len = (size_t) snprintf((char *) text, sizeof(text),
                                        "key_%u", unit_rand(1000));
                *bad |= lapor_jsonw_plain(w, (char *) text, len) != 0;

            } else {
                len = random_text(text, sizeof(text));
                *bad |= lapor_jsonw_string(w, text, len) != 0;
            }

            *bad |= yajl_gen_string(g, text, len) != yajl_gen_status_ok;
            random_value(w, g, depth - 1, bad);
        }

        *bad |= lapor_jsonw_map_close(w) != 0;
        *bad |= yajl_gen_map_close(g) != yajl_gen_status_ok;
        break;

    default:
        *bad |= lapor_jsonw_array_open(w) != 0;
        *bad |= yajl_gen_array_open(g) != yajl_gen_status_ok;

        for (n = unit_rand(6); n; n--) {
            random_value(w, g, depth - 1, bad);
        }

        *bad |= lapor_jsonw_array_close(w) != 0;
        *bad |= yajl_gen_array_close(g) != yajl_gen_status_ok;
        break;
    }
}


static void
test_same_as_yajl(void)
{
    int                   bad;
    size_t                len, ylen;
    unsigned              i;
    unsigned long         differ;
    yajl_gen              g;
    lapor_jsonw_t         w;
    const unsigned char  *out, *yout;

    differ = 0;

    for (i = 0; i < 3000; i++) {
        g = yajl_gen_alloc(NULL);
        yajl_gen_config(g, yajl_gen_validate_utf8, 1);

        /* a small first block: the buffer grows many times */
        UNIT_EQ(lapor_jsonw_init(&w, test_alloc, NULL, i % 2 ? 16 : 4096),
                0);

        bad = 0;
        random_value(&w, g, 4, &bad);

        out = lapor_jsonw_result(&w, &len);

        if (bad || out == NULL
            || yajl_gen_get_buf(g, &yout, &ylen) != yajl_gen_status_ok
            || len != ylen || memcmp(out, yout, len) != 0)
        {
            if (differ++ == 0) {
                fprintf(stderr, "first difference, document %u:\n"
                        "  ours: %.*s\n  yajl: %.*s\n", i,
                        out ? (int) len : 4, out ? (const char *) out : "NULL",
                        (int) ylen, (const char *) yout);
            }
        }

        yajl_gen_free(g);
        unit_free_all();
    }

    UNIT_EQ(differ, 0);
}


static void
test_invalid_utf8(void)
{
    size_t                len, i;
    lapor_jsonw_t         w;
    const unsigned char  *out;
    static const char    *bad[] = {
        "\xff", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "abc\xc3", "\x80", "ok but then \xe2\x82"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        lapor_jsonw_init(&w, test_alloc, NULL, 64);
        lapor_jsonw_map_open(&w);
        lapor_jsonw_literal(&w, "a");

        UNIT_EQ(lapor_jsonw_string(&w, (const unsigned char *) bad[i],
                                   strlen(bad[i])),
                LAPOR_JSONW_INVALID);

        /* nothing written: the value can still come */
        UNIT_EQ(lapor_jsonw_null(&w), 0);
        UNIT_EQ(lapor_jsonw_map_close(&w), 0);

        out = lapor_jsonw_result(&w, &len);
        UNIT_TRUE(out && len == 10 && memcmp(out, "{\"a\":null}", 10) == 0);

        unit_free_all();
    }
}


static void
test_misuse(void)
{
    int            i;
    size_t         len;
    lapor_jsonw_t  w;

    /* a key that is no string */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    lapor_jsonw_map_open(&w);
    UNIT_EQ(lapor_jsonw_integer(&w, 1), -1);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);
    UNIT_EQ(lapor_jsonw_map_close(&w), -1);

    /* a map closed after a key */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    lapor_jsonw_map_open(&w);
    lapor_jsonw_literal(&w, "k");
    UNIT_EQ(lapor_jsonw_map_close(&w), -1);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);

    /* the wrong close */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    lapor_jsonw_array_open(&w);
    UNIT_EQ(lapor_jsonw_map_close(&w), -1);

    /* a close without an open */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    UNIT_EQ(lapor_jsonw_array_close(&w), -1);

    /* a second top-level value */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    UNIT_EQ(lapor_jsonw_null(&w), 0);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) != NULL && len == 4);
    UNIT_EQ(lapor_jsonw_null(&w), -1);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);

    /* unfinished, and empty */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);
    lapor_jsonw_array_open(&w);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);

    /* too deep */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);

    for (i = 0; i < LAPOR_JSONW_MAX_DEPTH; i++) {
        UNIT_EQ(lapor_jsonw_array_open(&w), 0);
    }

    UNIT_EQ(lapor_jsonw_array_open(&w), -1);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) == NULL);

    /* a literal as a value is fine, as a second document not */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    UNIT_EQ(lapor_jsonw_literal(&w, "open"), 0);
    UNIT_TRUE(lapor_jsonw_result(&w, &len) != NULL && len == 6);
    UNIT_EQ(lapor_jsonw_literal(&w, "more"), -1);

    /* an empty number */
    lapor_jsonw_init(&w, test_alloc, NULL, 64);
    UNIT_EQ(lapor_jsonw_number(&w, "", 0), -1);

    unit_free_all();
}


/* every allocation that fails leaves a failed writer, never a crash */

static void
test_out_of_memory(void)
{
    size_t                len;
    unsigned              allowed, left, i;
    lapor_jsonw_t         w;
    const unsigned char  *out;
    unsigned char         text[300];

    memset(text, 'x', sizeof(text));
    text[150] = '\n';

    for (allowed = 0; allowed < 8; allowed++) {
        left = allowed;

        lapor_jsonw_init(&w, failing_alloc, &left, 16);
        lapor_jsonw_array_open(&w);

        for (i = 0; i < 4; i++) {
            lapor_jsonw_string(&w, text, sizeof(text));
        }

        lapor_jsonw_array_close(&w);

        out = lapor_jsonw_result(&w, &len);

        /* 16 bytes, then 303, 606, 1212 and 2424: five blocks */
        UNIT_TRUE(allowed < 5 ? out == NULL
                              : out != NULL && len == 2 + 4 * 303 + 3);

        unit_free_all();
    }
}


static void
test_decimal(void)
{
    size_t          i;
    unsigned char   buf[24], *end;
    char            want[32];
    static const int64_t  v[] = {
        0, 1, -1, 9, 10, 99, 100, 123456789, -987654321,
        INT64_MAX, INT64_MIN, INT64_MIN + 1, 1000000000000000000LL
    };

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        end = lapor_decimal(buf, v[i]);
        snprintf(want, sizeof(want), "%" PRId64, v[i]);

        UNIT_TRUE((size_t) (end - buf) == strlen(want)
                  && memcmp(buf, want, end - buf) == 0);
    }

    /* every number to 100 000 and random ones of every size, signed */
    {
        int64_t        n;
        unsigned long  wrong;

        wrong = 0;

        for (i = 0; i < 200000; i++) {
            n = (i < 100000) ? (int64_t) i : random_int64();

            end = lapor_decimal(buf, n);
            snprintf(want, sizeof(want), "%" PRId64, n);

            wrong += (size_t) (end - buf) != strlen(want)
                     || memcmp(buf, want, end - buf) != 0;
        }

        UNIT_EQ(wrong, 0);
    }
}


int
main(void)
{
    test_same_as_yajl();
    test_invalid_utf8();
    test_misuse();
    test_out_of_memory();
    test_decimal();

    return unit_report("jsonw");
}
