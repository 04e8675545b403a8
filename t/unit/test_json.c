
/*
 * Unit tests for the strict JSON parser (lapor_json.c).
 *
 * Every parse allocates from a test pool backed by malloc that records its
 * blocks and frees them all on reset, so valgrind sees no leak; the pool
 * can be told to fail after a number of bytes.
 */


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <math.h>

#include "lapor_utf8.h"
#include "lapor_json.h"
#include "unit.h"


typedef struct {
    void          **blocks;
    size_t          n;
    size_t          cap;
    size_t          used;       /* bytes handed out since the reset */
    size_t          budget;     /* fail a request that would pass this */
} test_pool_t;


static test_pool_t  pool_a;
static test_pool_t  pool_b;

/* yajl allocations that missed the reserve, over all parses */
static size_t  total_spills;


static void *
pool_alloc(void *ctx, size_t size)
{
    test_pool_t  *tp = ctx;

    void   *m, **blocks;
    size_t  cap;

    if (size > tp->budget || tp->used > tp->budget - size) {
        return NULL;
    }

    if (tp->n == tp->cap) {
        cap = tp->cap ? tp->cap * 2 : 64;

        blocks = realloc(tp->blocks, cap * sizeof(void *));
        if (blocks == NULL) {
            abort();
        }

        tp->blocks = blocks;
        tp->cap = cap;
    }

    m = malloc(size ? size : 1);
    if (m == NULL) {
        abort();
    }

    tp->blocks[tp->n++] = m;
    tp->used += size;

    return m;
}


static void
pool_reset(test_pool_t *tp)
{
    size_t  i;

    for (i = 0; i < tp->n; i++) {
        free(tp->blocks[i]);
    }

    tp->n = 0;
    tp->used = 0;
    tp->budget = SIZE_MAX;
}


static void
pool_destroy(test_pool_t *tp)
{
    pool_reset(tp);
    free(tp->blocks);
    tp->blocks = NULL;
    tp->cap = 0;
}


enum {
    P_DEF = 0,      /* the suggested production limits */
    P_SMALL,        /* small limits, strict strings */
    P_NPROFILES
};


static lapor_json_limits_t
limits_for(int profile, test_pool_t *tp)
{
    lapor_json_limits_t  l;

    memset(&l, 0, sizeof(l));

    l.alloc = pool_alloc;
    l.ctx = tp;

    if (profile == P_SMALL) {
        l.max_depth = 3;
        l.max_string = 16;
        l.max_elements = 10;
        l.max_number = 8;
        l.string_flags = 0;

    } else {
        l.max_depth = 8;
        l.max_string = 8192;
        l.max_elements = 256;
        l.max_number = 32;
        l.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;
    }

    return l;
}


/* chunk 0: all at once */

static lapor_json_t *
parse_chunked(const unsigned char *buf, size_t len, size_t chunk,
    const lapor_json_limits_t *l, lapor_json_error_t *err)
{
    size_t                off, n;
    lapor_json_t         *root;
    lapor_json_parser_t  *p;

    p = lapor_json_parser_create(l, err);
    if (p == NULL) {
        return NULL;
    }

    if (chunk == 0) {
        chunk = len ? len : 1;
    }

    root = NULL;

    for (off = 0; off < len; off += n) {
        n = (len - off < chunk) ? len - off : chunk;

        if (lapor_json_feed(p, buf + off, n) != 0) {
            goto done;
        }
    }

    root = lapor_json_finish(p);

done:

    total_spills += lapor_json_parser_spills(p);

    return root;
}


/* feeds the two halves split at "at" */

static lapor_json_t *
parse_split(const unsigned char *buf, size_t len, size_t at,
    const lapor_json_limits_t *l, lapor_json_error_t *err)
{
    lapor_json_t         *root;
    lapor_json_parser_t  *p;

    p = lapor_json_parser_create(l, err);
    if (p == NULL) {
        return NULL;
    }

    root = NULL;

    if (lapor_json_feed(p, buf, at) == 0
        && lapor_json_feed(p, buf + at, len - at) == 0)
    {
        root = lapor_json_finish(p);
    }

    total_spills += lapor_json_parser_spills(p);

    return root;
}


static int
dom_equal(const lapor_json_t *a, const lapor_json_t *b)
{
    size_t                      i;
    const lapor_json_member_t  *ma, *mb;

    if (a == NULL || b == NULL) {
        return a == b;
    }

    if (a->type != b->type || a->offset != b->offset) {
        return 0;
    }

    switch (a->type) {

    case LAPOR_JSON_NULL:
        return 1;

    case LAPOR_JSON_BOOLEAN:
        return a->u.boolean == b->u.boolean;

    case LAPOR_JSON_NUMBER:
        return a->u.number.len == b->u.number.len
               && memcmp(a->u.number.text, b->u.number.text,
                         a->u.number.len + 1) == 0;

    case LAPOR_JSON_STRING:
        return a->u.string.len == b->u.string.len
               && a->u.string.chars == b->u.string.chars
               && memcmp(a->u.string.data, b->u.string.data,
                         a->u.string.len + 1) == 0;

    case LAPOR_JSON_ARRAY:
        if (a->u.array.n != b->u.array.n) {
            return 0;
        }

        for (i = 0; i < a->u.array.n; i++) {
            if (!dom_equal(a->u.array.items[i], b->u.array.items[i])) {
                return 0;
            }
        }

        return 1;

    case LAPOR_JSON_OBJECT:
        if (a->u.object.n != b->u.object.n) {
            return 0;
        }

        for (i = 0; i < a->u.object.n; i++) {
            ma = &a->u.object.members[i];
            mb = &b->u.object.members[i];

            if (ma->key_len != mb->key_len
                || memcmp(ma->key, mb->key, ma->key_len + 1) != 0
                || !dom_equal(ma->value, mb->value))
            {
                return 0;
            }
        }

        return 1;
    }

    return 0;
}


static int
same_error(const lapor_json_error_t *a, const lapor_json_error_t *b)
{
    return a->kind == b->kind && a->offset == b->offset
           && strcmp(a->message, b->message) == 0;
}


/* the outcome of parsing buf in other chunkings equals the one-shot one */

