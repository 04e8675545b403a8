
/*
 * Where a report lives besides its hash:
 *
 *   queue:<state>            every open state, by the time it entered it
 *                            (oldest first: the admins' and operators' view)
 *   inbox:<agency>           dispatched and in progress, by deadline
 *   inbox:<agency>:<state>   the same, one state
 *   deadlines                submitted, dispatched, in progress, by deadline
 *                            (the overdue queue is its head up to now)
 *   deadlines:<state>        the same, one state
 *   autoclose                followed up, by the time it closes by itself
 *
 * and, for GET reports (the public list, newest first), every report in
 *
 *   public                   all reports
 *   public:category:<code>   its category (fixed at submission)
 *   public:status:<state>    its state, any of the seven
 *   public:agency:<code>     the agency it is with (its "agency" field)
 *
 * scored by the time of submission and the number (the score above: unique,
 * so it serves as the keyset cursor; numbers alone are not in the order of
 * submission, each worker takes them in blocks).
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_http_lapor_store.h"


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

    return due == LAPOR_CALENDAR_NONE ? 0 : due;
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


void
ngx_http_lapor_store_publish(ngx_http_lapor_batch_t *b, int64_t id,
    int64_t created_at, const char *category)
{
    ngx_http_lapor_store_zset(b, 1, id, created_at, "public");
    ngx_http_lapor_store_zset(b, 1, id, created_at, "public:category:%s",
                              category);
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
            ngx_http_lapor_store_zset(b, add, id, p->due, "deadlines");
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
    u_char   *p, *last;
    va_list   args;

    p = ngx_pnalloc(b->pool, 256);
    if (p == NULL) {
        b->failed = 1;
        return;
    }

    va_start(args, fmt);
    last = ngx_vslprintf(p, p + 256, fmt, args);
    va_end(args);

    ngx_http_lapor_batch_cmd(b, add ? "ZADD" : "ZREM");
    ngx_http_lapor_batch_key(b, "%*s", (size_t) (last - p), p);

    if (add) {
        ngx_http_lapor_batch_int(b, ngx_http_lapor_score(t, id));
    }

    ngx_http_lapor_batch_int(b, id);
}

