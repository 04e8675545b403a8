
/*
 * Changing a report's state.  Everything that belongs to one change goes
 * into one MULTI/EXEC: the hash (state, version, times, agency), the move
 * between queues and indexes, the timeline entry, the statistics and the
 * namespace's event stream.
 */


#include <ngx_config.h>
#include <ngx_core.h>

#include <yajl/yajl_gen.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_transition.h"
#include "ngx_http_lapor_report.h"
#include "ngx_http_lapor_store.h"
#include "ngx_http_lapor_json.h"
#include "lapor_stats.h"


#define NGX_HTTP_LAPOR_CLAIM_MS        60000
#define NGX_HTTP_LAPOR_EVENTS_MAXLEN   "100000"


static const char  *ngx_http_lapor_actor_names[] = {
    "admin", "agency", "reporter", "system"
};


/*
 * Who may read an action's message in the timeline.  Status changes are
 * public; the words are not always: a reporter's comments and the reason a
 * report was deferred may hold personal details, "bukan wewenang" is
 * between officers.
 */

static const char  *ngx_http_lapor_visibility[LAPOR_ACTION_COUNT] = {
    "public",       /* dispatch */
    "reporter",     /* defer */
    "public",       /* archive: the reason is public */
    "public",       /* respond */
    "public",       /* clarify */
    "public",       /* follow_up */
    "officer",      /* not_authority */
    "reporter",     /* comments */
    "reporter",     /* feedback: the comment; rating and resolved public */
    "public"        /* auto_close */
};


static const char *ngx_http_lapor_actor(unsigned role);
static void ngx_http_lapor_transition_stats(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur,
    ngx_http_lapor_change_t *ch);
static void ngx_http_lapor_stats_incr(ngx_http_lapor_batch_t *b,
    const char *key, const char *field, int64_t by);
static void ngx_http_lapor_stats_agency_response(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur,
    ngx_http_lapor_change_t *ch);
static ngx_int_t ngx_http_lapor_transition_event(ngx_http_lapor_batch_t *b,
    ngx_http_lapor_current_t *cur, ngx_http_lapor_change_t *ch,
    ngx_str_t *agency, ngx_str_t *event);


void
ngx_http_lapor_fetch_report(ngx_http_lapor_batch_t *b, int64_t id)
{
    ngx_uint_t  i;

    ngx_http_lapor_batch_cmd(b, "HMGET");
    ngx_http_lapor_batch_key(b, "report:%L", id);

    for (i = 0; i < NGX_HTTP_LAPOR_F_COUNT; i++) {
        ngx_http_lapor_batch_cstr(b, ngx_http_lapor_fields[i]);
    }
}


ngx_int_t
ngx_http_lapor_current(ngx_pool_t *pool, redisReply *reply,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur)
{
    int          st;
    redisReply **f;

    if (reply->type != REDIS_REPLY_ARRAY
        || reply->elements != NGX_HTTP_LAPOR_F_COUNT)
    {
        return NGX_ERROR;
    }

    f = reply->element;

    if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
        return NGX_DECLINED;
    }

    ngx_memzero(cur, sizeof(ngx_http_lapor_current_t));

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_ID], &cur->id) != NGX_OK
        || ngx_http_lapor_report_int(f[NGX_HTTP_LAPOR_F_VERSION], 1,
                                     &cur->version) != NGX_OK
        || f[NGX_HTTP_LAPOR_F_STATUS]->type != REDIS_REPLY_STRING
        || f[NGX_HTTP_LAPOR_F_CATEGORY]->type != REDIS_REPLY_STRING)
    {
        return NGX_ERROR;
    }

    st = lapor_state_find(f[NGX_HTTP_LAPOR_F_STATUS]->str,
                          f[NGX_HTTP_LAPOR_F_STATUS]->len);
    if (st < 0) {
        return NGX_ERROR;
    }

    cur->state = (lapor_state_e) st;

    cur->category = lapor_catalog_category(cat,
                                        f[NGX_HTTP_LAPOR_F_CATEGORY]->str,
                                        f[NGX_HTTP_LAPOR_F_CATEGORY]->len);
    if (cur->category == NULL) {
        /* a category removed from the catalog after the report came in */
        return NGX_ERROR;
    }

    if (f[NGX_HTTP_LAPOR_F_AGENCY]->type == REDIS_REPLY_STRING) {
        cur->agency.len = f[NGX_HTTP_LAPOR_F_AGENCY]->len;
        cur->agency.data = ngx_pnalloc(pool, cur->agency.len + 1);
        if (cur->agency.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(cur->agency.data, f[NGX_HTTP_LAPOR_F_AGENCY]->str,
                   cur->agency.len);
    }

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_ENTERED_AT],
                                 &cur->entered_at) != NGX_OK)
    {
        (void) ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_CREATED_AT],
                                        &cur->entered_at);
    }

    if (ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_DUE_AT], &cur->due)
        != NGX_OK)
    {
        cur->due = 0;
    }

    (void) ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_CREATED_AT],
                                    &cur->created_at);
    (void) ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_DISPATCHED_AT],
                                    &cur->dispatched_at);
    (void) ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_RESPONDED_AT],
                                    &cur->responded_at);
    (void) ngx_http_lapor_redis_int(f[NGX_HTTP_LAPOR_F_FOLLOWED_UP_AT],
                                    &cur->followed_up_at);

    cur->dispatch_late = ngx_http_lapor_redis_is(
                             f[NGX_HTTP_LAPOR_F_DISPATCH_LATE], "1");

    return NGX_OK;
}


