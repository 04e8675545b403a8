
/*
 * Validation of a submitted report against the catalog.
 */


#include <stdio.h>
#include <string.h>

#include "lapor_report.h"
#include "lapor_calendar.h"
#include "lapor_workflow.h"


/* the length bounds of a string field, in characters */
typedef struct {
    size_t                   min;
    size_t                   max;
    const char              *min_text;
    const char              *max_text;
    int                      one_line;
} lapor_report_len_t;


#define LAPOR_STR(x)   #x
#define LAPOR_XSTR(x)  LAPOR_STR(x)

#define lapor_report_len(min, max, one_line)                                  \
    { min, max, LAPOR_XSTR(min), LAPOR_XSTR(max), one_line }


static const lapor_report_len_t  lapor_len_code = lapor_report_len(1, 32, 1);
/* a date's form is judged by lapor_calendar_parse_date(), not its length */
static const lapor_report_len_t  lapor_len_date = lapor_report_len(1, 32, 1);
static const lapor_report_len_t  lapor_len_title =
    lapor_report_len(LAPOR_REPORT_TITLE_MIN, LAPOR_REPORT_TITLE_MAX, 1);
static const lapor_report_len_t  lapor_len_body =
    lapor_report_len(LAPOR_REPORT_BODY_MIN, LAPOR_REPORT_BODY_MAX, 0);
static const lapor_report_len_t  lapor_len_place =
    lapor_report_len(1, LAPOR_REPORT_PLACE_MAX, 1);
static const lapor_report_len_t  lapor_len_name =
    lapor_report_len(LAPOR_REPORT_NAME_MIN, LAPOR_REPORT_NAME_MAX, 1);
static const lapor_report_len_t  lapor_len_contact =
    lapor_report_len(LAPOR_REPORT_CONTACT_MIN, LAPOR_REPORT_CONTACT_MAX, 1);
static const lapor_report_len_t  lapor_len_reason =
    lapor_report_len(LAPOR_REPORT_REASON_MIN, LAPOR_REPORT_REASON_MAX, 0);
static const lapor_report_len_t  lapor_len_message =
    lapor_report_len(1, LAPOR_REPORT_MESSAGE_MAX, 0);
static const lapor_report_len_t  lapor_len_comment =
    lapor_report_len(1, LAPOR_REPORT_COMMENT_MAX, 0);


typedef struct {
    lapor_report_error_t    *errs;
    size_t                   max;
    size_t                   n;
} lapor_report_errors_t;


const char  *lapor_report_channels[] = {
    "web", "sms", "app", "kiosk", "wifi-portal", "counter", NULL
};


static void lapor_report_error(lapor_report_errors_t *e, const char *prefix,
    const char *field, size_t len, lapor_report_error_e code,
    const char *arg);
static const lapor_json_t *lapor_report_string(lapor_report_errors_t *e,
    const lapor_json_t *obj, const char *prefix, const char *name,
    int required, const lapor_report_len_t *lim, lapor_report_str_t *out);
static int lapor_report_flag(lapor_report_errors_t *e, const lapor_json_t *obj,
    const char *name, int *out);
static void lapor_report_unknown(lapor_report_errors_t *e,
    const lapor_json_t *obj, const char *prefix, const char **known);
static void lapor_report_location(lapor_report_errors_t *e,
    const lapor_json_t *loc, lapor_report_t *out);
static void lapor_report_coordinate(lapor_report_errors_t *e,
    const lapor_json_t *v, const char *field, double limit,
    const char *range, lapor_report_str_t *out);
static void lapor_report_reporter(lapor_report_errors_t *e,
    const lapor_json_t *rep, lapor_report_t *out);
static int lapor_report_contact_ok(const char *s, size_t len);
static int lapor_report_blank(const char *s, size_t len);


static const char  *lapor_report_fields[] = {
    "type", "category", "title", "body", "agency", "location",
    "occurred_on", "anonymous", "confidential", "reporter", "channel", NULL
};

