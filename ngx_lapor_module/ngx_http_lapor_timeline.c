
/*
 * GET reports/{id}/events: the timeline of a report.  Every status change
 * is shown to everyone who may see the report; the words of an entry only
 * to those its visibility allows ("public", "reporter": the reporter and
 * officers, "officer"), never for a confidential report's public, and
 * masked for the public.  Actors appear by role, never by name.
 *
 * The first entry, the submission, is no longer stored: the hash's
 * created_at implies it, and a report without actions has no list (one
 * command, one key and some 150 bytes less per submission).  Reports of
 * the older releases (0.1.0) keep it as their list's first element.
 * Either way a reader sees it once (ngx_http_lapor_timeline_stored()).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_action.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_transition.h"
#include "lapor_mask.h"
#include "lapor_utf8.h"


/* the submission entry, byte for byte as release 0.1.0 stored it */
#define NGX_HTTP_LAPOR_SUBMISSION_EVENT                                       \
    "{\"type\":\"submitted\",\"at\":%L,\"actor\":\"reporter\","               \
    "\"status\":\"submitted\",\"visibility\":\"public\"}"


static ngx_int_t ngx_http_lapor_timeline_fetch(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data);
static void ngx_http_lapor_timeline_fetched(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_timeline_send(ngx_http_request_t *r,
    ngx_http_lapor_view_t *tl, redisReply **f, redisReply *events,
    unsigned viewer);
static ngx_uint_t ngx_http_lapor_timeline_stored(redisReply *events,
    lapor_json_limits_t *limits);
static ngx_int_t ngx_http_lapor_timeline_submission(ngx_http_request_t *r,
    ngx_http_lapor_view_t *tl, redisReply *created_at,
    lapor_json_limits_t *limits, lapor_json_t **ev);
static void ngx_http_lapor_timeline_event(ngx_http_request_t *r, yajl_gen g,
    lapor_catalog_t *cat, lapor_json_t *ev, unsigned viewer,
    ngx_uint_t words);
static void ngx_http_lapor_timeline_copy(yajl_gen g, lapor_json_t *ev,
    const char *name);


ngx_int_t
ngx_http_lapor_timeline_handler(ngx_http_request_t *r)
{
    return ngx_http_lapor_view_start(r, ngx_http_lapor_timeline_fetch,
                                     ngx_http_lapor_timeline_fetched);
}


static ngx_int_t
ngx_http_lapor_timeline_fetch(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data)
{
    ngx_http_lapor_view_t  *tl = data;

    /* the report and its timeline as of one moment (one transaction) */

    ngx_http_lapor_fetch_report(b, tl->id);
    ngx_http_lapor_batch_cmd(b, "LRANGE");
    ngx_http_lapor_batch_key(b, "report:%L:events", tl->id);
    ngx_http_lapor_batch_cstr(b, "0");
    ngx_http_lapor_batch_cstr(b, "-1");

    return b->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_lapor_timeline_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_view_t  *tl = data;

    unsigned     viewer;
    redisReply  *report, **f;

    if (rc != NGX_OK || !ngx_http_lapor_redis_exec_ok(reply, 2)
        || reply->element[0]->type != REDIS_REPLY_ARRAY
        || reply->element[0]->elements != NGX_HTTP_LAPOR_F_COUNT
        || reply->element[1]->type != REDIS_REPLY_ARRAY)
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, tl->rds, rc, reply));
        return;
    }

    report = reply->element[0];
    f = report->element;

    if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
        ngx_http_finalize_request(r, ngx_http_lapor_report_not_found(r));
        return;
    }

    if (ngx_http_lapor_viewer(r, f, &viewer, &rc) != NGX_OK) {
        ngx_http_finalize_request(r, rc);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_timeline_send(
        r, tl, f, reply->element[1], viewer));
}


static ngx_int_t
ngx_http_lapor_timeline_send(ngx_http_request_t *r,
    ngx_http_lapor_view_t *tl, redisReply **f, redisReply *events,
    unsigned viewer)
{
    size_t                i;
    yajl_gen              g;
    ngx_int_t             rc;
    ngx_uint_t            words;
    lapor_json_t         *ev;
    lapor_catalog_t      *cat;
    lapor_json_error_t    err;
    lapor_json_limits_t   limits;

    cat = tl->llcf->catalog->catalog;

    ngx_memzero(&limits, sizeof(lapor_json_limits_t));

    limits.alloc = ngx_http_lapor_pool_alloc;
    limits.ctx = r->pool;
    limits.max_depth = 2;
    limits.max_string = 32768;
    limits.max_elements = 32;
    limits.max_number = 32;
    limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;

    /* a confidential report shows the public no more than its states */
    words = !(ngx_http_lapor_redis_is(f[NGX_HTTP_LAPOR_F_CONFIDENTIAL], "1")
              && viewer == 0);

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "id");
    yajl_gen_integer(g, tl->id);

    ngx_http_lapor_json_literal(g, "events");
    yajl_gen_array_open(g);

    if (!ngx_http_lapor_timeline_stored(events, &limits)) {
        rc = ngx_http_lapor_timeline_submission(r, tl,
                                                f[NGX_HTTP_LAPOR_F_CREATED_AT],
                                                &limits, &ev);
        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_OK) {
            ngx_http_lapor_timeline_event(r, g, cat, ev, viewer, words);
        }
    }

    for (i = 0; i < events->elements; i++) {
        if (events->element[i]->type != REDIS_REPLY_STRING) {
            continue;
        }

        ev = lapor_json_parse((const unsigned char *) events->element[i]->str,
                              events->element[i]->len, &limits, &err);

        if (ev == NULL || ev->type != LAPOR_JSON_OBJECT) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "lapor: timeline entry %uz of report %L is damaged",
                          i, tl->id);
            continue;
        }

        ngx_http_lapor_timeline_event(r, g, cat, ev, viewer, words);
    }

    yajl_gen_array_close(g);
    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}


