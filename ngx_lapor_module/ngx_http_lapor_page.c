
/*
 * A page of reports from sorted sets, for GET reports (newest first) and
 * GET queue (oldest or most urgent first).  Scores are unique (time and
 * number, see ngx_http_lapor_store.h), so the score of the last entry
 * shown is the cursor of the next page, also across a union of sets: each
 * set gives at most a page and one more after the cursor, the union is
 * their merge by score, and the one more says whether a next page exists.
 *
 * Round trips: the range (ZRANGE ... BYSCORE of each set) together with
 * the "read" limit's counter; then the hashes of the page's reports in one
 * MULTI/EXEC, as one moment.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_page.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"


typedef struct {
    int64_t                         id;
    int64_t                         score;
} ngx_http_lapor_page_entry_t;


static ngx_int_t ngx_http_lapor_page_range(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data);
static void ngx_http_lapor_page_ranged(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_page_entries(ngx_http_lapor_page_t *page,
    redisReply *set, ngx_array_t *entries);
static int ngx_libc_cdecl ngx_http_lapor_page_asc(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_http_lapor_page_desc(const void *one,
    const void *two);
static void ngx_http_lapor_page_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);


ngx_int_t
ngx_http_lapor_page_init(ngx_http_lapor_page_t *page, ngx_pool_t *pool,
    ngx_uint_t n)
{
    ngx_memzero(page, sizeof(ngx_http_lapor_page_t));

    page->cursor = -1;
    page->bound = -1;

    return ngx_array_init(&page->keys, pool, n, sizeof(ngx_str_t *));
}


ngx_int_t
ngx_http_lapor_page_add(ngx_http_lapor_page_t *page, ngx_str_t *key)
{
    ngx_str_t  **k;

    if (key == NULL) {
        return NGX_ERROR;
    }

    k = ngx_array_push(&page->keys);
    if (k == NULL) {
        return NGX_ERROR;
    }

    *k = key;

    return NGX_OK;
}


ngx_int_t
ngx_http_lapor_page_read(ngx_http_request_t *r, ngx_http_lapor_page_t *page)
{
    return ngx_http_lapor_limit_read(r, "read", ngx_http_lapor_page_range,
                                     ngx_http_lapor_page_ranged, page);
}


/* ZRANGE <set> <from> <to> BYSCORE [REV] WITHSCORES LIMIT 0 <page + 1> */

