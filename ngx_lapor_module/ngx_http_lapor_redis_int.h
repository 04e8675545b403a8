
/*
 * The Redis core's state, shared by its files only (ngx_http_lapor_redis.c,
 * the connections and the commands; ngx_http_lapor_sentinel.c, finding the
 * master; ngx_http_lapor_cluster.c, the slot map and the redirections):
 * nothing else includes this header.
 */


#ifndef _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include <time.h>

#include "ngx_http_lapor_redis.h"
#include "ngx_http_lapor_metrics.h"


#define NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX      200
#define NGX_HTTP_LAPOR_REDIS_SUB_RETRY       1000
#define NGX_HTTP_LAPOR_REDIS_MAX_INFLIGHT    4096

/* Redis Cluster: slots, and the nodes a worker may know of */
#define NGX_HTTP_LAPOR_CLUSTER_SLOTS         16384
#define NGX_HTTP_LAPOR_CLUSTER_NODES_MAX     64
#define NGX_HTTP_LAPOR_CLUSTER_NO_NODE       0xffff


typedef struct ngx_http_lapor_redis_node_s  ngx_http_lapor_redis_node_t;


/*
 * One data server and the worker's connection to it: the one Redis, the
 * master Sentinel names, or one master of a Redis Cluster.
 */

struct ngx_http_lapor_redis_node_s {
    ngx_http_lapor_redis_t           *rds;
    redisAsyncContext                *ac;
    ngx_str_t                         address;   /* for logs */
    ngx_http_lapor_redis_state_e      state;
    ngx_uint_t                        failures;    /* since last ready */
    ngx_uint_t                        inflight;    /* commands pending */
    ngx_event_t                       connect_timer;
    ngx_event_t                       reconnect_timer;

    /* Redis Cluster: where it is, and whether the slot map names it */
    ngx_int_t                         port;
    u_char                            host[NGX_SOCKADDR_STRLEN + 1];
    u_char                            text[NGX_SOCKADDR_STRLEN + 8];
    ngx_uint_t                        slots;     /* in the current map */
    ngx_uint_t                        index;

    unsigned                          connected:1; /* this context */
};


struct ngx_http_lapor_redis_s {
    ngx_http_lapor_redis_conf_t      *conf;
    ngx_log_t                        *log;
    ngx_pool_t                       *pool;      /* the cycle's */
    ngx_http_lapor_redis_node_t       main;      /* one Redis, Sentinel */
    ngx_uint_t                        generation;  /* connections made */
    ngx_http_lapor_metrics_t         *metrics;
    u_char                           *fmt;       /* one command's text */
    size_t                            fmt_size;
    size_t                            fmt_len;

    /*
     * Sentinel: one short-lived context asks a sentinel for the master
     * before every connect, another stays subscribed to +switch-master.
     */
    redisAsyncContext                *ask_ac;
    redisAsyncContext                *sub_ac;
    ngx_uint_t                        ask_next;  /* sentinel asked next */
    ngx_uint_t                        ask_tries; /* asked in this round */
    ngx_uint_t                        sub_next;
    ngx_uint_t                        switches;  /* master changes seen */
    ngx_event_t                       ask_timer;
    ngx_event_t                       sub_timer;
    ngx_int_t                         master_port;
    u_char                            master_host[NGX_SOCKADDR_STRLEN + 1];
    u_char                            master_text[NGX_SOCKADDR_STRLEN + 8];

    /*
     * Redis Cluster: the slot map (CLUSTER SLOTS, asked over a short-lived
     * context of its own), the masters it names, and the operations
     * waiting to be sent again after a redirection.
     */
    ngx_http_lapor_redis_state_e      cluster_state;
    redisAsyncContext                *map_ac;
    ngx_event_t                       map_timer;
    ngx_uint_t                        map_next;  /* node asked next */
    ngx_uint_t                        map_tries;
    ngx_uint_t                        map_failures;
    ngx_uint_t                        refreshes; /* maps taken */
    ngx_uint_t                        redirects; /* MOVED, ASK, TRYAGAIN */
    ngx_msec_t                        map_at;    /* last asked */
    ngx_http_lapor_redis_node_t      *map_from;  /* asked now */
    ngx_http_lapor_redis_node_t     **nodes;
    ngx_uint_t                        nnodes;
    uint16_t                         *slots;     /* node index per slot */
    ngx_queue_t                       parked;    /* ops between tries */

    unsigned                          exiting:1;
    unsigned                          asked:1;   /* next connect: master */
    unsigned                          answered:1;
    unsigned                          subscribed:1;
    unsigned                          mapped:1;  /* map_ac answered */
    unsigned                          map_wanted:1;
};


/* a batch of commands sent for one request; heap memory, not r->pool */

typedef struct ngx_http_lapor_redis_op_s  ngx_http_lapor_redis_op_t;

