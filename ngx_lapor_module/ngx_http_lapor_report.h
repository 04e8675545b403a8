
/*
 * Reports: submission and tracking.
 */


#ifndef _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_
#define _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <hiredis/hiredis.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_limit.h"
#include "lapor_report.h"
#include "lapor_jsonw.h"


/* the fields of a report hash; their order is the HMGET order */

typedef enum {
    NGX_HTTP_LAPOR_F_ID = 0,
    NGX_HTTP_LAPOR_F_TYPE,
    NGX_HTTP_LAPOR_F_CATEGORY,
    NGX_HTTP_LAPOR_F_AGENCY,
    NGX_HTTP_LAPOR_F_TITLE,
    NGX_HTTP_LAPOR_F_BODY,
    NGX_HTTP_LAPOR_F_PLACE,
    NGX_HTTP_LAPOR_F_LAT,
    NGX_HTTP_LAPOR_F_LON,
    NGX_HTTP_LAPOR_F_OCCURRED_ON,
    NGX_HTTP_LAPOR_F_ANONYMOUS,
    NGX_HTTP_LAPOR_F_CONFIDENTIAL,
    NGX_HTTP_LAPOR_F_CHANNEL,
    NGX_HTTP_LAPOR_F_STATUS,
    NGX_HTTP_LAPOR_F_CREATED_AT,
    NGX_HTTP_LAPOR_F_UPDATED_AT,
    NGX_HTTP_LAPOR_F_DUE_AT,
    NGX_HTTP_LAPOR_F_VERSION,
    NGX_HTTP_LAPOR_F_TOKEN,
    NGX_HTTP_LAPOR_F_REPORTER,
    NGX_HTTP_LAPOR_F_ENTERED_AT,
    NGX_HTTP_LAPOR_F_FLAGGED,
    NGX_HTTP_LAPOR_F_DISPATCHED_AT,
    NGX_HTTP_LAPOR_F_RESPONDED_AT,
    NGX_HTTP_LAPOR_F_FOLLOWED_UP_AT,
    NGX_HTTP_LAPOR_F_CLOSED_AT,
    NGX_HTTP_LAPOR_F_RATING,
    NGX_HTTP_LAPOR_F_RESOLVED,
    NGX_HTTP_LAPOR_F_DISPATCH_LATE,
    NGX_HTTP_LAPOR_F_RETURNED_BY,
    NGX_HTTP_LAPOR_F_MEDIA_URL,
    NGX_HTTP_LAPOR_F_COUNT
} ngx_http_lapor_field_e;


/* the field names, indexed by ngx_http_lapor_field_e */
extern const char  *ngx_http_lapor_fields[];

/*
 * An integer field of a report, or dflt if absent: a new report's hash
 * leaves out version (1), updated_at and entered_at (created_at).
 */
ngx_int_t ngx_http_lapor_report_int(redisReply *v, int64_t dflt,
    int64_t *out);

/* an HGETALL of a report as HMGET of all fields would answer it */
redisReply **ngx_http_lapor_report_fields(ngx_pool_t *pool,
    redisReply *hash);


ngx_int_t ngx_http_lapor_reports_post(ngx_http_request_t *r);

/*
 * The answer to a stored submission, or to a repeated Idempotency-Key
 * (replayed 1): body is the answer of POST reports (the report's number
 * and tracking token); returns like a content handler.
 */
typedef ngx_int_t (*ngx_http_lapor_created_pt)(ngx_http_request_t *r,
    int64_t id, ngx_str_t *body, ngx_uint_t replayed);

/*
 * Stores a valid report: Idempotency-Key, the "submit" limit, one
 * MULTI/EXEC; digest is the SHA-256 of the request body (only compared
 * with an Idempotency-Key).  Returns like a content handler.
 */
ngx_int_t ngx_http_lapor_submit(ngx_http_request_t *r, lapor_report_t *rep,
    int64_t now, u_char *digest, ngx_http_lapor_created_pt created);

/* a read of one report (view or timeline) */

typedef struct {
    ngx_http_lapor_redis_t         *rds;
    ngx_http_lapor_loc_conf_t      *llcf;
    int64_t                         id;
    ngx_str_t                      *key;
    unsigned                        viewer;   /* LAPOR_ROLE_*, 0: public */
} ngx_http_lapor_view_t;


/*
 * Starts a read of the report in the path: fetch appends the commands,
 * sent with the "read" limit's counter in one round trip; fetched gets
 * their answer (see ngx_http_lapor_limit_read).
 */
ngx_int_t ngx_http_lapor_view_start(ngx_http_request_t *r,
    ngx_http_lapor_read_pt fetch, ngx_http_lapor_redis_handler_pt fetched);

/* 404 report-not-found */
ngx_int_t ngx_http_lapor_report_not_found(ngx_http_request_t *r);

/* views: who reads (see ngx_http_lapor_view.c) */
ngx_int_t ngx_http_lapor_viewer(ngx_http_request_t *r, redisReply **f,
    unsigned *viewer, ngx_int_t *rc);
ngx_uint_t ngx_http_lapor_view_with_agency(redisReply **f,
    ngx_str_t *agency);

/* a report's state as every view reads it */
typedef struct {
    int64_t                         id;
    int64_t                         created;
    int64_t                         updated;
    int64_t                         due;       /* 0: none */
    int64_t                         version;
    redisReply                     *status;
    ngx_uint_t                      confidential;
    ngx_uint_t                      anonymous;
    ngx_uint_t                      open;
    ngx_uint_t                      auto_closed;  /* followed up, past it */
} ngx_http_lapor_view_state_t;

/* NGX_ERROR for an incomplete report */
ngx_int_t ngx_http_lapor_view_state(redisReply **f, time_t now,
    ngx_http_lapor_view_state_t *st);

/* text for the public, personal data masked (same length); NULL: no memory */
u_char *ngx_http_lapor_view_masked(ngx_http_request_t *r, redisReply *value);

/* a report as v->viewer may see it, one JSON object into w (view.c) */
ngx_int_t ngx_http_lapor_view_write(ngx_http_request_t *r,
    ngx_http_lapor_view_t *v, redisReply **f, lapor_jsonw_t *w,
    int64_t *version);

/* GET reports: the public list (list.c); POST reports submits */
ngx_int_t ngx_http_lapor_reports_handler(ngx_http_request_t *r);

/*
 * 400 with every field error, in the reader's language: invalid-report, or
 * invalid-action for the body of an action
 */
ngx_int_t ngx_http_lapor_report_invalid(ngx_http_request_t *r,
    lapor_report_error_t *errs, size_t n, ngx_uint_t action);
ngx_int_t ngx_http_lapor_report_get(ngx_http_request_t *r);


#endif /* _NGX_HTTP_LAPOR_REPORT_H_INCLUDED_ */