/*
 * Whether the list holds the submission entry: its first element is of
 * type "submitted" (no action has that name) in the reports of release
 * 0.1.0, and in none since.
 */

static ngx_uint_t
ngx_http_lapor_timeline_stored(redisReply *events,
    lapor_json_limits_t *limits)
{
    redisReply          *first;
    lapor_json_t        *ev, *type;
    lapor_json_error_t   err;

    if (events->elements == 0
        || events->element[0]->type != REDIS_REPLY_STRING)
    {
        return 0;
    }

    first = events->element[0];

    ev = lapor_json_parse((const unsigned char *) first->str, first->len,
                          limits, &err);

    if (ev == NULL || ev->type != LAPOR_JSON_OBJECT) {
        return 0;
    }

    type = lapor_json_get(ev, "type");

    return type && type->type == LAPOR_JSON_STRING
           && ngx_strcmp(type->u.string.data, "submitted") == 0;
}


/*
 * The submission entry made up from created_at: the text release 0.1.0
 * stored, read as a stored one is, so that both timelines look the same.
 * NGX_DECLINED for a hash without created_at (logged): no entry then.
 */

static ngx_int_t
ngx_http_lapor_timeline_submission(ngx_http_request_t *r,
    ngx_http_lapor_view_t *tl, redisReply *created_at,
    lapor_json_limits_t *limits, lapor_json_t **ev)
{
    u_char              *p, *last;
    int64_t              at;
    lapor_json_error_t   err;

    if (ngx_http_lapor_redis_int(created_at, &at) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: report %L has no created_at", tl->id);
        return NGX_DECLINED;
    }

    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_LAPOR_SUBMISSION_EVENT)
                             + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    last = ngx_sprintf(p, NGX_HTTP_LAPOR_SUBMISSION_EVENT, at);

    *ev = lapor_json_parse((const unsigned char *) p, last - p, limits, &err);

    /* only an allocation can fail on this text */
    return (*ev && (*ev)->type == LAPOR_JSON_OBJECT) ? NGX_OK : NGX_ERROR;
}


static void
ngx_http_lapor_timeline_event(ngx_http_request_t *r, yajl_gen g,
    lapor_catalog_t *cat, lapor_json_t *ev, unsigned viewer, ngx_uint_t words)
{
    u_char        *masked;
    int64_t        at;
    ngx_str_t      t;
    ngx_uint_t     show;
    lapor_json_t  *v, *msg;

    yajl_gen_map_open(g);

    ngx_http_lapor_timeline_copy(g, ev, "type");

    v = lapor_json_get(ev, "at");

    if (v && lapor_json_int64(v, &at) == 0
        && ngx_http_lapor_catalog_time(r->pool, cat, at, &t) == NGX_OK)
    {
        ngx_http_lapor_json_literal(g, "at");
        ngx_http_lapor_json_str(g, &t);
    }

    ngx_http_lapor_timeline_copy(g, ev, "actor");
    ngx_http_lapor_timeline_copy(g, ev, "from");
    ngx_http_lapor_timeline_copy(g, ev, "status");
    ngx_http_lapor_timeline_copy(g, ev, "agency");
    if (words) {
        /* a confidential report shows the public no more than its state */
        ngx_http_lapor_timeline_copy(g, ev, "rating");
        ngx_http_lapor_timeline_copy(g, ev, "resolved");
    }

    msg = lapor_json_get(ev, "message");
    v = lapor_json_get(ev, "visibility");

    show = 0;

    if (words && msg && msg->type == LAPOR_JSON_STRING
        && v && v->type == LAPOR_JSON_STRING)
    {
        if (ngx_strcmp(v->u.string.data, "public") == 0) {
            show = 1;

        } else if (ngx_strcmp(v->u.string.data, "reporter") == 0) {
            show = (viewer != 0);

        } else if (ngx_strcmp(v->u.string.data, "officer") == 0) {
            show = (viewer & (LAPOR_ROLE_ADMIN | LAPOR_ROLE_AGENCY)) != 0;
        }
    }

    if (show) {
        ngx_http_lapor_json_literal(g, "message");

        if (viewer != 0) {
            yajl_gen_string(g, (const unsigned char *) msg->u.string.data,
                            msg->u.string.len);

        } else {
            masked = ngx_pnalloc(r->pool, msg->u.string.len + 1);

            if (masked == NULL) {
                /* never the unmasked words */
                yajl_gen_null(g);

            } else {
                (void) lapor_mask((const unsigned char *) msg->u.string.data,
                                  msg->u.string.len, masked);
                yajl_gen_string(g, masked, msg->u.string.len);
            }
        }
    }

    yajl_gen_map_close(g);
}


/* a string or number member as it is, when present */

static void
ngx_http_lapor_timeline_copy(yajl_gen g, lapor_json_t *ev, const char *name)
{
    lapor_json_t  *v;

    v = lapor_json_get(ev, name);

    if (v == NULL) {
        return;
    }

    if (v->type == LAPOR_JSON_STRING) {
        ngx_http_lapor_json_cstr(g, name);
        yajl_gen_string(g, (const unsigned char *) v->u.string.data,
                        v->u.string.len);

    } else if (v->type == LAPOR_JSON_NUMBER) {
        ngx_http_lapor_json_cstr(g, name);
        yajl_gen_number(g, v->u.number.text, v->u.number.len);
    }
}