static int
chunkings_agree(const unsigned char *buf, size_t len, int profile)
{
    int                  ok;
    size_t               chunks[] = { 1, 2, 3, 7 };
    size_t               i;
    lapor_json_t        *one, *other;
    lapor_json_error_t   e1, e2;
    lapor_json_limits_t  la, lb;

    ok = 1;

    pool_reset(&pool_a);
    la = limits_for(profile, &pool_a);
    one = lapor_json_parse(buf, len, &la, &e1);

    for (i = 0; i < sizeof(chunks) / sizeof(chunks[0]) + 1; i++) {
        pool_reset(&pool_b);
        lb = limits_for(profile, &pool_b);

        if (i < sizeof(chunks) / sizeof(chunks[0])) {
            other = parse_chunked(buf, len, chunks[i], &lb, &e2);

        } else {
            other = parse_split(buf, len, len / 2, &lb, &e2);
        }

        if (one != NULL) {
            ok = ok && dom_equal(one, other);

        } else {
            ok = ok && other == NULL && same_error(&e1, &e2);
        }
    }

    pool_reset(&pool_a);
    pool_reset(&pool_b);

    return ok;
}


/* the table */

#define OK         LAPOR_JSON_ERR_NONE
#define SYNTAX     LAPOR_JSON_ERR_SYNTAX
#define LIMIT      LAPOR_JSON_ERR_LIMIT
#define ENCODING   LAPOR_JSON_ERR_ENCODING
#define DUPLICATE  LAPOR_JSON_ERR_DUPLICATE

typedef struct {
    int                     profile;
    const char             *json;
    size_t                  len;        /* 0: strlen(json) */
    int                     kind;
    const char             *message;    /* NULL: not checked */
} test_case_t;


static const char  sample_report[] =
    "{\n"
    "  \"title\": \"Jalan berlubang di depan SDN 3\",\n"
    "  \"description\": \"Lubang besar (\\u00b1 1 m) di Jl. Merdeka, "
    "sudah 2 minggu.\\nMohon segera diperbaiki \\ud83d\\ude4f "
    "\xe2\x80\x94 warga RT 05\",\n"
    "  \"category\": \"jalan-rusak\",\n"
    "  \"location\": {\"lat\": -6.914744, \"lon\": 107.60981, "
    "\"address\": \"Jl. Merdeka No. 12, Bandung\"},\n"
    "  \"photos\": [\"a1b2c3.jpg\", \"d4e5f6.jpg\"],\n"
    "  \"anonymous\": false,\n"
    "  \"urgent\": true,\n"
    "  \"contact\": null,\n"
    "  \"reporter_id\": 9007199254740993,\n"
    "  \"tags\": [],\n"
    "  \"meta\": {}\n"
    "}\n";


