
/*
 * The module's own counters, in a shared memory zone so that every worker
 * adds to the same numbers, and their Prometheus exposition.
 */


#ifndef _NGX_HTTP_LAPOR_METRICS_H_INCLUDED_
#define _NGX_HTTP_LAPOR_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


typedef enum {
    NGX_HTTP_LAPOR_EP_OTHER = 0,
    NGX_HTTP_LAPOR_EP_HEALTH,
    NGX_HTTP_LAPOR_EP_CATALOG,
    NGX_HTTP_LAPOR_EP_SUBMIT,
    NGX_HTTP_LAPOR_EP_REPORT,
    NGX_HTTP_LAPOR_EP_EVENTS,
    NGX_HTTP_LAPOR_EP_ACTION,
    NGX_HTTP_LAPOR_EP_QUEUE,
    NGX_HTTP_LAPOR_EP_STATS,
    NGX_HTTP_LAPOR_EP_LIST,
    NGX_HTTP_LAPOR_EP_COUNT
} ngx_http_lapor_endpoint_e;


#define NGX_HTTP_LAPOR_METRICS_STATUSES   20
#define NGX_HTTP_LAPOR_METRICS_LATENCIES  13
#define NGX_HTTP_LAPOR_METRICS_WORKERS    64
#define NGX_HTTP_LAPOR_METRICS_ZONES      3

/* batches sent again, by reply: 1 TRYAGAIN, 2 CLUSTERDOWN, 3 ASK, 4 MOVED */
#define NGX_HTTP_LAPOR_METRICS_REDIRECTS  5


typedef struct {
    ngx_atomic_t    pid;
    ngx_atomic_t    ready;
} ngx_http_lapor_metrics_worker_t;


/* lives in shared memory; only ngx_atomic_t members */
typedef struct {
    ngx_atomic_t    requests[NGX_HTTP_LAPOR_EP_COUNT]
                            [NGX_HTTP_LAPOR_METRICS_STATUSES];
    ngx_atomic_t    latency[NGX_HTTP_LAPOR_METRICS_LATENCIES];
    ngx_atomic_t    latency_sum_us;
    ngx_atomic_t    reconnects;
    ngx_atomic_t    rate_limited[NGX_HTTP_LAPOR_METRICS_ZONES];
    ngx_atomic_t    replays;
    ngx_atomic_t    past_coverage;     /* deadlines past the holidays */
    ngx_atomic_t    master_switches;   /* Sentinel: summed over workers */
    ngx_atomic_t    unreplicated;      /* lapor_redis_wait fell short */
    ngx_atomic_t    cluster_maps;      /* CLUSTER SLOTS answers taken */
    ngx_atomic_t    cluster_redirects[NGX_HTTP_LAPOR_METRICS_REDIRECTS];
    ngx_http_lapor_metrics_worker_t  workers[NGX_HTTP_LAPOR_METRICS_WORKERS];
} ngx_http_lapor_metrics_t;


/* the zone, when the configuration uses the API or the exposition */
ngx_int_t ngx_http_lapor_metrics_init_conf(ngx_conf_t *cf);
ngx_http_lapor_metrics_t *ngx_http_lapor_metrics(ngx_cycle_t *cycle);

char *ngx_http_lapor_metrics_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* the log phase: one request of an API location */
ngx_int_t ngx_http_lapor_metrics_log(ngx_http_request_t *r);

void ngx_http_lapor_metrics_latency(ngx_http_lapor_metrics_t *m,
    uint64_t us);
/* a worker's connection became ready, or not ready (lost: count it) */
void ngx_http_lapor_metrics_ready(ngx_http_lapor_metrics_t *m,
    ngx_uint_t ready, ngx_uint_t lost);
/* Sentinel named another master; a write fell short of its replicas */
void ngx_http_lapor_metrics_switch(ngx_http_lapor_metrics_t *m);
void ngx_http_lapor_metrics_unreplicated(ngx_http_lapor_metrics_t *m);
/* Redis Cluster: a slot map taken; a batch redirected (by the reply) */
void ngx_http_lapor_metrics_cluster(ngx_http_lapor_metrics_t *m,
    ngx_uint_t maps, ngx_uint_t redirect);
void ngx_http_lapor_metrics_limited(ngx_http_request_t *r, ngx_str_t *zone);
void ngx_http_lapor_metrics_replay(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_METRICS_H_INCLUDED_ */
