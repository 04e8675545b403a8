
/*
 * Officer API tokens.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_tokens.h"
#include "lapor_workflow.h"


static int lapor_tokens_line(const char *p, const char *end, unsigned roles,
    lapor_token_t *t, const char **reason);
static const char *lapor_tokens_word(const char **p, const char *end,
    size_t *len);
static int lapor_tokens_cmp(const void *a, const void *b);


int
lapor_tokens_parse(const unsigned char *text, size_t len,
    void *(*alloc)(void *ctx, size_t size), void *ctx, lapor_tokens_t *out,
    char *err, size_t errlen)
{
    return lapor_tokens_parse_roles(text, len,
                                    LAPOR_ROLE_ADMIN | LAPOR_ROLE_AGENCY,
                                    alloc, ctx, out, err, errlen);
}


int
lapor_tokens_parse_roles(const unsigned char *text, size_t len,
    unsigned roles, void *(*alloc)(void *ctx, size_t size), void *ctx,
    lapor_tokens_t *out, char *err, size_t errlen)
{
    size_t          n, lines, i, a, b;
    const char     *p, *end, *eol, *reason;
    lapor_token_t   t;

    out->tokens = NULL;
    out->n = 0;

    p = (const char *) text;
    end = p + len;

    /* count the lines first: one allocation of the right size */

    for (n = 1, i = 0; i < len; i++) {
        n += (text[i] == '\n');
    }

    /* a final newline ends the last line, it does not start another */

    if (n - (len > 0 && text[len - 1] == '\n') > LAPOR_TOKENS_MAX + 1000) {
        snprintf(err, errlen, "more than %d lines", LAPOR_TOKENS_MAX + 1000);
        return -1;
    }

    out->tokens = alloc(ctx, n * sizeof(lapor_token_t));
    if (out->tokens == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }

    for (lines = 1; p < end; lines++, p = eol + 1) {
        eol = memchr(p, '\n', end - p);
        if (eol == NULL) {
            eol = end;
        }

        memset(&t, 0, sizeof(lapor_token_t));
        t.line = lines;

        switch (lapor_tokens_line(p, eol, roles, &t, &reason)) {

        case 0:
            if (out->n == LAPOR_TOKENS_MAX) {
                snprintf(err, errlen, "line %lu: more than %d tokens",
                         (unsigned long) lines, LAPOR_TOKENS_MAX);
                return -1;
            }

            out->tokens[out->n++] = t;
            break;

        case 1:
            /* blank or comment */
            break;

        default:
            snprintf(err, errlen, "line %lu: %s", (unsigned long) lines,
                     reason);
            return -1;
        }

        if (eol == end) {
            break;
        }
    }

    qsort(out->tokens, out->n, sizeof(lapor_token_t), lapor_tokens_cmp);

    for (i = 1; i < out->n; i++) {
        a = out->tokens[i - 1].line;
        b = out->tokens[i].line;

        if (memcmp(out->tokens[i - 1].hash, out->tokens[i].hash,
                   LAPOR_SHA256_LEN) == 0)
        {
            snprintf(err, errlen, "line %lu: the same token as line %lu",
                     (unsigned long) (a > b ? a : b),
                     (unsigned long) (a > b ? b : a));
            return -1;
        }
    }

    return 0;
}


/* 0: a token, 1: nothing on the line, -1: an error with *reason */

