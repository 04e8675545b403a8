
/*
 * Where a report lives besides its hash:
 *
 *   queue:<state>            every open state, by the time it entered it
 *                            (oldest first: the admins' and operators' view)
 *   inbox:<agency>           dispatched and in progress, by deadline
 *   inbox:<agency>:<state>   the same, one state
 *   deadlines:<state>        submitted, dispatched, in progress, by deadline
 *                            (the overdue queue is the head of the three up
 *                            to now; no set holds their union: a write
 *                            less for every submission and change)
 *   autoclose                followed up, by the time it closes by itself
 *
 * and one family of sets by creation time, for both lists of reports
 * (GET reports: newest first, a keyset cursor; Open311 GET requests: a
 * window of dates, pages), every report in
 *
 *   public:status:<state>            its state, any of the seven
 *   public:category:<code>:open      its category (fixed at submission)
 *   public:category:<code>:closed    while open / once closed or archived
 *   public:agency:<code>             the agency it is with ("agency")
 *
 * scored by the time of submission and the number (the score above: unique,
 * so it serves as the keyset cursor; numbers alone are not in the order of
 * submission, each worker takes them in blocks).  Every other list is a
 * union of these: all reports are every state's, a category its open and
 * its closed, Open311's open or closed of a category one of the two.  A
 * submission writes three of them.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_metrics.h"
#include "ngx_http_lapor_store.h"


const lapor_state_e  ngx_http_lapor_clocked_states[NGX_HTTP_LAPOR_CLOCKED] = {
    LAPOR_STATE_SUBMITTED, LAPOR_STATE_DISPATCHED, LAPOR_STATE_IN_PROGRESS
};


static void ngx_http_lapor_store_past_coverage(lapor_catalog_t *cat);
static void ngx_http_lapor_store_zset(ngx_http_lapor_batch_t *b, int add,
    int64_t id, int64_t t, const char *fmt, ...);
static void ngx_http_lapor_store_apply(ngx_http_lapor_batch_t *b, int add,
    int64_t id, ngx_http_lapor_place_t *p);


int64_t
ngx_http_lapor_store_due(lapor_catalog_t *cat,
    const lapor_catalog_category_t *category, lapor_state_e state,
    int64_t since)
{
    int64_t   due;
    unsigned  days;

    switch (state) {

    case LAPOR_STATE_SUBMITTED:
        days = category->sla.dispatch_days;
        break;

    case LAPOR_STATE_DISPATCHED:
    case LAPOR_STATE_IN_PROGRESS:
        days = category->sla.follow_up_days;
        break;

    case LAPOR_STATE_FOLLOWED_UP:
        days = category->sla.auto_close_days;
        break;

    default:
        /* deferred waits for the reporter: its clock stands still */
        return 0;
    }

    due = lapor_calendar_due(&cat->calendar, since, days);

    if (due == LAPOR_CALENDAR_NONE) {
        return 0;
    }

    if (!lapor_calendar_covers(&cat->calendar, due)) {
        ngx_http_lapor_store_past_coverage(cat);
    }

    return due;
}


/*
 * A deadline went past the last day the catalog's holidays cover: it stands
 * (weekends skipped, holidays only as far as they are listed), is counted
 * for the metrics, and the first one of each catalog in each worker process
 * is logged, so that the log says it without saying it for every request.
 */

static void
ngx_http_lapor_store_past_coverage(lapor_catalog_t *cat)
{
    int                          y;
    u_char                       date[16];
    unsigned                     m, d;
    ngx_uint_t                   i;
    ngx_http_lapor_tenant_t     *t;
    ngx_http_lapor_metrics_t    *metrics;
    ngx_http_lapor_main_conf_t  *lmcf;

    metrics = ngx_http_lapor_metrics((ngx_cycle_t *) ngx_cycle);

    if (metrics) {
        (void) ngx_atomic_fetch_add(&metrics->past_coverage, 1);
    }

    lmcf = ngx_http_cycle_get_module_main_conf((ngx_cycle_t *) ngx_cycle,
                                               ngx_http_lapor_module);
    if (lmcf == NULL) {
        return;
    }

    t = lmcf->tenants.elts;

    for (i = 0; i < lmcf->tenants.nelts; i++) {
        if (t[i].catalog == cat) {
            break;
        }
    }

    if (i == lmcf->tenants.nelts || t[i].past_coverage_logged) {
        return;
    }

    t[i].past_coverage_logged = 1;

    lapor_calendar_civil_from_days(cat->calendar.covered_until, &y, &m, &d);
    ngx_sprintf(date, "%04d-%02ud-%02ud%Z", y, m, d);

    ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                  "lapor: \"lapor_catalog\" file \"%V\" (namespace "
                  "\"%V\"): a deadline was computed past %s, the last "
                  "date its holidays cover, skipping weekends only after "
                  "it; logged once per worker process, counted in "
                  "lapor_deadlines_past_coverage_total",
                  &t[i].catalog_file, &t[i].namespace, date);
}


