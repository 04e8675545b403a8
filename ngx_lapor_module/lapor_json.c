
/*
 * A strict, bounded JSON parser into a small DOM, on yajl's callback API.
 *
 * Every piece of input passes three stages:
 *
 *   1. A scanner (lapor_json_scan) sees the bytes before yajl does.  It
 *      follows token boundaries and nesting so that yajl's memory can be
 *      bounded and reserved in advance (see "yajl's memory" below), and it
 *      rejects what yajl lets through: \v and \f as whitespace, and \u
 *      escapes of unpaired UTF-16 surrogates, which yajl silently turns
 *      into "?" or into an unrelated code point.  It also stops strings
 *      and numbers that are certainly too long before yajl buffers them.
 *      A violation is reported only if yajl finds nothing wrong before it,
 *      so the first error in the input is the one reported.
 *   2. yajl itself, with comments, trailing garbage, multiple values and
 *      partial values all off.  Its own UTF-8 check is off: it is weaker
 *      than ours and was a second pass over every string.
 *   3. The callbacks: they enforce the limits, check every decoded string
 *      and key with lapor_utf8_check() (yajl accepts overlong forms,
 *      surrogates and \u0000), reject duplicate keys and build the DOM.
 */


#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "lapor_crypto.h"
#include "lapor_utf8.h"
#include "lapor_json.h"


/*
 * yajl's memory.
 *
 * yajl uses its allocator's results without checking them, so the functions
 * given to it must never return NULL.  They serve yajl from a reserve taken
 * from limits->alloc *before* each call into yajl, sized by an upper bound
 * of all yajl can allocate up to the end of that call
 * (lapor_json_yajl_bound).  If the reserve cannot be had, the call fails
 * with NOMEM and yajl is not entered at all.
 *
 * What yajl 2.1.0 allocates (yajl.c, yajl_buf.c, yajl_lex.c,
 * yajl_parser.c, yajl_bytestack.h):
 *
 *   - yajl_alloc(): its handle, the decode buffer's header and 128 bytes of
 *     state stack; the first parse adds the lexer and its buffer's header.
 *     All of this is about 250 bytes on LP64: LAPOR_JSON_YAJL_FIXED.
 *   - The state stack: one byte per nesting level, grown 128 bytes at a
 *     time.  Our start callbacks cancel before yajl pushes past max_depth.
 *   - The lexer buffer keeps a token split across calls; it is created
 *     (2048 bytes) at the first end of a piece and doubles until it is
 *     larger than the token.
 *   - The decode buffer keeps a string with escapes after decoding, never
 *     longer than its raw form; it grows the same way.
 *   - yajl_get_error() with verbose 0: a message of under 100 bytes.
 *
 * realloc is alloc + copy here (pools have no realloc), so a buffer costs
 * the sum of its sizes.  The scanner knows the longest token split across
 * calls and the longest escaped string, so the bound follows the input
 * actually seen: a small document costs yajl one block of about 5.5 KB.
 *
 * Should a request ever not fit (that is, should the bound be wrong), it
 * goes to limits->alloc directly and is counted (lapor_json_parser_spills,
 * which the tests check); only if that fails too do we abort(): yajl would
 * write through the pointer we return and cannot be told to stop.
 */

#define LAPOR_JSON_YAJL_FIXED   1024
#define LAPOR_JSON_YAJL_ERROR   256
#define LAPOR_JSON_YAJL_BUF     2048    /* YAJL_BUF_INIT_SIZE */
#define LAPOR_JSON_YAJL_STACK   128     /* YAJL_BS_INC */

/* the longest literal, "false": yajl never buffers more of one */
#define LAPOR_JSON_LITERAL_MAX  5

/* the key shown in a "duplicate key" message is cut to this many bytes */
#define LAPOR_JSON_KEY_SHOWN    64


/* the size header before each block handed to yajl; also its alignment */
typedef union {
    size_t                  size;
    void                   *ptr;
    double                  d;
    long long               ll;
} lapor_json_block_t;

#define LAPOR_JSON_ALIGN  sizeof(lapor_json_block_t)


typedef enum {
    LAPOR_JSON_SCAN_VALUE = 0,          /* between tokens */
    LAPOR_JSON_SCAN_STRING,
    LAPOR_JSON_SCAN_ESCAPE,             /* after a backslash */
    LAPOR_JSON_SCAN_HEX,                /* in the digits of \uXXXX */
    LAPOR_JSON_SCAN_NUMBER,
    LAPOR_JSON_SCAN_LITERAL             /* true, false, null */
} lapor_json_scan_e;


/* a container being built */
typedef struct {
    lapor_json_t           *node;
    size_t                  first;      /* its first slot */
} lapor_json_frame_t;

/* a member (or, with a NULL key, an array item) waiting for its container */
typedef struct {
    lapor_json_member_t     member;
    uint32_t                hash;       /* of the key, for duplicates */
} lapor_json_slot_t;


struct lapor_json_parser_s {
    lapor_json_limits_t     limits;
    lapor_json_error_t     *err;
    lapor_json_error_t      pending;    /* the scanner's violation */

    yajl_handle             yajl;
    yajl_alloc_funcs        yajl_funcs;

    unsigned char          *reserve;    /* yajl's reserve: next free byte */
    unsigned char          *reserve_end;
    size_t                  yajl_used;  /* all yajl has taken */
    size_t                  spills;

    /* the scanner */
    lapor_json_scan_e       scan;
    size_t                  token_start;
    size_t                  token_len;  /* raw bytes so far */
    size_t                  string_len; /* decoded bytes so far */
    const char             *literal;
    unsigned                hex;
    unsigned                hex_digits;
    unsigned                high_surrogate:1;
    unsigned                escaped:1;      /* the string has escapes */
    unsigned                split:1;        /* the token spans pieces */
    unsigned                literal_ok:1;   /* a prefix of p->literal */
    unsigned                seen_token:1;
    size_t                  nesting;
    size_t                  max_nesting;
    size_t                  max_split;      /* longest split token */
    size_t                  max_escaped;    /* longest escaped string */