static ngx_int_t
ngx_http_lapor_page_range(ngx_http_request_t *r, ngx_http_lapor_batch_t *b,
    void *data)
{
    ngx_http_lapor_page_t  *page = data;

    u_char      *p;
    ngx_str_t    from, to, **keys;
    ngx_uint_t   i;

    p = ngx_pnalloc(r->pool, 2 * (NGX_INT64_LEN + 2));
    if (p == NULL) {
        return NGX_ERROR;
    }

    /* the cursor is exclusive: the page starts past it */

    from.data = p;

    if (page->cursor >= 0) {
        p = ngx_sprintf(p, "(%L", page->cursor);

    } else {
        p = ngx_cpymem(p, page->rev ? "+inf" : "-inf", 4);
    }

    from.len = p - from.data;
    to.data = p;

    if (page->bound >= 0) {
        p = ngx_sprintf(p, "%L", page->bound);

    } else {
        p = ngx_cpymem(p, page->rev ? "-inf" : "+inf", 4);
    }

    to.len = p - to.data;

    keys = page->keys.elts;

    for (i = 0; i < page->keys.nelts; i++) {
        ngx_http_lapor_batch_cmd(b, "ZRANGE");
        ngx_http_lapor_batch_str(b, keys[i]);
        ngx_http_lapor_batch_str(b, &from);
        ngx_http_lapor_batch_str(b, &to);
        ngx_http_lapor_batch_cstr(b, "BYSCORE");

        if (page->rev) {
            ngx_http_lapor_batch_cstr(b, "REV");
        }

        ngx_http_lapor_batch_cstr(b, "WITHSCORES");
        ngx_http_lapor_batch_cstr(b, "LIMIT");
        ngx_http_lapor_batch_cstr(b, "0");

        /* one more than the page: is there a next one? */
        ngx_http_lapor_batch_int(b, page->limit + 1);
    }

    return b->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_lapor_page_ranged(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_page_t  *page = data;

    size_t                        i;
    int64_t                      *id, *score;
    ngx_uint_t                    n;
    ngx_array_t                   entries;
    ngx_http_lapor_batch_t        b;
    ngx_http_lapor_page_entry_t  *e;

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY) {
        goto redis_error;
    }

    n = page->keys.nelts;

    if (ngx_array_init(&entries, r->pool, n * (page->limit + 1),
                       sizeof(ngx_http_lapor_page_entry_t))
        != NGX_OK
        || ngx_array_init(&page->ids, r->pool, page->limit, sizeof(int64_t))
           != NGX_OK
        || ngx_array_init(&page->scores, r->pool, page->limit,
                          sizeof(int64_t))
           != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* one set: its reply; several: an array of their replies */

    if (n == 1) {
        rc = ngx_http_lapor_page_entries(page, reply, &entries);

    } else if (reply->elements != n) {
        goto redis_error;

    } else {
        for (i = 0, rc = NGX_OK; rc == NGX_OK && i < n; i++) {
            rc = ngx_http_lapor_page_entries(page, reply->element[i],
                                             &entries);
        }

        /* each set is in order; their union is sorted as the page goes */

        ngx_qsort(entries.elts, entries.nelts,
                  sizeof(ngx_http_lapor_page_entry_t),
                  page->rev ? ngx_http_lapor_page_desc
                            : ngx_http_lapor_page_asc);
    }

    if (rc == NGX_DECLINED) {
        goto redis_error;
    }

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    e = entries.elts;

    for (i = 0; i < entries.nelts; i++) {
        if (page->ids.nelts == page->limit) {
            page->more = 1;
            break;
        }

        id = ngx_array_push(&page->ids);
        score = ngx_array_push(&page->scores);

        if (id == NULL || score == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        *id = e[i].id;
        *score = e[i].score;
    }

    if (page->ids.nelts == 0) {
        ngx_http_finalize_request(r, page->done(r, page, NULL));
        return;
    }

    /* the reports of the page, as one moment */

    if (ngx_http_lapor_batch_init(&b, r->pool, page->ns, page->ids.nelts + 2)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    id = page->ids.elts;

    for (i = 0; i < page->ids.nelts; i++) {
        ngx_http_lapor_batch_cmd(&b, page->fields ? "HMGET" : "HGETALL");
        ngx_http_lapor_batch_key(&b, "report:%L", id[i]);

        for (n = 0; page->fields && n < page->nfields; n++) {
            ngx_http_lapor_batch_cstr(&b,
                                      ngx_http_lapor_fields[page->fields[n]]);
        }
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    ngx_http_finalize_request(r, ngx_http_lapor_batch_send(
                                     r, page->rds, &b,
                                     ngx_http_lapor_page_fetched, page));
    return;

redis_error:

    ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                     r, page->rds,
                                     rc == NGX_DECLINED ? NGX_OK : rc,
                                     reply));
}


/* NGX_OK, NGX_DECLINED for a reply that is not a range, NGX_ERROR */

static ngx_int_t
ngx_http_lapor_page_entries(ngx_http_lapor_page_t *page, redisReply *set,
    ngx_array_t *entries)
{
    size_t                        i;
    ngx_http_lapor_page_entry_t  *e;

    if (set->type != REDIS_REPLY_ARRAY || set->elements % 2
        || set->elements / 2 > page->limit + 1)
    {
        return NGX_DECLINED;
    }

    for (i = 0; i + 1 < set->elements; i += 2) {
        e = ngx_array_push(entries);
        if (e == NULL) {
            return NGX_ERROR;
        }

        /* scores are integers below 2^53: exact in Redis's doubles */

        if (ngx_http_lapor_redis_int(set->element[i], &e->id) != NGX_OK
            || ngx_http_lapor_redis_int(set->element[i + 1], &e->score)
               != NGX_OK)
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_http_lapor_page_asc(const void *one, const void *two)
{
    const ngx_http_lapor_page_entry_t  *a = one, *b = two;

    return (a->score > b->score) - (a->score < b->score);
}


static int ngx_libc_cdecl
ngx_http_lapor_page_desc(const void *one, const void *two)
{
    return ngx_http_lapor_page_asc(two, one);
}


static void
ngx_http_lapor_page_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_page_t  *page = data;

    if (rc != NGX_OK
        || !ngx_http_lapor_redis_exec_ok(reply, page->ids.nelts))
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, page->rds, rc, reply));
        return;
    }

    ngx_http_finalize_request(r, page->done(r, page, reply));
}
