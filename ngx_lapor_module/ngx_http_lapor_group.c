
/*
 * Group commit of the submissions' write transactions.
 *
 * Under load a worker finishes several submissions in one turn of its
 * event loop (the replies of one read from Redis).  Each builds its
 * MULTI ... EXEC as before, in its own request's pool, and joins the
 * worker's group for its namespace; at the end of the turn (a posted
 * event) the group goes to Redis as one transaction:
 *
 *   MULTI, the members' commands in order, except that
 *     ZADD <key> <score> <member>   of several members become one ZADD
 *                                   of all their pairs (at the first), and
 *     HINCRBY <key> <field> <n>     of one key and field one HINCRBY of
 *                                   the sum,
 *   EXEC.
 *
 * The queues and lists every submission adds to, and the counters every
 * one increments, then cost Redis one command per group instead of one
 * per report: fewer commands to parse, run and append to the AOF.
 *
 * Each report stays all or nothing, and a 201 still waits for Redis: EXEC
 * runs the group's commands together, so either every member's write is
 * stored or none, and every member is answered only after EXEC answered
 * (with lapor_redis_wait, after WAIT).  A member whose request goes away
 * before the group is sent is left out: nothing was acknowledged to it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_group.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_redis.h"


#define NGX_HTTP_LAPOR_GROUP_MAX  64


typedef struct ngx_http_lapor_group_s  ngx_http_lapor_group_t;

typedef struct {
    ngx_http_request_t              *request;
    ngx_http_lapor_group_pt          handler;
    void                            *data;
    ngx_array_t                      cmds;      /* MULTI ... EXEC */
    ngx_http_lapor_group_t          *group;
    ngx_uint_t                       index;     /* in group->members */
    ngx_http_cleanup_t              *cleanup;
} ngx_http_lapor_group_member_t;


struct ngx_http_lapor_group_s {
    ngx_http_lapor_group_member_t   *members[NGX_HTTP_LAPOR_GROUP_MAX];
    ngx_uint_t                       n;
    ngx_uint_t                       expect;    /* replies in EXEC */
    ngx_uint_t                       durable;
    ngx_http_lapor_redis_t          *rds;
    void                           **pending;   /* NULL once closed */
    ngx_event_t                      flush;
    ngx_event_t                      guard;
    ngx_log_t                       *log;
};


/* a command merged from several members' */
typedef struct {
    ngx_str_t                       *key;
    ngx_str_t                       *field;     /* HINCRBY */
    ngx_array_t                     *args;      /* ZADD: in the batch */
    ngx_str_t                       *value;     /* HINCRBY: the sum's arg */
    int64_t                          sum;
} ngx_http_lapor_group_merge_t;


static void ngx_http_lapor_group_flush(ngx_event_t *ev);
static ngx_int_t ngx_http_lapor_group_build(ngx_http_lapor_group_t *g,
    ngx_http_lapor_batch_t *b);
static ngx_int_t ngx_http_lapor_group_add(ngx_http_lapor_batch_t *b,
    ngx_array_t *merged, ngx_array_t *cmd);