    /* the piece yajl is parsing, for the callbacks' offsets */
    const unsigned char    *piece;
    size_t                  piece_len;      /* 0 for yajl's final space */
    size_t                  base;           /* offset of piece[0] */
    size_t                  carried_start;
    unsigned                carried_string:1;

    /* the DOM */
    lapor_json_t           *root;
    lapor_json_frame_t     *frames;
    unsigned                depth;
    unsigned                frames_cap;
    lapor_json_slot_t      *slots;
    size_t                  nslots;
    size_t                  slots_cap;
    size_t                  nvalues;

    unsigned                failed:1;
    unsigned                finished:1;
};


static void lapor_json_fail(lapor_json_parser_t *p, int kind, size_t offset,
    const char *fmt, ...);
static void lapor_json_nomem(lapor_json_parser_t *p, size_t offset);

static void *lapor_json_yajl_malloc(void *ctx, size_t size);
static void *lapor_json_yajl_realloc(void *ctx, void *ptr, size_t size);
static void lapor_json_yajl_free(void *ctx, void *ptr);
static size_t lapor_json_add(size_t a, size_t b);
static size_t lapor_json_buffer_bound(size_t len);
static size_t lapor_json_yajl_bound(lapor_json_parser_t *p);
static int lapor_json_reserve(lapor_json_parser_t *p);
static void lapor_json_yajl_error(lapor_json_parser_t *p, yajl_status rc);

static size_t lapor_json_scan(lapor_json_parser_t *p,
    const unsigned char *buf, size_t len);
static void lapor_json_token_begin(lapor_json_parser_t *p,
    lapor_json_scan_e scan, size_t offset);
static void lapor_json_token_end(lapor_json_parser_t *p);
static void lapor_json_scan_pause(lapor_json_parser_t *p);
static void lapor_json_note_split(lapor_json_parser_t *p);
static int lapor_json_in_string(lapor_json_parser_t *p);

static size_t lapor_json_end(lapor_json_parser_t *p);
static size_t lapor_json_string_start(lapor_json_parser_t *p,
    const unsigned char *s);
static int lapor_json_expecting_key(lapor_json_parser_t *p);
static void *lapor_json_alloc(lapor_json_parser_t *p, size_t n, size_t size,
    size_t offset);
static char *lapor_json_copy(lapor_json_parser_t *p, const void *data,
    size_t len, size_t offset);
static int lapor_json_check_text(lapor_json_parser_t *p,
    const unsigned char *s, size_t len, unsigned flags, const char *what,
    size_t offset, size_t *chars);
static lapor_json_t *lapor_json_value(lapor_json_parser_t *p,
    lapor_json_type_e type, size_t offset);
static int lapor_json_push_slot(lapor_json_parser_t *p, const char *key,
    size_t key_len, uint32_t hash, lapor_json_t *value);
static int lapor_json_attach(lapor_json_parser_t *p, lapor_json_t *v);
static int lapor_json_open(lapor_json_parser_t *p, lapor_json_type_e type);
static int lapor_json_close(lapor_json_parser_t *p);
static uint32_t lapor_json_hash(const unsigned char *s, size_t len);

static int lapor_json_on_null(void *ctx);
static int lapor_json_on_boolean(void *ctx, int b);
static int lapor_json_on_number(void *ctx, const char *s, size_t len);
static int lapor_json_on_string(void *ctx, const unsigned char *s,
    size_t len);
static int lapor_json_on_start_map(void *ctx);
static int lapor_json_on_map_key(void *ctx, const unsigned char *s,
    size_t len);
static int lapor_json_on_end_map(void *ctx);
static int lapor_json_on_start_array(void *ctx);
static int lapor_json_on_end_array(void *ctx);


/* yajl_integer and yajl_double are unused: yajl_number takes all numbers */
static const yajl_callbacks  lapor_json_callbacks = {
    lapor_json_on_null,
    lapor_json_on_boolean,
    NULL,
    NULL,
    lapor_json_on_number,
    lapor_json_on_string,
    lapor_json_on_start_map,
    lapor_json_on_map_key,
    lapor_json_on_end_map,
    lapor_json_on_start_array,
    lapor_json_on_end_array
};


lapor_json_parser_t *
lapor_json_parser_create(const lapor_json_limits_t *limits,
    lapor_json_error_t *err)
{
    lapor_json_parser_t  *p;

    if (err == NULL) {
        return NULL;
    }

    memset(err, 0, sizeof(lapor_json_error_t));

    if (limits == NULL || limits->alloc == NULL) {
        err->kind = LAPOR_JSON_ERR_NOMEM;
        snprintf(err->message, sizeof(err->message), "no allocator");
        return NULL;
    }

    p = limits->alloc(limits->ctx, sizeof(lapor_json_parser_t));
    if (p == NULL) {
        err->kind = LAPOR_JSON_ERR_NOMEM;
        snprintf(err->message, sizeof(err->message), "out of memory");
        return NULL;
    }

    memset(p, 0, sizeof(lapor_json_parser_t));

    p->limits = *limits;
    p->err = err;

    p->yajl_funcs.malloc = lapor_json_yajl_malloc;
    p->yajl_funcs.realloc = lapor_json_yajl_realloc;
    p->yajl_funcs.free = lapor_json_yajl_free;
    p->yajl_funcs.ctx = p;

    if (lapor_json_reserve(p) != 0) {
        return NULL;
    }

    p->yajl = yajl_alloc(&lapor_json_callbacks, &p->yajl_funcs, p);
    if (p->yajl == NULL) {
        lapor_json_nomem(p, 0);
        return NULL;
    }

    /* all off by default in 2.1.0; said explicitly since it is the point */
    yajl_config(p->yajl, yajl_allow_comments, 0);
    yajl_config(p->yajl, yajl_allow_trailing_garbage, 0);
    yajl_config(p->yajl, yajl_allow_multiple_values, 0);
    yajl_config(p->yajl, yajl_allow_partial_values, 0);

    /* every decoded string and key goes through lapor_utf8_check() */
    yajl_config(p->yajl, yajl_dont_validate_strings, 1);

    return p;
}