void
ngx_http_lapor_claim(ngx_http_lapor_batch_t *b, ngx_http_lapor_current_t *cur,
    ngx_str_t *owner)
{
    ngx_http_lapor_batch_cmd(b, "SET");
    ngx_http_lapor_batch_key(b, "report:%L:claim:%L", cur->id, cur->version);
    ngx_http_lapor_batch_str(b, owner);
    ngx_http_lapor_batch_cstr(b, "NX");
    ngx_http_lapor_batch_cstr(b, "PX");
    ngx_http_lapor_batch_int(b, NGX_HTTP_LAPOR_CLAIM_MS);
}


ngx_int_t
ngx_http_lapor_transition(ngx_http_lapor_batch_t *b, lapor_catalog_t *cat,
    ngx_http_lapor_current_t *cur, ngx_http_lapor_change_t *ch,
    ngx_uint_t *expect)
{
    int64_t                  since;
    ngx_str_t                agency, event, from_key;
    ngx_uint_t               first, moved;
    const char              *to, *from;
    ngx_http_lapor_place_t   old, new;

    if (lapor_workflow_next(ch->action, ch->actor, cur->state, &ch->to)
        != LAPOR_WORKFLOW_OK)
    {
        return NGX_DECLINED;
    }

    ch->version = cur->version + 1;

    agency = cur->agency;

    if (ch->action == LAPOR_ACTION_DISPATCH && ch->input->agency) {
        agency.data = (u_char *) ch->input->agency->code;
        agency.len = ch->input->agency->code_len;
    }

    /*
     * "not_authority" keeps the agency: the report is back with the admins
     * (out of every inbox: a submitted report is in none), and they see who
     * handed it back, in "agency" until the next dispatch and in
     * "returned_by" for good.
     */

    moved = (ch->to != cur->state)
            || (agency.len != cur->agency.len
                || ngx_strncmp(agency.data, cur->agency.data, agency.len)
                   != 0);

    /*
     * The deadline: a new state starts its own clock (a new dispatch
     * restarts the follow-up clock); "respond" keeps the follow-up clock of
     * its dispatch; an action that moves nothing keeps everything.
     */

    if (!moved) {
        ch->due = cur->due;
        since = cur->entered_at;

    } else if (ch->to == LAPOR_STATE_IN_PROGRESS
               && cur->state == LAPOR_STATE_DISPATCHED)
    {
        ch->due = cur->due;
        since = ch->now;

    } else {
        since = ch->now;
        ch->due = ngx_http_lapor_store_due(cat, cur->category, ch->to,
                                           ch->now);
    }

    from = lapor_state_name(cur->state);
    to = lapor_state_name(ch->to);

    first = b->cmds.nelts;

    ngx_http_lapor_batch_cmd(b, "MULTI");

    ngx_http_lapor_batch_cmd(b, "HSET");
    ngx_http_lapor_batch_key(b, "report:%L", cur->id);

#define ngx_http_lapor_set(f)                                                 \
    ngx_http_lapor_batch_cstr(b, ngx_http_lapor_fields[f])

    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_STATUS);
    ngx_http_lapor_batch_cstr(b, to);
    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_VERSION);
    ngx_http_lapor_batch_int(b, ch->version);
    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_UPDATED_AT);
    ngx_http_lapor_batch_int(b, ch->now);
    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_ENTERED_AT);
    ngx_http_lapor_batch_int(b, since);
    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_DUE_AT);
    ngx_http_lapor_batch_int(b, ch->due);
    ngx_http_lapor_set(NGX_HTTP_LAPOR_F_AGENCY);
    ngx_http_lapor_batch_str(b, &agency);

    switch (ch->action) {

    case LAPOR_ACTION_NOT_AUTHORITY:
        /* the admins see at once that the agency sent it back, and which */
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_FLAGGED);
        ngx_http_lapor_batch_cstr(b, "1");
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_RETURNED_BY);
        ngx_http_lapor_batch_str(b, &agency);
        break;

    case LAPOR_ACTION_DISPATCH:
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_FLAGGED);
        ngx_http_lapor_batch_cstr(b, "0");
        break;

    case LAPOR_ACTION_FOLLOW_UP:
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_FOLLOWED_UP_AT);
        ngx_http_lapor_batch_int(b, ch->now);
        break;

    case LAPOR_ACTION_DEFER:
        /* deferring stops the clock, it does not undo a missed deadline */
        if (cur->due && ch->now > cur->due) {
            ngx_http_lapor_set(NGX_HTTP_LAPOR_F_DISPATCH_LATE);
            ngx_http_lapor_batch_cstr(b, "1");
        }

        break;

    case LAPOR_ACTION_FEEDBACK:
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_RATING);
        ngx_http_lapor_batch_int(b, ch->input->rating);
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_RESOLVED);
        ngx_http_lapor_batch_cstr(b, ch->input->resolved);
        break;

    default:
        break;
    }

    if (ch->to == LAPOR_STATE_CLOSED || ch->to == LAPOR_STATE_ARCHIVED) {
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_CLOSED_AT);
        ngx_http_lapor_batch_int(b, ch->now);
    }

    /* the first dispatch and the first response: what speed is measured by */

    if (ch->action == LAPOR_ACTION_DISPATCH) {
        ngx_http_lapor_batch_cmd(b, "HSETNX");
        ngx_http_lapor_batch_key(b, "report:%L", cur->id);
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_DISPATCHED_AT);
        ngx_http_lapor_batch_int(b, ch->now);
    }

    if (ch->action == LAPOR_ACTION_RESPOND
        || ch->action == LAPOR_ACTION_FOLLOW_UP)
    {
        ngx_http_lapor_batch_cmd(b, "HSETNX");
        ngx_http_lapor_batch_key(b, "report:%L", cur->id);
        ngx_http_lapor_set(NGX_HTTP_LAPOR_F_RESPONDED_AT);
        ngx_http_lapor_batch_int(b, ch->now);
    }