static int
lapor_tokens_line(const char *p, const char *end, unsigned roles,
    lapor_token_t *t, const char **reason)
{
    int          hi, lo;
    size_t       len, i;
    const char  *w;

    if (end > p && end[-1] == '\r') {
        end--;
    }

    w = lapor_tokens_word(&p, end, &len);

    if (w == NULL || *w == '#') {
        return 1;
    }

    if (len != 2 * LAPOR_SHA256_LEN) {
        *reason = "the first field must be the token's SHA-256 in 64 hex "
                  "digits";
        return -1;
    }

    for (i = 0; i < LAPOR_SHA256_LEN; i++) {
        hi = lapor_hex_digit(w[2 * i]);
        lo = lapor_hex_digit(w[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            *reason = "the first field must be the token's SHA-256 in 64 "
                      "hex digits";
            return -1;
        }

        t->hash[i] = (unsigned char) ((hi << 4) | lo);
    }

    w = lapor_tokens_word(&p, end, &len);

    if (w && len == 5 && memcmp(w, "admin", 5) == 0) {
        t->role = LAPOR_ROLE_ADMIN;

    } else if (w && len == 6 && memcmp(w, "agency", 6) == 0) {
        t->role = LAPOR_ROLE_AGENCY;

    } else if (w && len == 6 && memcmp(w, "client", 6) == 0) {
        t->role = LAPOR_ROLE_CLIENT;
    }

    if (!(t->role & roles)) {
        *reason = (roles == LAPOR_ROLE_CLIENT)
                  ? "the role must be \"client\""
                  : "the role must be \"admin\" or \"agency\"";
        return -1;
    }

    w = lapor_tokens_word(&p, end, &len);

    if (w == NULL) {
        *reason = "the agency code is missing (\"-\" for an admin)";
        return -1;
    }

    if (len == 1 && *w == '-') {
        if (t->role == LAPOR_ROLE_AGENCY) {
            *reason = "an agency token needs its agency code";
            return -1;
        }

    } else {
        if (t->role == LAPOR_ROLE_ADMIN) {
            *reason = "an admin token takes \"-\" as its agency";
            return -1;
        }

        if (t->role == LAPOR_ROLE_CLIENT) {
            *reason = "an api key takes \"-\" as its agency";
            return -1;
        }

        if (len > LAPOR_TOKENS_AGENCY_MAX) {
            *reason = "the agency code is longer than 32 characters";
            return -1;
        }

        for (i = 0; i < len; i++) {
            if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9')
                  || w[i] == '-'))
            {
                *reason = "the agency code may contain only a-z, 0-9 and "
                          "\"-\"";
                return -1;
            }
        }

        memcpy(t->agency, w, len);
    }

    w = lapor_tokens_word(&p, end, &len);

    if (w == NULL) {
        *reason = "the label is missing";
        return -1;
    }

    if (len > LAPOR_TOKENS_LABEL_MAX) {
        *reason = "the label is longer than 64 characters";
        return -1;
    }

    /* labels go to the logs: keep them to a safe alphabet */

    for (i = 0; i < len; i++) {
        if (!((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= 'A' && w[i] <= 'Z')
              || (w[i] >= '0' && w[i] <= '9') || w[i] == '-' || w[i] == '_'
              || w[i] == '.' || w[i] == '@'))
        {
            *reason = "the label may contain only letters, digits and "
                      "\"-_.@\"";
            return -1;
        }
    }

    memcpy(t->label, w, len);

    if (lapor_tokens_word(&p, end, &len) != NULL) {
        *reason = "more than four fields";
        return -1;
    }

    return 0;
}


static const char *
lapor_tokens_word(const char **p, const char *end, size_t *len)
{
    const char  *s;

    while (*p < end && (**p == ' ' || **p == '\t')) {
        (*p)++;
    }

    if (*p == end) {
        return NULL;
    }

    s = *p;

    while (*p < end && **p != ' ' && **p != '\t') {
        (*p)++;
    }

    *len = *p - s;

    return s;
}


static int
lapor_tokens_cmp(const void *a, const void *b)
{
    return memcmp(((const lapor_token_t *) a)->hash,
                  ((const lapor_token_t *) b)->hash, LAPOR_SHA256_LEN);
}


const lapor_token_t *
lapor_tokens_find(const lapor_tokens_t *tokens,
    const unsigned char hash[LAPOR_SHA256_LEN])
{
    int     c;
    size_t  lo, hi, mid;

    lo = 0;
    hi = tokens->n;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = memcmp(hash, tokens->tokens[mid].hash, LAPOR_SHA256_LEN);

        if (c == 0) {
            return &tokens->tokens[mid];
        }

        if (c < 0) {
            hi = mid;

        } else {
            lo = mid + 1;
        }
    }

    return NULL;
}
