
/*
 * Unit tests for the lifecycle table (lapor_workflow.c).  The expected
 * transitions below are written from SPEC section 4, not copied from the
 * table: every action is tried by every role from every state.
 */


#include <stdio.h>
#include <string.h>

#include "lapor_workflow.h"
#include "unit.h"


#define ROLE_NONE     0x00
#define ROLE_UNKNOWN  0x10

#define NSTATES       LAPOR_STATE_COUNT
#define NACTIONS      LAPOR_ACTION_COUNT

#define SUBMITTED     LAPOR_STATE_SUBMITTED
#define DEFERRED      LAPOR_STATE_DEFERRED
#define ARCHIVED      LAPOR_STATE_ARCHIVED
#define DISPATCHED    LAPOR_STATE_DISPATCHED
#define IN_PROGRESS   LAPOR_STATE_IN_PROGRESS
#define FOLLOWED_UP   LAPOR_STATE_FOLLOWED_UP
#define CLOSED        LAPOR_STATE_CLOSED

#define NONE          (-1)    /* the action is illegal from that state */

#define ADMIN         LAPOR_ROLE_ADMIN
#define AGENCY        LAPOR_ROLE_AGENCY
#define REPORTER      LAPOR_ROLE_REPORTER
#define SYSTEM        LAPOR_ROLE_SYSTEM


/*
 * SPEC section 4, one row per action: its URL name ("" for the automatic
 * close, which is no endpoint), the roles that may take it, and where it
 * leads from each state, in lapor_state_e order: submitted, deferred,
 * archived, dispatched, in_progress, followed_up, closed.
 */

typedef struct {
    lapor_action_e   action;
    const char      *name;
    unsigned         roles;
    int              to[NSTATES];
} spec_row_t;


static const spec_row_t  spec[] = {

    /* admin dispatch {agency}: from submitted, deferred, and to another
     * agency from dispatched */
    { LAPOR_ACTION_DISPATCH, "dispatch", ADMIN,
      { DISPATCHED, DISPATCHED, NONE, DISPATCHED, NONE, NONE, NONE } },

    /* admin defer {reason}: from submitted */
    { LAPOR_ACTION_DEFER, "defer", ADMIN,
      { DEFERRED, NONE, NONE, NONE, NONE, NONE, NONE } },

    /* admin archive {reason}: from submitted and deferred */
    { LAPOR_ACTION_ARCHIVE, "archive", ADMIN,
      { ARCHIVED, ARCHIVED, NONE, NONE, NONE, NONE, NONE } },

    /* agency respond: dispatched -> in_progress */
    { LAPOR_ACTION_RESPOND, "respond", AGENCY,
      { NONE, NONE, NONE, IN_PROGRESS, NONE, NONE, NONE } },

    /* agencies and admins clarify in any open state without changing it */
    { LAPOR_ACTION_CLARIFY, "clarify", AGENCY | ADMIN,
      { SUBMITTED, DEFERRED, NONE, DISPATCHED, IN_PROGRESS, FOLLOWED_UP,
        NONE } },

    /* agency follow_up {message}: in_progress -> followed_up */
    { LAPOR_ACTION_FOLLOW_UP, "follow_up", AGENCY,
      { NONE, NONE, NONE, NONE, FOLLOWED_UP, NONE, NONE } },

    /* agency not_authority {reason}: dispatched -> submitted */
    { LAPOR_ACTION_NOT_AUTHORITY, "not_authority", AGENCY,
      { NONE, NONE, NONE, SUBMITTED, NONE, NONE, NONE } },

    /* reporter comments: deferred -> submitted, followed_up -> in_progress
     * (reopened), otherwise adds information in any open state */
    { LAPOR_ACTION_COMMENT, "comments", REPORTER,
      { SUBMITTED, SUBMITTED, NONE, DISPATCHED, IN_PROGRESS, IN_PROGRESS,
        NONE } },

    /* reporter feedback {rating, resolved, comment}: followed_up -> closed */
    { LAPOR_ACTION_FEEDBACK, "feedback", REPORTER,
      { NONE, NONE, NONE, NONE, NONE, CLOSED, NONE } },

    /* no reporter reply for 10 working days after the follow-up */
    { LAPOR_ACTION_AUTO_CLOSE, "", SYSTEM,
      { NONE, NONE, NONE, NONE, NONE, CLOSED, NONE } }
};