#undef ngx_http_lapor_set

    /* queues and indexes */

    if (moved || ch->due != cur->due) {
        old.state = cur->state;
        old.agency = cur->agency;
        old.entered_at = cur->entered_at;
        old.due = cur->due;
        old.created_at = cur->created_at;

        new.state = ch->to;
        new.agency = agency;
        new.entered_at = since;
        new.due = ch->due;
        new.created_at = cur->created_at;

        ngx_http_lapor_store_unplace(b, cur->id, &old);
        ngx_http_lapor_store_place(b, cur->id, &new);
    }

    /* the lists by creation time and by the last change (Open311) */

    if ((ch->to == LAPOR_STATE_CLOSED || ch->to == LAPOR_STATE_ARCHIVED)
        && lapor_state_open(cur->state) && cur->category)
    {
        ngx_http_lapor_store_close(b, cur->id, cur->created_at,
                                   cur->category);
    }

    ngx_http_lapor_store_updated(b, cur->id, ch->now);

    /* the timeline */

    if (ngx_http_lapor_transition_event(b, cur, ch, &agency, &event)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(b, "RPUSH");
    ngx_http_lapor_batch_key(b, "report:%L:events", cur->id);
    ngx_http_lapor_batch_str(b, &event);

    /* statistics */

    ngx_http_lapor_transition_stats(b, cat, cur, ch);

    /* the event stream: no words, no personal data */

    ngx_http_lapor_batch_cmd(b, "XADD");
    ngx_http_lapor_batch_key(b, "events");
    ngx_http_lapor_batch_cstr(b, "MAXLEN");
    ngx_http_lapor_batch_cstr(b, "~");
    ngx_http_lapor_batch_cstr(b, NGX_HTTP_LAPOR_EVENTS_MAXLEN);
    ngx_http_lapor_batch_cstr(b, "*");
    ngx_http_lapor_batch_cstr(b, "event");
    from_key.data = ngx_pnalloc(b->pool, 64);
    if (from_key.data == NULL) {
        return NGX_ERROR;
    }
    from_key.len = ngx_sprintf(from_key.data, "report.%s",
                               lapor_actions[ch->action].name)
                   - from_key.data;
    ngx_http_lapor_batch_str(b, &from_key);
    ngx_http_lapor_batch_cstr(b, "id");
    ngx_http_lapor_batch_int(b, cur->id);
    ngx_http_lapor_batch_cstr(b, "from");
    ngx_http_lapor_batch_cstr(b, from);
    ngx_http_lapor_batch_cstr(b, "status");
    ngx_http_lapor_batch_cstr(b, to);
    ngx_http_lapor_batch_cstr(b, "agency");
    ngx_http_lapor_batch_str(b, &agency);
    ngx_http_lapor_batch_cstr(b, "actor");
    ngx_http_lapor_batch_cstr(b, ngx_http_lapor_actor(ch->actor));
    ngx_http_lapor_batch_cstr(b, "version");
    ngx_http_lapor_batch_int(b, ch->version);
    ngx_http_lapor_batch_cstr(b, "at");
    ngx_http_lapor_batch_int(b, ch->now);

    ngx_http_lapor_batch_cmd(b, "EXEC");

    /* an acknowledged change waits for lapor_redis_wait replicas */
    b->durable = 1;

    if (b->failed) {
        return NGX_ERROR;
    }

    /* every command between MULTI and EXEC answers inside EXEC's array */
    *expect = b->cmds.nelts - first - 2;

    return NGX_OK;
}