static const char  *lapor_report_location_fields[] = {
    "text", "lat", "lon", NULL
};

static const char  *lapor_report_reporter_fields[] = {
    "name", "contact", NULL
};


size_t
lapor_report_validate(const lapor_json_t *doc, const lapor_catalog_t *cat,
    int64_t now, lapor_report_t *out, lapor_report_error_t *errs,
    size_t maxerrs)
{
    int32_t                   day;
    const char              **ch;
    lapor_json_t             *v;
    lapor_report_str_t        s;
    lapor_report_errors_t     e;
    int                       flag;

    e.errs = errs;
    e.max = maxerrs;
    e.n = 0;

    memset(out, 0, sizeof(lapor_report_t));

    if (doc == NULL || doc->type != LAPOR_JSON_OBJECT) {
        lapor_report_error(&e, NULL, "", 0, LAPOR_REPORT_E_NOT_OBJECT, NULL);
        return e.n;
    }

    lapor_report_unknown(&e, doc, NULL, lapor_report_fields);

    /* type: a code of the catalog's types */

    if (lapor_report_string(&e, doc, NULL, "type", 1, &lapor_len_code, &s)
        && s.data)
    {
        out->type = lapor_catalog_type(cat, s.data, s.len);

        if (out->type == NULL) {
            lapor_report_error(&e, NULL, "type", 4,
                               LAPOR_REPORT_E_UNKNOWN_TYPE, NULL);
        }
    }

    if (lapor_report_string(&e, doc, NULL, "category", 1, &lapor_len_code,
                            &s)
        && s.data)
    {
        out->category = lapor_catalog_category(cat, s.data, s.len);

        if (out->category == NULL) {
            lapor_report_error(&e, NULL, "category", 8,
                               LAPOR_REPORT_E_UNKNOWN_CATEGORY, NULL);
        }
    }

    (void) lapor_report_string(&e, doc, NULL, "title", 1, &lapor_len_title,
                               &out->title);

    (void) lapor_report_string(&e, doc, NULL, "body", 1, &lapor_len_body,
                               &out->body);

    /* agency: optional, the category's default agency otherwise */

    if (lapor_report_string(&e, doc, NULL, "agency", 0, &lapor_len_code, &s)
        && s.data)
    {
        out->agency = lapor_catalog_agency(cat, s.data, s.len);

        if (out->agency == NULL) {
            lapor_report_error(&e, NULL, "agency", 6,
                               LAPOR_REPORT_E_UNKNOWN_AGENCY, NULL);
        }

    } else if (out->category) {
        out->agency = lapor_catalog_category_agency(cat, out->category);
    }

    v = lapor_json_get(doc, "location");

    if (v && v->type != LAPOR_JSON_NULL) {
        lapor_report_location(&e, v, out);
    }

    if (lapor_report_string(&e, doc, NULL, "occurred_on", 0, &lapor_len_date,
                            &out->occurred_on)
        && out->occurred_on.data)
    {
        if (lapor_calendar_parse_date(out->occurred_on.data,
                                      out->occurred_on.len, &day) != 0)
        {
            lapor_report_error(&e, NULL, "occurred_on", 11,
                               LAPOR_REPORT_E_DATE, NULL);

        } else if (day > lapor_calendar_day_of(&cat->calendar, now)) {
            lapor_report_error(&e, NULL, "occurred_on", 11,
                               LAPOR_REPORT_E_FUTURE, NULL);
        }
    }

    if (lapor_report_flag(&e, doc, "anonymous", &flag)) {
        out->anonymous = flag ? 1 : 0;
    }

    if (lapor_report_flag(&e, doc, "confidential", &flag)) {
        out->confidential = flag ? 1 : 0;
    }

    v = lapor_json_get(doc, "reporter");

    if (v && v->type != LAPOR_JSON_NULL) {
        lapor_report_reporter(&e, v, out);

    } else if (!out->anonymous) {
        /* without a name nobody can be answered: only anonymously */
        lapor_report_error(&e, NULL, "reporter", 8, LAPOR_REPORT_E_REPORTER,
                           NULL);
    }

    out->channel = "web";

    if (lapor_report_string(&e, doc, NULL, "channel", 0, &lapor_len_code, &s)
        && s.data)
    {
        for (ch = lapor_report_channels; *ch; ch++) {
            if (strlen(*ch) == s.len && memcmp(*ch, s.data, s.len) == 0) {
                out->channel = *ch;
                break;
            }
        }

        if (*ch == NULL) {
            lapor_report_error(&e, NULL, "channel", 7, LAPOR_REPORT_E_ENUM,
                               "web, sms, app, kiosk, wifi-portal, counter");
        }
    }

    return e.n;
}


