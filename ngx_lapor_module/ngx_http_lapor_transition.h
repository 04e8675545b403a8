
/*
 * Changing a report's state: the shared write of every officer and
 * reporter action and of the auto-close sweep.
 */


#ifndef _NGX_HTTP_LAPOR_TRANSITION_H_INCLUDED_
#define _NGX_HTTP_LAPOR_TRANSITION_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>

#include "ngx_http_lapor_batch.h"
#include "lapor_catalog.h"
#include "lapor_report.h"
#include "lapor_workflow.h"


/* the part of a report a transition needs, read with HMGET */
typedef struct {
    int64_t                          id;
    lapor_state_e                    state;
    int64_t                          version;
    ngx_str_t                        agency;
    const lapor_catalog_category_t  *category;
    int64_t                          entered_at;
    int64_t                          due;

    /* 0 when not yet: what the statistics count as first */
    int64_t                          created_at;
    int64_t                          dispatched_at;
    int64_t                          responded_at;
    int64_t                          followed_up_at;
    unsigned                         dispatch_late:1;
} ngx_http_lapor_current_t;


typedef struct {
    lapor_action_e                   action;
    unsigned                         actor;     /* LAPOR_ROLE_* */
    lapor_report_action_t           *input;     /* NULL: auto-close */
    int64_t                          now;

    /* results */
    lapor_state_e                    to;
    int64_t                          version;
    int64_t                          due;
} ngx_http_lapor_change_t;


/*
 * Reads the report from the HMGET of every field (in the order of
 * ngx_http_lapor_fields), copying what it keeps into pool (the reply is
 * gone after its callback): NGX_OK, NGX_DECLINED when there is no such
 * report, NGX_ERROR when it is damaged.
 */
ngx_int_t ngx_http_lapor_current(ngx_pool_t *pool, redisReply *reply,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur);

/* HMGET of every field of report id */
void ngx_http_lapor_fetch_report(ngx_http_lapor_batch_t *b, int64_t id);

/*
 * HINCRBY of field in the statistics of the month a report came in
 * (created, in the catalog's time zone): submissions and actions.
 */
void ngx_http_lapor_stats_cohort(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, int64_t created, const char *field);

/*
 * Optimistic concurrency without WATCH on the shared connection: who
 * creates "report:<id>:claim:<version>" first may move the report from
 * that version to the next; nobody else can.  The SET NX answers nil to
 * everybody else.
 */
void ngx_http_lapor_claim(ngx_http_lapor_batch_t *b,
    ngx_http_lapor_current_t *cur, ngx_str_t *owner);

/*
 * MULTI, the report's new state and version, its queues, its timeline,
 * statistics and the event stream, EXEC.  *expect is the number of
 * replies EXEC must answer.
 */
ngx_int_t ngx_http_lapor_transition(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur,
    ngx_http_lapor_change_t *ch, ngx_uint_t *expect);


#endif /* _NGX_HTTP_LAPOR_TRANSITION_H_INCLUDED_ */