static const char *
ngx_http_lapor_actor(unsigned role)
{
    switch (role) {
    case LAPOR_ROLE_ADMIN:
        return ngx_http_lapor_actor_names[0];
    case LAPOR_ROLE_AGENCY:
        return ngx_http_lapor_actor_names[1];
    case LAPOR_ROLE_REPORTER:
        return ngx_http_lapor_actor_names[2];
    default:
        return ngx_http_lapor_actor_names[3];
    }
}


/*
 * A timeline entry: JSON with the action, time, the actor's role (never an
 * officer's name), the states, and the words with their visibility.
 */

static ngx_int_t
ngx_http_lapor_transition_event(ngx_http_lapor_batch_t *b,
    ngx_http_lapor_current_t *cur, ngx_http_lapor_change_t *ch,
    ngx_str_t *agency, ngx_str_t *event)
{
    size_t                len;
    yajl_gen              g;
    yajl_alloc_funcs      af;
    const unsigned char  *buf;

    ngx_http_lapor_json_alloc_funcs(b->pool, &af);

    g = yajl_gen_alloc(&af);
    if (g == NULL) {
        return NGX_ERROR;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "type");
    ngx_http_lapor_json_cstr(g, lapor_actions[ch->action].name);

    ngx_http_lapor_json_literal(g, "at");
    yajl_gen_integer(g, ch->now);

    ngx_http_lapor_json_literal(g, "actor");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_actor(ch->actor));

    ngx_http_lapor_json_literal(g, "from");
    ngx_http_lapor_json_cstr(g, lapor_state_name(cur->state));

    ngx_http_lapor_json_literal(g, "status");
    ngx_http_lapor_json_cstr(g, lapor_state_name(ch->to));

    /* dispatch: where it went; not_authority: who handed it back */

    if (ch->action == LAPOR_ACTION_DISPATCH
        || ch->action == LAPOR_ACTION_NOT_AUTHORITY)
    {
        ngx_http_lapor_json_literal(g, "agency");
        ngx_http_lapor_json_str(g, agency);
    }

    if (ch->input && ch->action == LAPOR_ACTION_FEEDBACK) {
        ngx_http_lapor_json_literal(g, "rating");
        yajl_gen_integer(g, ch->input->rating);
        ngx_http_lapor_json_literal(g, "resolved");
        ngx_http_lapor_json_cstr(g, ch->input->resolved);
    }

    if (ch->input && ch->input->text.data) {
        ngx_http_lapor_json_literal(g, "message");
        yajl_gen_string(g, (const unsigned char *) ch->input->text.data,
                        ch->input->text.len);
    }

    ngx_http_lapor_json_literal(g, "visibility");
    ngx_http_lapor_json_cstr(g, ngx_http_lapor_visibility[ch->action]);

    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        return NGX_ERROR;
    }

    event->data = (u_char *) buf;
    event->len = len;

    return NGX_OK;
}