int
lapor_json_feed(lapor_json_parser_t *p, const unsigned char *buf, size_t len)
{
    size_t       stop;
    yajl_status  rc;

    if (p->failed) {
        return -1;
    }

    if (p->finished) {
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, p->base,
                        "input after the end of the document");
        return -1;
    }

    if (len == 0) {
        return 0;
    }

    /* a string that completes in this piece but began before it */
    p->carried_string = lapor_json_in_string(p);
    p->carried_start = p->token_start;

    stop = lapor_json_scan(p, buf, len);

    lapor_json_scan_pause(p);

    if (stop > 0) {
        if (lapor_json_reserve(p) != 0) {
            return -1;
        }

        p->piece = buf;
        p->piece_len = stop;

        rc = yajl_parse(p->yajl, buf, stop);

        if (rc != yajl_status_ok) {
            lapor_json_yajl_error(p, rc);
            return -1;
        }
    }

    if (stop < len) {
        *p->err = p->pending;
        p->failed = 1;
        return -1;
    }

    p->base += len;

    return 0;
}


lapor_json_t *
lapor_json_finish(lapor_json_parser_t *p)
{
    yajl_status  rc;

    if (p->failed) {
        return NULL;
    }

    if (p->finished) {
        return p->root;
    }

    p->finished = 1;

    /*
     * yajl_complete_parse() accepts a string or a literal left unfinished
     * after a complete value ("1 \"ab", "1 tr"), so these are ours.
     */

    if (lapor_json_in_string(p)
        || (p->scan == LAPOR_JSON_SCAN_LITERAL && p->literal_ok
            && p->token_len < strlen(p->literal)))
    {
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, p->base,
                        "unexpected end of input");
        return NULL;
    }

    if (!p->seen_token) {
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, p->base, "empty document");
        return NULL;
    }

    /* yajl_complete_parse() feeds one space, which ends a split number */
    if (p->scan != LAPOR_JSON_SCAN_VALUE) {
        p->token_len++;
        lapor_json_scan_pause(p);
    }

    if (lapor_json_reserve(p) != 0) {
        return NULL;
    }

    p->carried_string = 0;
    p->piece = (const unsigned char *) " ";
    p->piece_len = 0;

    rc = yajl_complete_parse(p->yajl);

    if (rc != yajl_status_ok) {
        lapor_json_yajl_error(p, rc);
        return NULL;
    }

    if (p->root == NULL || p->depth != 0) {
        /* not expected: yajl said the document was complete */
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, p->base,
                        "unexpected end of input");
        return NULL;
    }

    return p->root;
}


size_t
lapor_json_parser_spills(const lapor_json_parser_t *p)
{
    return p->spills;
}


lapor_json_t *
lapor_json_parse(const unsigned char *buf, size_t len,
    const lapor_json_limits_t *limits, lapor_json_error_t *err)
{
    lapor_json_parser_t  *p;

    p = lapor_json_parser_create(limits, err);
    if (p == NULL) {
        return NULL;
    }

    if (lapor_json_feed(p, buf, len) != 0) {
        return NULL;
    }

    return lapor_json_finish(p);
}


lapor_json_t *
lapor_json_get(const lapor_json_t *obj, const char *key)
{
    size_t                      i, len;
    const lapor_json_member_t  *m;

    if (obj == NULL || obj->type != LAPOR_JSON_OBJECT || key == NULL) {
        return NULL;
    }

    len = strlen(key);

    for (i = 0; i < obj->u.object.n; i++) {
        m = &obj->u.object.members[i];

        if (m->key_len == len && memcmp(m->key, key, len) == 0) {
            return m->value;
        }
    }

    return NULL;
}


const char *
lapor_json_type_name(lapor_json_type_e t)
{
    switch (t) {
    case LAPOR_JSON_NULL:
        return "null";
    case LAPOR_JSON_BOOLEAN:
        return "boolean";
    case LAPOR_JSON_NUMBER:
        return "number";
    case LAPOR_JSON_STRING:
        return "string";
    case LAPOR_JSON_ARRAY:
        return "array";
    case LAPOR_JSON_OBJECT:
        return "object";
    }

    return "unknown";
}


int
lapor_json_int64(const lapor_json_t *v, int64_t *out)
{
    int          neg;
    size_t       i, len;
    uint64_t     mag, limit, d;
    const char  *s;

    if (v == NULL || v->type != LAPOR_JSON_NUMBER) {
        return -1;
    }

    s = v->u.number.text;
    len = v->u.number.len;
    i = 0;
    neg = 0;

    if (i < len && s[i] == '-') {
        neg = 1;
        i++;
    }

    if (i == len) {
        return -1;
    }

    limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
    mag = 0;

    for ( /* void */ ; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            /* a fraction or an exponent: not an integer as written */
            return -1;
        }

        d = (uint64_t) (s[i] - '0');

        if (mag > (limit - d) / 10) {
            return -1;
        }

        mag = mag * 10 + d;
    }

    if (!neg) {
        *out = (int64_t) mag;

    } else if (mag == (uint64_t) INT64_MAX + 1) {
        *out = INT64_MIN;

    } else {
        *out = -(int64_t) mag;
    }

    return 0;
}


