
/*
 * Error answers: RFC 9457 application/problem+json.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_json.h"


#define NGX_HTTP_LAPOR_PROBLEM_URN  "urn:lapor:problem:"
#define NGX_HTTP_LAPOR_REPLY_LOG_MAX  200


typedef struct {
    const char   *prefix;        /* of the Redis error reply */
    ngx_uint_t    status;
    const char   *type;
    const char   *title;
} ngx_http_lapor_redis_error_t;


/*
 * Redis error replies that say something about the server's condition;
 * anything else is a bug or a misconfiguration on our side of the wire.
 */

static ngx_http_lapor_redis_error_t  ngx_http_lapor_redis_errors[] = {
    { "LOADING", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis is loading its data" },
    { "BUSY", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis is busy" },
    { "MISCONF", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis cannot persist writes" },
    { "READONLY", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis is a read-only replica" },
    { "OOM", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis is out of memory" },
    { "MASTERDOWN", NGX_HTTP_SERVICE_UNAVAILABLE, "redis-unavailable",
      "Redis has lost its master" },
    { "NOPERM", NGX_HTTP_INTERNAL_SERVER_ERROR, "redis-error",
      "The Redis user lacks a permission" },
    { NULL, 0, NULL, NULL }
};


static void ngx_http_lapor_problem_redis_state(yajl_gen g, void *data);


ngx_int_t
ngx_http_lapor_problem_send(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr)
{
    u_char      *p;
    yajl_gen     g;
    ngx_str_t    value;
    ngx_uint_t   status;

    static ngx_str_t  retry_after = ngx_string("Retry-After");
    static ngx_str_t  allow = ngx_string("Allow");

    status = pr->status;

    g = ngx_http_lapor_json_gen(r);
    if (g == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "type");
    p = ngx_pnalloc(r->pool, sizeof(NGX_HTTP_LAPOR_PROBLEM_URN) - 1
                             + ngx_strlen(pr->type));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, NGX_HTTP_LAPOR_PROBLEM_URN "%s", pr->type) - p;
    ngx_http_lapor_json_str(g, &value);

    ngx_http_lapor_json_literal(g, "title");
    ngx_http_lapor_json_cstr(g, pr->title);

    ngx_http_lapor_json_literal(g, "status");
    yajl_gen_integer(g, (long long) status);

    ngx_http_lapor_json_literal(g, "detail");
    ngx_http_lapor_json_str(g, &pr->detail);

    if (pr->extend) {
        pr->extend(g, pr->data);
    }

    yajl_gen_map_close(g);

    if (pr->retry_after > 0) {
        p = ngx_pnalloc(r->pool, NGX_TIME_T_LEN);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        value.data = p;
        value.len = ngx_sprintf(p, "%T", pr->retry_after) - p;

        if (ngx_http_lapor_header_add(r, &retry_after, &value) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    if (pr->allow.len) {
        if (ngx_http_lapor_header_add(r, &allow, &pr->allow) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    return ngx_http_lapor_json_send(r, status,
                                    &ngx_http_lapor_problem_json_type, g);
}


ngx_int_t
ngx_http_lapor_problem(ngx_http_request_t *r, ngx_uint_t status,
    const char *type, const char *title, const char *detail)
{
    ngx_http_lapor_problem_t  pr;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    pr.status = status;
    pr.type = type;
    pr.title = title;
    pr.detail.data = (u_char *) detail;
    pr.detail.len = ngx_strlen(detail);

    return ngx_http_lapor_problem_send(r, &pr);
}


ngx_int_t
ngx_http_lapor_problem_redis(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_int_t rc, redisReply *reply)
{
    size_t                         n;
    ngx_http_lapor_problem_t       pr;
    ngx_http_lapor_redis_error_t  *e;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    switch (rc) {

    case NGX_HTTP_SERVICE_UNAVAILABLE:
        pr.status = NGX_HTTP_SERVICE_UNAVAILABLE;
        pr.type = "redis-unavailable";
        pr.title = "Service temporarily unavailable";
        ngx_str_set(&pr.detail, "The data store is not reachable; "
                                "retry after the given delay.");
        pr.retry_after = ngx_http_lapor_redis_retry_after(rds);
        pr.extend = ngx_http_lapor_problem_redis_state;
        pr.data = rds;
        return ngx_http_lapor_problem_send(r, &pr);

    case NGX_HTTP_GATEWAY_TIME_OUT:
        pr.status = NGX_HTTP_GATEWAY_TIME_OUT;
        pr.type = "redis-timeout";
        pr.title = "Data store timeout";
        ngx_str_set(&pr.detail, "The data store did not answer in time; "
                                "the request may be retried.");
        pr.retry_after = 1;
        return ngx_http_lapor_problem_send(r, &pr);

    default:
        break;
    }

    /* an error reply, or a reply of a type the caller did not expect */

    pr.status = NGX_HTTP_BAD_GATEWAY;
    pr.type = "redis-error";
    pr.title = "Data store error";
    ngx_str_set(&pr.detail, "The data store rejected the operation.");

    if (reply == NULL || reply->type != REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: unexpected redis reply of type %d",
                      reply ? reply->type : -1);
        ngx_str_set(&pr.detail, "The data store gave an unexpected answer.");
        return ngx_http_lapor_problem_send(r, &pr);
    }

    ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                  "lapor: redis error reply: %*s",
                  ngx_min(reply->len, NGX_HTTP_LAPOR_REPLY_LOG_MAX),
                  reply->str);

    for (e = ngx_http_lapor_redis_errors; e->prefix; e++) {
        n = ngx_strlen(e->prefix);

        if (reply->len >= n && ngx_strncmp(reply->str, e->prefix, n) == 0
            && (reply->len == n || reply->str[n] == ' '))
        {
            pr.status = e->status;
            pr.type = e->type;
            pr.title = e->title;

            if (e->status == NGX_HTTP_SERVICE_UNAVAILABLE) {
                ngx_str_set(&pr.detail, "The data store cannot serve the "
                                        "request now; retry later.");
                pr.retry_after = 1;
            }

            break;
        }
    }

    return ngx_http_lapor_problem_send(r, &pr);
}


static void
ngx_http_lapor_problem_redis_state(yajl_gen g, void *data)
{
    ngx_http_lapor_redis_t  *rds = data;

    ngx_http_lapor_json_literal(g, "redis");
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "state");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_redis_state_name(
                                    ngx_http_lapor_redis_state(rds)));
    yajl_gen_map_close(g);
}
