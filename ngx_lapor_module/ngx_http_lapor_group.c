
/*
 * Group commit of transactions.
 *
 * Under load a worker finishes several requests' steps in one turn of its
 * event loop (the replies of one read from Redis).  Each builds its
 * MULTI ... EXEC as before, in its own request's pool, and joins the
 * worker's group for its namespace; at the end of the turn (a posted
 * event) the group goes to Redis as one transaction:
 *
 *   MULTI, the members' commands in order, except that
 *     ZADD <key> <score> <member>   of several members become one ZADD
 *                                   of all their pairs (at the first),
 *     HINCRBY <key> <field> <n>     of one key and field one HINCRBY of
 *                                   the sum, INCR <key> one INCRBY,
 *     the same command twice        once (PEXPIRE ... NX of one counter),
 *   EXEC.
 *
 * The queues and lists every submission adds to, the counters every one
 * increments, and the rate-limit counter of a client with several
 * requests then cost Redis one command per group instead of one per
 * request: fewer commands to parse, run and append to the AOF.
 *
 * Each member's handler gets an EXEC reply of its own, one element per
 * command of its transaction, as if it had run alone: a merged counter
 * answers the value it had after this member's increment (the group's
 * total less the increments of the members after it), which is what the
 * transactions one after the other would have answered.  Merging moves a
 * command to its key's first place in the group: a member that reads a
 * sorted set (a page under a read limit) may see an entry a later member
 * of its group adds, as if it had come a moment later; the group commits
 * as a whole, so the report behind the entry exists when the page reads
 * it in its next round trip.  Counters are read only through the answers
 * above.
 *
 * Each transaction stays all or nothing, and an answer still waits for
 * Redis: EXEC runs the group's commands together, and every member is
 * answered only after EXEC answered (with lapor_redis_wait, after WAIT).
 * A member whose request goes away before the group is sent is left out.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_group.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_redis.h"


#define NGX_HTTP_LAPOR_GROUP_MAX  64


typedef struct ngx_http_lapor_group_s  ngx_http_lapor_group_t;

typedef struct {
    ngx_http_request_t              *request;
    ngx_http_lapor_redis_handler_pt  handler;
    void                            *data;
    ngx_array_t                      cmds;      /* MULTI ... EXEC */
    ngx_http_lapor_group_t          *group;
    ngx_uint_t                       index;     /* in group->members */
    ngx_http_cleanup_t              *cleanup;

    /*
     * Per command inside the member's MULTI: the group's command that
     * answers it, and for a merged counter what to subtract from its
     * answer (-1: the answer as it is).
     */
    ngx_uint_t                      *map;
    int64_t                         *adjust;
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


typedef enum {
    NGX_HTTP_LAPOR_GROUP_ZADD = 0,
    NGX_HTTP_LAPOR_GROUP_HINCRBY,
    NGX_HTTP_LAPOR_GROUP_INCR,
    NGX_HTTP_LAPOR_GROUP_SAME
} ngx_http_lapor_group_kind_e;


/* a command merged from several members' */
typedef struct {
    ngx_http_lapor_group_kind_e      kind;
    ngx_array_t                     *cmd;       /* the first member's */
    ngx_uint_t                       index;     /* in the group's batch */
    ngx_array_t                     *args;      /* ZADD, INCR: in the batch */
    ngx_str_t                       *value;     /* a counter: its sum */
    int64_t                          sum;
    ngx_array_t                      adjusts;   /* of int64_t *: members' */
} ngx_http_lapor_group_merge_t;


static void ngx_http_lapor_group_flush(ngx_event_t *ev);
static ngx_int_t ngx_http_lapor_group_build(ngx_http_lapor_group_t *g,
    ngx_http_lapor_batch_t *b);
static ngx_int_t ngx_http_lapor_group_add(ngx_http_lapor_batch_t *b,
    ngx_array_t *merged, ngx_array_t *cmd, ngx_uint_t *map, int64_t *adjust);
static ngx_int_t ngx_http_lapor_group_pass(ngx_http_lapor_batch_t *b,
    ngx_array_t *cmd, ngx_uint_t *map);
static ngx_uint_t ngx_http_lapor_group_same(ngx_array_t *a, ngx_array_t *b,
    ngx_uint_t n);