size_t
lapor_report_action_validate(const lapor_json_t *doc,
    const lapor_catalog_t *cat, unsigned fields, lapor_report_action_t *out,
    lapor_report_error_t *errs, size_t maxerrs)
{
    int64_t                 n;
    const char             *known[4], **k, **r;
    lapor_json_t           *v;
    lapor_report_str_t      s;
    lapor_report_errors_t   e;

    static const char      *resolved[] = { "yes", "partial", "no", NULL };

    e.errs = errs;
    e.max = maxerrs;
    e.n = 0;

    memset(out, 0, sizeof(lapor_report_action_t));

    if (doc == NULL || doc->type != LAPOR_JSON_OBJECT) {
        lapor_report_error(&e, NULL, "", 0, LAPOR_REPORT_E_NOT_OBJECT, NULL);
        return e.n;
    }

    k = known;

    if (fields & LAPOR_FIELD_AGENCY) {
        *k++ = "agency";
        *k++ = "message";

        if (lapor_report_string(&e, doc, NULL, "agency", 1, &lapor_len_code,
                                &s))
        {
            out->agency = lapor_catalog_agency(cat, s.data, s.len);

            if (out->agency == NULL) {
                lapor_report_error(&e, NULL, "agency", 6,
                                   LAPOR_REPORT_E_UNKNOWN_AGENCY, NULL);
            }
        }

        (void) lapor_report_string(&e, doc, NULL, "message", 0,
                                   &lapor_len_reason, &out->text);

    } else if (fields & LAPOR_FIELD_REASON) {
        *k++ = "reason";
        (void) lapor_report_string(&e, doc, NULL, "reason", 1,
                                   &lapor_len_reason, &out->text);

    } else if (fields & LAPOR_FIELD_MESSAGE) {
        *k++ = "message";
        (void) lapor_report_string(&e, doc, NULL, "message", 1,
                                   &lapor_len_message, &out->text);

    } else if (fields & LAPOR_FIELD_RATING) {
        *k++ = "rating";
        *k++ = "resolved";
        *k++ = "comment";

        v = lapor_json_get(doc, "rating");

        if (v == NULL || v->type == LAPOR_JSON_NULL) {
            lapor_report_error(&e, NULL, "rating", 6,
                               LAPOR_REPORT_E_REQUIRED, NULL);

        } else if (v->type != LAPOR_JSON_NUMBER) {
            lapor_report_error(&e, NULL, "rating", 6, LAPOR_REPORT_E_TYPE,
                               "number");

        } else if (lapor_json_int64(v, &n) != 0 || n < 1 || n > 5) {
            /* 4.0 or 4e0: a number, but not the integer asked for */
            if (strpbrk(v->u.number.text, ".eE") != NULL) {
                lapor_report_error(&e, NULL, "rating", 6,
                                   LAPOR_REPORT_E_TYPE, "integer");

            } else {
                lapor_report_error(&e, NULL, "rating", 6,
                                   LAPOR_REPORT_E_RANGE, "1..5");
            }

        } else {
            out->rating = (int) n;
        }

        if (lapor_report_string(&e, doc, NULL, "resolved", 1,
                                &lapor_len_code, &s))
        {
            for (r = resolved; *r; r++) {
                if (strlen(*r) == s.len && memcmp(*r, s.data, s.len) == 0) {
                    out->resolved = *r;
                    break;
                }
            }

            if (*r == NULL) {
                lapor_report_error(&e, NULL, "resolved", 8,
                                   LAPOR_REPORT_E_ENUM, "yes, partial, no");
            }
        }

        (void) lapor_report_string(&e, doc, NULL, "comment", 0,
                                   &lapor_len_comment, &out->text);
    }

    *k = NULL;

    lapor_report_unknown(&e, doc, NULL, known);

    return e.n;
}