static const test_case_t  cases[] = {

    /* valid documents of every type */
    { P_DEF, "null", 0, OK, NULL },
    { P_DEF, "true", 0, OK, NULL },
    { P_DEF, "false", 0, OK, NULL },
    { P_DEF, "0", 0, OK, NULL },
    { P_DEF, "-0", 0, OK, NULL },
    { P_DEF, "123", 0, OK, NULL },
    { P_DEF, "-1.5e+10", 0, OK, NULL },
    { P_DEF, "1E-3", 0, OK, NULL },
    { P_DEF, "123456789012345678901234567890", 0, OK, NULL },
    { P_DEF, "1e999", 0, OK, NULL },
    { P_DEF, "\"\"", 0, OK, NULL },
    { P_DEF, "\"abc\"", 0, OK, NULL },
    { P_DEF, "\"caf\\u00e9 \\\"q\\\" \\\\ \\/ \\n\\r\\t\"", 0, OK, NULL },
    { P_DEF, "\"Caf\xc3\xa9 \xf0\x9f\x98\x80\"", 0, OK, NULL },
    { P_DEF, "\"\\ud83d\\ude00\"", 0, OK, NULL },
    { P_DEF, "\"\\uDBFF\\uDFFF\"", 0, OK, NULL },
    { P_DEF, "\"\\u0041\\u00e9\\u20AC\"", 0, OK, NULL },
    { P_DEF, "[]", 0, OK, NULL },
    { P_DEF, "{}", 0, OK, NULL },
    { P_DEF, "[1,\"a\",true,false,null,[],{}]", 0, OK, NULL },
    { P_DEF, "{\"a\":{\"b\":{\"c\":[1,2,{\"d\":null}]}}}", 0, OK, NULL },
    { P_DEF, " \t\r\n{ \"a\" : 1 , \"b\" : [ 1 , 2 ] }\n ", 0, OK, NULL },
    { P_DEF, "{\"a\":1,\"b\":{\"a\":2},\"c\":[{\"a\":3},{\"a\":4}]}", 0, OK,
      NULL },
    { P_DEF, "{\"\":1}", 0, OK, NULL },
    { P_DEF, "{\"a\":1,\"A\":2,\"a \":3}", 0, OK, NULL },
    { P_DEF, "[[[[[[[[1]]]]]]]]", 0, OK, NULL },
    { P_DEF, "{\"a\":[{\"b\":[{\"c\":[{\"d\":[]}]}]}]}", 0, OK, NULL },
    { P_DEF, sample_report, 0, OK, NULL },

    /* malformed */
    { P_DEF, "", 0, SYNTAX, "empty document" },
    { P_DEF, " \t\r\n ", 0, SYNTAX, "empty document" },
    { P_DEF, "{", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "[1,2", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "{\"a\":}", 0, SYNTAX, NULL },
    { P_DEF, "{\"a\" 1}", 0, SYNTAX, NULL },
    { P_DEF, "{a:1}", 0, SYNTAX, NULL },
    { P_DEF, "{1:1}", 0, SYNTAX, "invalid object key (must be a string)" },
    { P_DEF, "[1,]", 0, SYNTAX, NULL },
    { P_DEF, "{\"a\":1,}", 0, SYNTAX, NULL },
    { P_DEF, "[1 2]", 0, SYNTAX, NULL },
    { P_DEF, "]", 0, SYNTAX, NULL },
    { P_DEF, "[01]", 0, SYNTAX, NULL },
    { P_DEF, "1.", 0, SYNTAX, NULL },
    { P_DEF, ".5", 0, SYNTAX, NULL },
    { P_DEF, "+1", 0, SYNTAX, NULL },
    { P_DEF, "-", 0, SYNTAX, NULL },
    { P_DEF, "1e", 0, SYNTAX, NULL },
    { P_DEF, "0x10", 0, SYNTAX, NULL },
    { P_DEF, "tru", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "nul", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "truex", 0, SYNTAX, NULL },
    { P_DEF, "True", 0, SYNTAX, NULL },
    { P_DEF, "NaN", 0, SYNTAX, NULL },
    { P_DEF, "-Infinity", 0, SYNTAX, NULL },
    { P_DEF, "'a'", 0, SYNTAX, NULL },
    { P_DEF, "\"abc", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "\"a\\qb\"", 0, SYNTAX, NULL },
    { P_DEF, "\"\\u12G4\"", 0, SYNTAX, NULL },
    { P_DEF, "\"a\tb\"", 0, SYNTAX, "invalid character inside string" },
    { P_DEF, "\"a\nb\"", 0, SYNTAX, "invalid character inside string" },
    { P_DEF, "\"ab\0\"", 5, SYNTAX, "invalid character inside string" },
    { P_DEF, "[1,\0]", 5, SYNTAX, NULL },

    /* comments, garbage, several values, BOM, odd whitespace */
    { P_DEF, "// note\n1", 0, SYNTAX, NULL },
    { P_DEF, "/* note */ 1", 0, SYNTAX, NULL },
    { P_DEF, "[1] /* note */", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "{\"a\":1} x", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "{\"a\":1},", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "1 2", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "{}{}", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "[] []", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "\"a\" \"b\"", 0, SYNTAX, "trailing garbage" },
    { P_DEF, "1 \"unterminated", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "1 tr", 0, SYNTAX, "unexpected end of input" },
    { P_DEF, "\xef\xbb\xbf{}", 0, SYNTAX, "invalid char in json text" },
    { P_DEF, "\v1", 0, SYNTAX, "invalid character in JSON text" },
    { P_DEF, "1\f", 0, SYNTAX, "invalid character in JSON text" },
    { P_DEF, "[1,\v2]", 0, SYNTAX, "invalid character in JSON text" },
    { P_DEF, "\xc2\xa0[]", 0, SYNTAX, NULL },

    /* invalid UTF-8, raw */
    { P_DEF, "\"\xc0\xaf\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xed\xa0\x80\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xf4\x90\x80\x80\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xf5\x80\x80\x80\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xe0\x80\xaf\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xff\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xc3\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\x80\"", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "\"\xc2\x85\"", 0, ENCODING, "control character in string" },
    { P_DEF, "\"\x7f\"", 0, ENCODING, "control character in string" },
    { P_DEF, "{\"\xc0\xaf\":1}", 0, ENCODING, "invalid UTF-8 in key" },
    { P_DEF, "{\"\xff\":1}", 0, ENCODING, "invalid UTF-8 in key" },
    { P_DEF, "{\"a\":\"\xff\"}", 0, ENCODING, "invalid UTF-8 in string" },
    { P_DEF, "{\"a\":[\"x\xff\"]}", 0, ENCODING, "invalid UTF-8 in string" },

    /* invalid UTF-8 or forbidden characters, through escapes */
    { P_DEF, "\"\\uDC00\"", 0, ENCODING,
      "unpaired UTF-16 surrogate escape in string" },
    { P_DEF, "\"\\uD800\"", 0, ENCODING,
      "unpaired UTF-16 surrogate escape in string" },
    { P_DEF, "\"\\uD800x\"", 0, ENCODING, NULL },
    { P_DEF, "\"\\uD800\\n\"", 0, ENCODING, NULL },
    { P_DEF, "\"\\uD800\\uD800\"", 0, ENCODING, NULL },
    { P_DEF, "\"\\uD800\\u0041\"", 0, ENCODING, NULL },
    { P_DEF, "\"\\ude00\\ud83d\"", 0, ENCODING, NULL },
    { P_DEF, "{\"\\udc00\":1}", 0, ENCODING, NULL },
    { P_DEF, "\"\\u0000\"", 0, ENCODING, "NUL character in string" },
    { P_DEF, "\"a\\u0000b\"", 0, ENCODING, "NUL character in string" },
    { P_DEF, "\"\\u0001\"", 0, ENCODING, "control character in string" },
    { P_DEF, "\"\\b\"", 0, ENCODING, "control character in string" },
    { P_DEF, "\"\\u007F\"", 0, ENCODING, "control character in string" },
    { P_DEF, "\"\\u0085\"", 0, ENCODING, "control character in string" },
    { P_DEF, "{\"a\\nb\":1}", 0, ENCODING, "control character in key" },
    { P_DEF, "{\"\\u0000\":1}", 0, ENCODING, "NUL character in key" },
    { P_SMALL, "\"a\\nb\"", 0, ENCODING, "control character in string" },
    { P_SMALL, "\"a\\tb\"", 0, ENCODING, "control character in string" },

    /* duplicate keys */
    { P_DEF, "{\"a\":1,\"a\":2}", 0, DUPLICATE, "duplicate key \"a\"" },
    { P_DEF, "{\"a\":1,\"b\":{\"c\":1,\"c\":2}}", 0, DUPLICATE,
      "duplicate key \"c\"" },
    { P_DEF, "[{\"x\":1},{\"y\":1,\"x\":2,\"y\":3}]", 0, DUPLICATE,
      "duplicate key \"y\"" },
    { P_DEF, "{\"a\":1,\"\\u0061\":2}", 0, DUPLICATE, "duplicate key \"a\"" },
    { P_DEF, "{\"a\":{\"a\":{\"a\":1}},\"b\":1,\"a\":2}", 0, DUPLICATE,
      "duplicate key \"a\"" },
    { P_DEF, "{\"\":1,\"\":2}", 0, DUPLICATE, "duplicate key \"\"" },

    /* limits: depth 3, strings of 16 bytes, 10 values, numbers of 8 */
    { P_SMALL, "[[[1]]]", 0, OK, NULL },
    { P_SMALL, "[[[[1]]]]", 0, LIMIT, "nesting deeper than 3" },
    { P_SMALL, "{\"a\":{\"b\":{\"c\":{}}}}", 0, LIMIT,
      "nesting deeper than 3" },
    { P_DEF, "[[[[[[[[[1]]]]]]]]]", 0, LIMIT, "nesting deeper than 8" },
    { P_SMALL, "\"0123456789abcdef\"", 0, OK, NULL },
    { P_SMALL, "\"0123456789abcdefg\"", 0, LIMIT,
      "string longer than 16 bytes" },
    { P_SMALL, "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\"",
      0, OK, NULL },
    { P_SMALL,
      "\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9a\"",
      0, LIMIT, "string longer than 16 bytes" },
    { P_SMALL, "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\"",
      0, OK, NULL },
    { P_SMALL, "\"\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00\\ud83d\\ude00!\"",
      0, LIMIT, "string longer than 16 bytes" },
    { P_SMALL, "{\"0123456789abcdef\":1}", 0, OK, NULL },
    { P_SMALL, "{\"0123456789abcdefg\":1}", 0, LIMIT,
      "string longer than 16 bytes" },
    { P_SMALL, "[1,2,3,4,5,6,7,8,9]", 0, OK, NULL },
    { P_SMALL, "[1,2,3,4,5,6,7,8,9,10]", 0, LIMIT, "more than 10 values" },
    { P_SMALL, "{\"a\":[1,2],\"b\":{\"c\":[3,4,5,6,7]}}", 0, LIMIT,
      "more than 10 values" },
    { P_SMALL, "12345678", 0, OK, NULL },
    { P_SMALL, "-1234567", 0, OK, NULL },
    { P_SMALL, "1.5e+100", 0, OK, NULL },
    { P_SMALL, "123456789", 0, LIMIT, "number longer than 8 characters" },
    { P_SMALL, "[1.5e+1000]", 0, LIMIT, "number longer than 8 characters" },
};


