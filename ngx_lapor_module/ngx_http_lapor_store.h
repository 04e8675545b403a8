
/*
 * Where a report lives in Redis besides its hash: the live queues, agency
 * inboxes, the deadline and auto-close indexes, the lists by creation
 * time.  One place decides it for submission, every action and the
 * auto-close sweep.
 */


#ifndef _NGX_HTTP_LAPOR_STORE_H_INCLUDED_
#define _NGX_HTTP_LAPOR_STORE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_lapor_batch.h"
#include "lapor_catalog.h"
#include "lapor_workflow.h"


/*
 * Sorted-set scores are unique and ordered by time: t * 2^20 plus the low
 * 20 bits of the id.  They stay exact in a double (below 2^53) for every
 * time before the year 2242, and keyset cursors need no tie-breaking (two
 * reports tie only if their ids differ by a multiple of 2^20 and they have
 * the same second).  An operator gets the Unix time back as
 * score / 1048576.
 */
#define NGX_HTTP_LAPOR_SCORE_SHIFT  20

#define ngx_http_lapor_score(t, id)                                           \
    (((int64_t) (t) << NGX_HTTP_LAPOR_SCORE_SHIFT)                            \
     | ((int64_t) (id) & ((1 << NGX_HTTP_LAPOR_SCORE_SHIFT) - 1)))


/*
 * The first agency answers of a month (of the answer), written by the
 * transition and read by GET stats: the year (int) and month (ngx_uint_t).
 */
#define NGX_HTTP_LAPOR_RESPONSE_MONTH_KEY  "stats:response:%04d-%02ui"


typedef struct {
    lapor_state_e                 state;
    ngx_str_t                     agency;      /* its "agency" field */
    int64_t                       entered_at;  /* into this state */
    int64_t                       due;         /* 0 when there is none */
    int64_t                       created_at;  /* the public lists' order */
} ngx_http_lapor_place_t;


/*
 * The deadline of a state entered at "since": dispatch (submitted), follow-
 * up (dispatched, in progress: counted from the dispatch) and auto-close
 * (followed up); none for the others (0).
 */
int64_t ngx_http_lapor_store_due(lapor_catalog_t *cat,
    const lapor_catalog_category_t *category, lapor_state_e state,
    int64_t since);

/* ZADD / ZREM of the report in every sorted set its place puts it in */
void ngx_http_lapor_store_place(ngx_http_lapor_batch_t *b, int64_t id,
    ngx_http_lapor_place_t *p);
void ngx_http_lapor_store_unplace(ngx_http_lapor_batch_t *b, int64_t id,
    ngx_http_lapor_place_t *p);

/*
 * The lists' sets of a category by creation time (GET reports?category=,
 * Open311 GET requests): "public:category:<code>:open" and ":closed",
 * score the submission's time.  A new report is open; closing or archiving
 * it moves it (closed and archived are final).
 */
void ngx_http_lapor_store_created(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t created, const lapor_catalog_category_t *category,
    ngx_uint_t closed);
void ngx_http_lapor_store_close(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t created, const lapor_catalog_category_t *category);

/* "updated": every report by the time of its last change (Open311 updates) */
void ngx_http_lapor_store_updated(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t t);

/*
 * The states whose clock an officer has to beat (submitted, dispatched,
 * in progress), each with its set "deadlines:<state>" by deadline.  The
 * overdue queue is the head of the three up to now: read as a union of
 * them (ngx_http_lapor_page_add of each), counted as the sum of three
 * ZCOUNTs.
 */
#define NGX_HTTP_LAPOR_CLOCKED  3

extern const lapor_state_e  ngx_http_lapor_clocked_states[];

/*
 * ZCOUNT of each "deadlines:<state>" before "now": NGX_HTTP_LAPOR_CLOCKED
 * replies in a transaction, summed by ngx_http_lapor_store_overdue()
 */
void ngx_http_lapor_store_count_overdue(ngx_http_lapor_batch_t *b,
    time_t now);
int64_t ngx_http_lapor_store_overdue(redisReply **rep);


#endif /* _NGX_HTTP_LAPOR_STORE_H_INCLUDED_ */
