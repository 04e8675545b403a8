
/*
 * The Redis core: one hiredis async connection per worker process, driven
 * by nginx's event loop and timers, and the request-facing command API.
 */


#ifndef _NGX_HTTP_LAPOR_REDIS_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>


typedef enum {
    NGX_HTTP_LAPOR_REDIS_DISCONNECTED = 0,
    NGX_HTTP_LAPOR_REDIS_CONNECTING,
    NGX_HTTP_LAPOR_REDIS_HANDSHAKE,
    NGX_HTTP_LAPOR_REDIS_READY,
    NGX_HTTP_LAPOR_REDIS_BACKOFF,
    NGX_HTTP_LAPOR_REDIS_DISCOVERING     /* asking the sentinels */
} ngx_http_lapor_redis_state_e;


/* a TCP address resolved at configuration time */
typedef struct {
    ngx_str_t                     address;     /* as written, for logs */
    ngx_str_t                     host;        /* IP literal, NUL-terminated */
    ngx_int_t                     port;
} ngx_http_lapor_redis_addr_t;


/* what "lapor_redis" and the timeout directives configure */
typedef struct {
    ngx_str_t                     address;     /* as written, for logs */
    ngx_str_t                     host;        /* IP literal, NUL-terminated */
    ngx_str_t                     unix_path;   /* NUL-terminated, or empty */
    ngx_int_t                     port;
    ngx_int_t                     db;
    ngx_str_t                     user;
    ngx_str_t                     password;
    ngx_msec_t                    connect_timeout;
    ngx_msec_t                    timeout;

    /* Sentinel: the master is asked for; NULL: one Redis at "address" */
    ngx_array_t                  *sentinels;   /* ngx_http_lapor_redis_addr_t */
    ngx_str_t                     master_name;
    ngx_str_t                     sentinel_user;
    ngx_str_t                     sentinel_password;

    /* Redis Cluster: the nodes asked for the slot map; NULL: no cluster */
    ngx_array_t                  *cluster;     /* ngx_http_lapor_redis_addr_t */

    /* lapor_redis_wait: replicas a write transaction waits for, 0: off */
    ngx_uint_t                    wait_replicas;
    ngx_msec_t                    wait_timeout;
} ngx_http_lapor_redis_conf_t;


typedef struct ngx_http_lapor_redis_s  ngx_http_lapor_redis_t;


/* one command of a batch, passed to hiredis as argv (binary safe) */
typedef struct {
    int                           argc;
    const char                  **argv;
    const size_t                 *argvlen;
} ngx_http_lapor_redis_cmd_t;


/*
 * Called exactly once per accepted batch, with the reply to its last
 * command (valid only during the call: copy what is kept) and
 *   NGX_OK                        reply is set (it may be an error reply);
 *   NGX_HTTP_BAD_GATEWAY          an earlier command of the batch failed;
 *   NGX_HTTP_SERVICE_UNAVAILABLE  the connection was lost, reply is NULL;
 *   NGX_HTTP_GATEWAY_TIME_OUT     lapor_redis_timeout expired, reply NULL.
 * The handler must finalize the request; the core then runs the posted
 * requests of the connection.
 */
typedef void (*ngx_http_lapor_redis_handler_pt)(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t rc);


/* the same for work without a request (timers); reply valid during the call */
typedef void (*ngx_http_lapor_redis_internal_pt)(void *data,
    redisReply *reply, ngx_int_t rc);


ngx_http_lapor_redis_t *ngx_http_lapor_redis_create(ngx_cycle_t *cycle,
    ngx_http_lapor_redis_conf_t *conf);
void ngx_http_lapor_redis_destroy(ngx_http_lapor_redis_t *rds);

