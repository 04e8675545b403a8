
/*
 * The XML writer of the Open311 answers.
 */


#include <string.h>

#include "lapor_xmlw.h"


static int lapor_xmlw_reserve(lapor_xmlw_t *w, size_t n);
static int lapor_xmlw_raw(lapor_xmlw_t *w, const char *s, size_t len);
static size_t lapor_xml_sequence(const unsigned char *s, size_t len,
    uint32_t *cp);


int
lapor_xmlw_init(lapor_xmlw_t *w, lapor_xmlw_alloc_pt alloc, void *ctx,
    size_t size)
{
    memset(w, 0, sizeof(lapor_xmlw_t));

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

    return lapor_xmlw_raw(w, LAPOR_XMLW_DECLARATION,
                          sizeof(LAPOR_XMLW_DECLARATION) - 1);
}


static int
lapor_xmlw_reserve(lapor_xmlw_t *w, size_t n)
{
    size_t          size;
    unsigned char  *nb;

    if (w->failed) {
        return -1;
    }

    if (w->size - w->len >= n) {
        return 0;
    }

    size = w->size * 2;

    while (size - w->len < n) {
        size *= 2;
    }

    /* the old block stays with the allocator's owner (a pool) */
    nb = w->alloc(w->ctx, size);
    if (nb == NULL) {
        w->failed = 1;
        return -1;
    }

    memcpy(nb, w->buf, w->len);
    w->buf = nb;
    w->size = size;

    return 0;
}


static int
lapor_xmlw_raw(lapor_xmlw_t *w, const char *s, size_t len)
{
    if (lapor_xmlw_reserve(w, len) != 0) {
        return -1;
    }

    memcpy(w->buf + w->len, s, len);
    w->len += len;

    return 0;
}


int
lapor_xmlw_open(lapor_xmlw_t *w, const char *name)
{
    size_t  n;

    if (w->failed || w->depth == LAPOR_XMLW_MAX_DEPTH
        || (w->depth == 0 && w->roots))
    {
        w->failed = 1;
        return -1;
    }

    n = strlen(name);

    if (lapor_xmlw_reserve(w, n + 2) != 0) {
        return -1;
    }

    w->buf[w->len++] = '<';
    memcpy(w->buf + w->len, name, n);
    w->len += n;
    w->buf[w->len++] = '>';

    if (w->depth++ == 0) {
        w->roots++;
    }

    return 0;
}


int
lapor_xmlw_close(lapor_xmlw_t *w, const char *name)
{
    size_t  n;

    if (w->failed || w->depth == 0) {
        w->failed = 1;
        return -1;
    }

    n = strlen(name);

    if (lapor_xmlw_reserve(w, n + 3) != 0) {
        return -1;
    }

    w->buf[w->len++] = '<';
    w->buf[w->len++] = '/';
    memcpy(w->buf + w->len, name, n);
    w->len += n;
    w->buf[w->len++] = '>';

    w->depth--;

    return 0;
}


int
lapor_xmlw_text(lapor_xmlw_t *w, const unsigned char *s, size_t len)
{
    if (w->failed || w->depth == 0) {
        w->failed = 1;
        return -1;
    }

    if (lapor_xmlw_reserve(w, lapor_xml_escaped_max(len)) != 0) {
        return -1;
    }

    w->len += lapor_xml_escape(s, len, w->buf + w->len);

    return 0;
}


int
lapor_xmlw_element(lapor_xmlw_t *w, const char *name, const unsigned char *s,
    size_t len)
{
    if (lapor_xmlw_open(w, name) != 0
        || lapor_xmlw_text(w, s, len) != 0)
    {
        return -1;
    }

    return lapor_xmlw_close(w, name);
}


int
lapor_xmlw_integer(lapor_xmlw_t *w, const char *name, int64_t n)
{
    char      buf[24], *p;
    uint64_t  u;

    p = buf + sizeof(buf);
    u = (n < 0) ? (uint64_t) 0 - (uint64_t) n : (uint64_t) n;

    do {
        *--p = (char) ('0' + u % 10);
        u /= 10;
    } while (u);

    if (n < 0) {
        *--p = '-';
    }

    return lapor_xmlw_element(w, name, (const unsigned char *) p,
                              buf + sizeof(buf) - p);
}


const unsigned char *
lapor_xmlw_result(lapor_xmlw_t *w, size_t *len)
{
    if (w->failed || w->depth != 0 || w->roots != 1) {
        return NULL;
    }

    *len = w->len;

    return w->buf;
}


/*
 * The length of the well-formed UTF-8 sequence at s with its code point,
 * or 0 for a byte that starts none (overlong, surrogate, above U+10FFFF,
 * truncated, a stray continuation byte).
 */

static size_t
lapor_xml_sequence(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char  c;
    size_t         n, i;
    uint32_t       v, min;

    c = s[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        v = c & 0x1f;
        min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        v = c & 0x0f;
        min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        v = c & 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }

        v = (v << 6) | (s[i] & 0x3f);
    }

    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        return 0;
    }

    *cp = v;

    return n;
}


size_t
lapor_xml_escape(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t          i, n;
    uint32_t        cp;
    unsigned char  *p;

    p = out;

    for (i = 0; i < len; i += n) {
        n = lapor_xml_sequence(s + i, len - i, &cp);

        if (n == 0) {
            /* one byte of no character: U+FFFD for it */
            n = 1;
            goto replace;
        }

        switch (cp) {

        case '&':
            memcpy(p, "&amp;", 5);
            p += 5;
            continue;

        case '<':
            memcpy(p, "&lt;", 4);
            p += 4;
            continue;

        case '>':
            memcpy(p, "&gt;", 4);
            p += 4;
            continue;

        case '"':
            memcpy(p, "&quot;", 6);
            p += 6;
            continue;

        case '\'':
            memcpy(p, "&apos;", 6);
            p += 6;
            continue;

        case '\r':
            /* a parser would turn a literal one into a line feed */
            memcpy(p, "&#13;", 5);
            p += 5;
            continue;

        case '\t':
        case '\n':
            *p++ = (unsigned char) cp;
            continue;

        default:
            break;
        }

        if (cp < 0x20 || cp == 0xfffe || cp == 0xffff) {
            goto replace;
        }

        memcpy(p, s + i, n);
        p += n;
        continue;

    replace:

        *p++ = 0xef;
        *p++ = 0xbf;
        *p++ = 0xbd;
    }

    return p - out;
}