static redisReply *ngx_http_lapor_group_reply(ngx_http_lapor_group_member_t *m,
    redisReply *reply);
static void ngx_http_lapor_group_done(void *data, redisReply *reply,
    ngx_int_t rc);
static void ngx_http_lapor_group_answer(ngx_http_lapor_group_t *g,
    redisReply *reply, ngx_int_t rc);
static void ngx_http_lapor_group_gone(void *data);
static void ngx_http_lapor_group_guard(ngx_event_t *ev);
static ngx_uint_t ngx_http_lapor_group_is(ngx_str_t *arg, const char *name);


ngx_int_t
ngx_http_lapor_group_send(ngx_http_request_t *r, ngx_http_lapor_batch_t *b,
    ngx_http_lapor_redis_handler_pt handler, void *data)
{
    void                          **pending;
    ngx_http_cleanup_t             *cln;
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_group_t         *g;
    ngx_http_lapor_tenant_t        *t;
    ngx_http_lapor_loc_conf_t      *llcf;
    ngx_http_lapor_main_conf_t     *lmcf;
    ngx_http_lapor_group_member_t  *m;

    /* one group per namespace (one slot of a Redis Cluster) */

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);
    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    t = lmcf->tenants.elts;
    pending = &t[llcf->tenant].group;
    rds = lmcf->redis_conn;

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
    m->map = NULL;
    m->adjust = NULL;

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

        /* out of memory: said here, the members only see no reply */
        ngx_log_error(NGX_LOG_ALERT, g->log, 0,
                      "lapor: a group of %ui transactions could not be "
                      "built, its requests fail", g->n);

        ngx_http_lapor_group_answer(g, NULL, NGX_HTTP_INTERNAL_SERVER_ERROR);
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
                                    ? NGX_HTTP_INTERNAL_SERVER_ERROR : rc);
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


/* MULTI, the members' commands (counters and sets merged), EXEC */