ngx_http_lapor_redis_state_e ngx_http_lapor_redis_state(
    ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_generation(ngx_http_lapor_redis_t *rds);
const char *ngx_http_lapor_redis_state_name(ngx_http_lapor_redis_state_e st);
time_t ngx_http_lapor_redis_retry_after(ngx_http_lapor_redis_t *rds);

/* Sentinel: the master in use or last announced (empty before), switches */
ngx_uint_t ngx_http_lapor_redis_sentinel(ngx_http_lapor_redis_t *rds);
ngx_str_t *ngx_http_lapor_redis_master(ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_switches(ngx_http_lapor_redis_t *rds);

/* lapor_redis_timeout; whether the worker is exiting (no more answers) */
ngx_msec_t ngx_http_lapor_redis_timeout(ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_exiting(ngx_http_lapor_redis_t *rds);

/* "single", "sentinel" or "cluster" */
const char *ngx_http_lapor_redis_mode(ngx_http_lapor_redis_t *rds);

/* Redis Cluster: a master as this worker knows it */
typedef struct {
    ngx_str_t                    *address;
    const char                   *state;     /* of this worker's connection */
    ngx_uint_t                    slots;     /* in this worker's map */
} ngx_http_lapor_redis_node_info_t;

/* the i-th node known (i from 0): NGX_OK, or NGX_DONE after the last */
ngx_int_t ngx_http_lapor_redis_cluster_node(ngx_http_lapor_redis_t *rds,
    ngx_uint_t i, ngx_http_lapor_redis_node_info_t *info);

/* a namespace's slot and its master (NGX_DECLINED: not in the map) */
ngx_int_t ngx_http_lapor_redis_cluster_slot(ngx_http_lapor_redis_t *rds,
    ngx_str_t *ns, ngx_uint_t *slot, ngx_http_lapor_redis_node_info_t *info);

/*
 * Sends a batch of commands back to back on the worker's connection.
 *
 * NGX_OK: queued; r->main->count was incremented and the handler will be
 * called later.  The caller then returns NGX_DONE, like a content handler;
 * whoever called it finalizes the request with that (a body handler or a
 * Redis handler that chained this step), which gives up its own reference.
 * NGX_HTTP_SERVICE_UNAVAILABLE: Redis is not ready or too many commands are
 * in flight; nothing was sent and the handler will not be called.
 * NGX_ERROR: out of memory.
 */
ngx_int_t ngx_http_lapor_redis_send(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_handler_pt handler, void *data);

/*
 * A batch without a request, for housekeeping: the handler is called once,
 * also when the worker exits (then with NGX_HTTP_SERVICE_UNAVAILABLE), and
 * its timeout timer is cancelable.  Returns as send() does.
 */
ngx_int_t ngx_http_lapor_redis_send_internal(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmds, ngx_uint_t ncmds,
    ngx_http_lapor_redis_internal_pt handler, void *data);

/*
 * The same for a write transaction (MULTI ... EXEC last): with
 * lapor_redis_wait, "WAIT N timeout" follows in the same batch, the handler
 * still gets EXEC's reply, and fewer replicas than N answer
 * NGX_HTTP_SERVICE_UNAVAILABLE (the write may exist).  Without it, exactly
 * send() and send_internal().
 */
ngx_int_t ngx_http_lapor_redis_send_durable(ngx_http_request_t *r,
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_handler_pt handler, void *data);
ngx_int_t ngx_http_lapor_redis_send_internal_durable(
    ngx_http_lapor_redis_t *rds, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds, ngx_http_lapor_redis_internal_pt handler, void *data);

/* reading replies: an integer (or a decimal string), a fixed string */
ngx_int_t ngx_http_lapor_redis_int(redisReply *rep, int64_t *out);
ngx_uint_t ngx_http_lapor_redis_is(redisReply *rep, const char *s);

/* EXEC answered with one reply per queued command, none of them an error */
ngx_uint_t ngx_http_lapor_redis_exec_ok(redisReply *reply, ngx_uint_t expect);


#endif /* _NGX_HTTP_LAPOR_REDIS_H_INCLUDED_ */