int
lapor_json_double(const lapor_json_t *v, double *out)
{
    char        *end;
    double       d;
    size_t       i;
    const char  *s;

    if (v == NULL || v->type != LAPOR_JSON_NUMBER || v->u.number.len == 0) {
        return -1;
    }

    s = v->u.number.text;

    /*
     * yajl has checked the JSON grammar, but strtod() also takes "inf",
     * "nan" and hex, and v may have been built by hand.  strtod() follows
     * LC_NUMERIC, which nginx leaves at "C".
     */

    for (i = 0; i < v->u.number.len; i++) {
        if (strchr("0123456789+-.eE", s[i]) == NULL || s[i] == '\0') {
            return -1;
        }
    }

    d = strtod(s, &end);

    if (end != s + v->u.number.len || !isfinite(d)) {
        return -1;
    }

    *out = d;

    return 0;
}


static void
lapor_json_fail(lapor_json_parser_t *p, int kind, size_t offset,
    const char *fmt, ...)
{
    va_list  args;

    p->failed = 1;
    p->err->kind = kind;
    p->err->offset = offset;

    va_start(args, fmt);
    vsnprintf(p->err->message, sizeof(p->err->message), fmt, args);
    va_end(args);
}


static void
lapor_json_nomem(lapor_json_parser_t *p, size_t offset)
{
    lapor_json_fail(p, LAPOR_JSON_ERR_NOMEM, offset, "out of memory");
}


/* yajl's allocator: see "yajl's memory" above */

static void *
lapor_json_yajl_malloc(void *ctx, size_t size)
{
    lapor_json_parser_t  *p = ctx;

    size_t               need;
    lapor_json_block_t  *b;

    if (size > SIZE_MAX - 2 * LAPOR_JSON_ALIGN) {
        abort();
    }

    need = LAPOR_JSON_ALIGN
           + ((size + LAPOR_JSON_ALIGN - 1) & ~(LAPOR_JSON_ALIGN - 1));

    if (need <= (size_t) (p->reserve_end - p->reserve)) {
        b = (lapor_json_block_t *) p->reserve;
        p->reserve += need;

    } else {
        p->spills++;

        b = p->limits.alloc(p->limits.ctx, need);
        if (b == NULL) {
            abort();
        }
    }

    p->yajl_used = lapor_json_add(p->yajl_used, need);
    b->size = size;

    return b + 1;
}


static void *
lapor_json_yajl_realloc(void *ctx, void *ptr, size_t size)
{
    size_t   old;
    void    *n;

    if (ptr == NULL) {
        return lapor_json_yajl_malloc(ctx, size);
    }

    old = ((lapor_json_block_t *) ptr - 1)->size;

    if (size <= old) {
        return ptr;
    }

    n = lapor_json_yajl_malloc(ctx, size);
    memcpy(n, ptr, old);

    return n;
}


static void
lapor_json_yajl_free(void *ctx, void *ptr)
{
    /* the pool frees everything at once */
    (void) ctx;
    (void) ptr;
}


static size_t
lapor_json_add(size_t a, size_t b)
{
    return (a > SIZE_MAX - b) ? SIZE_MAX : a + b;
}


/* the allocations of one yajl_buf that comes to hold len bytes */

static size_t
lapor_json_buffer_bound(size_t len)
{
    size_t  size, total;

    total = 0;

    /* it keeps a NUL after the data, so it grows until size > len */
    for (size = LAPOR_JSON_YAJL_BUF; /* void */ ; size *= 2) {
        total = lapor_json_add(total, size + LAPOR_JSON_ALIGN);

        if (size > len) {
            return total;
        }

        if (size > SIZE_MAX / 4) {
            return SIZE_MAX;
        }
    }
}


static size_t
lapor_json_yajl_bound(lapor_json_parser_t *p)
{
    size_t  total, entries, size;

    total = LAPOR_JSON_YAJL_FIXED + LAPOR_JSON_YAJL_ERROR;

    /* the start state plus one per level; at most max_depth levels */
    entries = p->max_nesting;

    if (entries > p->limits.max_depth) {
        entries = p->limits.max_depth;
    }

    entries++;

    for (size = LAPOR_JSON_YAJL_STACK; /* void */ ;
         size += LAPOR_JSON_YAJL_STACK)
    {
        total = lapor_json_add(total, size + LAPOR_JSON_ALIGN);

        if (size >= entries || size > SIZE_MAX / 2) {
            break;
        }
    }

    total = lapor_json_add(total, lapor_json_buffer_bound(p->max_split));

    /*
     * The decode buffer is only made for a string with escapes, but
     * counting its first 2 KB from the start spares most documents with
     * a "\n" a second reserve block.
     */
    total = lapor_json_add(total, lapor_json_buffer_bound(p->max_escaped));

    return total;
}


/* makes sure yajl's next call cannot need more than the reserve holds */

static int
lapor_json_reserve(lapor_json_parser_t *p)
{
    size_t          bound, need;
    unsigned char  *block;

    bound = lapor_json_yajl_bound(p);
    need = (bound > p->yajl_used) ? bound - p->yajl_used : 0;

    if (need <= (size_t) (p->reserve_end - p->reserve)) {
        return 0;
    }

    if (bound == SIZE_MAX) {
        lapor_json_nomem(p, p->base);
        return -1;
    }

    /* what is left of the old block is abandoned to the pool */
    block = p->limits.alloc(p->limits.ctx, need);
    if (block == NULL) {
        lapor_json_nomem(p, p->base);
        return -1;
    }

    p->reserve = block;
    p->reserve_end = block + need;

    return 0;
}