static ngx_int_t
ngx_http_lapor_group_build(ngx_http_lapor_group_t *g,
    ngx_http_lapor_batch_t *b)
{
    u_char                         *p;
    int64_t                       **adj;
    ngx_uint_t                      i, j, n;
    ngx_array_t                     merged, *cmds;
    ngx_http_lapor_group_merge_t   *mg;
    ngx_http_lapor_group_member_t  *m;

    if (ngx_array_init(&merged, b->pool, 16,
                       sizeof(ngx_http_lapor_group_merge_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(b, "MULTI");

    for (i = 0; i < g->n; i++) {
        m = g->members[i];

        if (m == NULL) {
            continue;
        }

        cmds = m->cmds.elts;
        n = m->cmds.nelts - 2;

        /* where each answer will come from: kept with the request */

        m->map = ngx_palloc(m->request->pool, n * sizeof(ngx_uint_t));
        m->adjust = ngx_palloc(m->request->pool, n * sizeof(int64_t));

        if (m->map == NULL || m->adjust == NULL) {
            return NGX_ERROR;
        }

        /* without the member's own MULTI and EXEC */

        for (j = 0; j < n; j++) {
            if (ngx_http_lapor_group_add(b, &merged, &cmds[j + 1],
                                         &m->map[j], &m->adjust[j])
                != NGX_OK)
            {
                return NGX_ERROR;
            }
        }
    }

    mg = merged.elts;

    for (i = 0; i < merged.nelts; i++) {
        if (mg[i].value == NULL) {
            continue;
        }

        p = ngx_pnalloc(b->pool, NGX_INT64_LEN + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        mg[i].value->data = p;
        mg[i].value->len = ngx_sprintf(p, "%L", mg[i].sum) - p;

        if (mg[i].kind == NGX_HTTP_LAPOR_GROUP_INCR && mg[i].sum == 1) {
            /* one member's: as it sent it */
            ngx_str_set((ngx_str_t *) mg[i].args->elts, "INCR");
            mg[i].args->nelts = 2;
        }

        /* a member's share: the total less its running sum */

        adj = mg[i].adjusts.elts;

        for (j = 0; j < mg[i].adjusts.nelts; j++) {
            *adj[j] = mg[i].sum - *adj[j];
        }
    }

    ngx_http_lapor_batch_cmd(b, "EXEC");

    return b->failed ? NGX_ERROR : NGX_OK;
}


static ngx_int_t
ngx_http_lapor_group_add(ngx_http_lapor_batch_t *b, ngx_array_t *merged,
    ngx_array_t *cmd, ngx_uint_t *map, int64_t *adjust)
{
    int64_t                        n;
    int64_t                      **adj;
    ngx_str_t                     *a, *arg;
    ngx_int_t                      v;
    ngx_uint_t                     i, neg, same;
    ngx_array_t                   *args;
    ngx_http_lapor_group_kind_e    kind;
    ngx_http_lapor_group_merge_t  *mg;

    a = cmd->elts;
    n = 0;
    *adjust = -1;

    if (cmd->nelts == 4 && ngx_http_lapor_group_is(&a[0], "ZADD")) {
        kind = NGX_HTTP_LAPOR_GROUP_ZADD;

    } else if (cmd->nelts == 2 && ngx_http_lapor_group_is(&a[0], "INCR")) {
        kind = NGX_HTTP_LAPOR_GROUP_INCR;
        n = 1;

    } else if (cmd->nelts == 4 && ngx_http_lapor_group_is(&a[0], "HINCRBY")) {
        kind = NGX_HTTP_LAPOR_GROUP_HINCRBY;
        neg = a[3].len > 1 && a[3].data[0] == '-';
        v = ngx_atoi(a[3].data + neg, a[3].len - neg);

        if (v == NGX_ERROR) {
            return ngx_http_lapor_group_pass(b, cmd, map);
        }

        n = neg ? -v : v;

    } else if (cmd->nelts >= 2 && ngx_http_lapor_group_is(&a[0], "PEXPIRE")) {
        kind = NGX_HTTP_LAPOR_GROUP_SAME;

    } else {
        return ngx_http_lapor_group_pass(b, cmd, map);
    }

    /* what makes two commands one: the key, the field, or everything */

    switch (kind) {
    case NGX_HTTP_LAPOR_GROUP_HINCRBY:
        same = 3;
        break;
    case NGX_HTTP_LAPOR_GROUP_SAME:
        same = cmd->nelts;
        break;
    default:
        same = 2;
    }

    mg = merged->elts;

    for (i = 0; i < merged->nelts; i++) {
        if (mg[i].kind != kind
            || !ngx_http_lapor_group_same(mg[i].cmd, cmd, same))
        {
            continue;
        }

        *map = mg[i].index;

        switch (kind) {

        case NGX_HTTP_LAPOR_GROUP_ZADD:
            arg = ngx_array_push_n(mg[i].args, 2);
            if (arg == NULL) {
                return NGX_ERROR;
            }

            arg[0] = a[2];
            arg[1] = a[3];
            break;

        case NGX_HTTP_LAPOR_GROUP_SAME:
            break;

        default:
            mg[i].sum += n;
            *adjust = mg[i].sum;

            adj = ngx_array_push(&mg[i].adjusts);
            if (adj == NULL) {
                return NGX_ERROR;
            }

            *adj = adjust;
            break;
        }

        return NGX_OK;
    }

    /* a command of its own in the batch, which later members' join */

    mg = ngx_array_push(merged);
    if (mg == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(mg, sizeof(ngx_http_lapor_group_merge_t));
    mg->kind = kind;
    mg->cmd = cmd;
    mg->index = b->cmds.nelts;
    *map = mg->index;

    switch (kind) {

    case NGX_HTTP_LAPOR_GROUP_ZADD:
        ngx_http_lapor_batch_cmd(b, "ZADD");
        ngx_http_lapor_batch_str(b, &a[1]);
        ngx_http_lapor_batch_str(b, &a[2]);
        ngx_http_lapor_batch_str(b, &a[3]);
        mg->args = b->current;
        break;

    case NGX_HTTP_LAPOR_GROUP_SAME:
        args = ngx_array_push(&b->cmds);
        if (args == NULL) {
            return NGX_ERROR;
        }

        *args = *cmd;
        break;

    default:
        /* the sum is written in when the group is complete */

        if (kind == NGX_HTTP_LAPOR_GROUP_INCR) {
            ngx_http_lapor_batch_cmd(b, "INCRBY");
            ngx_http_lapor_batch_str(b, &a[1]);
            mg->args = b->current;

        } else {
            ngx_http_lapor_batch_cmd(b, "HINCRBY");
            ngx_http_lapor_batch_str(b, &a[1]);
            ngx_http_lapor_batch_str(b, &a[2]);
        }

        ngx_http_lapor_batch_arg(b, NULL, 0);

        if (b->failed
            || ngx_array_init(&mg->adjusts, b->pool, 4, sizeof(int64_t *))
               != NGX_OK)
        {
            return NGX_ERROR;
        }

        mg->value = (ngx_str_t *) b->current->elts + b->current->nelts - 1;
        mg->sum = n;
        *adjust = n;

        adj = ngx_array_push(&mg->adjusts);
        if (adj == NULL) {
            return NGX_ERROR;
        }

        *adj = adjust;
        break;
    }

    return b->failed ? NGX_ERROR : NGX_OK;
}


/* a command as it is: its arguments stay in the member's pool */

static ngx_int_t
ngx_http_lapor_group_pass(ngx_http_lapor_batch_t *b, ngx_array_t *cmd,
    ngx_uint_t *map)
{
    ngx_array_t  *args;

    *map = b->cmds.nelts;

    args = ngx_array_push(&b->cmds);
    if (args == NULL) {
        return NGX_ERROR;
    }

    *args = *cmd;

    return NGX_OK;
}


/* whether the first "n" arguments of two commands are the same */

static ngx_uint_t
ngx_http_lapor_group_same(ngx_array_t *a, ngx_array_t *b, ngx_uint_t n)
{
    ngx_str_t   *x, *y;
    ngx_uint_t   i;

    if (a->nelts != b->nelts || a->nelts < n) {
        return 0;
    }

    x = a->elts;
    y = b->elts;

    for (i = 1; i < n; i++) {
        if (x[i].len != y[i].len
            || ngx_memcmp(x[i].data, y[i].data, x[i].len) != 0)
        {
            return 0;
        }
    }

    return 1;
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

    ngx_http_lapor_group_answer(g, reply, rc);
}


/*
 * Every member still there is answered, then the group is freed: with its
 * own part of EXEC's answer when EXEC answered every command, otherwise
 * with the group's answer (an error, or none).
 */

static void
ngx_http_lapor_group_answer(ngx_http_lapor_group_t *g, redisReply *reply,
    ngx_int_t rc)
{
    void                             *data;
    ngx_uint_t                        i, whole;
    redisReply                       *own;
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_http_lapor_redis_handler_pt   handler;
    ngx_http_lapor_group_member_t    *m;

    whole = rc == NGX_OK && reply != NULL
            && reply->type == REDIS_REPLY_ARRAY
            && reply->elements == g->expect;

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

        own = whole ? ngx_http_lapor_group_reply(m, reply) : reply;

        if (whole && own == NULL) {
            handler(r, data, NULL, NGX_HTTP_INTERNAL_SERVER_ERROR);

        } else {
            handler(r, data, own, rc);
        }

        ngx_http_run_posted_requests(c);
    }

    ngx_free(g);
}


/* the member's EXEC answer, as if its transaction had run alone */

static redisReply *
ngx_http_lapor_group_reply(ngx_http_lapor_group_member_t *m,
    redisReply *reply)
{
    size_t       n, j;
    redisReply  *own, *e, *v;

    n = m->cmds.nelts - 2;

    own = ngx_pcalloc(m->request->pool, sizeof(redisReply));
    if (own == NULL) {
        return NULL;
    }

    own->type = REDIS_REPLY_ARRAY;
    own->elements = n;
    own->element = ngx_palloc(m->request->pool, n * sizeof(redisReply *));

    if (own->element == NULL) {
        return NULL;
    }

    for (j = 0; j < n; j++) {
        /* map[] is within the group's EXEC: its MULTI was command 0 */
        e = reply->element[m->map[j] - 1];

        if (m->adjust[j] < 0 || e->type != REDIS_REPLY_INTEGER) {
            own->element[j] = e;
            continue;
        }

        v = ngx_pcalloc(m->request->pool, sizeof(redisReply));
        if (v == NULL) {
            return NULL;
        }

        v->type = REDIS_REPLY_INTEGER;
        v->integer = e->integer - m->adjust[j];
        own->element[j] = v;
    }

    return own;
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
