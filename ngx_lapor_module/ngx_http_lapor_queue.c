
/*
 * GET queue?status=&agency=&overdue=1&cursor=&limit=: the officers' live
 * queues, oldest (or most urgent) first, a page at a time with a keyset
 * cursor: the score of the last entry shown (scores are unique, see
 * ngx_http_lapor_store.h).  An agency token sees only its own inbox.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_action.h"
#include "ngx_http_lapor_auth.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_page.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_store.h"
#include "lapor_request.h"
#include "lapor_workflow.h"


#define NGX_HTTP_LAPOR_QUEUE_LIMIT      20
#define NGX_HTTP_LAPOR_QUEUE_LIMIT_MAX  100


typedef struct {
    ngx_http_lapor_loc_conf_t      *llcf;
    ngx_http_lapor_page_t           page;
} ngx_http_lapor_queue_t;


/* the summary of each report on a page */

static const ngx_uint_t  ngx_http_lapor_queue_fields[] = {
    NGX_HTTP_LAPOR_F_ID,
    NGX_HTTP_LAPOR_F_STATUS,
    NGX_HTTP_LAPOR_F_TITLE,
    NGX_HTTP_LAPOR_F_TYPE,
    NGX_HTTP_LAPOR_F_CATEGORY,
    NGX_HTTP_LAPOR_F_AGENCY,
    NGX_HTTP_LAPOR_F_CREATED_AT,
    NGX_HTTP_LAPOR_F_DUE_AT,
    NGX_HTTP_LAPOR_F_CONFIDENTIAL,
    NGX_HTTP_LAPOR_F_ANONYMOUS,
    NGX_HTTP_LAPOR_F_FLAGGED,
    NGX_HTTP_LAPOR_F_VERSION
};

#define NGX_HTTP_LAPOR_QUEUE_NFIELDS                                          \
    (sizeof(ngx_http_lapor_queue_fields) / sizeof(ngx_uint_t))


static ngx_int_t ngx_http_lapor_queue_args(ngx_http_request_t *r,
    ngx_http_lapor_queue_t *q, ngx_http_lapor_principal_t *who);
static ngx_int_t ngx_http_lapor_queue_send(ngx_http_request_t *r,
    ngx_http_lapor_page_t *page, redisReply *reply);