static const unsigned  roles[] = {
    ADMIN, AGENCY, REPORTER, SYSTEM, ROLE_NONE, ROLE_UNKNOWN
};


static const char  *state_names[NSTATES] = {
    "submitted", "deferred", "archived", "dispatched", "in_progress",
    "followed_up", "closed"
};


#define NSPEC   (sizeof(spec) / sizeof(spec[0]))
#define NROLES  (sizeof(roles) / sizeof(roles[0]))


static const spec_row_t *
spec_find(lapor_action_e action)
{
    size_t  i;

    for (i = 0; i < NSPEC; i++) {
        if (spec[i].action == action) {
            return &spec[i];
        }
    }

    return NULL;
}


static int
next(lapor_action_e action, unsigned role, lapor_state_e state,
    lapor_state_e *to)
{
    return lapor_workflow_next(action, role, state, to);
}


static void
test_spec_covers_every_action(void)
{
    int  a;

    UNIT_EQ(NSPEC, NACTIONS);
    UNIT_EQ(NSTATES, 7);

    for (a = 0; a < NACTIONS; a++) {
        UNIT_TRUE(spec_find((lapor_action_e) a) != NULL);
    }
}


/* every action x role x state against the SPEC rows */

static void
test_every_combination(void)
{
    int                 s, rc, want_rc, checked, mismatched;
    size_t              i, r;
    unsigned            role;
    lapor_state_e       to, want_to;
    const spec_row_t   *row;

    checked = 0;
    mismatched = 0;

    for (i = 0; i < NSPEC; i++) {
        row = &spec[i];

        for (r = 0; r < NROLES; r++) {
            role = roles[r];

            for (s = 0; s < NSTATES; s++) {

                if (!(row->roles & role)) {
                    want_rc = LAPOR_WORKFLOW_FORBIDDEN;
                    want_to = LAPOR_STATE_COUNT;

                } else if (row->to[s] == NONE) {
                    want_rc = LAPOR_WORKFLOW_CONFLICT;
                    want_to = LAPOR_STATE_COUNT;

                } else {
                    want_rc = LAPOR_WORKFLOW_OK;
                    want_to = (lapor_state_e) row->to[s];
                }

                /* a sentinel: on refusal *to must stay untouched */
                to = LAPOR_STATE_COUNT;
                rc = next(row->action, role, (lapor_state_e) s, &to);

                checked++;

                if (rc != want_rc || to != want_to) {
                    mismatched++;
                    fprintf(stderr, "  %s by role 0x%02x from %s: "
                            "rc %d to %s, want rc %d to %s\n",
                            lapor_actions[row->action].name, role,
                            state_names[s], rc, lapor_state_name(to),
                            want_rc, lapor_state_name(want_to));
                }

                UNIT_EQ(rc, want_rc);
                UNIT_EQ(to, want_to);
            }
        }
    }

    UNIT_EQ(checked, NACTIONS * NROLES * NSTATES);
    UNIT_EQ(mismatched, 0);
}


/* the table's rows read as the SPEC names them */

