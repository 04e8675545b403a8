
/*
 * A strict, bounded JSON parser into a small DOM, built on yajl's callback
 * parser.
 *
 * Plain C with no nginx dependency, so the unit tests link it directly.
 * All memory, yajl's included, comes from the caller's allocator and is
 * never freed individually: with an nginx pool it goes with the request.
 */


#ifndef _LAPOR_JSON_H_INCLUDED_
#define _LAPOR_JSON_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


typedef enum {
    LAPOR_JSON_NULL,
    LAPOR_JSON_BOOLEAN,
    LAPOR_JSON_NUMBER,
    LAPOR_JSON_STRING,
    LAPOR_JSON_ARRAY,
    LAPOR_JSON_OBJECT
} lapor_json_type_e;


typedef struct lapor_json_s  lapor_json_t;

typedef struct {
    const char             *key;        /* decoded, NUL-terminated */
    size_t                  key_len;
    lapor_json_t           *value;
} lapor_json_member_t;

struct lapor_json_s {
    lapor_json_type_e       type;
    size_t                  offset;     /* where it starts in the input */

    union {
        int                 boolean;

        struct {
            const char     *text;       /* as written, NUL-terminated */
            size_t          len;
        } number;

        struct {
            const char     *data;       /* decoded, NUL-terminated, strict */
            size_t          len;        /* UTF-8, no NUL inside */
            size_t          chars;      /* code points */
        } string;

        struct {
            lapor_json_t  **items;      /* NULL when n is 0 */
            size_t          n;
        } array;

        struct {
            lapor_json_member_t  *members;  /* input order; NULL when n is 0 */
            size_t                n;
        } object;
    } u;
};


typedef struct {
    /*
     * Plain allocation; may return NULL.  Blocks are never freed one by
     * one (a pool).  They must be aligned for pointers, size_t and double:
     * ngx_palloc() is, ngx_pnalloc() is not.
     */
    void                 *(*alloc)(void *ctx, size_t size);
    void                   *ctx;

    unsigned                max_depth;     /* arrays + objects, e.g. 8 */
    size_t                  max_string;    /* bytes of a decoded string or
                                              key, e.g. 8192 */
    size_t                  max_elements;  /* values in the document, e.g.
                                              256 */
    size_t                  max_number;    /* chars of one number, e.g. 32 */
    unsigned                string_flags;  /* lapor_utf8_check() flags for
                                              string values; keys always 0 */
} lapor_json_limits_t;


#define LAPOR_JSON_ERR_NONE       0
#define LAPOR_JSON_ERR_SYNTAX     1
#define LAPOR_JSON_ERR_LIMIT      2
#define LAPOR_JSON_ERR_ENCODING   3
#define LAPOR_JSON_ERR_DUPLICATE  4
#define LAPOR_JSON_ERR_NOMEM      5

typedef struct {
    size_t                  offset;        /* byte offset of the failure */
    char                    message[160];  /* English, valid UTF-8 */
    int                     kind;          /* LAPOR_JSON_ERR_* */
} lapor_json_error_t;


typedef struct lapor_json_parser_s  lapor_json_parser_t;

/*
 * The parser, and every block yajl asks for, is allocated with
 * limits->alloc; nothing needs freeing.  The limits are copied; err must
 * stay valid as long as the parser is used.  Returns NULL with err filled
 * (kind NOMEM) if memory is short.
 */
lapor_json_parser_t *lapor_json_parser_create(
    const lapor_json_limits_t *limits, lapor_json_error_t *err);

/*
 * Feeds the next piece of the document; chunk boundaries may fall
 * anywhere.  Returns 0, or -1 with err filled; after an error every later
 * call fails the same way.
 */
int lapor_json_feed(lapor_json_parser_t *p, const unsigned char *buf,
    size_t len);

/* Completes the document: the root value, or NULL with err filled. */
lapor_json_t *lapor_json_finish(lapor_json_parser_t *p);

/*
 * How many of yajl's own allocations did not fit the reserve made for them
 * and went to limits->alloc directly.  Always 0 unless the bound computed
 * in lapor_json.c is wrong; the unit tests check it.
 */
size_t lapor_json_parser_spills(const lapor_json_parser_t *p);


/* create + feed + finish */
lapor_json_t *lapor_json_parse(const unsigned char *buf, size_t len,
    const lapor_json_limits_t *limits, lapor_json_error_t *err);

/* a member of an object by key; NULL if absent or obj is not an object */
lapor_json_t *lapor_json_get(const lapor_json_t *obj, const char *key);

/* "null", "boolean", "number", "string", "array", "object" */
const char *lapor_json_type_name(lapor_json_type_e t);

/*
 * Strict conversions of a NUMBER; -1 if v is not a number or does not
 * convert.  lapor_json_int64() rejects fractions and exponents (even
 * "1.0" and "1e2") and values outside int64_t; "-0" is 0.
 * lapor_json_double() rejects values that overflow to infinity; values
 * that underflow become 0 or a subnormal.
 */
int lapor_json_int64(const lapor_json_t *v, int64_t *out);
int lapor_json_double(const lapor_json_t *v, double *out);


#endif /* _LAPOR_JSON_H_INCLUDED_ */
