
/*
 * ngx_lapor: configuration shared by the module's files.
 */


#ifndef _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_
#define _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_catalog.h"
#include "ngx_http_lapor_auth.h"
#include "lapor_json.h"


#define NGX_HTTP_LAPOR_NAMESPACE_MAX  64


typedef struct {
    ngx_http_lapor_redis_conf_t   redis;
    ngx_flag_t                    redis_set;   /* "lapor_redis" was seen */
    ngx_flag_t                    wait_set;    /* "lapor_redis_wait" too */
    ngx_flag_t                    api_used;    /* some "lapor_api" */
    ngx_str_t                    *api_name;    /* the first: "lapor_api" or
                                                  "lapor_open311" */
    ngx_array_t                   tenants;     /* ngx_http_lapor_tenant_t */
    ngx_msec_t                    sweep_interval;
    ngx_flag_t                    metrics_used;  /* some "lapor_metrics" */
    ngx_shm_zone_t               *metrics_zone;

    /* per worker process, created in init_process; NULL elsewhere */
    ngx_http_lapor_redis_t       *redis_conn;
    void                         *sweep;
} ngx_http_lapor_main_conf_t;


typedef struct {
    ngx_str_t                     namespace;
    ngx_flag_t                    api;
    ngx_array_t                  *limits;      /* ngx_http_lapor_limit_t */
    ngx_http_lapor_catalog_conf_t  *catalog;
    u_char                       *identity_key;   /* 32 bytes */
    ngx_http_lapor_tokens_conf_t   *tokens;
    ngx_http_lapor_tokens_conf_t   *open311_keys;   /* api_key hashes */
    ngx_str_t                     open311_contact;
    ngx_str_t                     open311_key_service;
    ngx_flag_t                    open311;     /* "lapor_open311" */
    ngx_flag_t                    metrics;     /* "lapor_metrics" */
    ngx_uint_t                    tenant;      /* index in tenants */
} ngx_http_lapor_loc_conf_t;


/* a namespace served by some API location: the auto-close sweep's work */
typedef struct {
    ngx_str_t                     namespace;
    lapor_catalog_t              *catalog;
    ngx_str_t                     catalog_file;   /* for the log */

    /* per worker: report ids reserved from the sequence, not yet used */
    int64_t                       id_next;
    int64_t                       id_last;
    ngx_uint_t                    id_generation;  /* of the connection */
    int64_t                       id_pending;     /* last of the next block */
    ngx_uint_t                    id_pending_generation;
    ngx_uint_t                    id_fetch_generation;
    ngx_msec_t                    id_fetch_at;
    /* per worker: the submissions' group commit being gathered */
    void                         *group;
    unsigned                      id_fetching:1;
    /* a deadline past the holidays' coverage was logged (per worker) */
    unsigned                      past_coverage_logged:1;
} ngx_http_lapor_tenant_t;


/*
 * Called with a parsed JSON request body and the SHA-256 of its bytes
 * (zeros when the request has no Idempotency-Key: nothing compares it);
 * returns like a content handler.
 */
typedef ngx_int_t (*ngx_http_lapor_body_pt)(ngx_http_request_t *r,
    lapor_json_t *doc, u_char *digest);


/*
 * Called with a form body (not NUL-terminated) and the SHA-256 of its
 * bytes (zeros without an Idempotency-Key); returns like a content handler.
 */
typedef ngx_int_t (*ngx_http_lapor_form_pt)(ngx_http_request_t *r,
    u_char *body, size_t len, u_char *digest);


/* per request */
typedef struct {
    ngx_int_t                     lang;         /* -1 until looked up */
    ngx_chain_t                  *error_page;   /* replacing nginx's page */
    ngx_http_lapor_body_pt        body_handler;
    ngx_http_lapor_form_pt        form_handler;
    size_t                        form_max;
    ngx_uint_t                    endpoint;     /* for the metrics */
    int64_t                       report_id;    /* from the path */
    ngx_str_t                     action;       /* from the path */
    void                         *data;         /* the handler's state */
    unsigned                      own_response:1;
    unsigned                      error_page_sent:1;
    unsigned                      open311:1;    /* errors in Open311 form */
    unsigned                      xml:1;        /* Open311 answers in XML */
} ngx_http_lapor_ctx_t;


extern ngx_module_t  ngx_http_lapor_module;


ngx_http_lapor_ctx_t *ngx_http_lapor_get_ctx(ngx_http_request_t *r);
ngx_table_elt_t *ngx_http_lapor_header_in(ngx_http_request_t *r,
    const char *name);
ngx_int_t ngx_http_lapor_arg(ngx_http_request_t *r, const char *name,
    ngx_str_t *value);
ngx_int_t ngx_http_lapor_read_conf_file(ngx_conf_t *cf, const char *directive,
    ngx_str_t *name, size_t max, ngx_str_t *out);


ngx_int_t ngx_http_lapor_api_handler(ngx_http_request_t *r);
ngx_int_t ngx_http_lapor_open311_handler(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_MODULE_H_INCLUDED_ */