static void
lapor_json_yajl_error(lapor_json_parser_t *p, yajl_status rc)
{
    size_t          offset, len;
    const char     *msg;
    unsigned char  *text;

    if (rc == yajl_status_client_canceled) {
        /* a callback has said why */
        if (!p->failed) {
            lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, lapor_json_end(p),
                            "parse cancelled");
        }

        return;
    }

    offset = lapor_json_end(p);

    /* "lexical error: invalid char in json text.\n" */
    text = yajl_get_error(p->yajl, 0, NULL, 0);
    msg = (const char *) text;

    if (strncmp(msg, "lexical error: ", 15) == 0) {
        msg += 15;

    } else if (strncmp(msg, "parse error: ", 13) == 0) {
        msg += 13;
    }

    len = strlen(msg);

    /* yajl stops past the bad byte for this error only */
    if (strncmp(msg, "invalid char in json text", 25) == 0 && offset > 0) {
        offset--;
    }

    while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '.')) {
        len--;
    }

    if (len == 13 && memcmp(msg, "premature EOF", 13) == 0) {
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, offset,
                        "unexpected end of input");

    } else if (len == 28 && memcmp(msg, "invalid bytes in UTF8 string", 28)
                            == 0)
    {
        /* the same kind, message and offset as our own check's */
        lapor_json_fail(p, LAPOR_JSON_ERR_ENCODING,
                        lapor_json_string_start(p, NULL),
                        "invalid UTF-8 in %s",
                        lapor_json_expecting_key(p) ? "key" : "string");

    } else {
        lapor_json_fail(p, LAPOR_JSON_ERR_SYNTAX, offset, "%.*s",
                        (int) len, msg);
    }

    yajl_free_error(p->yajl, text);
}


/*
 * The scanner.  Returns how many bytes of buf may go to yajl: len, or the
 * offset of a violation, which is then described in p->pending.
 */

static size_t
lapor_json_scan(lapor_json_parser_t *p, const unsigned char *buf, size_t len)
{
    int                   d;
    size_t                i, n;
    unsigned              cp;
    unsigned char         c;
    const unsigned char  *q;

    for (i = 0; i < len; i++) {
        c = buf[i];

    again:

        switch (p->scan) {

        case LAPOR_JSON_SCAN_VALUE:

            switch (c) {

            case ' ': case '\t': case '\n': case '\r':
                continue;

            case '\v': case '\f':
                /* yajl takes them for whitespace; JSON does not */
                p->pending.kind = LAPOR_JSON_ERR_SYNTAX;
                p->pending.offset = p->base + i;
                snprintf(p->pending.message, sizeof(p->pending.message),
                         "invalid character in JSON text");
                return i;

            case '"':
                lapor_json_token_begin(p, LAPOR_JSON_SCAN_STRING, i);
                p->string_len = 0;
                p->escaped = 0;
                p->high_surrogate = 0;
                break;

            case '-': case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                lapor_json_token_begin(p, LAPOR_JSON_SCAN_NUMBER, i);

                if (p->token_len > p->limits.max_number) {
                    goto number_too_long;
                }

                break;

            case 't': case 'f': case 'n':
                lapor_json_token_begin(p, LAPOR_JSON_SCAN_LITERAL, i);
                p->literal = (c == 't') ? "true"
                                        : (c == 'f') ? "false" : "null";
                p->literal_ok = 1;
                break;

            case '[': case '{':
                if (++p->nesting > p->max_nesting) {
                    p->max_nesting = p->nesting;
                }

                break;

            case ']': case '}':
                if (p->nesting > 0) {
                    p->nesting--;
                }

                break;

            default:
                /* ':' and ',', or something yajl will reject */
                break;
            }

            p->seen_token = 1;
            continue;

        case LAPOR_JSON_SCAN_STRING:
            p->token_len++;

            /* a high surrogate escape must be followed by a low one */
            if (p->high_surrogate && c != '\\') {
                goto unpaired;
            }

            if (c == '"') {
                lapor_json_token_end(p);
                continue;
            }

            if (c == '\\') {
                p->escaped = 1;
                p->scan = LAPOR_JSON_SCAN_ESCAPE;
                continue;
            }

            /*
             * A run of bytes that are neither a quote nor a backslash is
             * taken at once (yajl and the UTF-8 check judge them), up to
             * the byte that would pass the string limit.
             */

            q = memchr(buf + i, '"', len - i);
            n = (q ? (size_t) (q - buf) : len) - i;

            q = memchr(buf + i, '\\', n);
            if (q) {
                n = q - (buf + i);
            }

            if (p->string_len + n > p->limits.max_string) {
                n = p->limits.max_string + 1 - p->string_len;
            }

            p->token_len += n - 1;
            p->string_len += n;
            i += n - 1;
            break;

        case LAPOR_JSON_SCAN_ESCAPE:
            p->token_len++;

            if (c == 'u') {
                p->scan = LAPOR_JSON_SCAN_HEX;
                p->hex = 0;
                p->hex_digits = 0;
                continue;
            }

            if (p->high_surrogate) {
                goto unpaired;
            }

            /* \n, \" and the like decode to one byte */
            p->scan = LAPOR_JSON_SCAN_STRING;
            p->string_len++;
            break;

        case LAPOR_JSON_SCAN_HEX:
            p->token_len++;

            d = lapor_hex_digit(c);

            if (d < 0) {
                /* yajl rejects it at this very byte */
                p->scan = LAPOR_JSON_SCAN_STRING;
                p->high_surrogate = 0;
                continue;
            }

            p->hex = (p->hex << 4) | (unsigned) d;

            if (++p->hex_digits < 4) {
                continue;
            }

            p->scan = LAPOR_JSON_SCAN_STRING;
            cp = p->hex;

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                if (!p->high_surrogate) {
                    goto unpaired;
                }

                /* the pair decodes to one 4-byte sequence */
                p->high_surrogate = 0;
                p->string_len += 4;

            } else if (p->high_surrogate) {
                goto unpaired;

            } else if (cp >= 0xd800 && cp <= 0xdbff) {
                p->high_surrogate = 1;
                continue;

            } else {
                p->string_len += (cp < 0x80) ? 1 : (cp < 0x800) ? 2 : 3;
            }

            break;

        case LAPOR_JSON_SCAN_NUMBER:
            if ((c >= '0' && c <= '9')
                || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')
            {
                if (++p->token_len > p->limits.max_number) {
                    goto number_too_long;
                }

                continue;
            }

            lapor_json_token_end(p);
            goto again;

        case LAPOR_JSON_SCAN_LITERAL:
            if (c >= 'a' && c <= 'z') {
                if (p->literal_ok
                    && (p->token_len >= strlen(p->literal)
                        || p->literal[p->token_len] != (char) c))
                {
                    /* yajl rejects it at this byte */
                    p->literal_ok = 0;
                }

                p->token_len++;
                continue;
            }

            lapor_json_token_end(p);
            goto again;
        }

        /* a byte of a string was decoded */

        if (p->string_len > p->limits.max_string) {
            p->pending.kind = LAPOR_JSON_ERR_LIMIT;
            p->pending.offset = p->token_start;
            snprintf(p->pending.message, sizeof(p->pending.message),
                     "string longer than %zu bytes", p->limits.max_string);
            return i;
        }
    }

    return len;

unpaired:

    p->pending.kind = LAPOR_JSON_ERR_ENCODING;
    p->pending.offset = p->token_start;
    snprintf(p->pending.message, sizeof(p->pending.message),
             "unpaired UTF-16 surrogate escape in string");
    return i;

number_too_long:

    p->pending.kind = LAPOR_JSON_ERR_LIMIT;
    p->pending.offset = p->token_start;
    snprintf(p->pending.message, sizeof(p->pending.message),
             "number longer than %zu characters", p->limits.max_number);
    return i;
}


