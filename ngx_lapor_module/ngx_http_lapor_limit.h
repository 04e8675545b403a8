
/*
 * Rate limits kept in Redis, so every nginx node in front of one Redis
 * shares them.
 */


#ifndef _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_batch.h"


typedef struct {
    ngx_str_t                    zone;
    ngx_uint_t                   rate;      /* requests per window */
    ngx_msec_t                   window;
    ngx_uint_t                   burst;
    ngx_http_complex_value_t    *key;
} ngx_http_lapor_limit_t;


/*
 * A step of a request's work; it behaves like a content handler: it
 * answers and returns the status, or starts asynchronous work and returns
 * NGX_DONE.
 */
typedef ngx_int_t (*ngx_http_lapor_step_pt)(ngx_http_request_t *r,
    void *data);


/* called instead of the 429 answer, to undo something first */
typedef ngx_int_t (*ngx_http_lapor_reject_pt)(ngx_http_request_t *r,
    void *data, time_t retry_after);


char *ngx_http_lapor_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * Counts the request against the location's limit of the zone, then runs
 * next (at once when the zone has no limit here); over the limit it
 * answers 429, or calls reject when one is given.  Returns like a content
 * handler.
 */
ngx_int_t ngx_http_lapor_limit(ngx_http_request_t *r, const char *zone,
    ngx_http_lapor_step_pt next, ngx_http_lapor_reject_pt reject, void *data);

/* the 429 answer */
/*
 * A read under the limit "zone": read appends its commands to the batch,
 * which also counts the request (one round trip); done gets their answer
 * (see ngx_http_lapor_limit.c).  A refused read is answered 429.
 */
typedef ngx_int_t (*ngx_http_lapor_read_pt)(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data);

ngx_int_t ngx_http_lapor_limit_read(ngx_http_request_t *r, const char *zone,
    ngx_http_lapor_read_pt read, ngx_http_lapor_redis_handler_pt done,
    void *data);

ngx_int_t ngx_http_lapor_limited(ngx_http_request_t *r, time_t retry_after);


#endif /* _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_ */
