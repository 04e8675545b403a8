
/*
 * POST reports/{id}/<action>: officers dispatch, defer, archive, respond,
 * clarify, follow up or hand back a report; reporters comment and give
 * feedback.  Steps, each like a content handler:
 *
 *   1. who is asking, the body, the "write" rate limit;
 *   2. read the report (HMGET), check the role, the agency, If-Match and
 *      the transition;
 *   3. claim the report's version (SET NX): of concurrent actions on one
 *      version, exactly one proceeds;
 *   4. the change in one MULTI/EXEC (ngx_http_lapor_transition).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_action.h"
#include "ngx_http_lapor_auth.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_body.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_transition.h"
#include "lapor_crypto.h"


typedef struct {
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_loc_conf_t      *llcf;
    lapor_catalog_t                *cat;
    ngx_http_lapor_principal_t      who;
    lapor_action_e                  action;
    unsigned                        role;
    lapor_report_action_t           input;
    int64_t                         id;
    int64_t                         if_match;      /* -1: no If-Match */
    ngx_http_lapor_current_t        cur;
    ngx_http_lapor_change_t         change;
    ngx_uint_t                      expect;
} ngx_http_lapor_act_t;


static ngx_int_t ngx_http_lapor_action_body(ngx_http_request_t *r,
    lapor_json_t *doc, u_char *digest);
static ngx_int_t ngx_http_lapor_action_fetch(ngx_http_request_t *r,
    void *data);
static void ngx_http_lapor_action_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_action_check(ngx_http_request_t *r,
    ngx_http_lapor_act_t *act, redisReply *reply);
static void ngx_http_lapor_action_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static void ngx_http_lapor_action_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_action_send(ngx_http_request_t *r,
    ngx_http_lapor_act_t *act, ngx_http_lapor_batch_t *b,
    ngx_http_lapor_redis_handler_pt handler);
static ngx_int_t ngx_http_lapor_action_answer(ngx_http_request_t *r,
    ngx_http_lapor_act_t *act);
static ngx_str_t *ngx_http_lapor_action_actor(ngx_http_lapor_act_t *act);
static ngx_int_t ngx_http_lapor_if_match(ngx_http_request_t *r,
    int64_t *version);