/*
 * The statistics of a change, counted when it happens (docs/statistics.md
 * defines each figure):
 *   - per state, per action: status:<state> moves, action:<name>;
 *   - per agency: dispatched_to:<agency> at every dispatch,
 *     returned_by:<agency> at every hand-back;
 *   - per submission cohort (the year and month a report came in):
 *     dispatched, followed_up, closed, archived: each report once;
 *   - speed: the first dispatch after submission and the first agency
 *     answer after dispatch, as histograms; the first dispatch and the
 *     first follow-up within their deadlines;
 *   - satisfaction: ratings and whether it was resolved.
 */

static void
ngx_http_lapor_transition_stats(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur,
    ngx_http_lapor_change_t *ch)
{
    const char  *from, *to;

    from = lapor_state_name(cur->state);
    to = lapor_state_name(ch->to);

    if (ch->to != cur->state) {
        ngx_http_lapor_batch_cmd(b, "HINCRBY");
        ngx_http_lapor_batch_key(b, "stats");
        ngx_http_lapor_batch_fmt(b, "status:%s", from);
        ngx_http_lapor_batch_int(b, -1);

        ngx_http_lapor_batch_cmd(b, "HINCRBY");
        ngx_http_lapor_batch_key(b, "stats");
        ngx_http_lapor_batch_fmt(b, "status:%s", to);
        ngx_http_lapor_batch_int(b, 1);
    }

    ngx_http_lapor_batch_cmd(b, "HINCRBY");
    ngx_http_lapor_batch_key(b, "stats");
    ngx_http_lapor_batch_fmt(b, "action:%s", lapor_actions[ch->action].name);
    ngx_http_lapor_batch_int(b, 1);

    switch (ch->action) {

    case LAPOR_ACTION_DISPATCH:
        /* where reports went, the reporter's suggestion aside */
        ngx_http_lapor_batch_cmd(b, "HINCRBY");
        ngx_http_lapor_batch_key(b, "stats");
        ngx_http_lapor_batch_fmt(b, "dispatched_to:%s",
                                 ch->input->agency->code);
        ngx_http_lapor_batch_int(b, 1);

        if (cur->dispatched_at) {
            break;
        }

        ngx_http_lapor_stats_cohort(b, cat, cur->created_at, "dispatched");
        ngx_http_lapor_stats_incr(b, "stats:hist:dispatch",
                                  lapor_stats_fields[lapor_stats_bucket(
                                      ch->now - cur->created_at)], 1);

        /* within the dispatch deadline of a submitted report */
        ngx_http_lapor_stats_incr(b, "stats", "dispatched_first", 1);

        /*
         * From "deferred" no clock ran: late only if the deadline had
         * passed before the report was deferred.
         */

        if (!cur->dispatch_late && (cur->due == 0 || ch->now <= cur->due)) {
            ngx_http_lapor_stats_incr(b, "stats", "dispatched_in_time", 1);
        }

        break;

    case LAPOR_ACTION_NOT_AUTHORITY:
        /* hand-backs ("bukan wewenang") per agency: each one counts */
        ngx_http_lapor_batch_cmd(b, "HINCRBY");
        ngx_http_lapor_batch_key(b, "stats");
        ngx_http_lapor_batch_fmt(b, "returned_by:%V", &cur->agency);
        ngx_http_lapor_batch_int(b, 1);
        break;

    case LAPOR_ACTION_RESPOND:
    case LAPOR_ACTION_FOLLOW_UP:
        if (!cur->responded_at && cur->dispatched_at) {
            ngx_http_lapor_stats_incr(b, "stats:hist:response",
                                      lapor_stats_fields[lapor_stats_bucket(
                                          ch->now - cur->dispatched_at)], 1);
            ngx_http_lapor_stats_agency_response(b, cat, cur, ch);
        }

        if (ch->action != LAPOR_ACTION_FOLLOW_UP || cur->followed_up_at) {
            break;
        }

        ngx_http_lapor_stats_cohort(b, cat, cur->created_at, "followed_up");
        ngx_http_lapor_stats_incr(b, "stats", "followed_up_first", 1);

        if (cur->due && ch->now <= cur->due) {
            ngx_http_lapor_stats_incr(b, "stats", "followed_up_in_time", 1);
        }

        break;

    case LAPOR_ACTION_FEEDBACK:
        ngx_http_lapor_stats_incr(b, "stats", "rating_count", 1);
        ngx_http_lapor_stats_incr(b, "stats", "rating_sum",
                                  ch->input->rating);

        if (ch->input->resolved) {
            ngx_http_lapor_batch_cmd(b, "HINCRBY");
            ngx_http_lapor_batch_key(b, "stats");
            ngx_http_lapor_batch_fmt(b, "resolved:%s", ch->input->resolved);
            ngx_http_lapor_batch_int(b, 1);
        }

        break;

    default:
        break;
    }

    if (ch->to != cur->state
        && (ch->to == LAPOR_STATE_CLOSED || ch->to == LAPOR_STATE_ARCHIVED))
    {
        ngx_http_lapor_stats_cohort(b, cat, cur->created_at, to);
    }
}