static void
lapor_json_token_begin(lapor_json_parser_t *p, lapor_json_scan_e scan,
    size_t offset)
{
    p->scan = scan;
    p->token_start = p->base + offset;
    p->token_len = 1;
    p->split = 0;
}


static void
lapor_json_token_end(lapor_json_parser_t *p)
{
    /* yajl decodes a string with escapes into its decode buffer */
    if (p->scan == LAPOR_JSON_SCAN_STRING && p->escaped
        && p->token_len > p->max_escaped)
    {
        p->max_escaped = p->token_len;
    }

    /* a split token ends up whole in yajl's lexer buffer */
    if (p->split) {
        lapor_json_note_split(p);
    }

    p->scan = LAPOR_JSON_SCAN_VALUE;
}


/* the piece ends: yajl keeps the unfinished token in its lexer buffer */

static void
lapor_json_scan_pause(lapor_json_parser_t *p)
{
    if (p->scan == LAPOR_JSON_SCAN_VALUE) {
        return;
    }

    p->split = 1;
    lapor_json_note_split(p);
}


static void
lapor_json_note_split(lapor_json_parser_t *p)
{
    size_t  len;

    len = p->token_len;

    if (p->scan == LAPOR_JSON_SCAN_LITERAL && len > LAPOR_JSON_LITERAL_MAX) {
        len = LAPOR_JSON_LITERAL_MAX;
    }

    if (len > p->max_split) {
        p->max_split = len;
    }
}


static int
lapor_json_in_string(lapor_json_parser_t *p)
{
    return p->scan == LAPOR_JSON_SCAN_STRING
           || p->scan == LAPOR_JSON_SCAN_ESCAPE
           || p->scan == LAPOR_JSON_SCAN_HEX;
}


/* the offset just past the token yajl has reported */

static size_t
lapor_json_end(lapor_json_parser_t *p)
{
    size_t  consumed;

    consumed = yajl_get_bytes_consumed(p->yajl);

    /* not past the input for the space yajl_complete_parse() adds */
    if (consumed > p->piece_len) {
        consumed = p->piece_len;
    }

    return p->base + consumed;
}


/*
 * Where the string just reported (s, or NULL: just rejected by yajl)
 * starts.  A string without escapes that lies whole in the piece is passed
 * in place, right after its opening quote.  Otherwise yajl passes decoded
 * text: look back from the closing quote (or the bad byte) for the opening
 * one, the first quote not escaped by an odd run of backslashes.
 */

static size_t
lapor_json_string_start(lapor_json_parser_t *p, const unsigned char *s)
{
    size_t  end, i, j;

    if (p->carried_string) {
        /* only the first string of a piece can have begun before it */
        p->carried_string = 0;
        return p->carried_start;
    }

    if (s && s > p->piece && s <= p->piece + p->piece_len && s[-1] == '"') {
        return p->base + (s - 1 - p->piece);
    }

    end = yajl_get_bytes_consumed(p->yajl);

    if (end > p->piece_len) {
        end = p->piece_len;
    }

    if (end == 0) {
        return p->base;
    }

    /* piece[end - 1] is the closing quote or the bad byte */
    for (i = end - 1; i-- > 0; /* void */ ) {
        if (p->piece[i] != '"') {
            continue;
        }

        for (j = i; j > 0 && p->piece[j - 1] == '\\'; j--) {
            /* void */
        }

        if ((i - j) % 2 == 0) {
            return p->base + i;
        }
    }

    return p->base;
}


/* inside an object with no key waiting for its value */

static int
lapor_json_expecting_key(lapor_json_parser_t *p)
{
    lapor_json_frame_t  *f;

    if (p->depth == 0) {
        return 0;
    }

    f = &p->frames[p->depth - 1];

    return f->node->type == LAPOR_JSON_OBJECT
           && (p->nslots == f->first
               || p->slots[p->nslots - 1].member.value != NULL);
}


