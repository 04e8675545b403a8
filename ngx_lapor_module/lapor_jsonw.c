
/*
 * The JSON writer (lapor_jsonw.h).
 *
 * Each level of nesting has a state, as in yajl's generator: what comes
 * next decides the separator written before it (",", ":" or nothing) and
 * whether it is allowed at all (only strings as keys).
 */


#include <string.h>

#include "lapor_jsonw.h"
#include "lapor_utf8.h"


typedef enum {
    LAPOR_JSONW_START = 0,      /* nothing written yet */
    LAPOR_JSONW_MAP_START,      /* after "{" */
    LAPOR_JSONW_MAP_KEY,        /* a key is next, after a value */
    LAPOR_JSONW_MAP_VALUE,      /* after a key */
    LAPOR_JSONW_ARRAY_START,    /* after "[" */
    LAPOR_JSONW_IN_ARRAY,       /* after an element */
    LAPOR_JSONW_COMPLETE        /* the top-level value is written */
} lapor_jsonw_state_e;


static const char  lapor_digit_pairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";


#define LAPOR_JSONW_ONES   0x0101010101010101ULL
#define LAPOR_JSONW_HIGHS  0x8080808080808080ULL


static int lapor_jsonw_reserve(lapor_jsonw_t *w, size_t n);
static int lapor_jsonw_begin(lapor_jsonw_t *w, int key);
static void lapor_jsonw_end(lapor_jsonw_t *w);
static int lapor_jsonw_open(lapor_jsonw_t *w, unsigned char c,
    unsigned char state);
static int lapor_jsonw_close(lapor_jsonw_t *w, unsigned char c,
    unsigned char first, unsigned char next);
static int lapor_jsonw_plain8(uint64_t x);


int
lapor_jsonw_init(lapor_jsonw_t *w, lapor_jsonw_alloc_pt alloc, void *ctx,
    size_t size)
{
    memset(w, 0, sizeof(lapor_jsonw_t));

    w->alloc = alloc;
    w->ctx = ctx;

    if (size < 64) {
        size = 64;
    }

    w->buf = alloc(ctx, size);
    if (w->buf == NULL) {
        w->failed = 1;
        return -1;
    }

    w->size = size;

    return 0;
}


/* room for n more bytes; the old block is left to its owner (a pool) */

static int
lapor_jsonw_reserve(lapor_jsonw_t *w, size_t n)
{
    size_t          size;
    unsigned char  *buf;

    if (w->size - w->len >= n) {
        return 0;
    }

    size = 2 * w->size;

    if (size - w->len < n) {
        size = w->len + n;
    }

    buf = w->alloc(w->ctx, size);
    if (buf == NULL) {
        w->failed = 1;
        return -1;
    }

    memcpy(buf, w->buf, w->len);

    w->buf = buf;
    w->size = size;

    return 0;
}


/*
 * Checks that a value (or, with key, a key) may come now and writes the
 * separator before it.  Two bytes are reserved for it and the value's
 * first byte.
 */

static int
lapor_jsonw_begin(lapor_jsonw_t *w, int key)
{
    unsigned char  state;

    if (w->failed || lapor_jsonw_reserve(w, 2) != 0) {
        w->failed = 1;
        return -1;
    }

    state = w->state[w->depth];

    switch (state) {

    case LAPOR_JSONW_START:
    case LAPOR_JSONW_ARRAY_START:
        break;

    case LAPOR_JSONW_MAP_START:
        if (!key) {
            w->failed = 1;
            return -1;
        }

        break;

    case LAPOR_JSONW_MAP_KEY:
        if (!key) {
            w->failed = 1;
            return -1;
        }

        w->buf[w->len++] = ',';
        break;

    case LAPOR_JSONW_MAP_VALUE:
        w->buf[w->len++] = ':';
        break;

    case LAPOR_JSONW_IN_ARRAY:
        w->buf[w->len++] = ',';
        break;

    default:
        /* after the end of the document */
        w->failed = 1;
        return -1;
    }

    return 0;
}


/* a value (or key) is complete at the current level */