static void
test_table(void)
{
    size_t  i;

    for (i = 0; i < NSPEC; i++) {
        if (spec[i].name[0] != '\0') {
            UNIT_TRUE(strcmp(lapor_actions[spec[i].action].name,
                             spec[i].name) == 0);
        }

        UNIT_EQ(lapor_actions[spec[i].action].roles, spec[i].roles);
    }

    UNIT_TRUE(strcmp(lapor_actions[LAPOR_ACTION_AUTO_CLOSE].name,
                     "auto_close") == 0);

    /* the bodies the SPEC names: dispatch {agency}, defer {reason}, ... */
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_DISPATCH].fields
              & LAPOR_FIELD_AGENCY);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_DEFER].fields & LAPOR_FIELD_REASON);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_ARCHIVE].fields
              & LAPOR_FIELD_REASON);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_NOT_AUTHORITY].fields
              & LAPOR_FIELD_REASON);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_FOLLOW_UP].fields
              & LAPOR_FIELD_MESSAGE);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_CLARIFY].fields
              & LAPOR_FIELD_MESSAGE);
    UNIT_TRUE(lapor_actions[LAPOR_ACTION_FEEDBACK].fields
              & LAPOR_FIELD_RATING);
    UNIT_EQ(lapor_actions[LAPOR_ACTION_AUTO_CLOSE].fields, 0);
}


/* the role is checked before the state: a stranger hears 403, not 409 */

static void
test_role_before_state(void)
{
    lapor_state_e  to;

    to = LAPOR_STATE_COUNT;

    UNIT_EQ(next(LAPOR_ACTION_FEEDBACK, AGENCY, CLOSED, &to),
            LAPOR_WORKFLOW_FORBIDDEN);
    UNIT_EQ(next(LAPOR_ACTION_DISPATCH, REPORTER, ARCHIVED, &to),
            LAPOR_WORKFLOW_FORBIDDEN);
    UNIT_EQ(next(LAPOR_ACTION_RESPOND, ADMIN, IN_PROGRESS, &to),
            LAPOR_WORKFLOW_FORBIDDEN);
    UNIT_EQ(next(LAPOR_ACTION_AUTO_CLOSE, ADMIN, SUBMITTED, &to),
            LAPOR_WORKFLOW_FORBIDDEN);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, SYSTEM, CLOSED, &to),
            LAPOR_WORKFLOW_FORBIDDEN);

    /* the right role in the wrong state */
    UNIT_EQ(next(LAPOR_ACTION_FEEDBACK, REPORTER, CLOSED, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next(LAPOR_ACTION_DEFER, ADMIN, DEFERRED, &to),
            LAPOR_WORKFLOW_CONFLICT);

    UNIT_EQ(to, LAPOR_STATE_COUNT);
}


/* archived and closed accept nothing, whoever asks */

static void
test_final_states(void)
{
    int            a, rc;
    size_t         r;
    lapor_state_e  to;

    for (a = 0; a < NACTIONS; a++) {
        for (r = 0; r < NROLES; r++) {
            to = LAPOR_STATE_COUNT;

            rc = next((lapor_action_e) a, roles[r], ARCHIVED, &to);
            UNIT_TRUE(rc != LAPOR_WORKFLOW_OK);

            rc = next((lapor_action_e) a, roles[r], CLOSED, &to);
            UNIT_TRUE(rc != LAPOR_WORKFLOW_OK);

            UNIT_EQ(to, LAPOR_STATE_COUNT);
        }
    }
}


/* a caller holding several roles may take what any of them may */

static void
test_role_masks(void)
{
    lapor_state_e  to;

    to = LAPOR_STATE_COUNT;
    UNIT_EQ(next(LAPOR_ACTION_CLARIFY, ADMIN | AGENCY, DISPATCHED, &to),
            LAPOR_WORKFLOW_OK);
    UNIT_EQ(to, DISPATCHED);

    to = LAPOR_STATE_COUNT;
    UNIT_EQ(next(LAPOR_ACTION_RESPOND, ADMIN | AGENCY, DISPATCHED, &to),
            LAPOR_WORKFLOW_OK);
    UNIT_EQ(to, IN_PROGRESS);

    to = LAPOR_STATE_COUNT;
    UNIT_EQ(next(LAPOR_ACTION_FEEDBACK, ADMIN | AGENCY | SYSTEM, FOLLOWED_UP,
                 &to),
            LAPOR_WORKFLOW_FORBIDDEN);
    UNIT_EQ(to, LAPOR_STATE_COUNT);
}


/* a whole case, as the SPEC tells it */