static void *
lapor_json_alloc(lapor_json_parser_t *p, size_t n, size_t size,
    size_t offset)
{
    void  *m;

    if (size != 0 && n > SIZE_MAX / size) {
        lapor_json_nomem(p, offset);
        return NULL;
    }

    m = p->limits.alloc(p->limits.ctx, n * size);
    if (m == NULL) {
        lapor_json_nomem(p, offset);
        return NULL;
    }

    return m;
}


static char *
lapor_json_copy(lapor_json_parser_t *p, const void *data, size_t len,
    size_t offset)
{
    char  *s;

    if (len == SIZE_MAX) {
        lapor_json_nomem(p, offset);
        return NULL;
    }

    s = lapor_json_alloc(p, len + 1, 1, offset);
    if (s == NULL) {
        return NULL;
    }

    memcpy(s, data, len);
    s[len] = '\0';

    return s;
}


static int
lapor_json_check_text(lapor_json_parser_t *p, const unsigned char *s,
    size_t len, unsigned flags, const char *what, size_t offset,
    size_t *chars)
{
    size_t         bad;
    const char    *problem;
    unsigned char  c;

    if (len > p->limits.max_string) {
        lapor_json_fail(p, LAPOR_JSON_ERR_LIMIT, offset,
                        "string longer than %zu bytes", p->limits.max_string);
        return -1;
    }

    if (lapor_utf8_check(s, len, flags, &bad) == 0) {
        *chars = bad;
        return 0;
    }

    c = s[bad];

    if (c == '\0') {
        problem = "NUL character";

    } else if (c < 0x20 || c == 0x7f
               || (c == 0xc2 && bad + 1 < len
                   && s[bad + 1] >= 0x80 && s[bad + 1] < 0xa0))
    {
        problem = "control character";

    } else {
        problem = "invalid UTF-8";
    }

    lapor_json_fail(p, LAPOR_JSON_ERR_ENCODING, offset, "%s in %s",
                    problem, what);

    return -1;
}


static lapor_json_t *
lapor_json_value(lapor_json_parser_t *p, lapor_json_type_e type,
    size_t offset)
{
    lapor_json_t  *v;

    if (p->nvalues >= p->limits.max_elements) {
        lapor_json_fail(p, LAPOR_JSON_ERR_LIMIT, offset,
                        "more than %zu values", p->limits.max_elements);
        return NULL;
    }

    v = lapor_json_alloc(p, 1, sizeof(lapor_json_t), offset);
    if (v == NULL) {
        return NULL;
    }

    memset(v, 0, sizeof(lapor_json_t));

    v->type = type;
    v->offset = offset;

    p->nvalues++;

    return v;
}


static int
lapor_json_push_slot(lapor_json_parser_t *p, const char *key,
    size_t key_len, uint32_t hash, lapor_json_t *value)
{
    size_t              cap;
    lapor_json_slot_t  *slots, *s;

    if (p->nslots == p->slots_cap) {
        /* grown by doubling; the old array stays in the pool */
        cap = p->slots_cap ? p->slots_cap * 2 : 16;

        slots = lapor_json_alloc(p, cap, sizeof(lapor_json_slot_t),
                                 lapor_json_end(p));
        if (slots == NULL) {
            return -1;
        }

        if (p->nslots) {
            memcpy(slots, p->slots, p->nslots * sizeof(lapor_json_slot_t));
        }

        p->slots = slots;
        p->slots_cap = cap;
    }

    s = &p->slots[p->nslots++];

    s->member.key = key;
    s->member.key_len = key_len;
    s->member.value = value;
    s->hash = hash;

    return 0;
}


static int
lapor_json_attach(lapor_json_parser_t *p, lapor_json_t *v)
{
    lapor_json_frame_t  *f;

    if (p->depth == 0) {
        p->root = v;
        return 1;
    }

    f = &p->frames[p->depth - 1];

    if (f->node->type == LAPOR_JSON_ARRAY) {
        return lapor_json_push_slot(p, NULL, 0, 0, v) == 0;
    }

    /* the slot was pushed with the key */
    p->slots[p->nslots - 1].member.value = v;

    return 1;
}


static int
lapor_json_open(lapor_json_parser_t *p, lapor_json_type_e type)
{
    size_t               offset;
    unsigned             cap;
    lapor_json_t        *v;
    lapor_json_frame_t  *frames;

    offset = lapor_json_end(p) - 1;

    if (p->depth >= p->limits.max_depth) {
        lapor_json_fail(p, LAPOR_JSON_ERR_LIMIT, offset,
                        "nesting deeper than %u", p->limits.max_depth);
        return 0;
    }

    v = lapor_json_value(p, type, offset);
    if (v == NULL) {
        return 0;
    }

    if (!lapor_json_attach(p, v)) {
        return 0;
    }

    if (p->depth == p->frames_cap) {
        cap = p->frames_cap ? p->frames_cap * 2 : 8;

        frames = lapor_json_alloc(p, cap, sizeof(lapor_json_frame_t), offset);
        if (frames == NULL) {
            return 0;
        }

        if (p->depth) {
            memcpy(frames, p->frames, p->depth * sizeof(lapor_json_frame_t));
        }

        p->frames = frames;
        p->frames_cap = cap;
    }

    p->frames[p->depth].node = v;
    p->frames[p->depth].first = p->nslots;
    p->depth++;

    return 1;
}