static void ngx_http_lapor_group_done(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_group_answer(ngx_http_lapor_group_t *g,
    redisReply *reply, ngx_int_t rc, ngx_uint_t applied);
static void ngx_http_lapor_group_gone(void *data);
static void ngx_http_lapor_group_guard(ngx_event_t *ev);
static ngx_uint_t ngx_http_lapor_group_is(ngx_str_t *arg, const char *name);


ngx_int_t
ngx_http_lapor_group_join(ngx_http_request_t *r, ngx_http_lapor_redis_t *rds,
    void **pending, ngx_http_lapor_batch_t *b,
    ngx_http_lapor_group_pt handler, void *data)
{
    ngx_http_cleanup_t             *cln;
    ngx_http_lapor_group_t         *g;
    ngx_http_lapor_group_member_t  *m;

    if (b->failed || b->cmds.nelts < 2) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_lapor_redis_state(rds) != NGX_HTTP_LAPOR_REDIS_READY) {
        return ngx_http_lapor_problem_redis(r, rds,
                                            NGX_HTTP_SERVICE_UNAVAILABLE,
                                            NULL);
    }

    m = ngx_palloc(r->pool, sizeof(ngx_http_lapor_group_member_t));
    cln = ngx_http_cleanup_add(r, 0);

    if (m == NULL || cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    g = *pending;

    if (g == NULL) {
        /* heap memory: the group outlives any of its requests */

        g = ngx_calloc(sizeof(ngx_http_lapor_group_t), r->connection->log);
        if (g == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        g->rds = rds;
        g->pending = pending;
        g->log = ngx_cycle->log;

        g->flush.handler = ngx_http_lapor_group_flush;
        g->flush.data = g;
        g->flush.log = g->log;

        *pending = g;

        ngx_post_event(&g->flush, &ngx_posted_events);
    }

    m->request = r;
    m->handler = handler;
    m->data = data;
    m->cmds = b->cmds;      /* the batch itself may be on the stack */
    m->group = g;
    m->index = g->n;
    m->cleanup = cln;

    g->members[g->n++] = m;
    g->durable |= b->durable;

    if (g->n == NGX_HTTP_LAPOR_GROUP_MAX) {
        /* full: it goes as it is, the next submission starts another */
        *pending = NULL;
        g->pending = NULL;
    }

    cln->handler = ngx_http_lapor_group_gone;
    cln->data = m;

    /* notice a client that goes away, do not rerun the phases meanwhile */
    r->read_event_handler = ngx_http_test_reading;
    r->write_event_handler = ngx_http_request_empty_handler;

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_http_lapor_group_flush(ngx_event_t *ev)
{
    ngx_http_lapor_group_t  *g = ev->data;

    ngx_int_t                    rc;
    ngx_uint_t                   i, n;
    ngx_pool_t                  *pool;
    ngx_http_lapor_batch_t       b;
    ngx_http_lapor_redis_cmd_t  *cmds;

    if (g->pending) {
        *g->pending = NULL;
        g->pending = NULL;
    }

    /*
     * At most as many commands as the members': the batch's array must
     * never move, merged commands keep pointers into it.
     */

    n = 2;

    for (i = 0; i < g->n; i++) {
        if (g->members[i]) {
            n += g->members[i]->cmds.nelts;
        }
    }

    if (n == 2) {
        ngx_free(g);
        return;
    }

    /* the group's commands point into the members' pools until sent */

    pool = ngx_create_pool(4096, g->log);

    if (pool == NULL
        || ngx_http_lapor_batch_init(&b, pool, NULL, n) != NGX_OK
        || ngx_http_lapor_group_build(g, &b) != NGX_OK
        || (cmds = ngx_http_lapor_batch_commands(&b, &n)) == NULL)
    {
        if (pool) {
            ngx_destroy_pool(pool);
        }

        ngx_http_lapor_group_answer(g, NULL, NGX_HTTP_INTERNAL_SERVER_ERROR,
                                    0);
        return;
    }

    g->expect = n - 2;

    if (g->durable) {
        rc = ngx_http_lapor_redis_send_internal_durable(g->rds, cmds, n,
                                                ngx_http_lapor_group_done, g);

    } else {
        rc = ngx_http_lapor_redis_send_internal(g->rds, cmds, n,
                                                ngx_http_lapor_group_done, g);
    }

    /* hiredis (or the cluster's copy) holds the text now */
    ngx_destroy_pool(pool);

    if (rc != NGX_OK) {
        ngx_http_lapor_group_answer(g, NULL,
                                    rc == NGX_ERROR
                                    ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc, 0);
        return;
    }

    /*
     * The batch's own timer is cancelable; this one is not, so that a
     * gracefully exiting worker waits for the members' answers, as it
     * does for a request's batch.
     */

    g->guard.handler = ngx_http_lapor_group_guard;
    g->guard.data = g;
    g->guard.log = g->log;
    ngx_add_timer(&g->guard, ngx_http_lapor_redis_timeout(g->rds) + 1000);
}


/* MULTI, the members' commands (ZADD and HINCRBY merged), EXEC */

static ngx_int_t
ngx_http_lapor_group_build(ngx_http_lapor_group_t *g,
    ngx_http_lapor_batch_t *b)
{
    u_char                        *p;
    ngx_uint_t                     i, j;
    ngx_array_t                    merged, *cmds;
    ngx_http_lapor_group_merge_t  *mg;

    if (ngx_array_init(&merged, b->pool, 16,
                       sizeof(ngx_http_lapor_group_merge_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(b, "MULTI");

    for (i = 0; i < g->n; i++) {
        if (g->members[i] == NULL) {
            continue;
        }

        cmds = g->members[i]->cmds.elts;

        /* without the member's own MULTI and EXEC */

        for (j = 1; j + 1 < g->members[i]->cmds.nelts; j++) {
            if (ngx_http_lapor_group_add(b, &merged, &cmds[j]) != NGX_OK) {
                return NGX_ERROR;
            }
        }
    }

    mg = merged.elts;

    for (i = 0; i < merged.nelts; i++) {
        if (mg[i].value == NULL) {
            continue;
        }

        p = ngx_pnalloc(b->pool, NGX_INT64_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        mg[i].value->data = p;
        mg[i].value->len = ngx_sprintf(p, "%L", mg[i].sum) - p;
    }

    ngx_http_lapor_batch_cmd(b, "EXEC");

    return b->failed ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_http_lapor_group_add(ngx_http_lapor_batch_t *b, ngx_array_t *merged,
    ngx_array_t *cmd)
{
    ngx_int_t                      n;
    ngx_str_t                     *a, *arg;
    ngx_uint_t                     i, zadd, hincrby, neg;
    ngx_array_t                   *args;
    ngx_http_lapor_group_merge_t  *mg;

    a = cmd->elts;

    zadd = cmd->nelts == 4 && ngx_http_lapor_group_is(&a[0], "ZADD");
    hincrby = cmd->nelts == 4 && ngx_http_lapor_group_is(&a[0], "HINCRBY");

    n = 0;
    neg = 0;

    if (hincrby) {
        neg = a[3].len > 1 && a[3].data[0] == '-';
        n = ngx_atoi(a[3].data + neg, a[3].len - neg);
        hincrby = (n != NGX_ERROR);
    }

    if (!zadd && !hincrby) {
        /* as it is: the arguments stay in the member's pool */

        args = ngx_array_push(&b->cmds);
        if (args == NULL) {
            return NGX_ERROR;
        }

        *args = *cmd;
        return NGX_OK;
    }

    mg = merged->elts;

    for (i = 0; i < merged->nelts; i++) {
        if (mg[i].key->len != a[1].len
            || ngx_memcmp(mg[i].key->data, a[1].data, a[1].len) != 0)
        {
            continue;
        }

        if (zadd && mg[i].args) {
            arg = ngx_array_push_n(mg[i].args, 2);
            if (arg == NULL) {
                return NGX_ERROR;
            }

            arg[0] = a[2];
            arg[1] = a[3];
            return NGX_OK;
        }

        if (hincrby && mg[i].field && mg[i].field->len == a[2].len
            && ngx_memcmp(mg[i].field->data, a[2].data, a[2].len) == 0)
        {
            mg[i].sum += neg ? -n : n;
            return NGX_OK;
        }
    }

    mg = ngx_array_push(merged);
    if (mg == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(mg, sizeof(ngx_http_lapor_group_merge_t));
    mg->key = &a[1];

    /* a command of its own in the batch, which later members' join */

    ngx_http_lapor_batch_cmd(b, zadd ? "ZADD" : "HINCRBY");
    ngx_http_lapor_batch_str(b, &a[1]);
    ngx_http_lapor_batch_str(b, &a[2]);

    if (b->failed) {
        return NGX_ERROR;
    }

    if (zadd) {
        ngx_http_lapor_batch_str(b, &a[3]);
        mg->args = b->current;

    } else {
        mg->field = &a[2];
        mg->sum = neg ? -n : n;

        /* the sum is written in when the group is complete */
        ngx_http_lapor_batch_arg(b, NULL, 0);
        mg->value = (ngx_str_t *) b->current->elts + 3;
    }

    return b->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_lapor_group_done(void *data, redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_group_t  *g = data;

    if (g->guard.timer_set) {
        ngx_del_timer(&g->guard);
    }

    if (ngx_http_lapor_redis_exiting(g->rds)) {
        /* the worker exits: nobody is answered any more */
        ngx_free(g);
        return;
    }

    ngx_http_lapor_group_answer(g, reply, rc,
                                rc == NGX_OK
                                && ngx_http_lapor_redis_exec_ok(reply,
                                                                g->expect));
}


/* every member still there is answered, then the group is freed */

static void
ngx_http_lapor_group_answer(ngx_http_lapor_group_t *g, redisReply *reply,
    ngx_int_t rc, ngx_uint_t applied)
{
    void                           *data;
    ngx_uint_t                      i;
    ngx_connection_t               *c;
    ngx_http_request_t             *r;
    ngx_http_lapor_group_pt         handler;
    ngx_http_lapor_group_member_t  *m;

    for (i = 0; i < g->n; i++) {
        m = g->members[i];

        if (m == NULL) {
            continue;
        }

        g->members[i] = NULL;

        /* the member lives in the request's pool: read it first */

        r = m->request;
        handler = m->handler;
        data = m->data;
        m->cleanup->handler = NULL;

        c = r->connection;
        ngx_http_set_log_request(c->log, r);

        handler(r, data, reply, rc, applied);

        ngx_http_run_posted_requests(c);
    }

    ngx_free(g);
}


static void
ngx_http_lapor_group_gone(void *data)
{
    ngx_http_lapor_group_member_t  *m = data;

    m->group->members[m->index] = NULL;
}


static void
ngx_http_lapor_group_guard(ngx_event_t *ev)
{
    /* the batch's own timeout answers first; this only held the worker */

    ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                  "lapor: a group of submissions still waits for redis");
}


static ngx_uint_t
ngx_http_lapor_group_is(ngx_str_t *arg, const char *name)
{
    size_t  len;

    len = ngx_strlen(name);

    return arg->len == len && ngx_strncmp(arg->data, name, len) == 0;
}
