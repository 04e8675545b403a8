
/*
 * Rate limits kept in Redis, so every nginx node in front of one Redis
 * shares them.
 */


#ifndef _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


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


char *ngx_http_lapor_limit_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/*
 * Counts the request against the location's limit of the zone, then runs
 * next (at once when the zone has no limit here).  Returns like a content
 * handler.
 */
ngx_int_t ngx_http_lapor_limit(ngx_http_request_t *r, const char *zone,
    ngx_http_lapor_step_pt next, void *data);


#endif /* _NGX_HTTP_LAPOR_LIMIT_H_INCLUDED_ */
