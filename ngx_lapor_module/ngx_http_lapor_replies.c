
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

    r = ngx_alloc(sizeof(redisReply) + extra, ngx_cycle->log);
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

    ngx_free(r);
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

    k = ngx_alloc(sizeof(redisReply) + extra, ngx_cycle->log);
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