static void
test_table(void)
{
    size_t               i, len, n;
    lapor_json_t        *root;
    lapor_json_error_t   err;
    lapor_json_limits_t  l;
    const test_case_t   *c;

    n = sizeof(cases) / sizeof(cases[0]);

    /* the table is meant to cover at least 60 inputs */
    UNIT_TRUE(n >= 60);

    for (i = 0; i < n; i++) {
        c = &cases[i];
        len = c->len ? c->len : strlen(c->json);

        pool_reset(&pool_a);
        l = limits_for(c->profile, &pool_a);

        root = lapor_json_parse((const unsigned char *) c->json, len, &l,
                                &err);

        if (c->kind == OK) {
            if (root == NULL) {
                fprintf(stderr, "case %zu: %s: unexpected error %d at %zu: "
                        "%s\n", i, c->json, err.kind, err.offset,
                        err.message);
            }

            UNIT_TRUE(root != NULL);

        } else {
            if (root != NULL || err.kind != c->kind
                || (c->message && strcmp(err.message, c->message) != 0))
            {
                fprintf(stderr, "case %zu: %s: got %s, kind %d at %zu: "
                        "\"%s\"\n", i, c->json, root ? "a value" : "error",
                        err.kind, err.offset, err.message);
            }

            UNIT_TRUE(root == NULL);
            UNIT_EQ(err.kind, c->kind);
            UNIT_TRUE(err.offset <= len);

            if (c->message) {
                UNIT_TRUE(strcmp(err.message, c->message) == 0);
            }
        }

        /* byte by byte, in halves and in odd chunks: the same outcome */
        if (!chunkings_agree((const unsigned char *) c->json, len,
                             c->profile))
        {
            fprintf(stderr, "case %zu: %s: chunking changes the outcome\n",
                    i, c->json);
            UNIT_TRUE(0);

        } else {
            UNIT_TRUE(1);
        }
    }

    pool_reset(&pool_a);
}


static lapor_json_t *
parse_str(const char *json, int profile, lapor_json_error_t *err)
{
    lapor_json_limits_t  l;

    l = limits_for(profile, &pool_a);

    return lapor_json_parse((const unsigned char *) json, strlen(json), &l,
                            err);
}


static void
test_dom(void)
{
    size_t               off;
    double               d;
    int64_t              i64;
    lapor_json_t        *root, *v, *loc;
    lapor_json_error_t   err;

    pool_reset(&pool_a);

    root = parse_str(sample_report, P_DEF, &err);
    UNIT_TRUE(root != NULL);

    if (root == NULL) {
        return;
    }

    UNIT_EQ(root->type, LAPOR_JSON_OBJECT);
    UNIT_EQ(root->offset, 0);
    UNIT_EQ(root->u.object.n, 11);

    /* members keep the input order */
    UNIT_TRUE(strcmp(root->u.object.members[0].key, "title") == 0);
    UNIT_TRUE(strcmp(root->u.object.members[10].key, "meta") == 0);

    v = lapor_json_get(root, "title");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_STRING);
    UNIT_TRUE(v && strcmp(v->u.string.data,
                          "Jalan berlubang di depan SDN 3") == 0);

    /* offsets point at the first byte of the value */
    off = (size_t) (strstr(sample_report, "\"Jalan") - sample_report);
    UNIT_EQ(v ? v->offset : 0, off);

    v = lapor_json_get(root, "description");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_STRING);

    if (v) {
        /* escapes decoded: U+00B1, \n, U+1F64F; raw U+2014 kept */
        UNIT_TRUE(strstr(v->u.string.data, "(\xc2\xb1 1 m)") != NULL);
        UNIT_TRUE(strstr(v->u.string.data, "minggu.\nMohon") != NULL);
        UNIT_TRUE(strstr(v->u.string.data, "\xf0\x9f\x99\x8f \xe2\x80\x94")
                  != NULL);
        UNIT_EQ(v->u.string.len, strlen(v->u.string.data));
        UNIT_EQ(v->u.string.chars, v->u.string.len - 1 - 3 - 2);

        off = (size_t) (strstr(sample_report, "\"Lubang") - sample_report);
        UNIT_EQ(v->offset, off);
    }

    loc = lapor_json_get(root, "location");
    UNIT_TRUE(loc != NULL && loc->type == LAPOR_JSON_OBJECT);

    v = lapor_json_get(loc, "lat");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_NUMBER);
    UNIT_TRUE(v && strcmp(v->u.number.text, "-6.914744") == 0);
    UNIT_TRUE(lapor_json_double(v, &d) == 0 && d == -6.914744);
    UNIT_EQ(lapor_json_int64(v, &i64), -1);

    off = (size_t) (strstr(sample_report, "-6.9") - sample_report);
    UNIT_EQ(v ? v->offset : 0, off);

    off = (size_t) (strstr(sample_report, "{\"lat") - sample_report);
    UNIT_EQ(loc ? loc->offset : 0, off);

    v = lapor_json_get(root, "photos");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_ARRAY && v->u.array.n == 2);
    UNIT_TRUE(v && strcmp(v->u.array.items[1]->u.string.data, "d4e5f6.jpg")
                    == 0);

    v = lapor_json_get(root, "anonymous");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_BOOLEAN
              && v->u.boolean == 0);
    off = (size_t) (strstr(sample_report, "false") - sample_report);
    UNIT_EQ(v ? v->offset : 0, off);

    v = lapor_json_get(root, "urgent");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_BOOLEAN
              && v->u.boolean == 1);

    v = lapor_json_get(root, "contact");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_NULL);
    off = (size_t) (strstr(sample_report, "null") - sample_report);
    UNIT_EQ(v ? v->offset : 0, off);

    /* 2^53 + 1: kept exactly as text, exact as an int64 */
    v = lapor_json_get(root, "reporter_id");
    UNIT_TRUE(lapor_json_int64(v, &i64) == 0
              && i64 == INT64_C(9007199254740993));

    v = lapor_json_get(root, "tags");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_ARRAY && v->u.array.n == 0
              && v->u.array.items == NULL);

    v = lapor_json_get(root, "meta");
    UNIT_TRUE(v != NULL && v->type == LAPOR_JSON_OBJECT
              && v->u.object.n == 0 && v->u.object.members == NULL);

    UNIT_TRUE(lapor_json_get(root, "missing") == NULL);
    UNIT_TRUE(lapor_json_get(root, "titl") == NULL);
    UNIT_TRUE(lapor_json_get(v, "x") == NULL);
    UNIT_TRUE(lapor_json_get(lapor_json_get(root, "photos"), "0") == NULL);
    UNIT_TRUE(lapor_json_get(NULL, "title") == NULL);

    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_NULL), "null") == 0);
    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_BOOLEAN), "boolean")
              == 0);
    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_NUMBER), "number")
              == 0);
    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_STRING), "string")
              == 0);
    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_ARRAY), "array") == 0);
    UNIT_TRUE(strcmp(lapor_json_type_name(LAPOR_JSON_OBJECT), "object")
              == 0);

    /* an escaped key is stored decoded; a raw one as is */
    root = parse_str("{\"k\\u00e9y\":1,\"\xc3\xa9\":2}", P_DEF, &err);
    UNIT_TRUE(lapor_json_get(root, "k\xc3\xa9y") != NULL);
    UNIT_TRUE(lapor_json_get(root, "\xc3\xa9") != NULL);
    UNIT_EQ(root ? root->u.object.members[0].key_len : 0, 4);

    /* a top-level scalar is a valid document */
    root = parse_str("  \"x\"  ", P_DEF, &err);
    UNIT_TRUE(root != NULL && root->type == LAPOR_JSON_STRING
              && root->offset == 2 && root->u.string.chars == 1);

    pool_reset(&pool_a);
}