static ngx_http_lapor_text_t  ngx_http_lapor_t_unknown_action = {
    "Tindakan tidak dikenal", "Unknown action"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_unknown_action = {
    "Laporan tidak mengenal tindakan ini.",
    "Reports have no such action."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_role = {
    "Peran Anda tidak boleh mengambil tindakan ini.",
    "Your role may not take this action."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_agency = {
    "Laporan ini tidak didisposisikan ke instansi Anda.",
    "This report is not with your agency."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_conflict = {
    "Tindakan tidak sesuai status laporan",
    "Action not allowed in the report's state"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_conflict = {
    "Status laporan saat ini tidak mengizinkan tindakan ini.",
    "The report's current state does not allow this action."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_precondition = {
    "Versi laporan sudah berubah", "The report has changed"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_precondition = {
    "If-Match tidak sesuai dengan versi laporan saat ini; baca ulang "
    "laporannya.",
    "If-Match does not match the report's current version; read the report "
    "again."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_concurrent = {
    "Tindakan lain pada laporan ini baru saja berhasil; baca ulang "
    "laporannya.",
    "Another action on this report has just succeeded; read the report "
    "again."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_bad_if_match = {
    "If-Match tidak valid", "Invalid If-Match"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_if_match = {
    "If-Match harus berupa versi laporan, misalnya \"3\".",
    "If-Match must be the report's version, e.g. \"3\"."
};



ngx_int_t
ngx_http_lapor_action_handler(ngx_http_request_t *r)
{
    int                          a;
    ngx_int_t                    rc;
    ngx_http_lapor_ctx_t        *ctx;
    ngx_http_lapor_act_t        *act;
    ngx_http_lapor_main_conf_t  *lmcf;

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    a = lapor_action_find((const char *) ctx->action.data, ctx->action.len);

    if (a < 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND, "unknown-action",
                                      &ngx_http_lapor_t_unknown_action,
                                      &ngx_http_lapor_d_unknown_action);
    }

    act = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_act_t));
    if (act == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    act->rds = lmcf->redis_conn;
    act->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    act->cat = act->llcf->catalog->catalog;
    act->action = (lapor_action_e) a;
    act->id = ctx->report_id;

    rc = ngx_http_lapor_principal(r, &act->who);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* an action needs a token: an officer's, or the report's own */

    if (rc == NGX_DECLINED || (act->who.role == 0 && act->who.bearer.len == 0))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_unauthorized(r);
    }

    act->role = act->who.role ? act->who.role : LAPOR_ROLE_REPORTER;

    /*
     * A token that is no officer's is taken for a tracking token; for an
     * officers' action it is simply not valid (revoked, mistyped).
     */

    if (act->who.role == 0
        && !(lapor_actions[act->action].roles & LAPOR_ROLE_REPORTER))
    {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_unauthorized(r);
    }

    if (!(lapor_actions[act->action].roles & act->role)) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_problem(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                      &ngx_http_lapor_t_forbidden,
                                      &ngx_http_lapor_d_role);
    }

    if (ngx_http_lapor_if_match(r, &act->if_match) != NGX_OK) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_problem(r, NGX_HTTP_BAD_REQUEST,
                                      "invalid-if-match",
                                      &ngx_http_lapor_t_bad_if_match,
                                      &ngx_http_lapor_d_bad_if_match);
    }

    ctx->data = act;

    return ngx_http_lapor_read_json(r, ngx_http_lapor_action_body);
}


static ngx_int_t
ngx_http_lapor_action_body(ngx_http_request_t *r, lapor_json_t *doc,
    u_char *digest)
{
    size_t                 n;
    lapor_report_error_t   errs[LAPOR_REPORT_MAX_ERRORS];
    ngx_http_lapor_ctx_t  *ctx;
    ngx_http_lapor_act_t  *act;

    ctx = ngx_http_lapor_get_ctx(r);
    act = ctx->data;

    n = lapor_report_action_validate(doc, act->cat,
                                     lapor_actions[act->action].fields,
                                     &act->input, errs,
                                     LAPOR_REPORT_MAX_ERRORS);
    if (n) {
        return ngx_http_lapor_report_invalid(r, errs,
                                             ngx_min(n,
                                                     LAPOR_REPORT_MAX_ERRORS),
                                             1);
    }

    return ngx_http_lapor_limit(r, "write", ngx_http_lapor_action_fetch, NULL,
                                act);
}


static ngx_int_t
ngx_http_lapor_action_fetch(ngx_http_request_t *r, void *data)
{
    ngx_http_lapor_act_t  *act = data;

    ngx_http_lapor_batch_t  b;

    if (ngx_http_lapor_batch_init(&b, r->pool, &act->llcf->namespace, 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_fetch_report(&b, act->id);

    return ngx_http_lapor_action_send(r, act, &b,
                                      ngx_http_lapor_action_fetched);
}


static ngx_int_t
ngx_http_lapor_action_send(ngx_http_request_t *r, ngx_http_lapor_act_t *act,
    ngx_http_lapor_batch_t *b, ngx_http_lapor_redis_handler_pt handler)
{
    return ngx_http_lapor_batch_send(r, act->rds, b, handler, act);
}


static void
ngx_http_lapor_action_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_act_t  *act = data;

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, act->rds, rc, reply));
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_action_check(r, act, reply));
}


static ngx_int_t
ngx_http_lapor_action_check(ngx_http_request_t *r, ngx_http_lapor_act_t *act,
    redisReply *reply)
{
    ngx_int_t                rc;
    lapor_state_e            to;
    ngx_time_t              *tp;
    ngx_http_lapor_batch_t   b;

    rc = ngx_http_lapor_current(r->pool, reply, act->cat, &act->cur);

    if (rc == NGX_DECLINED) {
        return ngx_http_lapor_report_not_found(r);
    }

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: report %L is damaged", act->id);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a reporter acts only on the report whose token it holds */

    if (act->role == LAPOR_ROLE_REPORTER) {
        rc = ngx_http_lapor_tracking_token(
                 reply->element[NGX_HTTP_LAPOR_F_TOKEN], &act->who.bearer);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == NGX_DECLINED) {
            return ngx_http_lapor_unauthorized(r);
        }
    }

    /* an agency acts only on what was dispatched to it */

    if (act->role == LAPOR_ROLE_AGENCY
        && (act->cur.agency.len != act->who.agency.len
            || ngx_strncmp(act->cur.agency.data, act->who.agency.data,
                           act->who.agency.len) != 0
            || act->cur.state == LAPOR_STATE_SUBMITTED
            || act->cur.state == LAPOR_STATE_DEFERRED
            || act->cur.state == LAPOR_STATE_ARCHIVED))
    {
        return ngx_http_lapor_problem(r, NGX_HTTP_FORBIDDEN,
                                      "not-your-agency",
                                      &ngx_http_lapor_t_forbidden,
                                      &ngx_http_lapor_d_agency);
    }

    if (act->if_match >= 0 && act->if_match != act->cur.version) {
        return ngx_http_lapor_problem(r, NGX_HTTP_PRECONDITION_FAILED,
                                      "version-mismatch",
                                      &ngx_http_lapor_t_precondition,
                                      &ngx_http_lapor_d_precondition);
    }

    tp = ngx_timeofday();

    /*
     * Past its auto-close time a followed-up report reads as closed, sweep
     * or no sweep; it takes no more actions either.
     */

    if (act->cur.state == LAPOR_STATE_FOLLOWED_UP && act->cur.due
        && tp->sec > act->cur.due)
    {
        act->cur.state = LAPOR_STATE_CLOSED;
    }

    if (lapor_workflow_next(act->action, act->role, act->cur.state, &to)
        != LAPOR_WORKFLOW_OK)
    {
        return ngx_http_lapor_problem(r, NGX_HTTP_CONFLICT,
                                      "invalid-transition",
                                      &ngx_http_lapor_t_conflict,
                                      &ngx_http_lapor_d_conflict);
    }

    act->change.action = act->action;
    act->change.actor = act->role;
    act->change.input = &act->input;
    act->change.now = tp->sec;

    if (ngx_http_lapor_batch_init(&b, r->pool, &act->llcf->namespace, 1)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_claim(&b, &act->cur, ngx_http_lapor_action_actor(act));

    return ngx_http_lapor_action_send(r, act, &b,
                                      ngx_http_lapor_action_claimed);
}


static void
ngx_http_lapor_action_claimed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_act_t  *act = data;

    ngx_http_lapor_batch_t  b;

    if (rc != NGX_OK || reply->type == REDIS_REPLY_ERROR) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, act->rds, rc, reply));
        return;
    }

    if (reply->type == REDIS_REPLY_NIL) {
        /* somebody else moved this version first */
        ngx_http_finalize_request(r, ngx_http_lapor_problem(
            r, act->if_match >= 0 ? NGX_HTTP_PRECONDITION_FAILED
                                  : NGX_HTTP_CONFLICT,
            act->if_match >= 0 ? "version-mismatch" : "concurrent-change",
            &ngx_http_lapor_t_precondition, &ngx_http_lapor_d_concurrent));
        return;
    }

    if (ngx_http_lapor_batch_init(&b, r->pool, &act->llcf->namespace, 24)
        != NGX_OK)
    {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    rc = ngx_http_lapor_transition(&b, act->cat, &act->cur, &act->change,
                                   &act->expect);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_action_send(
                                     r, act, &b, ngx_http_lapor_action_done));
}