static int
lapor_json_close(lapor_json_parser_t *p)
{
    size_t                i, n;
    lapor_json_t         *v, **items;
    lapor_json_frame_t   *f;
    lapor_json_member_t  *members;

    f = &p->frames[p->depth - 1];
    v = f->node;
    n = p->nslots - f->first;

    if (v->type == LAPOR_JSON_ARRAY) {
        items = NULL;

        if (n) {
            items = lapor_json_alloc(p, n, sizeof(lapor_json_t *),
                                     v->offset);
            if (items == NULL) {
                return 0;
            }

            for (i = 0; i < n; i++) {
                items[i] = p->slots[f->first + i].member.value;
            }
        }

        v->u.array.items = items;
        v->u.array.n = n;

    } else {
        members = NULL;

        if (n) {
            members = lapor_json_alloc(p, n, sizeof(lapor_json_member_t),
                                       v->offset);
            if (members == NULL) {
                return 0;
            }

            for (i = 0; i < n; i++) {
                members[i] = p->slots[f->first + i].member;
            }
        }

        v->u.object.members = members;
        v->u.object.n = n;
    }

    p->nslots = f->first;
    p->depth--;

    return 1;
}


/* FNV-1a: only to skip most key comparisons */

static uint32_t
lapor_json_hash(const unsigned char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= s[i];
        h *= 16777619u;
    }

    return h;
}


static int
lapor_json_on_null(void *ctx)
{
    lapor_json_parser_t  *p = ctx;

    lapor_json_t  *v;

    v = lapor_json_value(p, LAPOR_JSON_NULL, lapor_json_end(p) - 4);
    if (v == NULL) {
        return 0;
    }

    return lapor_json_attach(p, v);
}


static int
lapor_json_on_boolean(void *ctx, int b)
{
    lapor_json_parser_t  *p = ctx;

    lapor_json_t  *v;

    v = lapor_json_value(p, LAPOR_JSON_BOOLEAN,
                         lapor_json_end(p) - (b ? 4 : 5));
    if (v == NULL) {
        return 0;
    }

    v->u.boolean = b ? 1 : 0;

    return lapor_json_attach(p, v);
}


static int
lapor_json_on_number(void *ctx, const char *s, size_t len)
{
    lapor_json_parser_t  *p = ctx;

    size_t         offset;
    lapor_json_t  *v;

    /* numbers are never escaped, so the raw length is len */
    offset = lapor_json_end(p) - len;

    /* the scanner has stopped longer ones; this is a second line */
    if (len > p->limits.max_number) {
        lapor_json_fail(p, LAPOR_JSON_ERR_LIMIT, offset,
                        "number longer than %zu characters",
                        p->limits.max_number);
        return 0;
    }

    v = lapor_json_value(p, LAPOR_JSON_NUMBER, offset);
    if (v == NULL) {
        return 0;
    }

    v->u.number.text = lapor_json_copy(p, s, len, offset);
    if (v->u.number.text == NULL) {
        return 0;
    }

    v->u.number.len = len;

    return lapor_json_attach(p, v);
}


static int
lapor_json_on_string(void *ctx, const unsigned char *s, size_t len)
{
    lapor_json_parser_t  *p = ctx;

    size_t         offset, chars;
    lapor_json_t  *v;

    offset = lapor_json_string_start(p, s);

    if (lapor_json_check_text(p, s, len, p->limits.string_flags, "string",
                              offset, &chars)
        != 0)
    {
        return 0;
    }

    v = lapor_json_value(p, LAPOR_JSON_STRING, offset);
    if (v == NULL) {
        return 0;
    }

    v->u.string.data = lapor_json_copy(p, s, len, offset);
    if (v->u.string.data == NULL) {
        return 0;
    }

    v->u.string.len = len;
    v->u.string.chars = chars;

    return lapor_json_attach(p, v);
}


static int
lapor_json_on_start_map(void *ctx)
{
    return lapor_json_open(ctx, LAPOR_JSON_OBJECT);
}


static int
lapor_json_on_map_key(void *ctx, const unsigned char *s, size_t len)
{
    lapor_json_parser_t  *p = ctx;

    size_t               offset, chars, i, shown;
    uint32_t             hash;
    const char          *key;
    lapor_json_slot_t   *slot;
    lapor_json_frame_t  *f;

    offset = lapor_json_string_start(p, s);

    if (lapor_json_check_text(p, s, len, 0, "key", offset, &chars) != 0) {
        return 0;
    }

    f = &p->frames[p->depth - 1];
    hash = lapor_json_hash(s, len);

    /*
     * Quadratic in the members of one object, which max_elements bounds;
     * the hash makes each comparison one integer test in practice.
     */

    for (i = f->first; i < p->nslots; i++) {
        slot = &p->slots[i];

        if (slot->hash != hash || slot->member.key_len != len
            || memcmp(slot->member.key, s, len) != 0)
        {
            continue;
        }

        /* cut the key on a character boundary to keep the message UTF-8 */
        shown = len;

        if (shown > LAPOR_JSON_KEY_SHOWN) {
            shown = LAPOR_JSON_KEY_SHOWN;

            while (shown > 0 && (s[shown] & 0xc0) == 0x80) {
                shown--;
            }
        }

        lapor_json_fail(p, LAPOR_JSON_ERR_DUPLICATE, offset,
                        "duplicate key \"%.*s%s\"", (int) shown,
                        (const char *) s, shown < len ? "..." : "");
        return 0;
    }

    key = lapor_json_copy(p, s, len, offset);
    if (key == NULL) {
        return 0;
    }

    return lapor_json_push_slot(p, key, len, hash, NULL) == 0;
}


static int
lapor_json_on_end_map(void *ctx)
{
    return lapor_json_close(ctx);
}


static int
lapor_json_on_start_array(void *ctx)
{
    return lapor_json_open(ctx, LAPOR_JSON_ARRAY);
}


static int
lapor_json_on_end_array(void *ctx)
{
    return lapor_json_close(ctx);
}
