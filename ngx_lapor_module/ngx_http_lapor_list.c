
/*
 * GET reports?category=|status=|agency=&cursor=&limit=: the public list of
 * reports, newest first, a page at a time with a keyset cursor (the score
 * of the last report shown: its submission time and number, unique).
 * Each filter reads one sorted set by creation time, or a union of them,
 * kept in the same MULTI/EXEC as the writes (see ngx_http_lapor_store.c;
 * the page: ngx_http_lapor_page.c); each report is shown exactly as
 * GET reports/{id} shows it to the public.  Also the collection's router:
 * POST reports submits.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_metrics.h"
#include "ngx_http_lapor_page.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"
#include "lapor_request.h"
#include "lapor_workflow.h"


#define NGX_HTTP_LAPOR_LIST_LIMIT      20
#define NGX_HTTP_LAPOR_LIST_LIMIT_MAX  100


typedef struct {
    ngx_http_lapor_loc_conf_t      *llcf;
    ngx_http_lapor_page_t           page;
} ngx_http_lapor_list_t;


static ngx_int_t ngx_http_lapor_list(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_list_args(ngx_http_request_t *r,
    ngx_http_lapor_list_t *l);
static ngx_int_t ngx_http_lapor_list_send(ngx_http_request_t *r,
    ngx_http_lapor_page_t *page, redisReply *reply);


static ngx_http_lapor_text_t  ngx_http_lapor_m_category = {
    "bukan kategori yang dikenal", "is not a known category"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_status = {
    "harus salah satu status: submitted, deferred, dispatched, "
    "in_progress, followed_up, closed, archived",
    "must be a state: submitted, deferred, dispatched, in_progress, "
    "followed_up, closed, archived"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_agency = {
    "bukan instansi yang dikenal", "is not a known agency"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_one_filter = {
    "hanya satu filter sekaligus: category, status atau agency",
    "one filter at a time: category, status or agency"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_cursor = {
    "bukan kursor dari halaman sebelumnya",
    "is not a cursor from a previous page"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_limit = {
    "harus antara 1 dan 100", "must be between 1 and 100"
};


/* the collection "reports": GET and HEAD list, POST submits */