void
ngx_http_lapor_store_place(ngx_http_lapor_batch_t *b, int64_t id,
    ngx_http_lapor_place_t *p)
{
    ngx_http_lapor_store_apply(b, 1, id, p);
}


void
ngx_http_lapor_store_unplace(ngx_http_lapor_batch_t *b, int64_t id,
    ngx_http_lapor_place_t *p)
{
    ngx_http_lapor_store_apply(b, 0, id, p);
}


static void
ngx_http_lapor_store_apply(ngx_http_lapor_batch_t *b, int add, int64_t id,
    ngx_http_lapor_place_t *p)
{
    const char  *state;

    state = lapor_state_name(p->state);

    /* the public list's filters: every state, newest first */

    ngx_http_lapor_store_zset(b, add, id, p->created_at, "public:status:%s",
                              state);

    if (p->agency.len) {
        ngx_http_lapor_store_zset(b, add, id, p->created_at,
                                  "public:agency:%V", &p->agency);
    }

    if (!lapor_state_open(p->state)) {
        return;
    }

    ngx_http_lapor_store_zset(b, add, id, p->entered_at, "queue:%s", state);

    switch (p->state) {

    case LAPOR_STATE_DISPATCHED:
    case LAPOR_STATE_IN_PROGRESS:
        if (p->agency.len) {
            ngx_http_lapor_store_zset(b, add, id, p->due, "inbox:%V",
                                      &p->agency);
            ngx_http_lapor_store_zset(b, add, id, p->due, "inbox:%V:%s",
                                      &p->agency, state);
        }

        /* fall through */

    case LAPOR_STATE_SUBMITTED:
        if (p->due) {
            ngx_http_lapor_store_zset(b, add, id, p->due, "deadlines:%s",
                                      state);
        }

        break;

    case LAPOR_STATE_FOLLOWED_UP:
        if (p->due) {
            ngx_http_lapor_store_zset(b, add, id, p->due, "autoclose");
        }

        break;

    default:
        break;
    }
}


static void
ngx_http_lapor_store_zset(ngx_http_lapor_batch_t *b, int add, int64_t id,
    int64_t t, const char *fmt, ...)
{
    va_list  args;

    ngx_http_lapor_batch_cmd(b, add ? "ZADD" : "ZREM");

    va_start(args, fmt);
    ngx_http_lapor_batch_vkey(b, fmt, args);
    va_end(args);

    if (add) {
        ngx_http_lapor_batch_int(b, ngx_http_lapor_score(t, id));
    }

    ngx_http_lapor_batch_int(b, id);
}


void
ngx_http_lapor_store_created(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t created, const lapor_catalog_category_t *category,
    ngx_uint_t closed)
{
    ngx_http_lapor_store_zset(b, 1, id, created, "public:category:%*s:%s",
                              category->code_len, category->code,
                              closed ? "closed" : "open");
}


void
ngx_http_lapor_store_close(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t created, const lapor_catalog_category_t *category)
{
    ngx_http_lapor_store_zset(b, 0, id, created, "public:category:%*s:open",
                              category->code_len, category->code);
    ngx_http_lapor_store_created(b, id, created, category, 1);
}


void
ngx_http_lapor_store_updated(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t t)
{
    ngx_http_lapor_store_zset(b, 1, id, t, "updated");
}


void
ngx_http_lapor_store_count_overdue(ngx_http_lapor_batch_t *b, time_t now)
{
    ngx_uint_t  i;

    /* late: a deadline before now */

    for (i = 0; i < NGX_HTTP_LAPOR_CLOCKED; i++) {
        ngx_http_lapor_batch_cmd(b, "ZCOUNT");
        ngx_http_lapor_batch_key(b, "deadlines:%s", lapor_state_name(
                                     ngx_http_lapor_clocked_states[i]));
        ngx_http_lapor_batch_cstr(b, "-inf");
        ngx_http_lapor_batch_int(b, ngx_http_lapor_score(now, 0) - 1);
    }
}


int64_t
ngx_http_lapor_store_overdue(redisReply **rep)
{
    int64_t     n;
    ngx_uint_t  i;

    for (i = 0, n = 0; i < NGX_HTTP_LAPOR_CLOCKED; i++) {
        if (rep[i]->type == REDIS_REPLY_INTEGER) {
            n += rep[i]->integer;
        }
    }

    return n;
}
