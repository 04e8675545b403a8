
/*
 * Actions on a report, and its timeline.
 */


#ifndef _NGX_HTTP_LAPOR_ACTION_H_INCLUDED_
#define _NGX_HTTP_LAPOR_ACTION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* POST reports/{id}/<action> */
ngx_int_t ngx_http_lapor_action_handler(ngx_http_request_t *r);

/* GET reports/{id}/events */
ngx_int_t ngx_http_lapor_timeline_handler(ngx_http_request_t *r);

/* GET stats */
ngx_int_t ngx_http_lapor_stats_handler(ngx_http_request_t *r);

/* GET queue */
ngx_int_t ngx_http_lapor_queue_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_ACTION_H_INCLUDED_ */
