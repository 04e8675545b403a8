
/*
 * The API's routing: the path below the "lapor_api" location, the methods
 * each resource allows, 404 and 405 answers.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_problem.h"


ngx_int_t ngx_http_lapor_health_handler(ngx_http_request_t *r);


typedef struct {
    ngx_str_t             path;
    ngx_uint_t            methods;
    ngx_str_t             allow;
    ngx_http_handler_pt   handler;
} ngx_http_lapor_route_t;


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
      ngx_http_lapor_health_handler },

    { ngx_null_string, 0, ngx_null_string, NULL }
};


ngx_int_t
ngx_http_lapor_api_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_str_t                  path;
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

        if (path.len != rt->path.len
            || ngx_strncmp(path.data, rt->path.data, path.len) != 0)
        {
            continue;
        }

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