static ngx_http_lapor_text_t  ngx_http_lapor_d_inbox = {
    "Antrean ini milik instansi lain; Anda hanya dapat membaca antrean "
    "instansi Anda.",
    "This inbox belongs to another agency; you can read only your "
    "agency's."
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_status = {
    "harus status yang masih berjalan: submitted, deferred, dispatched, "
    "in_progress, followed_up",
    "must be an open state: submitted, deferred, dispatched, in_progress, "
    "followed_up"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_agency_status = {
    "antrean instansi hanya memuat dispatched dan in_progress",
    "an agency's inbox holds dispatched and in_progress only"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_never_late = {
    "laporan deferred dan followed_up tidak pernah terlambat",
    "deferred and followed_up reports are never overdue"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_agency = {
    "bukan instansi yang dikenal, atau bukan instansi Anda",
    "is not a known agency, or not yours"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_overdue = {
    "harus 1 atau 0", "must be 1 or 0"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_cursor = {
    "bukan kursor dari halaman sebelumnya",
    "is not a cursor from a previous page"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_limit = {
    "harus antara 1 dan 100", "must be between 1 and 100"
};


ngx_int_t
ngx_http_lapor_queue_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_http_lapor_queue_t      *q;
    ngx_http_lapor_principal_t   who;
    ngx_http_lapor_main_conf_t  *lmcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_http_lapor_principal(r, &who);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED || (who.role == 0 && who.bearer.len)) {
        return ngx_http_lapor_unauthorized(r);
    }

    if (who.role == 0) {
        /* 401 asks for credentials: an officer's token */
        return ngx_http_lapor_unauthorized(r);
    }

    q = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_queue_t));
    if (q == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    q->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (ngx_http_lapor_page_init(&q->page, r->pool, NGX_HTTP_LAPOR_CLOCKED)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    q->page.rds = lmcf->redis_conn;
    q->page.ns = &q->llcf->namespace;
    q->page.fields = ngx_http_lapor_queue_fields;
    q->page.nfields = NGX_HTTP_LAPOR_QUEUE_NFIELDS;
    q->page.done = ngx_http_lapor_queue_send;
    q->page.data = q;

    rc = ngx_http_lapor_queue_args(r, q, &who);

    if (rc != NGX_OK) {
        /* the answer was sent (400) */
        return rc == NGX_DECLINED ? NGX_OK : rc;
    }

    return ngx_http_lapor_page_read(r, &q->page);
}


/* which sorted set, and which part of it */

static ngx_int_t
ngx_http_lapor_queue_args(ngx_http_request_t *r, ngx_http_lapor_queue_t *q,
    ngx_http_lapor_principal_t *who)
{
    int          st;
    ngx_int_t    n;
    ngx_str_t    status, agency, overdue, cursor, limit;
    ngx_uint_t   i;
    ngx_str_t   *key;
    ngx_time_t  *tp;

    ngx_str_null(&status);
    ngx_str_null(&agency);
    ngx_str_null(&overdue);
    ngx_str_null(&cursor);
    ngx_str_null(&limit);

    (void) ngx_http_lapor_arg(r, "status", &status);
    (void) ngx_http_lapor_arg(r, "agency", &agency);
    (void) ngx_http_lapor_arg(r, "overdue", &overdue);
    (void) ngx_http_lapor_arg(r, "cursor", &cursor);
    (void) ngx_http_lapor_arg(r, "limit", &limit);

    st = -1;

    if (status.len) {
        st = lapor_state_find((const char *) status.data, status.len);

        if (st < 0 || !lapor_state_open((lapor_state_e) st)) {
            return ngx_http_lapor_problem_bad_query(r, "status",
                                                    &ngx_http_lapor_m_status);
        }
    }

    /* an agency officer sees its own inbox, and no other */

    if (who->role == LAPOR_ROLE_AGENCY) {
        if (agency.len && (agency.len != who->agency.len
                           || ngx_strncmp(agency.data, who->agency.data,
                                          agency.len) != 0))
        {
            return ngx_http_lapor_answered(ngx_http_lapor_problem(
                                               r, NGX_HTTP_FORBIDDEN,
                                               "not-your-agency",
                                               &ngx_http_lapor_t_forbidden,
                                               &ngx_http_lapor_d_inbox));
        }

        agency = who->agency;

    } else if (agency.len
               && lapor_catalog_agency(q->llcf->catalog->catalog,
                                       (const char *) agency.data,
                                       agency.len)
                  == NULL)
    {
        return ngx_http_lapor_problem_bad_query(r, "agency",
                                                &ngx_http_lapor_m_agency);
    }

    if (agency.len && st >= 0 && st != LAPOR_STATE_DISPATCHED
        && st != LAPOR_STATE_IN_PROGRESS)
    {
        return ngx_http_lapor_problem_bad_query(r, "status",
                   &ngx_http_lapor_m_agency_status);
    }

    if (overdue.len
        && !(overdue.len == 1 && (overdue.data[0] == '0'
                                  || overdue.data[0] == '1')))
    {
        return ngx_http_lapor_problem_bad_query(r, "overdue",
                                                &ngx_http_lapor_m_overdue);
    }

    q->page.cursor = -1;

    if (cursor.len) {
        n = lapor_request_number(cursor.data, cursor.len);

        if (n == NGX_ERROR) {
            return ngx_http_lapor_problem_bad_query(r, "cursor",
                                                    &ngx_http_lapor_m_cursor);
        }

        q->page.cursor = n;
    }

    q->page.limit = NGX_HTTP_LAPOR_QUEUE_LIMIT;

    if (limit.len) {
        n = lapor_request_number(limit.data, limit.len);

        if (n < 1 || n > NGX_HTTP_LAPOR_QUEUE_LIMIT_MAX) {
            return ngx_http_lapor_problem_bad_query(r, "limit",
                                                    &ngx_http_lapor_m_limit);
        }

        q->page.limit = n;
    }

    q->page.bound = -1;

    if (overdue.len && overdue.data[0] == '1') {
        /* late: a deadline before now; followed-up reports are not late */
        tp = ngx_timeofday();
        q->page.bound = ngx_http_lapor_score(tp->sec, 0) - 1;

        if (st == LAPOR_STATE_FOLLOWED_UP || st == LAPOR_STATE_DEFERRED) {
            return ngx_http_lapor_problem_bad_query(r, "status",
                       &ngx_http_lapor_m_never_late);
        }
    }

    /* an inbox is by deadline anyway: overdue only sets the upper bound */

    if (agency.len) {
        key = st >= 0
              ? ngx_http_lapor_key(r->pool, &q->llcf->namespace,
                                   "inbox:%V:%s", &agency,
                                   lapor_state_name(st))
              : ngx_http_lapor_key(r->pool, &q->llcf->namespace,
                                   "inbox:%V", &agency);

    } else if (q->page.bound >= 0) {
        if (st < 0) {
            /* every clocked state: the union of their sets, by deadline */

            for (i = 0; i < NGX_HTTP_LAPOR_CLOCKED; i++) {
                st = ngx_http_lapor_clocked_states[i];
                key = ngx_http_lapor_key(r->pool, &q->llcf->namespace,
                                         "deadlines:%s", lapor_state_name(st));

                if (ngx_http_lapor_page_add(&q->page, key) != NGX_OK) {
                    return NGX_HTTP_INTERNAL_SERVER_ERROR;
                }
            }

            return NGX_OK;
        }

        key = ngx_http_lapor_key(r->pool, &q->llcf->namespace,
                                 "deadlines:%s", lapor_state_name(st));

    } else {
        key = ngx_http_lapor_key(r->pool, &q->llcf->namespace, "queue:%s",
                                 lapor_state_name(st >= 0 ? st
                                                  : LAPOR_STATE_SUBMITTED));
    }

    if (ngx_http_lapor_page_add(&q->page, key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_queue_send(ngx_http_request_t *r, ngx_http_lapor_page_t *page,
    redisReply *reply)
{
    ngx_http_lapor_queue_t  *q = page->data;

    size_t           i, k;
    int64_t          t, *score;
    const char      *name;
    yajl_gen         g;
    ngx_str_t        s;
    ngx_time_t      *tp;
    redisReply      *row, *v;
    lapor_catalog_t *cat;

    cat = q->llcf->catalog->catalog;
    tp = ngx_timeofday();

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "items");
    yajl_gen_array_open(g);

    for (i = 0; reply && i < reply->elements; i++) {
        row = reply->element[i];

        if (row->type != REDIS_REPLY_ARRAY
            || row->elements != NGX_HTTP_LAPOR_QUEUE_NFIELDS
            || row->element[0]->type != REDIS_REPLY_STRING)
        {
            /* gone since the page was read: left out */
            continue;
        }

        yajl_gen_map_open(g);

        for (k = 0; k < NGX_HTTP_LAPOR_QUEUE_NFIELDS; k++) {
            v = row->element[k];
            name = ngx_http_lapor_fields[ngx_http_lapor_queue_fields[k]];

            switch (ngx_http_lapor_queue_fields[k]) {

            case NGX_HTTP_LAPOR_F_ID:
            case NGX_HTTP_LAPOR_F_VERSION:
                /* the row has an id; a new report's hash has no version */
                if (ngx_http_lapor_report_int(v, 1, &t) == NGX_OK) {
                    ngx_http_lapor_json_cstr(g, name);
                    yajl_gen_integer(g, t);
                }

                break;

            case NGX_HTTP_LAPOR_F_CREATED_AT:
            case NGX_HTTP_LAPOR_F_DUE_AT:
                ngx_http_lapor_json_cstr(g, name);

                if (ngx_http_lapor_redis_int(v, &t) == NGX_OK && t
                    && ngx_http_lapor_catalog_time(r->pool, cat, t, &s)
                       == NGX_OK)
                {
                    ngx_http_lapor_json_str(g, &s);

                    if (ngx_http_lapor_queue_fields[k]
                        == NGX_HTTP_LAPOR_F_DUE_AT)
                    {
                        ngx_http_lapor_json_literal(g, "overdue");
                        yajl_gen_bool(g, tp->sec > t
                            && !ngx_http_lapor_redis_is(row->element[1],
                                                        "followed_up"));
                    }

                } else {
                    yajl_gen_null(g);

                    if (ngx_http_lapor_queue_fields[k]
                        == NGX_HTTP_LAPOR_F_DUE_AT)
                    {
                        /* no clock runs: never late */
                        ngx_http_lapor_json_literal(g, "overdue");
                        yajl_gen_bool(g, 0);
                    }
                }

                break;

            case NGX_HTTP_LAPOR_F_CONFIDENTIAL:
            case NGX_HTTP_LAPOR_F_ANONYMOUS:
            case NGX_HTTP_LAPOR_F_FLAGGED:
                ngx_http_lapor_json_cstr(g, name);
                yajl_gen_bool(g, ngx_http_lapor_redis_is(v, "1"));
                break;

            default:
                ngx_http_lapor_json_cstr(g, name);

                if (v->type == REDIS_REPLY_STRING) {
                    yajl_gen_string(g, (const unsigned char *) v->str, v->len);

                } else {
                    yajl_gen_null(g);
                }

                break;
            }
        }

        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    /* the cursor: the score of the last entry of this page */

    ngx_http_lapor_json_literal(g, "next_cursor");

    if (page->more && page->scores.nelts) {
        score = page->scores.elts;
        s.data = ngx_pnalloc(r->pool, NGX_INT64_LEN);
        if (s.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        s.len = ngx_sprintf(s.data, "%L", score[page->scores.nelts - 1])
                - s.data;
        ngx_http_lapor_json_str(g, &s);

    } else {
        yajl_gen_null(g);
    }

    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}