struct ngx_http_lapor_redis_op_s {
    ngx_http_lapor_redis_t           *rds;
    ngx_http_lapor_redis_node_t      *node;      /* sent to */
    ngx_http_request_t               *request;
    ngx_http_cleanup_t               *cleanup;
    ngx_http_lapor_redis_handler_pt   handler;
    ngx_http_lapor_redis_internal_pt  internal;  /* no request: timers */
    void                             *data;
    ngx_event_t                       timer;
    ngx_uint_t                        outstanding;
    struct timespec                   sent;
    size_t                            error_len;
    u_char                            error[NGX_HTTP_LAPOR_REDIS_ERRSTR_MAX];
    redisReply                       *kept;      /* EXEC's, before WAIT */

    /*
     * Redis Cluster: the batch's text (sent again after a redirection),
     * where each command starts, what it is, and which are answered.
     */
    u_char                           *text;
    size_t                           *off;       /* ncmds + 1 */
    u_char                           *kind;
    u_char                           *done;
    u_char                           *moved;     /* redirected this try */
    ngx_int_t                        *order;     /* replies expected */
    ngx_uint_t                        ncmds;     /* with WAIT */
    ngx_uint_t                        last;      /* the handler's reply */
    ngx_uint_t                        pos;       /* in order[] */
    ngx_uint_t                        slot;
    ngx_uint_t                        tries;     /* MOVED, ASK */
    ngx_uint_t                        waits;     /* TRYAGAIN, CLUSTERDOWN */
    ngx_msec_t                        start;
    ngx_http_lapor_redis_node_t      *ask;       /* ASKING first, there */
    ngx_http_lapor_redis_node_t      *to;        /* MOVED there */
    ngx_event_t                       retry;
    ngx_queue_t                       queue;     /* in rds->parked */

    unsigned                          failed:1;
    unsigned                          lost:1;
    unsigned                          timed_out:1;
    unsigned                          wait:1;    /* WAIT ends the batch */
    unsigned                          cluster:1;
    unsigned                          redirect:3;
    unsigned                          unsent:1;  /* lost before connected */
};


/* the core, for Sentinel and Cluster */
void ngx_http_lapor_redis_node_init(ngx_http_lapor_redis_node_t *node,
    ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_log_level(ngx_http_lapor_redis_node_t *node);
redisAsyncContext *ngx_http_lapor_redis_open(ngx_http_lapor_redis_node_t *node,
    ngx_str_t *address, const char *host, ngx_int_t port, const char *path);
ngx_int_t ngx_http_lapor_redis_auth(redisAsyncContext *ac, ngx_str_t *user,
    ngx_str_t *password, redisCallbackFn *fn);
void ngx_http_lapor_redis_connect(ngx_http_lapor_redis_node_t *node);
void ngx_http_lapor_redis_teardown(ngx_http_lapor_redis_node_t *node);
void ngx_http_lapor_redis_schedule_reconnect(
    ngx_http_lapor_redis_node_t *node);
ngx_int_t ngx_http_lapor_redis_format(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_cmd_t *cmd);
size_t ngx_http_lapor_redis_cmd_size(ngx_http_lapor_redis_cmd_t *cmd);
u_char *ngx_http_lapor_redis_cmd_write(u_char *p,
    ngx_http_lapor_redis_cmd_t *cmd);
void ngx_http_lapor_redis_finish(ngx_http_lapor_redis_op_t *op,
    redisReply *rep);
void ngx_http_lapor_redis_op_detach(ngx_http_lapor_redis_op_t *op);
void ngx_http_lapor_redis_waited(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, redisReply *rep);

/* Sentinel, for the core */
void ngx_http_lapor_redis_ask(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_redis_ask_timeout(ngx_event_t *ev);
void ngx_http_lapor_redis_ask_done(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_redis_sub_handler(ngx_event_t *ev);
void ngx_http_lapor_redis_sub_lost(ngx_http_lapor_redis_t *rds);
ngx_uint_t ngx_http_lapor_redis_not_master(ngx_http_lapor_redis_t *rds,
    redisReply *rep);

/* Cluster, for the core */
ngx_int_t ngx_http_lapor_cluster_init(ngx_http_lapor_redis_t *rds,
    ngx_cycle_t *cycle);
void ngx_http_lapor_cluster_destroy(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_cluster_map_done(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_cluster_refresh(ngx_http_lapor_redis_t *rds);
void ngx_http_lapor_cluster_node_lost(ngx_http_lapor_redis_node_t *node);
ngx_int_t ngx_http_lapor_cluster_send(ngx_http_lapor_redis_t *rds,
    ngx_http_lapor_redis_op_t *op, ngx_http_lapor_redis_cmd_t *cmds,
    ngx_uint_t ncmds);
ngx_uint_t ngx_http_lapor_cluster_op_timeout(ngx_http_lapor_redis_op_t *op);


#endif /* _NGX_HTTP_LAPOR_REDIS_INT_H_INCLUDED_ */