ngx_int_t
ngx_http_lapor_reports_handler(ngx_http_request_t *r)
{
    ngx_http_lapor_ctx_t  *ctx;

    if (r->method == NGX_HTTP_POST) {
        return ngx_http_lapor_reports_post(r);
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->endpoint = NGX_HTTP_LAPOR_EP_LIST;

    return ngx_http_lapor_list(r);
}


static ngx_int_t
ngx_http_lapor_list(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_lapor_list_t       *l;
    ngx_http_lapor_main_conf_t  *lmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    l = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_list_t));
    if (l == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    l->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (ngx_http_lapor_page_init(&l->page, r->pool, LAPOR_STATE_COUNT)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    l->page.rds = lmcf->redis_conn;
    l->page.ns = &l->llcf->namespace;
    l->page.rev = 1;
    l->page.done = ngx_http_lapor_list_send;
    l->page.data = l;

    rc = ngx_http_lapor_list_args(r, l);

    if (rc != NGX_OK) {
        /* the answer was sent (400) */
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_http_lapor_page_read(r, &l->page);
}


/* which sorted set, and where in it */

static ngx_int_t
ngx_http_lapor_list_args(ngx_http_request_t *r, ngx_http_lapor_list_t *l)
{
    int               st;
    ngx_int_t         n, rc;
    ngx_str_t         category, status, agency, cursor, limit, *ns;
    ngx_uint_t        filters;
    lapor_catalog_t  *cat;

    ngx_str_null(&category);
    ngx_str_null(&status);
    ngx_str_null(&agency);
    ngx_str_null(&cursor);
    ngx_str_null(&limit);

    (void) ngx_http_lapor_arg(r, "category", &category);
    (void) ngx_http_lapor_arg(r, "status", &status);
    (void) ngx_http_lapor_arg(r, "agency", &agency);
    (void) ngx_http_lapor_arg(r, "cursor", &cursor);
    (void) ngx_http_lapor_arg(r, "limit", &limit);

    cat = l->llcf->catalog->catalog;

    if (category.len
        && lapor_catalog_category(cat, (const char *) category.data,
                                  category.len)
           == NULL)
    {
        return ngx_http_lapor_problem_bad_query(r, "category",
                                                &ngx_http_lapor_m_category);
    }

    st = -1;

    if (status.len) {
        st = lapor_state_find((const char *) status.data, status.len);

        if (st < 0) {
            return ngx_http_lapor_problem_bad_query(r, "status",
                                                    &ngx_http_lapor_m_status);
        }
    }

    if (agency.len
        && lapor_catalog_agency(cat, (const char *) agency.data, agency.len)
           == NULL)
    {
        return ngx_http_lapor_problem_bad_query(r, "agency",
                                                &ngx_http_lapor_m_agency);
    }

    /* each filter is one sorted set: combining them would need a scan */

    filters = (category.len != 0) + (status.len != 0) + (agency.len != 0);

    if (filters > 1) {
        return ngx_http_lapor_problem_bad_query(r,
                   status.len && category.len ? "status" : "agency",
                   &ngx_http_lapor_m_one_filter);
    }

    if (cursor.len) {
        n = lapor_request_number(cursor.data, cursor.len);

        if (n == NGX_ERROR || n == 0) {
            return ngx_http_lapor_problem_bad_query(r, "cursor",
                                                    &ngx_http_lapor_m_cursor);
        }

        l->page.cursor = n;
    }

    l->page.limit = NGX_HTTP_LAPOR_LIST_LIMIT;

    if (limit.len) {
        n = lapor_request_number(limit.data, limit.len);

        if (n < 1 || n > NGX_HTTP_LAPOR_LIST_LIMIT_MAX) {
            return ngx_http_lapor_problem_bad_query(r, "limit",
                                                    &ngx_http_lapor_m_limit);
        }

        l->page.limit = n;
    }

    /*
     * The sets by creation time (ngx_http_lapor_store.c): a category is
     * its open and its closed reports, all reports are every state's.
     */

    ns = &l->llcf->namespace;

    if (category.len) {
        rc = ngx_http_lapor_page_add(&l->page,
                 ngx_http_lapor_key(r->pool, ns, "public:category:%V:open",
                                    &category));
        if (rc == NGX_OK) {
            rc = ngx_http_lapor_page_add(&l->page,
                     ngx_http_lapor_key(r->pool, ns,
                                        "public:category:%V:closed",
                                        &category));
        }

    } else if (status.len) {
        rc = ngx_http_lapor_page_add(&l->page,
                 ngx_http_lapor_key(r->pool, ns, "public:status:%s",
                                    lapor_state_name((lapor_state_e) st)));

    } else if (agency.len) {
        rc = ngx_http_lapor_page_add(&l->page,
                 ngx_http_lapor_key(r->pool, ns, "public:agency:%V",
                                    &agency));

    } else {
        for (st = 0, rc = NGX_OK; rc == NGX_OK && st < LAPOR_STATE_COUNT;
             st++)
        {
            rc = ngx_http_lapor_page_add(&l->page,
                     ngx_http_lapor_key(r->pool, ns, "public:status:%s",
                                        lapor_state_name((lapor_state_e) st)));
        }
    }

    if (rc != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_list_send(ngx_http_request_t *r, ngx_http_lapor_page_t *page,
    redisReply *reply)
{
    ngx_http_lapor_list_t  *l = page->data;

    u_char                 *p;
    size_t                  i;
    int64_t                 version, *id, *score;
    lapor_jsonw_t           w;
    redisReply            **f;
    ngx_http_lapor_view_t   v;

    if (ngx_http_lapor_jsonw_init(r, &w, 1024 + 1024 * page->ids.nelts)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&v, sizeof(ngx_http_lapor_view_t));

    v.rds = page->rds;
    v.llcf = l->llcf;
    v.viewer = 0;       /* the public, always */

    id = page->ids.elts;

    lapor_jsonw_map_open(&w);
    lapor_jsonw_literal(&w, "items");
    lapor_jsonw_array_open(&w);

    for (i = 0; reply && i < reply->elements; i++) {
        f = ngx_http_lapor_report_fields(r->pool, reply->element[i]);
        if (f == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
            /* gone since the page was read: left out */
            continue;
        }

        v.id = id[i];
        v.key = ngx_http_lapor_key(r->pool, &l->llcf->namespace, "report:%L",
                                   id[i]);
        if (v.key == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (ngx_http_lapor_view_write(r, &v, f, &w, &version) != NGX_OK) {
            /* damaged (logged, nothing written): the others still show */
            continue;
        }
    }

    lapor_jsonw_array_close(&w);

    /* the cursor: the score of the last report of this page */

    lapor_jsonw_literal(&w, "next_cursor");

    if (page->more && page->scores.nelts) {
        p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        score = page->scores.elts;
        ngx_http_lapor_jsonw_text(r, &w, p,
                                  ngx_sprintf(p, "%L",
                                              score[page->scores.nelts - 1])
                                  - p);

    } else {
        lapor_jsonw_null(&w);
    }

    lapor_jsonw_map_close(&w);

    return ngx_http_lapor_jsonw_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                     &w);
}