/*
 * The field path is "prefix.field"; a field name taken from the input (an
 * unknown key) is cut at a character boundary to fit.
 */

static void
lapor_report_error(lapor_report_errors_t *e, const char *prefix,
    const char *field, size_t len, lapor_report_error_e code,
    const char *arg)
{
    size_t                 n, room;
    lapor_report_error_t  *err;

    /* every error counts, the first e->max are described */

    if (e->n++ >= e->max) {
        return;
    }

    err = &e->errs[e->n - 1];

    n = 0;

    if (prefix) {
        n = strlen(prefix);
        memcpy(err->field, prefix, n);
        err->field[n++] = '.';
    }

    room = LAPOR_REPORT_FIELD_LEN - 1 - n;

    if (len > room) {
        len = room;

        /* do not split a UTF-8 sequence */
        while (len > 0 && ((unsigned char) field[len] & 0xc0) == 0x80) {
            len--;
        }
    }

    memcpy(err->field + n, field, len);
    err->field[n + len] = '\0';

    err->code = code;
    err->arg = arg;
}


static void
lapor_report_unknown(lapor_report_errors_t *e, const lapor_json_t *obj,
    const char *prefix, const char **known)
{
    size_t        i;
    const char  **k;

    for (i = 0; i < obj->u.object.n; i++) {
        for (k = known; *k; k++) {
            if (strlen(*k) == obj->u.object.members[i].key_len
                && memcmp(*k, obj->u.object.members[i].key,
                          obj->u.object.members[i].key_len) == 0)
            {
                break;
            }
        }

        if (*k == NULL) {
            lapor_report_error(e, prefix, obj->u.object.members[i].key,
                               obj->u.object.members[i].key_len,
                               LAPOR_REPORT_E_UNKNOWN, NULL);
        }
    }
}


/*
 * A string member.  Returns the value node when the member is present and
 * usable as a string (out filled), NULL otherwise; an explicit null counts
 * as absent for optional members.
 */

static const lapor_json_t *
lapor_report_string(lapor_report_errors_t *e, const lapor_json_t *obj,
    const char *prefix, const char *name, int required,
    const lapor_report_len_t *lim, lapor_report_str_t *out)
{
    size_t         i, before;
    lapor_json_t  *v;

    out->data = NULL;
    out->len = 0;

    v = lapor_json_get(obj, name);

    if (v == NULL || v->type == LAPOR_JSON_NULL) {
        if (required) {
            lapor_report_error(e, prefix, name, strlen(name),
                               LAPOR_REPORT_E_REQUIRED, NULL);
        }

        return NULL;
    }

    if (v->type != LAPOR_JSON_STRING) {
        lapor_report_error(e, prefix, name, strlen(name),
                           LAPOR_REPORT_E_TYPE, "string");
        return NULL;
    }

    before = e->n;

    if (lim->one_line) {
        for (i = 0; i < v->u.string.len; i++) {
            if (v->u.string.data[i] == '\n' || v->u.string.data[i] == '\r'
                || v->u.string.data[i] == '\t')
            {
                break;
            }
        }

        if (i < v->u.string.len) {
            /* one problem per field is enough to fix it */
            lapor_report_error(e, prefix, name, strlen(name),
                               LAPOR_REPORT_E_ONE_LINE, NULL);
            return NULL;
        }
    }

    if (v->u.string.len == 0) {
        /* "is required" would be wrong for an optional field */
        lapor_report_error(e, prefix, name, strlen(name),
                           required ? LAPOR_REPORT_E_REQUIRED
                                    : LAPOR_REPORT_E_EMPTY, NULL);

    } else if (lapor_report_blank(v->u.string.data, v->u.string.len)) {
        lapor_report_error(e, prefix, name, strlen(name),
                           LAPOR_REPORT_E_BLANK, NULL);

    } else if (v->u.string.chars < lim->min) {
        lapor_report_error(e, prefix, name, strlen(name),
                           LAPOR_REPORT_E_TOO_SHORT, lim->min_text);

    } else if (v->u.string.chars > lim->max) {
        lapor_report_error(e, prefix, name, strlen(name),
                           LAPOR_REPORT_E_TOO_LONG, lim->max_text);
    }

    if (e->n != before) {
        return NULL;
    }

    out->data = v->u.string.data;
    out->len = v->u.string.len;

    return v;
}