static void
lapor_jsonw_end(lapor_jsonw_t *w)
{
    unsigned char  *state;

    state = &w->state[w->depth];

    switch (*state) {

    case LAPOR_JSONW_START:
        *state = LAPOR_JSONW_COMPLETE;
        break;

    case LAPOR_JSONW_MAP_START:
    case LAPOR_JSONW_MAP_KEY:
        *state = LAPOR_JSONW_MAP_VALUE;
        break;

    case LAPOR_JSONW_MAP_VALUE:
        *state = LAPOR_JSONW_MAP_KEY;
        break;

    default:
        *state = LAPOR_JSONW_IN_ARRAY;
        break;
    }
}


static int
lapor_jsonw_open(lapor_jsonw_t *w, unsigned char c, unsigned char state)
{
    if (w->depth >= LAPOR_JSONW_MAX_DEPTH) {
        w->failed = 1;
        return -1;
    }

    if (lapor_jsonw_begin(w, 0) != 0) {
        return -1;
    }

    w->buf[w->len++] = c;
    w->state[++w->depth] = state;

    return 0;
}


static int
lapor_jsonw_close(lapor_jsonw_t *w, unsigned char c, unsigned char first,
    unsigned char next)
{
    unsigned char  state;

    if (w->failed || w->depth == 0) {
        w->failed = 1;
        return -1;
    }

    state = w->state[w->depth];

    if ((state != first && state != next)
        || lapor_jsonw_reserve(w, 1) != 0)
    {
        w->failed = 1;
        return -1;
    }

    w->buf[w->len++] = c;
    w->depth--;

    lapor_jsonw_end(w);

    return 0;
}


int
lapor_jsonw_map_open(lapor_jsonw_t *w)
{
    return lapor_jsonw_open(w, '{', LAPOR_JSONW_MAP_START);
}


int
lapor_jsonw_map_close(lapor_jsonw_t *w)
{
    return lapor_jsonw_close(w, '}', LAPOR_JSONW_MAP_START,
                             LAPOR_JSONW_MAP_KEY);
}


int
lapor_jsonw_array_open(lapor_jsonw_t *w)
{
    return lapor_jsonw_open(w, '[', LAPOR_JSONW_ARRAY_START);
}


int
lapor_jsonw_array_close(lapor_jsonw_t *w)
{
    return lapor_jsonw_close(w, ']', LAPOR_JSONW_ARRAY_START,
                             LAPOR_JSONW_IN_ARRAY);
}


/*
 * Whether none of the eight bytes of x needs escaping: none below 0x20,
 * none is '"' or '\\' (bytes from 0x80 on are parts of checked UTF-8).
 */

static int
lapor_jsonw_plain8(uint64_t x)
{
    uint64_t  q, b;

    q = x ^ ('"' * LAPOR_JSONW_ONES);
    b = x ^ ('\\' * LAPOR_JSONW_ONES);

    return ((((x - 0x20 * LAPOR_JSONW_ONES) & ~x)
             | ((q - LAPOR_JSONW_ONES) & ~q)
             | ((b - LAPOR_JSONW_ONES) & ~b))
            & LAPOR_JSONW_HIGHS) == 0;
}


int
lapor_jsonw_string(lapor_jsonw_t *w, const unsigned char *s, size_t len)
{
    size_t          i;
    uint64_t        x;
    unsigned char   c, *p;
    unsigned char   state;
    static const char  hex[] = "0123456789ABCDEF";

    if (w->failed) {
        return -1;
    }

    if (lapor_utf8_check(s, len, LAPOR_UTF8_ALLOW_CONTROLS, NULL) != 0) {
        return LAPOR_JSONW_INVALID;
    }

    state = w->state[w->depth];

    if (lapor_jsonw_begin(w, state == LAPOR_JSONW_MAP_START
                             || state == LAPOR_JSONW_MAP_KEY)
        != 0)
    {
        return -1;
    }

    /* the text unescaped and both quotes; each escape reserves its own */

    if (lapor_jsonw_reserve(w, len + 2) != 0) {
        return -1;
    }

    p = w->buf + w->len;
    *p++ = '"';

    i = 0;

    while (i < len) {

        if (len - i >= 8) {
            memcpy(&x, s + i, 8);

            if (lapor_jsonw_plain8(x)) {
                memcpy(p, s + i, 8);
                p += 8;
                i += 8;
                continue;
            }
        }

        c = s[i++];

        if (c >= 0x20 && c != '"' && c != '\\') {
            *p++ = c;
            continue;
        }

        /* up to five bytes more than reserved for this byte */

        w->len = p - w->buf;

        if (lapor_jsonw_reserve(w, (len - i) + 6 + 1) != 0) {
            return -1;
        }

        p = w->buf + w->len;
        *p++ = '\\';

        switch (c) {
        case '"':  *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];
            break;
        }
    }

    *p++ = '"';
    w->len = p - w->buf;

    lapor_jsonw_end(w);

    return 0;
}


