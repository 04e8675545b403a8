
/*
 * Open311 GeoReport v2 below "lapor_open311": the routes, the answers in
 * JSON or XML, and the api keys of "lapor_open311_keys".
 */


#ifndef _NGX_HTTP_LAPOR_OPEN311_H_INCLUDED_
#define _NGX_HTTP_LAPOR_OPEN311_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


char *ngx_http_lapor_open311_keys_directive(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


#endif /* _NGX_HTTP_LAPOR_OPEN311_H_INCLUDED_ */