static void
test_paths(void)
{
    lapor_state_e  s;

    s = SUBMITTED;

    UNIT_EQ(next(LAPOR_ACTION_DEFER, ADMIN, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, DEFERRED);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, REPORTER, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, SUBMITTED);
    UNIT_EQ(next(LAPOR_ACTION_DISPATCH, ADMIN, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, DISPATCHED);
    UNIT_EQ(next(LAPOR_ACTION_NOT_AUTHORITY, AGENCY, s, &s),
            LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, SUBMITTED);
    UNIT_EQ(next(LAPOR_ACTION_DISPATCH, ADMIN, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, DISPATCHED);
    UNIT_EQ(next(LAPOR_ACTION_DISPATCH, ADMIN, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, DISPATCHED);
    UNIT_EQ(next(LAPOR_ACTION_CLARIFY, AGENCY, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, DISPATCHED);
    UNIT_EQ(next(LAPOR_ACTION_RESPOND, AGENCY, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, IN_PROGRESS);
    UNIT_EQ(next(LAPOR_ACTION_FOLLOW_UP, AGENCY, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, FOLLOWED_UP);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, REPORTER, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, IN_PROGRESS);
    UNIT_EQ(next(LAPOR_ACTION_FOLLOW_UP, AGENCY, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, FOLLOWED_UP);
    UNIT_EQ(next(LAPOR_ACTION_FEEDBACK, REPORTER, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, CLOSED);

    s = FOLLOWED_UP;
    UNIT_EQ(next(LAPOR_ACTION_AUTO_CLOSE, SYSTEM, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, CLOSED);

    s = DEFERRED;
    UNIT_EQ(next(LAPOR_ACTION_ARCHIVE, ADMIN, s, &s), LAPOR_WORKFLOW_OK);
    UNIT_EQ(s, ARCHIVED);
}


/* values outside the enums are refused, never read past the table */

static void
test_out_of_range(void)
{
    lapor_state_e  to;

    to = LAPOR_STATE_COUNT;

    UNIT_EQ(next(LAPOR_ACTION_COUNT, ADMIN, SUBMITTED, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next((lapor_action_e) (LAPOR_ACTION_COUNT + 100), ADMIN,
                 SUBMITTED, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next((lapor_action_e) -1, ADMIN, SUBMITTED, &to),
            LAPOR_WORKFLOW_CONFLICT);

    UNIT_EQ(next(LAPOR_ACTION_CLARIFY, ADMIN, LAPOR_STATE_COUNT, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next(LAPOR_ACTION_CLARIFY, ADMIN, LAPOR_STATE_SAME, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, REPORTER, (lapor_state_e) 31, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, REPORTER, (lapor_state_e) 32, &to),
            LAPOR_WORKFLOW_CONFLICT);
    UNIT_EQ(next(LAPOR_ACTION_COMMENT, REPORTER, (lapor_state_e) -1, &to),
            LAPOR_WORKFLOW_CONFLICT);

    UNIT_EQ(to, LAPOR_STATE_COUNT);

    UNIT_EQ(lapor_state_open(LAPOR_STATE_COUNT), 0);
    UNIT_EQ(lapor_state_open((lapor_state_e) 31), 0);
    UNIT_EQ(lapor_state_open((lapor_state_e) 32), 0);
    UNIT_EQ(lapor_state_open((lapor_state_e) -1), 0);

    UNIT_TRUE(strcmp(lapor_state_name(LAPOR_STATE_COUNT), "unknown") == 0);
    UNIT_TRUE(strcmp(lapor_state_name((lapor_state_e) 1000), "unknown")
              == 0);
    UNIT_TRUE(strcmp(lapor_state_name((lapor_state_e) -1), "unknown") == 0);
}


/* every endpoint by its URL name; the sweep is not one */

static void
test_action_find(void)
{
    size_t       i;
    const char  *name;

    for (i = 0; i < NSPEC; i++) {
        name = spec[i].name;

        if (name[0] == '\0') {
            continue;
        }

        UNIT_EQ(lapor_action_find(name, strlen(name)), spec[i].action);
    }

    UNIT_EQ(lapor_action_find("auto_close", 10), -1);
    UNIT_EQ(lapor_action_find("", 0), -1);
    UNIT_EQ(lapor_action_find("x", 0), -1);
    UNIT_EQ(lapor_action_find("nope", 4), -1);
    UNIT_EQ(lapor_action_find("close", 5), -1);
    UNIT_EQ(lapor_action_find("reopen", 6), -1);

    /* prefixes, extensions, case, the singular */
    UNIT_EQ(lapor_action_find("dis", 3), -1);
    UNIT_EQ(lapor_action_find("dispatc", 7), -1);
    UNIT_EQ(lapor_action_find("dispatchx", 9), -1);
    UNIT_EQ(lapor_action_find("dispatch/", 9), -1);
    UNIT_EQ(lapor_action_find("Dispatch", 8), -1);
    UNIT_EQ(lapor_action_find("DEFER", 5), -1);
    UNIT_EQ(lapor_action_find("comment", 7), -1);
    UNIT_EQ(lapor_action_find("not-authority", 13), -1);
    UNIT_EQ(lapor_action_find("followup", 8), -1);
    UNIT_EQ(lapor_action_find("follow_up ", 10), -1);
    UNIT_EQ(lapor_action_find("defer\0", 6), -1);

    /* the name is (pointer, length), not a C string: "defer" in "deferx" */
    UNIT_EQ(lapor_action_find("deferx", 5), LAPOR_ACTION_DEFER);
    UNIT_EQ(lapor_action_find("respond?x=1", 7), LAPOR_ACTION_RESPOND);
}


static void
test_states(void)
{
    int          s;
    const char  *name;

    for (s = 0; s < NSTATES; s++) {
        name = lapor_state_name((lapor_state_e) s);

        UNIT_TRUE(strcmp(name, state_names[s]) == 0);
        UNIT_EQ(lapor_state_find(state_names[s], strlen(state_names[s])), s);
        UNIT_EQ(lapor_state_find(name, strlen(name)), s);
    }

    UNIT_EQ(lapor_state_find("", 0), -1);
    UNIT_EQ(lapor_state_find("unknown", 7), -1);
    UNIT_EQ(lapor_state_find("submit", 6), -1);
    UNIT_EQ(lapor_state_find("submittedx", 10), -1);
    UNIT_EQ(lapor_state_find("Closed", 6), -1);
    UNIT_EQ(lapor_state_find("in-progress", 11), -1);
    UNIT_EQ(lapor_state_find("open", 4), -1);
    UNIT_EQ(lapor_state_find("closedx", 6), CLOSED);

    /* open: the five a report can still leave */
    UNIT_EQ(lapor_state_open(SUBMITTED), 1);
    UNIT_EQ(lapor_state_open(DEFERRED), 1);
    UNIT_EQ(lapor_state_open(DISPATCHED), 1);
    UNIT_EQ(lapor_state_open(IN_PROGRESS), 1);
    UNIT_EQ(lapor_state_open(FOLLOWED_UP), 1);
    UNIT_EQ(lapor_state_open(ARCHIVED), 0);
    UNIT_EQ(lapor_state_open(CLOSED), 0);
}


/* open means some role can still move it: the two views agree */

static void
test_open_matches_table(void)
{
    int            a, s, any;
    size_t         r;
    lapor_state_e  to;

    for (s = 0; s < NSTATES; s++) {
        any = 0;

        for (a = 0; a < NACTIONS; a++) {
            for (r = 0; r < NROLES; r++) {
                if (next((lapor_action_e) a, roles[r], (lapor_state_e) s, &to)
                    == LAPOR_WORKFLOW_OK)
                {
                    any = 1;
                }
            }
        }

        UNIT_EQ(any, lapor_state_open((lapor_state_e) s));
    }
}


int
main(void)
{
    test_spec_covers_every_action();
    test_every_combination();
    test_table();
    test_role_before_state();
    test_final_states();
    test_role_masks();
    test_paths();
    test_out_of_range();
    test_action_find();
    test_states();
    test_open_matches_table();

    return unit_report("workflow");
}
