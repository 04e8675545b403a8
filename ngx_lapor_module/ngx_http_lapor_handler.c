
/*
 * The API's routing: the path below the "lapor_api" location, the methods
 * each resource allows, 404 and 405 answers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_catalog.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_action.h"
#include "ngx_http_lapor_metrics.h"


/* report numbers: 1 to 15 digits, no leading zero */
#define NGX_HTTP_LAPOR_ID_DIGITS_MAX  15


ngx_int_t ngx_http_lapor_health_handler(ngx_http_request_t *r);


typedef struct {
    ngx_str_t             path;      /* "{id}" stands for a report number */
    ngx_uint_t            methods;
    ngx_str_t             allow;
    ngx_http_handler_pt   handler;
    ngx_uint_t            endpoint;  /* ngx_http_lapor_endpoint_e */
} ngx_http_lapor_route_t;


static ngx_int_t ngx_http_lapor_route_match(ngx_http_request_t *r,
    ngx_http_lapor_route_t *rt, ngx_str_t *path);


static ngx_http_lapor_text_t  ngx_http_lapor_t_not_found = {
    "Tidak ditemukan", "Not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_found = {
    "Sumber daya ini tidak ada di API.",
    "There is no such resource in this API."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_not_allowed = {
    "Metode tidak diizinkan", "Method not allowed"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_allowed = {
    "Sumber daya ini tidak mendukung metode permintaan; lihat header Allow.",
    "This resource does not support the request method; see the Allow "
    "header."
};


static ngx_http_lapor_route_t  ngx_http_lapor_routes[] = {

    { ngx_string("health"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_health_handler,
      NGX_HTTP_LAPOR_EP_HEALTH },

    { ngx_string("catalog"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_catalog_handler,
      NGX_HTTP_LAPOR_EP_CATALOG },

    /* GET lists (the endpoint becomes "list"), POST submits */
    { ngx_string("reports"),
      NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST,
      ngx_string("GET, HEAD, POST"),
      ngx_http_lapor_reports_handler,
      NGX_HTTP_LAPOR_EP_SUBMIT },

    { ngx_string("reports/{id}"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_report_get,
      NGX_HTTP_LAPOR_EP_REPORT },

    { ngx_string("reports/{id}/events"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_timeline_handler,
      NGX_HTTP_LAPOR_EP_EVENTS },

    { ngx_string("reports/{id}/{action}"),
      NGX_HTTP_POST,
      ngx_string("POST"),
      ngx_http_lapor_action_handler,
      NGX_HTTP_LAPOR_EP_ACTION },

    { ngx_string("stats"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_stats_handler,
      NGX_HTTP_LAPOR_EP_STATS },

    { ngx_string("queue"),
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_queue_handler,
      NGX_HTTP_LAPOR_EP_QUEUE },

    { ngx_null_string, 0, ngx_null_string, NULL, 0 }
};


ngx_int_t
ngx_http_lapor_api_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  path;
    ngx_http_lapor_ctx_t      *ctx;
    ngx_http_lapor_route_t    *rt;
    ngx_http_lapor_problem_t   pr;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* the location is a prefix location (checked with the directive) */

    path = r->uri;

    if (path.len >= clcf->name.len
        && ngx_strncmp(path.data, clcf->name.data, clcf->name.len) == 0)
    {
        path.data += clcf->name.len;
        path.len -= clcf->name.len;
    }

    if (path.len && path.data[0] == '/') {
        path.data++;
        path.len--;
    }

    for (rt = ngx_http_lapor_routes; rt->handler; rt++) {

        rc = ngx_http_lapor_route_match(r, rt, &path);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc != NGX_OK) {
            continue;
        }

        ctx = ngx_http_lapor_get_ctx(r);
        if (ctx == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->endpoint = rt->endpoint;

        if (!(r->method & rt->methods)) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

            pr.status = NGX_HTTP_NOT_ALLOWED;
            pr.type = "method-not-allowed";
            pr.title = &ngx_http_lapor_t_not_allowed;
            pr.detail = &ngx_http_lapor_d_not_allowed;
            pr.allow = rt->allow;

            return ngx_http_lapor_problem_send(r, &pr);
        }

        return rt->handler(r);
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  &ngx_http_lapor_t_not_found,
                                  &ngx_http_lapor_d_not_found);
}


static ngx_int_t
ngx_http_lapor_route_match(ngx_http_request_t *r, ngx_http_lapor_route_t *rt,
    ngx_str_t *path)
{
    u_char                *p, *last, *pat, *pat_last;
    size_t                 prefix;
    int64_t                id;
    ngx_str_t              action;
    ngx_http_lapor_ctx_t  *ctx;

    pat = rt->path.data;
    pat_last = pat + rt->path.len;

    p = ngx_strlchr(pat, pat_last, '{');

    if (p == NULL) {
        return (path->len == rt->path.len
                && ngx_strncmp(path->data, rt->path.data, path->len) == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    /* "prefix{id}", "prefix{id}/literal" or "prefix{id}/{action}" */

    prefix = p - pat;
    pat = p + sizeof("{id}") - 1;

    if (path->len <= prefix
        || ngx_strncmp(path->data, rt->path.data, prefix) != 0)
    {
        return NGX_DECLINED;
    }

    p = path->data + prefix;
    last = path->data + path->len;

    if (*p == '0') {
        return NGX_DECLINED;
    }

    for (id = 0; p < last && *p != '/'; p++) {
        if (*p < '0' || *p > '9'
            || p - (path->data + prefix) >= NGX_HTTP_LAPOR_ID_DIGITS_MAX)
        {
            return NGX_DECLINED;
        }

        id = id * 10 + (*p - '0');
    }

    if (p == path->data + prefix) {
        return NGX_DECLINED;
    }

    ngx_str_null(&action);

    if (pat == pat_last) {
        if (p != last) {
            return NGX_DECLINED;
        }

    } else if ((size_t) (pat_last - pat) == sizeof("/{action}") - 1
               && ngx_strncmp(pat, "/{action}", pat_last - pat) == 0)
    {
        if (p == last || last - p < 2) {
            return NGX_DECLINED;
        }

        action.data = p + 1;
        action.len = last - p - 1;

        if (ngx_strlchr(action.data, last, '/') != NULL) {
            return NGX_DECLINED;
        }

    } else if ((size_t) (last - p) != (size_t) (pat_last - pat)
               || ngx_strncmp(p, pat, last - p) != 0)
    {
        return NGX_DECLINED;
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->report_id = id;
    ctx->action = action;

    return NGX_OK;
}