int
lapor_jsonw_plain(lapor_jsonw_t *w, const char *s, size_t len)
{
    unsigned char  state;

    state = w->state[w->depth];

    if (lapor_jsonw_begin(w, state == LAPOR_JSONW_MAP_START
                             || state == LAPOR_JSONW_MAP_KEY)
        != 0
        || lapor_jsonw_reserve(w, len + 2) != 0)
    {
        return -1;
    }

    w->buf[w->len++] = '"';
    memcpy(w->buf + w->len, s, len);
    w->len += len;
    w->buf[w->len++] = '"';

    lapor_jsonw_end(w);

    return 0;
}


int
lapor_jsonw_number(lapor_jsonw_t *w, const char *s, size_t len)
{
    if (len == 0) {
        w->failed = 1;
        return -1;
    }

    if (lapor_jsonw_begin(w, 0) != 0 || lapor_jsonw_reserve(w, len) != 0) {
        return -1;
    }

    memcpy(w->buf + w->len, s, len);
    w->len += len;

    lapor_jsonw_end(w);

    return 0;
}


int
lapor_jsonw_integer(lapor_jsonw_t *w, int64_t n)
{
    unsigned char  text[24];

    return lapor_jsonw_number(w, (const char *) text,
                              lapor_decimal(text, n) - text);
}


int
lapor_jsonw_bool(lapor_jsonw_t *w, int b)
{
    return b ? lapor_jsonw_number(w, "true", 4)
             : lapor_jsonw_number(w, "false", 5);
}


int
lapor_jsonw_null(lapor_jsonw_t *w)
{
    return lapor_jsonw_number(w, "null", 4);
}


const unsigned char *
lapor_jsonw_result(lapor_jsonw_t *w, size_t *len)
{
    if (w->failed || w->depth != 0
        || w->state[0] != LAPOR_JSONW_COMPLETE)
    {
        return NULL;
    }

    *len = w->len;

    return w->buf;
}


/*
 * A number in decimal, without a format string: a submission writes some
 * 150 of them (lengths in the Redis protocol, counters, times), and
 * printf-style formatting was an eighth of its cost.
 */

unsigned char *
lapor_decimal(unsigned char *p, int64_t n)
{
    uint64_t       u;
    unsigned char  digits[20], *d;

    /* most are lengths in the protocol: one or two digits */

    if (n >= 0 && n < 100) {
        if (n >= 10) {
            *p++ = (unsigned char) ('0' + n / 10);
        }

        *p++ = (unsigned char) ('0' + n % 10);

        return p;
    }

    if (n < 0) {
        *p++ = '-';
        u = (uint64_t) 0 - (uint64_t) n;

    } else {
        u = (uint64_t) n;
    }

    /* two digits a division */

    d = digits + sizeof(digits);

    while (u >= 100) {
        d -= 2;
        memcpy(d, lapor_digit_pairs + 2 * (u % 100), 2);
        u /= 100;
    }

    if (u >= 10) {
        d -= 2;
        memcpy(d, lapor_digit_pairs + 2 * u, 2);

    } else {
        *--d = (unsigned char) ('0' + u);
    }

    memcpy(p, d, digits + sizeof(digits) - d);

    return p + (digits + sizeof(digits) - d);
}
