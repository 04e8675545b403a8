
/*
 * The lifecycle of a report, as SP4N LAPOR! runs it (SPEC section 4): the
 * states, the actions, who may take them and where they lead, in one table.
 * Plain C, unit tested directly.
 */


#ifndef _LAPOR_WORKFLOW_H_INCLUDED_
#define _LAPOR_WORKFLOW_H_INCLUDED_


#include <stddef.h>


typedef enum {
    LAPOR_STATE_SUBMITTED = 0,   /* Belum Terverifikasi */
    LAPOR_STATE_DEFERRED,        /* Tertunda */
    LAPOR_STATE_ARCHIVED,        /* Arsip */
    LAPOR_STATE_DISPATCHED,      /* Terdisposisi */
    LAPOR_STATE_IN_PROGRESS,     /* Sedang Diproses */
    LAPOR_STATE_FOLLOWED_UP,     /* Ditindaklanjuti */
    LAPOR_STATE_CLOSED,          /* Selesai */
    LAPOR_STATE_COUNT,
    LAPOR_STATE_SAME = LAPOR_STATE_COUNT   /* an action that keeps it */
} lapor_state_e;


typedef enum {
    LAPOR_ACTION_DISPATCH = 0,
    LAPOR_ACTION_DEFER,
    LAPOR_ACTION_ARCHIVE,
    LAPOR_ACTION_RESPOND,
    LAPOR_ACTION_CLARIFY,
    LAPOR_ACTION_FOLLOW_UP,
    LAPOR_ACTION_NOT_AUTHORITY,
    LAPOR_ACTION_COMMENT,
    LAPOR_ACTION_FEEDBACK,
    LAPOR_ACTION_AUTO_CLOSE,     /* the sweep, not an endpoint */
    LAPOR_ACTION_COUNT
} lapor_action_e;


/* who acts; a mask so that an action can allow several */
#define LAPOR_ROLE_ADMIN     0x01
#define LAPOR_ROLE_AGENCY    0x02
#define LAPOR_ROLE_REPORTER  0x04
#define LAPOR_ROLE_SYSTEM    0x08
#define LAPOR_ROLE_CLIENT    0x10    /* an Open311 client (api_key) */


/* what the action's JSON body carries */
#define LAPOR_FIELD_AGENCY   0x01   /* dispatch: the agency code */
#define LAPOR_FIELD_REASON   0x02   /* defer, archive, not_authority */
#define LAPOR_FIELD_MESSAGE  0x04   /* respond, clarify, follow_up, comment */
#define LAPOR_FIELD_RATING   0x08   /* feedback: rating, resolved, comment */


typedef struct {
    const char      *name;       /* as in the URL, e.g. "not_authority" */
    unsigned         roles;      /* LAPOR_ROLE_* allowed */
    unsigned         from;       /* mask of (1 << lapor_state_e) */
    lapor_state_e    to;         /* or LAPOR_STATE_SAME */
    unsigned         fields;     /* LAPOR_FIELD_* required */
} lapor_action_t;


#define LAPOR_WORKFLOW_OK          0
#define LAPOR_WORKFLOW_FORBIDDEN   1   /* this role may not take it */
#define LAPOR_WORKFLOW_CONFLICT    2   /* not from the report's state */


extern const lapor_action_t  lapor_actions[LAPOR_ACTION_COUNT];


/* by name; -1 if there is no such action or it is not an endpoint */
int lapor_action_find(const char *name, size_t len);

/* by name; -1 if unknown */
int lapor_state_find(const char *name, size_t len);
const char *lapor_state_name(lapor_state_e state);

/* 1 for the states a report can still change in */
int lapor_state_open(lapor_state_e state);

/*
 * May role take action on a report in state?  Returns LAPOR_WORKFLOW_*, and
 * the state it leads to in *to (the same state for clarifications and the
 * comments that keep it).
 */
int lapor_workflow_next(lapor_action_e action, unsigned role,
    lapor_state_e state, lapor_state_e *to);


#endif /* _LAPOR_WORKFLOW_H_INCLUDED_ */
