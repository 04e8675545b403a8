
/*
 * ngx_lapor: configuration shared by the module's files.
 */


#ifndef _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_
#define _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_redis.h"


#define NGX_HTTP_LAPOR_NAMESPACE_MAX  64


typedef struct {
    ngx_http_lapor_redis_conf_t   redis;
    ngx_flag_t                    redis_set;   /* "lapor_redis" was seen */
    ngx_flag_t                    api_used;    /* some "lapor_api" */

    /* per worker process, created in init_process; NULL elsewhere */
    ngx_http_lapor_redis_t       *redis_conn;
} ngx_http_lapor_main_conf_t;


typedef struct {
    ngx_str_t                     namespace;
    ngx_flag_t                    api;
} ngx_http_lapor_loc_conf_t;


/* per request */
typedef struct {
    ngx_int_t                     lang;         /* -1 until looked up */
    ngx_chain_t                  *error_page;   /* replacing nginx's page */
    unsigned                      own_response:1;
    unsigned                      error_page_sent:1;
} ngx_http_lapor_ctx_t;


extern ngx_module_t  ngx_http_lapor_module;


ngx_http_lapor_ctx_t *ngx_http_lapor_get_ctx(ngx_http_request_t *r);


ngx_int_t ngx_http_lapor_api_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_ */