/*
 * The first answer per agency and per month of the answer (not of the
 * submission): "stats:response:YYYY-MM", field "<agency>:le:<bound>", for
 * the officers' dashboard (GET stats, "agencies").
 */

static void
ngx_http_lapor_stats_agency_response(ngx_http_lapor_batch_t *b,
    lapor_catalog_t *cat, ngx_http_lapor_current_t *cur,
    ngx_http_lapor_change_t *ch)
{
    int       y;
    unsigned  m, d;

    if (cur->agency.len == 0) {
        return;
    }

    lapor_calendar_civil_from_days(lapor_calendar_day_of(&cat->calendar,
                                                         ch->now),
                                   &y, &m, &d);

    ngx_http_lapor_batch_cmd(b, "HINCRBY");
    ngx_http_lapor_batch_key(b, NGX_HTTP_LAPOR_RESPONSE_MONTH_KEY, y,
                             (ngx_uint_t) m);
    ngx_http_lapor_batch_fmt(b, "%V:%s", &cur->agency,
                             lapor_stats_fields[lapor_stats_bucket(
                                 ch->now - cur->dispatched_at)]);
    ngx_http_lapor_batch_int(b, 1);
}


static void
ngx_http_lapor_stats_incr(ngx_http_lapor_batch_t *b, const char *key,
    const char *field, int64_t by)
{
    ngx_http_lapor_batch_cmd(b, "HINCRBY");
    ngx_http_lapor_batch_key(b, "%s", key);
    ngx_http_lapor_batch_cstr(b, field);
    ngx_http_lapor_batch_int(b, by);
}


/* the month the report came in, in the catalog's time zone */

void
ngx_http_lapor_stats_cohort(ngx_http_lapor_batch_t *b, lapor_catalog_t *cat,
    int64_t created, const char *field)
{
    int       y;
    unsigned  m, d;

    lapor_calendar_civil_from_days(lapor_calendar_day_of(&cat->calendar,
                                                         created),
                                   &y, &m, &d);

    /* the month only: GET stats adds the year up from its months */

    ngx_http_lapor_batch_cmd(b, "HINCRBY");
    ngx_http_lapor_batch_key(b, "stats:%04d-%02ud", y, m);
    ngx_http_lapor_batch_cstr(b, field);
    ngx_http_lapor_batch_int(b, 1);
}
