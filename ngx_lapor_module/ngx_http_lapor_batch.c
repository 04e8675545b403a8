
/*
 * Building batches of Redis commands in the request pool.  Every argument
 * goes to hiredis as argv with its length: user data is never formatted
 * into a command string.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_problem.h"
#include "lapor_jsonw.h"


#define NGX_HTTP_LAPOR_KEY_MAX  512


static ngx_str_t *ngx_http_lapor_vkey(ngx_pool_t *pool, ngx_str_t *ns,
    const char *fmt, va_list args);


ngx_int_t
ngx_http_lapor_batch_init(ngx_http_lapor_batch_t *b, ngx_pool_t *pool,
    ngx_str_t *ns, ngx_uint_t n)
{
    b->pool = pool;
    b->ns = ns;
    b->current = NULL;
    b->failed = 0;
    b->durable = 0;

    return ngx_array_init(&b->cmds, pool, n ? n : 4, sizeof(ngx_array_t));
}


void
ngx_http_lapor_batch_cmd(ngx_http_lapor_batch_t *b, const char *name)
{
    ngx_array_t  *args;

    args = ngx_array_push(&b->cmds);

    if (args == NULL || ngx_array_init(args, b->pool, 8, sizeof(ngx_str_t))
                        != NGX_OK)
    {
        b->failed = 1;
        b->current = NULL;
        return;
    }

    b->current = args;

    ngx_http_lapor_batch_cstr(b, name);
}


void
ngx_http_lapor_batch_arg(ngx_http_lapor_batch_t *b, u_char *data, size_t len)
{
    ngx_str_t  *arg;

    if (b->current == NULL) {
        b->failed = 1;
        return;
    }

    arg = ngx_array_push(b->current);
    if (arg == NULL) {
        b->failed = 1;
        return;
    }

    arg->data = data;
    arg->len = len;
}


void
ngx_http_lapor_batch_str(ngx_http_lapor_batch_t *b, ngx_str_t *s)
{
    ngx_http_lapor_batch_arg(b, s->data, s->len);
}


void
ngx_http_lapor_batch_cstr(ngx_http_lapor_batch_t *b, const char *s)
{
    ngx_http_lapor_batch_arg(b, (u_char *) s, ngx_strlen(s));
}


void
ngx_http_lapor_batch_int(ngx_http_lapor_batch_t *b, int64_t n)
{
    u_char  *p;

    p = ngx_pnalloc(b->pool, NGX_INT64_LEN);
    if (p == NULL) {
        b->failed = 1;
        return;
    }

    ngx_http_lapor_batch_arg(b, p, lapor_decimal(p, n) - p);
}


void
ngx_http_lapor_batch_fmt(ngx_http_lapor_batch_t *b, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(b->pool, NGX_HTTP_LAPOR_KEY_MAX);
    if (p == NULL) {
        b->failed = 1;
        return;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + NGX_HTTP_LAPOR_KEY_MAX, fmt, args);
    va_end(args);

    ngx_http_lapor_batch_arg(b, p, last - p);
}


void
ngx_http_lapor_batch_key(ngx_http_lapor_batch_t *b, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    ngx_http_lapor_batch_vkey(b, fmt, args);
    va_end(args);
}


void
ngx_http_lapor_batch_vkey(ngx_http_lapor_batch_t *b, const char *fmt,
    va_list args)
{
    ngx_str_t  *key;

    key = ngx_http_lapor_vkey(b->pool, b->ns, fmt, args);

    if (key == NULL) {
        b->failed = 1;
        return;
    }

    ngx_http_lapor_batch_str(b, key);
}


ngx_str_t *
ngx_http_lapor_key(ngx_pool_t *pool, ngx_str_t *ns, const char *fmt, ...)
{
    va_list     args;
    ngx_str_t  *key;

    va_start(args, fmt);
    key = ngx_http_lapor_vkey(pool, ns, fmt, args);
    va_end(args);

    return key;
}


/*
 * All keys of a namespace share the hash tag "{NS}", so a Redis Cluster
 * keeps a tenant on one slot and MULTI/EXEC over its keys stays legal.
 */

static ngx_str_t *
ngx_http_lapor_vkey(ngx_pool_t *pool, ngx_str_t *ns, const char *fmt,
    va_list args)
{
    u_char     *p, *last;
    ngx_str_t  *key;

    key = ngx_palloc(pool, sizeof(ngx_str_t));
    if (key == NULL) {
        return NULL;
    }

    p = ngx_pnalloc(pool, NGX_HTTP_LAPOR_KEY_MAX);
    if (p == NULL) {
        return NULL;
    }

    key->data = p;
    last = p + NGX_HTTP_LAPOR_KEY_MAX;

    /* the prefix without a format: keys are made for every command */

    if (sizeof("lapor:{}:") - 1 + ns->len > NGX_HTTP_LAPOR_KEY_MAX) {
        return NULL;
    }

    p = ngx_cpymem(p, "lapor:{", sizeof("lapor:{") - 1);
    p = ngx_cpymem(p, ns->data, ns->len);
    *p++ = '}';
    *p++ = ':';

    p = ngx_vslprintf(p, last, fmt, args);

    key->len = p - key->data;

    return key;
}


ngx_http_lapor_redis_cmd_t *
ngx_http_lapor_batch_commands(ngx_http_lapor_batch_t *b, ngx_uint_t *n)
{
    size_t                      *lens;
    ngx_str_t                   *arg;
    ngx_uint_t                   i, j;
    const char                 **argv;
    ngx_array_t                 *args;
    ngx_http_lapor_redis_cmd_t  *cmds;

    if (b->failed || b->cmds.nelts == 0) {
        return NULL;
    }

    cmds = ngx_palloc(b->pool,
                      b->cmds.nelts * sizeof(ngx_http_lapor_redis_cmd_t));
    if (cmds == NULL) {
        return NULL;
    }

    args = b->cmds.elts;

    for (i = 0; i < b->cmds.nelts; i++) {
        argv = ngx_palloc(b->pool, args[i].nelts * sizeof(char *));
        lens = ngx_palloc(b->pool, args[i].nelts * sizeof(size_t));

        if (argv == NULL || lens == NULL) {
            return NULL;
        }

        arg = args[i].elts;

        for (j = 0; j < args[i].nelts; j++) {
            argv[j] = (const char *) arg[j].data;
            lens[j] = arg[j].len;
        }

        cmds[i].argc = (int) args[i].nelts;
        cmds[i].argv = argv;
        cmds[i].argvlen = lens;
    }

    *n = b->cmds.nelts;

    return cmds;
}


ngx_int_t
ngx_http_lapor_batch_send(ngx_http_request_t *r, ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_batch_t *b, ngx_http_lapor_redis_handler_pt handler,
    void *data)
{
    ngx_int_t                    rc;
    ngx_uint_t                   n;
    ngx_http_lapor_redis_cmd_t  *cmds;

    cmds = ngx_http_lapor_batch_commands(b, &n);
    if (cmds == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (b->durable) {
        rc = ngx_http_lapor_redis_send_durable(r, rds, cmds, n, handler,
                                               data);

    } else {
        rc = ngx_http_lapor_redis_send(r, rds, cmds, n, handler, data);
    }

    if (rc == NGX_OK) {
        return NGX_DONE;
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_problem_redis(r, rds, rc, NULL);
}
