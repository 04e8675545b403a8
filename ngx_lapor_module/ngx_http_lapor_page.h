
/*
 * A page of reports from sorted sets: the entries of one set, or of a
 * union of sets merged by score, after a keyset cursor, then the reports'
 * hashes in one MULTI/EXEC.  Used by GET reports and GET queue, with the
 * "read" limit's counter in the same round trip as the range.
 */


#ifndef _NGX_HTTP_LAPOR_PAGE_H_INCLUDED_
#define _NGX_HTTP_LAPOR_PAGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_redis.h"


typedef struct ngx_http_lapor_page_s  ngx_http_lapor_page_t;

/*
 * The page is read: reply is EXEC's array of the hashes, one per id (NULL
 * for an empty page); an error was answered already.  Returns the status
 * to finalize the request with.
 */
typedef ngx_int_t (*ngx_http_lapor_page_pt)(ngx_http_request_t *r,
    ngx_http_lapor_page_t *page, redisReply *reply);


struct ngx_http_lapor_page_s {
    /* set by the caller */
    ngx_http_lapor_redis_t         *rds;
    ngx_str_t                      *ns;
    ngx_array_t                     keys;       /* ngx_str_t *, full names */
    ngx_uint_t                      rev;        /* highest score first */
    int64_t                         cursor;     /* exclusive; -1: none */
    int64_t                         bound;      /* inclusive; -1: none */
    ngx_uint_t                      limit;
    const ngx_uint_t               *fields;     /* HMGET of these fields
                                                   (NGX_HTTP_LAPOR_F_*);
                                                   NULL: HGETALL */
    ngx_uint_t                      nfields;
    ngx_http_lapor_page_pt          done;
    void                           *data;

    /* the page */
    ngx_array_t                     ids;        /* int64_t */
    ngx_array_t                     scores;     /* int64_t */
    ngx_uint_t                      more;       /* a next page exists */
};


/* NGX_OK or NGX_ERROR: keys for up to n sets */
ngx_int_t ngx_http_lapor_page_init(ngx_http_lapor_page_t *page,
    ngx_pool_t *pool, ngx_uint_t n);

/* adds a set (from ngx_http_lapor_key); NGX_ERROR for NULL, no memory */
ngx_int_t ngx_http_lapor_page_add(ngx_http_lapor_page_t *page,
    ngx_str_t *key);

/* reads the page under the "read" limit: the request's content handler */
ngx_int_t ngx_http_lapor_page_read(ngx_http_request_t *r,
    ngx_http_lapor_page_t *page);


#endif /* _NGX_HTTP_LAPOR_PAGE_H_INCLUDED_ */
