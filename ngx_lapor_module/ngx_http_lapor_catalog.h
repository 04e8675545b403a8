
/*
 * The catalog directive and GET catalog.
 */


#ifndef _NGX_HTTP_LAPOR_CATALOG_H_INCLUDED_
#define _NGX_HTTP_LAPOR_CATALOG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "lapor_catalog.h"


typedef struct {
    ngx_str_t                     file;
    lapor_catalog_t              *catalog;
    ngx_str_t                     json;      /* GET catalog, prepared */
    ngx_str_t                     etag;
} ngx_http_lapor_catalog_conf_t;


char *ngx_http_lapor_catalog_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_http_lapor_catalog_handler(ngx_http_request_t *r);

/* an RFC 3339 time in the catalog's zone, in the request pool */
ngx_int_t ngx_http_lapor_catalog_time(ngx_pool_t *pool, lapor_catalog_t *cat,
    int64_t t, ngx_str_t *out);


#endif /* _NGX_HTTP_LAPOR_CATALOG_H_INCLUDED_ */