static void
test_error_offsets(void)
{
    lapor_json_error_t  err;

    pool_reset(&pool_a);

    UNIT_TRUE(parse_str("{\"a\":1,\"a\":2}", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 7);

    UNIT_TRUE(parse_str("[[1],[[[[[[[[2]]]]]]]]]", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 12);

    UNIT_TRUE(parse_str("[\"ok\", \"0123456789abcdefXYZ\"]", P_SMALL, &err)
              == NULL);
    UNIT_EQ(err.offset, 7);

    UNIT_TRUE(parse_str("[1, \"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                        "\\u00e9\\u00e9\\u00e9\"]", P_SMALL, &err) == NULL);
    UNIT_EQ(err.kind, LAPOR_JSON_ERR_LIMIT);
    UNIT_EQ(err.offset, 4);

    UNIT_TRUE(parse_str("[1, 2,\n \"\\uD800\"]", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 8);

    UNIT_TRUE(parse_str("[1, \"\\u0000\"]", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 4);

    UNIT_TRUE(parse_str("[1,2,3,4,5,6,7,8,9,\"ten\"]", P_SMALL, &err)
              == NULL);
    UNIT_EQ(err.offset, 19);

    UNIT_TRUE(parse_str("[1, 123456789]", P_SMALL, &err) == NULL);
    UNIT_EQ(err.offset, 4);

    UNIT_TRUE(parse_str("[1, x]", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 4);

    UNIT_TRUE(parse_str("[1, 2", P_DEF, &err) == NULL);
    UNIT_EQ(err.offset, 5);

    /* an error before a scanner violation in the same piece comes first */
    UNIT_TRUE(parse_str("[1 2, \"\\uD800\"]", P_DEF, &err) == NULL);
    UNIT_EQ(err.kind, LAPOR_JSON_ERR_SYNTAX);

    UNIT_TRUE(parse_str("{\"a\":1,\"a\":\"\\uDC00\"}", P_DEF, &err) == NULL);
    UNIT_EQ(err.kind, LAPOR_JSON_ERR_DUPLICATE);

    pool_reset(&pool_a);
}


static void
test_numbers(void)
{
    double               d;
    int64_t              i;
    lapor_json_t        *v;
    lapor_json_t         fake;
    lapor_json_error_t   err;

    pool_reset(&pool_a);

#define INT_OK(text, want)                                                    \
    v = parse_str(text, P_DEF, &err);                                         \
    i = 12345;                                                                \
    UNIT_TRUE(lapor_json_int64(v, &i) == 0 && i == (want))

#define INT_BAD(text)                                                         \
    v = parse_str(text, P_DEF, &err);                                         \
    UNIT_TRUE(v != NULL && lapor_json_int64(v, &i) == -1)

    INT_OK("0", 0);
    INT_OK("-0", 0);
    INT_OK("42", 42);
    INT_OK("-42", -42);
    INT_OK("9223372036854775807", INT64_MAX);
    INT_OK("-9223372036854775808", INT64_MIN);
    INT_OK("-9223372036854775807", -INT64_MAX);
    INT_BAD("9223372036854775808");
    INT_BAD("-9223372036854775809");
    INT_BAD("18446744073709551616");
    INT_BAD("99999999999999999999999999999999");
    INT_BAD("1.5");
    INT_BAD("1.0");
    INT_BAD("1e2");
    INT_BAD("1E+0");
    INT_BAD("-0.0");

#define DBL_OK(text, want)                                                    \
    v = parse_str(text, P_DEF, &err);                                         \
    d = 12345;                                                                \
    UNIT_TRUE(lapor_json_double(v, &d) == 0 && d == (want))

#define DBL_BAD(text)                                                         \
    v = parse_str(text, P_DEF, &err);                                         \
    UNIT_TRUE(v != NULL && lapor_json_double(v, &d) == -1)

    DBL_OK("1.5", 1.5);
    DBL_OK("-0.25", -0.25);
    DBL_OK("42", 42.0);
    DBL_OK("1e2", 100.0);
    DBL_OK("1E-2", 0.01);
    DBL_OK("1.7976931348623157e308", 1.7976931348623157e308);
    DBL_OK("9223372036854775808", 9223372036854775808.0);
    DBL_OK("1e-999", 0.0);
    DBL_BAD("1e999");
    DBL_BAD("-1e999");
    DBL_BAD("1.8e308");

    v = parse_str("-0", P_DEF, &err);
    UNIT_TRUE(lapor_json_double(v, &d) == 0 && d == 0.0 && signbit(d));

    /* the text is kept exactly as written */
    v = parse_str("[1e999, 123456789012345678901234567890, -0.0]", P_DEF,
                  &err);
    UNIT_TRUE(v != NULL && v->u.array.n == 3);

    if (v) {
        UNIT_TRUE(strcmp(v->u.array.items[0]->u.number.text, "1e999") == 0);
        UNIT_TRUE(strcmp(v->u.array.items[1]->u.number.text,
                         "123456789012345678901234567890") == 0);
        UNIT_EQ(v->u.array.items[1]->u.number.len, 30);
        UNIT_TRUE(strcmp(v->u.array.items[2]->u.number.text, "-0.0") == 0);
    }

    /* not a number, or a hand-made one strtod() would take */
    v = parse_str("\"12\"", P_DEF, &err);
    UNIT_EQ(lapor_json_int64(v, &i), -1);
    UNIT_EQ(lapor_json_double(v, &d), -1);
    UNIT_EQ(lapor_json_int64(NULL, &i), -1);
    UNIT_EQ(lapor_json_double(NULL, &d), -1);

    memset(&fake, 0, sizeof(fake));
    fake.type = LAPOR_JSON_NUMBER;

    fake.u.number.text = "inf";
    fake.u.number.len = 3;
    UNIT_EQ(lapor_json_double(&fake, &d), -1);

    fake.u.number.text = "0x10";
    fake.u.number.len = 4;
    UNIT_EQ(lapor_json_double(&fake, &d), -1);
    UNIT_EQ(lapor_json_int64(&fake, &i), -1);

    fake.u.number.text = "-";
    fake.u.number.len = 1;
    UNIT_EQ(lapor_json_int64(&fake, &i), -1);

    fake.u.number.text = "";
    fake.u.number.len = 0;
    UNIT_EQ(lapor_json_int64(&fake, &i), -1);
    UNIT_EQ(lapor_json_double(&fake, &d), -1);

#undef INT_OK
#undef INT_BAD
#undef DBL_OK
#undef DBL_BAD

    pool_reset(&pool_a);
}


/*
 * Every prefix of a document either fails cleanly as a syntax error or,
 * where the prefix is itself a JSON text, parses; byte by byte the same.
 */

static void
truncations(const char *doc, int profile, const char *valid)
{
    size_t               k, len, bad;
    lapor_json_t        *root, *again;
    lapor_json_error_t   err, err2;
    lapor_json_limits_t  la, lb;

    len = strlen(doc);
    bad = 0;

    /* one verdict per prefix length, the empty one included */
    UNIT_EQ(strlen(valid), len + 1);

    for (k = 0; k <= len; k++) {
        pool_reset(&pool_a);
        pool_reset(&pool_b);
        la = limits_for(profile, &pool_a);
        lb = limits_for(profile, &pool_b);

        root = lapor_json_parse((const unsigned char *) doc, k, &la, &err);
        again = parse_chunked((const unsigned char *) doc, k, 1, &lb, &err2);

        if (valid[k] == 'y') {
            if (root == NULL || !dom_equal(root, again)) {
                fprintf(stderr, "prefix %zu of %s: %s\n", k, doc,
                        err.message);
                bad++;
            }

            continue;
        }

        if (root != NULL || again != NULL
            || err.kind != LAPOR_JSON_ERR_SYNTAX || err.offset > k
            || !same_error(&err, &err2)
            || (k == 0 && strcmp(err.message, "empty document") != 0))
        {
            fprintf(stderr, "prefix %zu of %s: kind %d at %zu: %s\n",
                    k, doc, err.kind, err.offset, err.message);
            bad++;
        }
    }

    UNIT_EQ(bad, 0);

    pool_reset(&pool_a);
    pool_reset(&pool_b);
}


static void
test_truncation(void)
{
    size_t  len, last, k;
    char    valid[sizeof(sample_report) + 1];

    /* the sample is valid from its closing brace on */
    len = strlen(sample_report);
    last = (size_t) (strrchr(sample_report, '}') - sample_report);

    for (k = 0; k <= len; k++) {
        valid[k] = (k > last) ? 'y' : 'n';
    }

    valid[len + 1] = '\0';

    truncations(sample_report, P_DEF, valid);

    /* scalars: some prefixes are JSON texts themselves */
    truncations("-12.5e+3", P_DEF, "nnyynynny");
    truncations("-12.5e+3 ", P_DEF, "nnyynynnyy");
    truncations("true", P_DEF, "nnnny");
    truncations("\"a\\u00e9\"", P_DEF, "nnnnnnnnny");
    truncations("\"\\ud83d\\ude00\"", P_DEF, "nnnnnnnnnnnnnny");
    truncations("\"\xf0\x9f\x98\x80\"", P_DEF, "nnnnnny");
    truncations("[1,{\"a\":[true,null]}]", P_DEF, "nnnnnnnnnnnnnnnnnnnnny");
}


/* the parser never crashes short of memory, and says so */

static void
nomem(const char *doc, size_t chunk, int profile)
{
    size_t               len, need, n, bad;
    lapor_json_t        *root, *full;
    lapor_json_error_t   err;
    lapor_json_limits_t  la, lb;

    len = strlen(doc);

    pool_reset(&pool_a);
    la = limits_for(profile, &pool_a);
    full = parse_chunked((const unsigned char *) doc, len, chunk, &la, &err);
    need = pool_a.used;

    UNIT_TRUE(full != NULL);

    bad = 0;

    for (n = 0; n <= need; n++) {
        pool_reset(&pool_b);
        pool_b.budget = n;
        lb = limits_for(profile, &pool_b);

        root = parse_chunked((const unsigned char *) doc, len, chunk, &lb,
                             &err);

        if (n < need) {
            if (root != NULL || err.kind != LAPOR_JSON_ERR_NOMEM
                || strcmp(err.message, "out of memory") != 0)
            {
                bad++;
            }

        } else if (!dom_equal(root, full)) {
            bad++;
        }
    }

    UNIT_EQ(bad, 0);

    pool_reset(&pool_a);
    pool_reset(&pool_b);
}


static void
test_nomem(void)
{
    nomem(sample_report, 0, P_DEF);
    nomem(sample_report, 7, P_DEF);
    nomem("[1,{\"a\":\"\\u00e9\"},[[]],\"x\"]", 1, P_SMALL);

    /* no allocator, no error structure */
    UNIT_TRUE(lapor_json_parser_create(NULL, NULL) == NULL);
}


static void
test_sticky_errors(void)
{
    lapor_json_t         *root;
    lapor_json_error_t    err, first;
    lapor_json_limits_t   l;
    lapor_json_parser_t  *p;

    pool_reset(&pool_a);
    l = limits_for(P_DEF, &pool_a);

    p = lapor_json_parser_create(&l, &err);
    UNIT_TRUE(p != NULL);

    if (p == NULL) {
        return;
    }

    UNIT_EQ(lapor_json_feed(p, (const unsigned char *) "[1,", 3), 0);
    UNIT_EQ(lapor_json_feed(p, NULL, 0), 0);
    UNIT_EQ(lapor_json_feed(p, (const unsigned char *) "]", 1), -1);
    first = err;

    UNIT_EQ(lapor_json_feed(p, (const unsigned char *) "2]", 2), -1);
    UNIT_TRUE(lapor_json_finish(p) == NULL);
    UNIT_TRUE(same_error(&err, &first));

    /* finish twice returns the same root; feeding after it fails */
    p = lapor_json_parser_create(&l, &err);
    UNIT_TRUE(p != NULL);

    if (p == NULL) {
        return;
    }

    UNIT_EQ(lapor_json_feed(p, (const unsigned char *) "[1]", 3), 0);
    root = lapor_json_finish(p);
    UNIT_TRUE(root != NULL);
    UNIT_TRUE(lapor_json_finish(p) == root);
    UNIT_EQ(lapor_json_feed(p, (const unsigned char *) " ", 1), -1);

    pool_reset(&pool_a);
}


static void
append(char *buf, size_t *len, const char *s)
{
    size_t  n;

    n = strlen(s);
    memcpy(buf + *len, s, n + 1);
    *len += n;
}


/*
 * Random documents, some of them damaged, parsed whole, byte by byte, in
 * random chunks and in two random halves: the outcome never depends on the
 * chunking, and yajl never needs more than was reserved for it.
 */

static void
fuzz_space(char *buf, size_t *len)
{
    static const char  *spaces[] = { "", "", "", " ", "\n  ", "\t", "\r\n" };

    append(buf, len, spaces[unit_rand(7)]);
}


static void
fuzz_string(char *buf, size_t *len, int key)
{
    static const char  *pieces[] = {
        "a", "Jalan", " ", "\\n", "\\\"", "\\\\", "\\/", "\\t",
        "\\u00e9", "\\u20AC", "\\u0041", "\\ud83d\\ude00",
        "\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\\uDBFF\\uDFFF"
    };

    unsigned  n, i;

    append(buf, len, "\"");

    n = key ? unit_rand(3) : unit_rand(8);

    if (!key && unit_rand(10) == 0) {
        /* now and then a long one, to be split across chunks */
        n = 100 + unit_rand(600);
    }

    for (i = 0; i < n; i++) {
        append(buf, len, pieces[key ? unit_rand(3) : unit_rand(16)]);
    }

    append(buf, len, "\"");
}


static void
fuzz_value(char *buf, size_t *len, unsigned depth)
{
    static const char  *numbers[] = {
        "0", "-0", "7", "-12", "3.25", "-0.5e-3", "1E+9", "6.02e23",
        "9223372036854775807", "123456789012345678901234567890", "1e999"
    };

    static const char  *literals[] = { "true", "false", "null" };

    unsigned  r, n, i;

    r = unit_rand(10);

    fuzz_space(buf, len);

    if (depth < 6 && r < 2) {
        append(buf, len, "{");
        n = unit_rand(5);

        for (i = 0; i < n; i++) {
            if (i) {
                append(buf, len, ",");
            }

            fuzz_space(buf, len);
            fuzz_string(buf, len, 1);
            fuzz_space(buf, len);
            append(buf, len, ":");
            fuzz_value(buf, len, depth + 1);
        }

        fuzz_space(buf, len);
        append(buf, len, "}");

    } else if (depth < 6 && r < 4) {
        append(buf, len, "[");
        n = unit_rand(6);

        for (i = 0; i < n; i++) {
            if (i) {
                append(buf, len, ",");
            }

            fuzz_value(buf, len, depth + 1);
        }

        fuzz_space(buf, len);
        append(buf, len, "]");

    } else if (r < 7) {
        fuzz_string(buf, len, 0);

    } else if (r < 9) {
        append(buf, len, numbers[unit_rand(11)]);

    } else {
        append(buf, len, literals[unit_rand(3)]);
    }

    fuzz_space(buf, len);
}


static lapor_json_t *
parse_random_chunks(const unsigned char *buf, size_t len,
    const lapor_json_limits_t *l, lapor_json_error_t *err)
{
    size_t                off, n;
    lapor_json_t         *root;
    lapor_json_parser_t  *p;

    p = lapor_json_parser_create(l, err);
    if (p == NULL) {
        return NULL;
    }

    root = NULL;

    for (off = 0; off < len; off += n) {
        n = 1 + unit_rand(unit_rand(2) ? 16 : 700);

        if (n > len - off) {
            n = len - off;
        }

        if (lapor_json_feed(p, buf + off, n) != 0) {
            goto done;
        }
    }

    root = lapor_json_finish(p);

done:

    total_spills += lapor_json_parser_spills(p);

    return root;
}


static void
test_fuzz(void)
{
    static const unsigned char  bytes[] = {
        '"', '\\', '{', '}', '[', ']', ',', ':', ' ', 'u', 'D', 'e', '0',
        '\v', '\0', 0x80, 0xc0, 0xc3, 0xed, 0xf4, 0xff
    };

    int                  same;
    char                *doc;
    size_t               len, i, n, round, valid, rounds, m;
    lapor_json_t        *one, *other;
    lapor_json_error_t   e1, e2;
    lapor_json_limits_t  la, lb;

    doc = malloc(1 << 20);
    if (doc == NULL) {
        abort();
    }

    rounds = 1500;
    valid = 0;
    same = 1;

    for (round = 0; round < rounds; round++) {
        len = 0;
        fuzz_value(doc, &len, 0);

        /* damage a third of them */
        if (unit_rand(3) == 0) {
            n = 1 + unit_rand(3);

            for (i = 0; i < n && len > 0; i++) {
                m = unit_rand((unsigned) len);

                switch (unit_rand(3)) {
                case 0:
                    doc[m] = (char) bytes[unit_rand(sizeof(bytes))];
                    break;
                case 1:
                    memmove(doc + m, doc + m + 1, len - m);
                    len--;
                    break;
                default:
                    len = m;
                }
            }
        }

        pool_reset(&pool_a);
        la = limits_for(P_DEF, &pool_a);
        la.max_depth = 5;
        la.max_string = 1024;
        la.max_elements = 40;
        la.max_number = 24;

        one = parse_chunked((const unsigned char *) doc, len, 0, &la, &e1);

        if (one != NULL) {
            valid++;
        }

        for (i = 0; i < 3; i++) {
            pool_reset(&pool_b);
            lb = la;
            lb.ctx = &pool_b;

            if (i == 0) {
                other = parse_chunked((const unsigned char *) doc, len, 1,
                                      &lb, &e2);

            } else if (i == 1) {
                other = parse_random_chunks((const unsigned char *) doc, len,
                                            &lb, &e2);

            } else {
                other = parse_split((const unsigned char *) doc, len,
                                    len ? unit_rand((unsigned) len) : 0,
                                    &lb, &e2);
            }

            if (one ? !dom_equal(one, other)
                    : (other != NULL || !same_error(&e1, &e2)))
            {
                fprintf(stderr, "fuzz round %zu, chunking %zu: %s / %s\n",
                        round, i, one ? "ok" : e1.message,
                        other ? "ok" : e2.message);
                same = 0;
            }
        }
    }

    UNIT_TRUE(same);

    /* both outcomes are well represented */
    UNIT_TRUE(valid > rounds / 4 && valid < rounds - rounds / 10);

    free(doc);
    pool_reset(&pool_a);
    pool_reset(&pool_b);
}


/* big tokens cut at every kind of place stay within yajl's reserve */

static void
test_yajl_memory(void)
{
    size_t               i, len, k, chunks[] = { 1, 2, 1000, 4096, 65536 };
    size_t               long_chunks[] = { 999, 1000, 4096, 4097, 65536 };
    char                *doc;
    lapor_json_t        *root;
    lapor_json_error_t   err;
    lapor_json_limits_t  l;

    /* a 200 KB string of mixed escapes, raw text and a long number */
    len = 0;
    doc = malloc(300000);

    if (doc == NULL) {
        abort();
    }

    append(doc, &len, "[\"");

    for (i = 0; i < 20000; i++) {
        append(doc, &len, (i % 3) ? "ab\\u00e9cd" : "x\\ud83d\\ude00");
    }

    append(doc, &len, "\", 12345678901234567890123456789012, \"tail\"]");

    /*
     * Not byte by byte: yajl re-reads a buffered token on every call, which
     * is quadratic for one long token (nginx hands over whole buffers).
     */
    for (k = 0; k < sizeof(long_chunks) / sizeof(long_chunks[0]); k++) {
        pool_reset(&pool_a);
        l = limits_for(P_DEF, &pool_a);
        l.max_string = 1 << 20;

        root = parse_chunked((const unsigned char *) doc, len, long_chunks[k],
                             &l, &err);

        UNIT_TRUE(root != NULL && root->u.array.n == 3);

        /* yajl's buffers and the DOM stay within a small multiple */
        UNIT_TRUE(pool_a.used < 8 * len);
    }

    /* the same string is too long for the default limit, however cut */
    for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
        pool_reset(&pool_a);
        l = limits_for(P_DEF, &pool_a);

        root = parse_chunked((const unsigned char *) doc, len, chunks[k], &l,
                             &err);

        UNIT_TRUE(root == NULL && err.kind == LAPOR_JSON_ERR_LIMIT
                  && err.offset == 1);

        /* stopped early: yajl never buffered more than the limit allows */
        UNIT_TRUE(pool_a.used < 200000);
    }

    /* deep nesting past yajl's 128-byte stack steps, byte by byte */
    len = 0;

    for (i = 0; i < 600; i++) {
        doc[len++] = (i % 2) ? '[' : '{';

        if (i % 2 == 0) {
            append(doc, &len, "\"k\":");
        }
    }

    doc[len++] = '1';

    for (i = 600; i-- > 0; /* void */ ) {
        doc[len++] = (i % 2) ? ']' : '}';
    }

    for (k = 0; k < 3; k++) {
        pool_reset(&pool_a);
        l = limits_for(P_DEF, &pool_a);
        l.max_depth = 1000;
        l.max_elements = 10000;

        root = parse_chunked((const unsigned char *) doc, len, chunks[k], &l,
                             &err);

        UNIT_TRUE(root != NULL && root->type == LAPOR_JSON_OBJECT);
    }

    /* and past the limit */
    pool_reset(&pool_a);
    l = limits_for(P_DEF, &pool_a);
    l.max_depth = 300;
    l.max_elements = 10000;

    root = parse_chunked((const unsigned char *) doc, len, 1, &l, &err);
    UNIT_TRUE(root == NULL && err.kind == LAPOR_JSON_ERR_LIMIT);
    UNIT_TRUE(strcmp(err.message, "nesting deeper than 300") == 0);

    free(doc);
    pool_reset(&pool_a);

    /* no yajl allocation in this whole file missed its reserve */
    UNIT_EQ(total_spills, 0);
}


static void
test_many_keys(void)
{
    size_t               i, len;
    char                 doc[8192];
    lapor_json_t        *root;
    lapor_json_error_t   err;
    lapor_json_limits_t  l;

    /* 255 distinct keys: the largest object the default limits allow */
    len = 0;
    doc[len++] = '{';

    for (i = 0; i < 255; i++) {
        len += sprintf(doc + len, "%s\"key%zu\":%zu", i ? "," : "", i, i);
    }

    doc[len++] = '}';

    pool_reset(&pool_a);
    l = limits_for(P_DEF, &pool_a);

    root = parse_chunked((const unsigned char *) doc, len, 0, &l, &err);
    UNIT_TRUE(root != NULL && root->u.object.n == 255);
    UNIT_TRUE(lapor_json_get(root, "key254") != NULL);

    /* the last one repeating the first */
    len -= 1;
    len -= strlen("\"key254\":254");
    append(doc, &len, "\"key0\":0}");

    pool_reset(&pool_a);
    l = limits_for(P_DEF, &pool_a);

    root = parse_chunked((const unsigned char *) doc, len, 0, &l, &err);
    UNIT_TRUE(root == NULL && err.kind == LAPOR_JSON_ERR_DUPLICATE);
    UNIT_TRUE(strcmp(err.message, "duplicate key \"key0\"") == 0);

    /* a long duplicate key is cut in the message, on a character boundary */
    len = 0;
    append(doc, &len, "{\"");

    for (i = 0; i < 30; i++) {
        append(doc, &len, "\xe2\x80\x94");
    }

    memcpy(doc + len, "\":1,", 4);
    memcpy(doc + len + 4, doc + 1, len - 1);
    len = 2 * len + 3;
    append(doc, &len, "\":2}");

    pool_reset(&pool_a);
    l = limits_for(P_DEF, &pool_a);

    root = parse_chunked((const unsigned char *) doc, len, 0, &l, &err);
    UNIT_TRUE(root == NULL && err.kind == LAPOR_JSON_ERR_DUPLICATE);
    UNIT_EQ(lapor_utf8_check((const unsigned char *) err.message,
                             strlen(err.message), 0, NULL), 0);
    UNIT_TRUE(strstr(err.message, "...\"") != NULL);

    pool_reset(&pool_a);
}


int
main(void)
{
    pool_reset(&pool_a);
    pool_reset(&pool_b);

    test_table();
    test_dom();
    test_error_offsets();
    test_numbers();
    test_truncation();
    test_nomem();
    test_sticky_errors();
    test_many_keys();
    test_fuzz();
    test_yajl_memory();

    pool_destroy(&pool_a);
    pool_destroy(&pool_b);

    return unit_report("json");
}
