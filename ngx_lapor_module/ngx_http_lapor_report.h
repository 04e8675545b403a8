
/*
 * Reports: submission and tracking.
 */


#ifndef _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


ngx_int_t ngx_http_lapor_reports_post(ngx_http_request_t *r);
ngx_int_t ngx_http_lapor_report_get(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_ */