static int
lapor_report_flag(lapor_report_errors_t *e, const lapor_json_t *obj,
    const char *name, int *out)
{
    lapor_json_t  *v;

    *out = 0;

    v = lapor_json_get(obj, name);

    if (v == NULL || v->type == LAPOR_JSON_NULL) {
        return 0;
    }

    if (v->type != LAPOR_JSON_BOOLEAN) {
        lapor_report_error(e, NULL, name, strlen(name), LAPOR_REPORT_E_TYPE,
                           "boolean");
        return 0;
    }

    *out = v->u.boolean;

    return 1;
}


static void
lapor_report_location(lapor_report_errors_t *e, const lapor_json_t *loc,
    lapor_report_t *out)
{
    lapor_json_t  *lat, *lon;

    if (loc->type != LAPOR_JSON_OBJECT) {
        lapor_report_error(e, NULL, "location", 8, LAPOR_REPORT_E_TYPE,
                           "object");
        return;
    }

    lapor_report_unknown(e, loc, "location", lapor_report_location_fields);

    (void) lapor_report_string(e, loc, "location", "text", 0,
                               &lapor_len_place, &out->place);

    lat = lapor_json_get(loc, "lat");
    lon = lapor_json_get(loc, "lon");

    if (lat && lat->type == LAPOR_JSON_NULL) {
        lat = NULL;
    }

    if (lon && lon->type == LAPOR_JSON_NULL) {
        lon = NULL;
    }

    if ((lat == NULL) != (lon == NULL)) {
        lapor_report_error(e, "location", lat ? "lon" : "lat", 3,
                           LAPOR_REPORT_E_COORDINATES, NULL);
        return;
    }

    if (lat) {
        lapor_report_coordinate(e, lat, "location.lat", 90.0, "-90..90",
                                &out->lat);
        lapor_report_coordinate(e, lon, "location.lon", 180.0, "-180..180",
                                &out->lon);
    }
}


static void
lapor_report_coordinate(lapor_report_errors_t *e, const lapor_json_t *v,
    const char *field, double limit, const char *range,
    lapor_report_str_t *out)
{
    double  d;

    if (v->type != LAPOR_JSON_NUMBER) {
        lapor_report_error(e, NULL, field, strlen(field), LAPOR_REPORT_E_TYPE,
                           "number");
        return;
    }

    if (lapor_json_double(v, &d) != 0 || d < -limit || d > limit) {
        lapor_report_error(e, NULL, field, strlen(field),
                           LAPOR_REPORT_E_RANGE, range);
        return;
    }

    out->data = v->u.number.text;
    out->len = v->u.number.len;
}


