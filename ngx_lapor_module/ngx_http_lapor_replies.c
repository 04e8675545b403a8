
/*
 * hiredis reply objects in one allocation each.
 *
 * hiredis 0.14 allocates a reply object and, apart from it, its string or
 * its array of elements: two allocations and two frees per reply.  A view
 * reads a report's hash as 50 replies (HGETALL), a submission gets 20 back
 * from its transaction; allocating them was a seventh of a view's work.
 * Here the string or the element array follows the object in the same
 * block.  The objects are plain redisReply structures: callbacks read them
 * as before.  hiredis frees replies only through the reader's table
 * (freeObject), never with freeReplyObject().
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>

#include "ngx_http_lapor_replies.h"


/*
 * The most elements an array reply may announce.  Its element array is
 * allocated (and zeroed) when the header "*<n>" arrives, before any
 * element: without a bound, one corrupt or hostile reply ("*1399991998")
 * made a worker allocate and touch gigabytes.  The largest arrays the
 * module reads are a report's hash and a page of a list (a few thousand
 * strings); 2^20 elements are 8 MB of pointers.
 */
#define NGX_HTTP_LAPOR_REPLY_MAX_ELEMENTS  1048576


/*
 * Freed objects are kept for the next replies, per size class (up to 64,
 * 128, 256 and 512 bytes with the header): a view frees some 50 replies
 * at once and makes as many again a moment later, and glibc's per-thread
 * cache keeps only 7 blocks of a size, so most went through its slower
 * bins (malloc and free were a sixth of a view's instructions).  At most
 * NGX_HTTP_LAPOR_REPLY_KEEP blocks per class, about 250 KB per worker.
 * Sanitizer builds allocate every object anew, so that a use after free
 * is still seen.
 */
#define NGX_HTTP_LAPOR_REPLY_CLASSES  4
#define NGX_HTTP_LAPOR_REPLY_SMALLEST 64
#define NGX_HTTP_LAPOR_REPLY_KEEP     256

#if defined(__SANITIZE_ADDRESS__)
#define NGX_HTTP_LAPOR_REPLY_CACHE    0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NGX_HTTP_LAPOR_REPLY_CACHE    0
#endif
#endif

#ifndef NGX_HTTP_LAPOR_REPLY_CACHE
#define NGX_HTTP_LAPOR_REPLY_CACHE    1
#endif


/* in front of each object: its size class, or none (a larger block) */
typedef union ngx_http_lapor_reply_block_u  ngx_http_lapor_reply_block_t;

union ngx_http_lapor_reply_block_u {
    struct {
        ngx_http_lapor_reply_block_t  *next;    /* while in the cache */
        size_t                         cls;
    } h;
    long double                        align;
};


static ngx_http_lapor_reply_block_t  *ngx_http_lapor_reply_cache[
                                          NGX_HTTP_LAPOR_REPLY_CLASSES];
static size_t                         ngx_http_lapor_reply_cached[
                                          NGX_HTTP_LAPOR_REPLY_CLASSES];


static void *ngx_http_lapor_reply_string(const redisReadTask *task,
    char *str, size_t len);
static void *ngx_http_lapor_reply_array(const redisReadTask *task,
    int elements);
static void *ngx_http_lapor_reply_integer(const redisReadTask *task,
    long long value);
static void *ngx_http_lapor_reply_nil(const redisReadTask *task);
static void ngx_http_lapor_reply_free(void *reply);
static redisReply *ngx_http_lapor_reply_new(const redisReadTask *task,
    int type, size_t extra);
static void *ngx_http_lapor_reply_alloc(size_t size);
static void ngx_http_lapor_reply_dealloc(void *p);


redisReplyObjectFunctions  ngx_http_lapor_reply_functions = {
    ngx_http_lapor_reply_string,
    ngx_http_lapor_reply_array,
    ngx_http_lapor_reply_integer,
    ngx_http_lapor_reply_nil,
    ngx_http_lapor_reply_free
};


/*
 * A zeroed object with extra bytes after it, linked into its parent array
 * as hiredis's own objects are.
 */

static redisReply *
ngx_http_lapor_reply_new(const redisReadTask *task, int type, size_t extra)
{
    redisReply  *r, *parent;

    r = ngx_http_lapor_reply_alloc(sizeof(redisReply) + extra);
    if (r == NULL) {
        return NULL;
    }

    ngx_memzero(r, sizeof(redisReply) + extra);

    r->type = type;

    if (task->parent) {
        parent = task->parent->obj;

        if (parent->type == REDIS_REPLY_ARRAY
            && task->idx >= 0 && (size_t) task->idx < parent->elements)
        {
            parent->element[task->idx] = r;
        }
    }

    return r;
}


static void *
ngx_http_lapor_reply_string(const redisReadTask *task, char *str, size_t len)
{
    redisReply  *r;

    r = ngx_http_lapor_reply_new(task, task->type, len + 1);
    if (r == NULL) {
        return NULL;
    }

    r->str = (char *) (r + 1);
    r->len = len;
    ngx_memcpy(r->str, str, len);

    return r;
}