static void
ngx_http_lapor_action_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_act_t  *act = data;

    if (rc != NGX_OK || !ngx_http_lapor_redis_exec_ok(reply, act->expect)) {
        if (rc == NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "lapor: the \"%s\" of report %L failed",
                          lapor_actions[act->action].name, act->id);
        }

        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, act->rds, rc, reply));
        return;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "lapor: report %L: %s by %V", act->id,
                  lapor_actions[act->action].name,
                  ngx_http_lapor_action_actor(act));

    ngx_http_finalize_request(r, ngx_http_lapor_action_answer(r, act));
}


/* 200 with the report's new state, version and deadline */

static ngx_int_t
ngx_http_lapor_action_answer(ngx_http_request_t *r, ngx_http_lapor_act_t *act)
{
    yajl_gen    g;
    ngx_str_t   t;

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "id");
    yajl_gen_integer(g, act->id);

    ngx_http_lapor_json_literal(g, "action");
    ngx_http_lapor_json_cstr(g, lapor_actions[act->action].name);

    ngx_http_lapor_json_literal(g, "status");
    ngx_http_lapor_json_cstr(g, lapor_state_name(act->change.to));

    ngx_http_lapor_json_literal(g, "version");
    yajl_gen_integer(g, act->change.version);

    ngx_http_lapor_json_literal(g, "due_at");

    if (act->change.due
        && ngx_http_lapor_catalog_time(r->pool, act->cat, act->change.due, &t)
           == NGX_OK)
    {
        ngx_http_lapor_json_str(g, &t);

    } else {
        yajl_gen_null(g);
    }

    yajl_gen_map_close(g);

    if (ngx_http_lapor_etag(r, act->change.version) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* If-Match was the version before: nginx must not judge it again */
    r->disable_not_modified = 1;

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}


/* who acted, for logs and claims: an officer's label, or "reporter" */

static ngx_str_t *
ngx_http_lapor_action_actor(ngx_http_lapor_act_t *act)
{
    static ngx_str_t  reporter = ngx_string("reporter");

    return act->who.label.len ? &act->who.label : &reporter;
}


/*
 * If-Match: one version, quoted as an ETag or bare; -1 without the header,
 * NGX_ERROR for anything else
 */

static ngx_int_t
ngx_http_lapor_if_match(ngx_http_request_t *r, int64_t *version)
{
    u_char           *p, *last;
    ngx_int_t         n;
    ngx_table_elt_t  *h;

    *version = -1;

    h = r->headers_in.if_match;

    if (h == NULL) {
        return NGX_OK;
    }

    p = h->value.data;
    last = p + h->value.len;

    /*
     * "*" (RFC 9110 13.1.1: any current representation) would match every
     * report that exists, so it guards against nothing; it is refused, as
     * lists are, so that no client believes it protects an officer from
     * overwriting a change not yet seen.
     */

    if (last - p >= 2 && p[0] == 'W' && p[1] == '/') {
        p += 2;
    }

    if (last - p >= 2 && *p == '"' && last[-1] == '"') {
        p++;
        last--;
    }

    n = ngx_atoi(p, last - p);

    if (n == NGX_ERROR || n < 1) {
        return NGX_ERROR;
    }

    *version = n;

    return NGX_OK;
}
