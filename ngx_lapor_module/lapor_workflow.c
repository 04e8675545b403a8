
/*
 * The lifecycle of a report: one table.
 */


#include <string.h>

#include "lapor_workflow.h"


#define S(st)  (1u << (st))

#define LAPOR_OPEN_STATES                                                     \
    (S(LAPOR_STATE_SUBMITTED) | S(LAPOR_STATE_DEFERRED)                       \
     | S(LAPOR_STATE_DISPATCHED) | S(LAPOR_STATE_IN_PROGRESS)                 \
     | S(LAPOR_STATE_FOLLOWED_UP))


static const char  *lapor_state_names[LAPOR_STATE_COUNT] = {
    "submitted", "deferred", "archived", "dispatched", "in_progress",
    "followed_up", "closed"
};


/*
 * A reporter's comment is the one action whose target depends on the
 * state: it sends a deferred report back to the admins and reopens a
 * followed-up one; elsewhere it only adds to the timeline (see
 * lapor_workflow_next()).
 */

const lapor_action_t  lapor_actions[LAPOR_ACTION_COUNT] = {

    /* admin: verify and send to an agency, also to another agency */
    { "dispatch", LAPOR_ROLE_ADMIN,
      S(LAPOR_STATE_SUBMITTED) | S(LAPOR_STATE_DEFERRED)
      | S(LAPOR_STATE_DISPATCHED),
      LAPOR_STATE_DISPATCHED, LAPOR_FIELD_AGENCY },

    /* admin: more is needed from the reporter */
    { "defer", LAPOR_ROLE_ADMIN,
      S(LAPOR_STATE_SUBMITTED),
      LAPOR_STATE_DEFERRED, LAPOR_FIELD_REASON },

    /* admin: not processed; the reason is public */
    { "archive", LAPOR_ROLE_ADMIN,
      S(LAPOR_STATE_SUBMITTED) | S(LAPOR_STATE_DEFERRED),
      LAPOR_STATE_ARCHIVED, LAPOR_FIELD_REASON },

    /* agency: starts working on it */
    { "respond", LAPOR_ROLE_AGENCY,
      S(LAPOR_STATE_DISPATCHED),
      LAPOR_STATE_IN_PROGRESS, LAPOR_FIELD_MESSAGE },

    /* agency or admin: klarifikasi, in any open state */
    { "clarify", LAPOR_ROLE_AGENCY | LAPOR_ROLE_ADMIN,
      LAPOR_OPEN_STATES,
      LAPOR_STATE_SAME, LAPOR_FIELD_MESSAGE },

    /* agency: its follow-up (tindak lanjut) */
    { "follow_up", LAPOR_ROLE_AGENCY,
      S(LAPOR_STATE_IN_PROGRESS),
      LAPOR_STATE_FOLLOWED_UP, LAPOR_FIELD_MESSAGE },

    /* agency: bukan wewenang, back to the admins, flagged */
    { "not_authority", LAPOR_ROLE_AGENCY,
      S(LAPOR_STATE_DISPATCHED),
      LAPOR_STATE_SUBMITTED, LAPOR_FIELD_REASON },

    /* reporter: more information */
    { "comments", LAPOR_ROLE_REPORTER,
      LAPOR_OPEN_STATES,
      LAPOR_STATE_SAME, LAPOR_FIELD_MESSAGE },

    /* reporter: rates the follow-up, which closes it */
    { "feedback", LAPOR_ROLE_REPORTER,
      S(LAPOR_STATE_FOLLOWED_UP),
      LAPOR_STATE_CLOSED, LAPOR_FIELD_RATING },

    /* no reply for the auto-close working days after the follow-up */
    { "auto_close", LAPOR_ROLE_SYSTEM,
      S(LAPOR_STATE_FOLLOWED_UP),
      LAPOR_STATE_CLOSED, 0 }
};


int
lapor_action_find(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < LAPOR_ACTION_COUNT; i++) {
        if (lapor_actions[i].roles == LAPOR_ROLE_SYSTEM) {
            continue;
        }

        if (strlen(lapor_actions[i].name) == len
            && memcmp(lapor_actions[i].name, name, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


int
lapor_state_find(const char *name, size_t len)
{
    int  i;

    for (i = 0; i < LAPOR_STATE_COUNT; i++) {
        if (strlen(lapor_state_names[i]) == len
            && memcmp(lapor_state_names[i], name, len) == 0)
        {
            return i;
        }
    }

    return -1;
}


const char *
lapor_state_name(lapor_state_e state)
{
    return state < LAPOR_STATE_COUNT ? lapor_state_names[state] : "unknown";
}


int
lapor_state_open(lapor_state_e state)
{
    return state < LAPOR_STATE_COUNT && (LAPOR_OPEN_STATES & S(state)) != 0;
}


int
lapor_workflow_next(lapor_action_e action, unsigned role,
    lapor_state_e state, lapor_state_e *to)
{
    const lapor_action_t  *a;

    if ((unsigned) action >= LAPOR_ACTION_COUNT
        || (unsigned) state >= LAPOR_STATE_COUNT)
    {
        return LAPOR_WORKFLOW_CONFLICT;
    }

    a = &lapor_actions[action];

    if (!(a->roles & role)) {
        return LAPOR_WORKFLOW_FORBIDDEN;
    }

    if (!(a->from & S(state))) {
        return LAPOR_WORKFLOW_CONFLICT;
    }

    *to = (a->to == LAPOR_STATE_SAME) ? state : a->to;

    if (action == LAPOR_ACTION_COMMENT) {
        if (state == LAPOR_STATE_DEFERRED) {
            *to = LAPOR_STATE_SUBMITTED;

        } else if (state == LAPOR_STATE_FOLLOWED_UP) {
            *to = LAPOR_STATE_IN_PROGRESS;
        }
    }

    return LAPOR_WORKFLOW_OK;
}