static void
lapor_report_reporter(lapor_report_errors_t *e, const lapor_json_t *rep,
    lapor_report_t *out)
{
    if (rep->type != LAPOR_JSON_OBJECT) {
        lapor_report_error(e, NULL, "reporter", 8, LAPOR_REPORT_E_TYPE,
                           "object");
        return;
    }

    lapor_report_unknown(e, rep, "reporter", lapor_report_reporter_fields);

    (void) lapor_report_string(e, rep, "reporter", "name", 1,
                               &lapor_len_name, &out->reporter_name);

    if (lapor_report_string(e, rep, "reporter", "contact", 1,
                            &lapor_len_contact, &out->reporter_contact)
        && !lapor_report_contact_ok(out->reporter_contact.data,
                                    out->reporter_contact.len))
    {
        lapor_report_error(e, "reporter", "contact", 7,
                           LAPOR_REPORT_E_CONTACT, NULL);
        out->reporter_contact.data = NULL;
        out->reporter_contact.len = 0;
    }

    out->has_reporter = (out->reporter_name.data != NULL
                         && out->reporter_contact.data != NULL);
}


/*
 * An answer must be able to reach the reporter: an e-mail address
 * (something@domain.tld) or a phone number (8 to 15 digits, with an
 * optional leading "+" and spaces, dots or dashes between them).
 */

static int
lapor_report_contact_ok(const char *s, size_t len)
{
    size_t  i, at, dot, digits;

    at = len;

    for (i = 0; i < len; i++) {
        if (s[i] == '@') {
            if (at != len) {
                return 0;
            }

            at = i;
        }
    }

    if (at != len) {
        if (at == 0 || at + 1 >= len) {
            return 0;
        }

        dot = len;

        for (i = at + 1; i < len; i++) {
            if ((unsigned char) s[i] <= ' ') {
                return 0;
            }

            if (s[i] == '.') {
                dot = i;
            }
        }

        for (i = 0; i < at; i++) {
            if ((unsigned char) s[i] <= ' ') {
                return 0;
            }
        }

        /* a dot in the domain, with something on both sides */
        return dot != len && dot > at + 1 && dot + 1 < len;
    }

    digits = 0;

    for (i = 0; i < len; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            digits++;
            continue;
        }

        if (s[i] == '+' && i == 0) {
            continue;
        }

        if (s[i] == ' ' || s[i] == '-' || s[i] == '.') {
            continue;
        }

        return 0;
    }

    return digits >= 8 && digits <= 15;
}


/*
 * Only white space: ASCII blanks and the Unicode spaces people paste from
 * word processors and phones (no-break, ideographic, the U+2000 block,
 * zero-width space and the byte order mark).
 */

static int
lapor_report_blank(const char *s, size_t len)
{
    size_t                i;
    const unsigned char  *p;

    p = (const unsigned char *) s;

    for (i = 0; i < len; /* void */) {
        if (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' || p[i] == '\t') {
            i++;
            continue;
        }

        /* U+00A0 */
        if (i + 1 < len && p[i] == 0xc2 && p[i + 1] == 0xa0) {
            i += 2;
            continue;
        }

        if (i + 2 < len) {
            /* U+2000..U+200B, U+2028, U+2029, U+202F, U+205F */
            if (p[i] == 0xe2 && p[i + 1] == 0x80
                && (p[i + 2] <= 0x8b || p[i + 2] == 0xa8
                    || p[i + 2] == 0xa9 || p[i + 2] == 0xaf))
            {
                i += 3;
                continue;
            }

            if (p[i] == 0xe2 && p[i + 1] == 0x81 && p[i + 2] == 0x9f) {
                i += 3;
                continue;
            }

            /* U+3000 */
            if (p[i] == 0xe3 && p[i + 1] == 0x80 && p[i + 2] == 0x80) {
                i += 3;
                continue;
            }

            /* U+FEFF */
            if (p[i] == 0xef && p[i + 1] == 0xbb && p[i + 2] == 0xbf) {
                i += 3;
                continue;
            }
        }

        return 0;
    }

    return 1;
}
