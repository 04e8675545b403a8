
/*
 * Error answers: RFC 9457 application/problem+json, built in one place.
 */


#ifndef _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_
#define _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <yajl/yajl_gen.h>

#include "ngx_http_lapor_redis.h"


typedef struct {
    ngx_uint_t     status;
    const char    *type;          /* after "urn:lapor:problem:" */
    const char    *title;
    ngx_str_t      detail;
    time_t         retry_after;   /* seconds; 0: no Retry-After */
    ngx_str_t      allow;         /* 405: the Allow header */

    /* more members of the problem object, written into the open map */
    void         (*extend)(yajl_gen g, void *data);
    void          *data;
} ngx_http_lapor_problem_t;


ngx_int_t ngx_http_lapor_problem_send(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr);

/* the common case: a status, a type, a title and a fixed detail */
ngx_int_t ngx_http_lapor_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *title, const char *detail);

/*
 * The answer for a Redis failure: rc as given to a Redis handler (or
 * returned by ngx_http_lapor_redis_send), and the error reply if any.
 */
ngx_int_t ngx_http_lapor_problem_redis(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_int_t rc, redisReply *reply);


#endif /* _NGX_HTTP_LAPOR_PROBLEM_H_INCLUDED_ */
