
/*
 * GET health: the worker's Redis state after a real PING round trip.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <time.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_batch.h"


typedef struct {
    struct timespec          start;
    ngx_http_lapor_redis_t  *rds;
    ngx_str_t               *echo;      /* PING's argument, or NULL */
    const char              *argv[2];
    size_t                   argvlen[2];
} ngx_http_lapor_health_ctx_t;


ngx_int_t ngx_http_lapor_health_handler(ngx_http_request_t *r);
static void ngx_http_lapor_health_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_health_send(ngx_http_request_t *r,
    ngx_http_lapor_health_ctx_t *ctx);


static const char    *ngx_http_lapor_ping_argv[] = { "PING" };
static const size_t   ngx_http_lapor_ping_argvlen[] = { 4 };


ngx_int_t
ngx_http_lapor_health_handler(ngx_http_request_t *r)
{
    ngx_int_t                     rc;
    ngx_http_lapor_redis_cmd_t    cmd;
    ngx_http_lapor_loc_conf_t    *llcf;
    ngx_http_lapor_main_conf_t   *lmcf;
    ngx_http_lapor_health_ctx_t  *ctx;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    ctx = ngx_palloc(r->pool, sizeof(ngx_http_lapor_health_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->rds = lmcf->redis_conn;
    ctx->echo = NULL;

    cmd.argc = 1;

    if (ngx_strcmp(ngx_http_lapor_redis_mode(ctx->rds), "cluster") == 0) {

        /*
         * PING with the namespace's key as its message: routed like the
         * namespace's commands, to its master, which echoes it.
         */

        llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

        ctx->echo = ngx_http_lapor_key(r->pool, &llcf->namespace, "health");
        if (ctx->echo == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ctx->argv[0] = ngx_http_lapor_ping_argv[0];
        ctx->argvlen[0] = ngx_http_lapor_ping_argvlen[0];
        ctx->argv[1] = (const char *) ctx->echo->data;
        ctx->argvlen[1] = ctx->echo->len;
        cmd.argc = 2;
    }

    cmd.argv = ctx->echo ? ctx->argv : ngx_http_lapor_ping_argv;
    cmd.argvlen = ctx->echo ? ctx->argvlen : ngx_http_lapor_ping_argvlen;

    (void) clock_gettime(CLOCK_MONOTONIC, &ctx->start);

    rc = ngx_http_lapor_redis_send(r, ctx->rds, &cmd, 1,
                                   ngx_http_lapor_health_done, ctx);

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_problem_redis(r, ctx->rds, rc, NULL);
}


static void
ngx_http_lapor_health_done(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_health_ctx_t  *ctx = data;

    if (rc == NGX_OK
        && ((ctx->echo == NULL && reply->type == REDIS_REPLY_STATUS
             && reply->len == 4 && ngx_strncmp(reply->str, "PONG", 4) == 0)
            || (ctx->echo && reply->type == REDIS_REPLY_STRING
                && (size_t) reply->len == ctx->echo->len
                && ngx_strncmp(reply->str, ctx->echo->data, reply->len)
                   == 0)))
    {
        rc = ngx_http_lapor_health_send(r, ctx);

    } else {
        rc = ngx_http_lapor_problem_redis(r, ctx->rds, rc, reply);
    }

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_lapor_health_send(ngx_http_request_t *r,
    ngx_http_lapor_health_ctx_t *ctx)
{
    u_char                            rtt[NGX_INT64_LEN + 8], *p;
    int64_t                           us;
    yajl_gen                          g;
    ngx_uint_t                        i, slot, masters;
    struct timespec                   now;
    ngx_http_lapor_loc_conf_t        *llcf;
    ngx_http_lapor_redis_node_info_t  info;

    (void) clock_gettime(CLOCK_MONOTONIC, &now);

    us = (int64_t) (now.tv_sec - ctx->start.tv_sec) * 1000000
         + (now.tv_nsec - ctx->start.tv_nsec) / 1000;

    if (us < 0) {
        us = 0;
    }

    /* milliseconds with microsecond digits, without yajl's %.20g noise */
    p = ngx_sprintf(rtt, "%L.%03L", us / 1000, us % 1000);

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "status");
    ngx_http_lapor_json_literal(g, "ok");

    ngx_http_lapor_json_literal(g, "namespace");
    ngx_http_lapor_json_str(g, &llcf->namespace);

    ngx_http_lapor_json_literal(g, "redis");
    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "state");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_redis_state_name(
                                    ngx_http_lapor_redis_state(ctx->rds)));

    ngx_http_lapor_json_literal(g, "rtt_ms");
    yajl_gen_number(g, (const char *) rtt, p - rtt);

    ngx_http_lapor_json_literal(g, "mode");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_redis_mode(ctx->rds));

    if (ctx->echo) {
        /* no addresses in this public answer: /metrics has them */

        if (ngx_http_lapor_redis_cluster_slot(ctx->rds, &llcf->namespace,
                                              &slot, &info)
            == NGX_OK)
        {
            ngx_http_lapor_json_literal(g, "master_state");
            ngx_http_lapor_json_cstr(g, info.state);
        }

        ngx_http_lapor_json_literal(g, "slot");
        p = ngx_sprintf(rtt, "%ui", slot);
        yajl_gen_number(g, (const char *) rtt, p - rtt);

        for (i = 0, masters = 0;
             ngx_http_lapor_redis_cluster_node(ctx->rds, i, &info) == NGX_OK;
             i++)
        {
            masters += (info.slots != 0);
        }

        ngx_http_lapor_json_literal(g, "masters");
        p = ngx_sprintf(rtt, "%ui", masters);
        yajl_gen_number(g, (const char *) rtt, p - rtt);
    }

    if (ngx_http_lapor_redis_sentinel(ctx->rds)) {
        ngx_http_lapor_json_literal(g, "master");
        ngx_http_lapor_json_str(g, ngx_http_lapor_redis_master(ctx->rds));

        ngx_http_lapor_json_literal(g, "switches");
        p = ngx_sprintf(rtt, "%ui", ngx_http_lapor_redis_switches(ctx->rds));
        yajl_gen_number(g, (const char *) rtt, p - rtt);
    }

    yajl_gen_map_close(g);

    yajl_gen_map_close(g);

    return ngx_http_lapor_json_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                                    g);
}
