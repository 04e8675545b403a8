
/*
 * application/x-www-form-urlencoded bodies.
 */


#include <string.h>

#include "lapor_form.h"
#include "lapor_crypto.h"
#include "lapor_utf8.h"


static int lapor_form_decode(const unsigned char *s, size_t len, char *out,
    size_t *outlen, size_t *bad);


int
lapor_form_parse(const unsigned char *buf, size_t len, size_t max_pairs,
    size_t max_key, void *(*alloc)(void *ctx, size_t size), void *ctx,
    lapor_form_t *out, lapor_form_error_t *err)
{
    char                *text;
    size_t               i, n, start, eq, end, bad, klen, vlen, chars;
    lapor_form_pair_t   *pair;

    out->pairs = NULL;
    out->n = 0;
    err->kind = LAPOR_FORM_ERR_NONE;
    err->offset = 0;

    /* count the pieces first: one allocation of the right size */

    for (n = 1, i = 0; i < len; i++) {
        n += (buf[i] == '&');
    }

    if (n > max_pairs) {
        /* empty pieces count too: "&&&..." is no way around the limit */
        err->kind = LAPOR_FORM_ERR_LIMIT;
        err->offset = 0;
        return -1;
    }

    out->pairs = alloc(ctx, n * sizeof(lapor_form_pair_t));

    /* decoding never grows text: the input's size (+ NULs) is enough */
    text = alloc(ctx, len + 2 * n);

    if (out->pairs == NULL || text == NULL) {
        err->kind = LAPOR_FORM_ERR_NOMEM;
        return -1;
    }

    for (start = 0; start <= len; start = end + 1) {

        for (end = start; end < len && buf[end] != '&'; end++) {
            /* void */
        }

        if (end == start) {
            continue;
        }

        for (eq = start; eq < end && buf[eq] != '='; eq++) {
            /* void */
        }

        pair = &out->pairs[out->n];

        if (lapor_form_decode(buf + start, eq - start, text, &klen, &bad)
            != 0)
        {
            err->kind = LAPOR_FORM_ERR_ESCAPE;
            err->offset = start + bad;
            return -1;
        }

        if (klen > max_key) {
            err->kind = LAPOR_FORM_ERR_LIMIT;
            err->offset = start;
            return -1;
        }

        if (lapor_utf8_check((unsigned char *) text, klen, 0, &chars) != 0) {
            err->kind = LAPOR_FORM_ERR_ENCODING;
            err->offset = start;
            return -1;
        }

        pair->key = text;
        pair->key_len = klen;
        text[klen] = '\0';
        text += klen + 1;

        vlen = 0;

        if (eq < end
            && lapor_form_decode(buf + eq + 1, end - eq - 1, text, &vlen,
                                 &bad)
               != 0)
        {
            err->kind = LAPOR_FORM_ERR_ESCAPE;
            err->offset = eq + 1 + bad;
            return -1;
        }

        if (lapor_utf8_check((unsigned char *) text, vlen,
                             LAPOR_UTF8_ALLOW_NEWLINES, &chars)
            != 0)
        {
            err->kind = LAPOR_FORM_ERR_ENCODING;
            err->offset = eq + 1;
            return -1;
        }

        pair->value = text;
        pair->value_len = vlen;
        pair->value_chars = chars;
        text[vlen] = '\0';
        text += vlen + 1;

        out->n++;

        if (end == len) {
            break;
        }
    }

    return 0;
}


/* 0, or -1 with *bad the offset of a "%" without two hex digits */

static int
lapor_form_decode(const unsigned char *s, size_t len, char *out,
    size_t *outlen, size_t *bad)
{
    int     hi, lo;
    size_t  i;
    char   *p;

    p = out;

    for (i = 0; i < len; i++) {

        if (s[i] == '+') {
            *p++ = ' ';
            continue;
        }

        if (s[i] != '%') {
            *p++ = (char) s[i];
            continue;
        }

        hi = (i + 2 < len) ? lapor_hex_digit(s[i + 1]) : -1;
        lo = (hi >= 0) ? lapor_hex_digit(s[i + 2]) : -1;

        if (hi < 0 || lo < 0) {
            *bad = i;
            return -1;
        }

        *p++ = (char) ((hi << 4) | lo);
        i += 2;
    }

    *outlen = p - out;

    return 0;
}


const lapor_form_pair_t *
lapor_form_get(const lapor_form_t *form, const char *key, size_t *count)
{
    size_t                    i, n, klen;
    const lapor_form_pair_t  *first;

    klen = strlen(key);
    first = NULL;
    n = 0;

    for (i = 0; i < form->n; i++) {
        if (form->pairs[i].key_len == klen
            && memcmp(form->pairs[i].key, key, klen) == 0)
        {
            if (first == NULL) {
                first = &form->pairs[i];
            }

            n++;
        }
    }

    if (count) {
        *count = n;
    }

    return first;
}