static void *
ngx_http_lapor_reply_array(const redisReadTask *task, int elements)
{
    size_t       n;
    redisReply  *r;

    n = (elements > 0) ? (size_t) elements : 0;

    if (n > NGX_HTTP_LAPOR_REPLY_MAX_ELEMENTS) {
        /* the reader fails, the connection is dropped and made again */
        ngx_log_error(NGX_LOG_ERR, ngx_cycle->log, 0,
                      "lapor: a Redis array reply of %uz elements refused "
                      "(at most %d)", n, NGX_HTTP_LAPOR_REPLY_MAX_ELEMENTS);
        return NULL;
    }

    r = ngx_http_lapor_reply_new(task, REDIS_REPLY_ARRAY,
                                 n * sizeof(redisReply *));
    if (r == NULL) {
        return NULL;
    }

    r->elements = n;
    r->element = n ? (redisReply **) (r + 1) : NULL;

    return r;
}


static void *
ngx_http_lapor_reply_integer(const redisReadTask *task, long long value)
{
    redisReply  *r;

    r = ngx_http_lapor_reply_new(task, REDIS_REPLY_INTEGER, 0);
    if (r == NULL) {
        return NULL;
    }

    r->integer = value;

    return r;
}


static void *
ngx_http_lapor_reply_nil(const redisReadTask *task)
{
    return ngx_http_lapor_reply_new(task, REDIS_REPLY_NIL, 0);
}


/* elements not read yet (a reply cut off by an error) are NULL */

static void
ngx_http_lapor_reply_free(void *reply)
{
    size_t       i;
    redisReply  *r = reply;

    if (r == NULL) {
        return;
    }

    if (r->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < r->elements; i++) {
            ngx_http_lapor_reply_free(r->element[i]);
        }
    }

    ngx_http_lapor_reply_dealloc(r);
}


/*
 * Takes a reply out of hiredis's hands: the callback's object stays behind
 * as an empty shell for hiredis to free, the copy (with the children) is
 * the caller's, released with ngx_http_lapor_reply_release().
 */

redisReply *
ngx_http_lapor_reply_take(redisReply *r)
{
    size_t       extra;
    redisReply  *k;

    switch (r->type) {

    case REDIS_REPLY_ARRAY:
        extra = r->elements * sizeof(redisReply *);
        break;

    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
    case REDIS_REPLY_ERROR:
        extra = r->len + 1;
        break;

    default:
        extra = 0;
    }

    k = ngx_http_lapor_reply_alloc(sizeof(redisReply) + extra);
    if (k == NULL) {
        return NULL;
    }

    ngx_memcpy(k, r, sizeof(redisReply));

    if (r->type == REDIS_REPLY_ARRAY) {
        k->element = r->elements ? (redisReply **) (k + 1) : NULL;

        if (r->elements) {
            ngx_memcpy(k->element, r->element, extra);
        }

        /* the children now belong to the copy */
        r->elements = 0;
        r->element = NULL;

    } else if (extra) {
        k->str = (char *) (k + 1);
        ngx_memcpy(k->str, r->str, extra);
    }

    return k;
}


void
ngx_http_lapor_reply_release(redisReply *r)
{
    ngx_http_lapor_reply_free(r);
}


static void *
ngx_http_lapor_reply_alloc(size_t size)
{
    size_t                         total, cls;
    ngx_http_lapor_reply_block_t  *b;

    total = sizeof(ngx_http_lapor_reply_block_t) + size;

    for (cls = 0; cls < NGX_HTTP_LAPOR_REPLY_CLASSES; cls++) {
        if (total <= (size_t) NGX_HTTP_LAPOR_REPLY_SMALLEST << cls) {
            break;
        }
    }

    if (cls < NGX_HTTP_LAPOR_REPLY_CLASSES) {
        b = ngx_http_lapor_reply_cache[cls];

        if (b) {
            ngx_http_lapor_reply_cache[cls] = b->h.next;
            ngx_http_lapor_reply_cached[cls]--;
            return b + 1;
        }

        total = (size_t) NGX_HTTP_LAPOR_REPLY_SMALLEST << cls;
    }

    b = ngx_alloc(total, ngx_cycle->log);
    if (b == NULL) {
        return NULL;
    }

    b->h.cls = cls;

    return b + 1;
}


static void
ngx_http_lapor_reply_dealloc(void *p)
{
    size_t                         cls;
    ngx_http_lapor_reply_block_t  *b;

    b = (ngx_http_lapor_reply_block_t *) p - 1;
    cls = b->h.cls;

    if (NGX_HTTP_LAPOR_REPLY_CACHE
        && cls < NGX_HTTP_LAPOR_REPLY_CLASSES
        && ngx_http_lapor_reply_cached[cls] < NGX_HTTP_LAPOR_REPLY_KEEP)
    {
        b->h.next = ngx_http_lapor_reply_cache[cls];
        ngx_http_lapor_reply_cache[cls] = b;
        ngx_http_lapor_reply_cached[cls]++;
        return;
    }

    ngx_free(b);
}


void
ngx_http_lapor_reply_cache_free(void)
{
    size_t                         cls;
    ngx_http_lapor_reply_block_t  *b;

    for (cls = 0; cls < NGX_HTTP_LAPOR_REPLY_CLASSES; cls++) {
        while (ngx_http_lapor_reply_cache[cls]) {
            b = ngx_http_lapor_reply_cache[cls];
            ngx_http_lapor_reply_cache[cls] = b->h.next;
            ngx_free(b);
        }

        ngx_http_lapor_reply_cached[cls] = 0;
    }
}
