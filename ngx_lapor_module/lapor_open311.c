
/*
 * Open311 GeoReport v2 onto LAPOR! reports: the parts that need no nginx.
 */


#include <stdio.h>
#include <string.h>

#include "lapor_open311.h"
#include "lapor_calendar.h"
#include "lapor_utf8.h"
#include "lapor_workflow.h"


typedef struct {
    void                  *(*alloc)(void *ctx, size_t size);
    void                    *ctx;
    lapor_report_error_t    *errs;
    size_t                   max;
    size_t                   n;
    int                      nomem;
} lapor_open311_ctx_t;


static const lapor_form_pair_t *lapor_open311_arg(const lapor_form_t *form,
    const char *key);
static const lapor_form_pair_t *lapor_open311_attribute(
    lapor_open311_ctx_t *c, const lapor_form_t *form, const char *code);
static void lapor_open311_error(lapor_open311_ctx_t *c, const char *field,
    lapor_report_error_e code, const char *arg);
static lapor_json_t *lapor_open311_node(lapor_open311_ctx_t *c,
    lapor_json_type_e type);
static lapor_json_t *lapor_open311_string(lapor_open311_ctx_t *c,
    const char *s, size_t len);
static int lapor_open311_member(lapor_open311_ctx_t *c, lapor_json_t *obj,
    size_t max, const char *key, lapor_json_t *value);
static lapor_json_t *lapor_open311_title(lapor_open311_ctx_t *c,
    const char *s, size_t len);
static lapor_json_t *lapor_open311_flag(lapor_open311_ctx_t *c,
    const lapor_form_t *form, const char *code);
static int lapor_open311_url(const char *s, size_t len);
static int lapor_open311_digits(const char **p, const char *end, size_t n,
    int *out);


/* the arguments that take one value; a repeat is an error */
static const char  *lapor_open311_single[] = {
    "api_key", "jurisdiction_id", "service_code", "lat", "long",
    "address_string", "address_id", "email", "device_id", "account_id",
    "first_name", "last_name", "phone", "description", "media_url", NULL
};


int
lapor_open311_request(const lapor_form_t *form,
    void *(*alloc)(void *ctx, size_t size), void *ctx, lapor_json_t **doc,
    lapor_report_str_t *media_url, lapor_report_error_t *errs,
    size_t maxerrs)
{
    char                      *name;
    size_t                     n, len;
    const char               **k;
    lapor_json_t              *d, *loc, *rep, *v;
    lapor_open311_ctx_t        c;
    const lapor_form_pair_t   *p, *lat, *lon, *first, *last, *email, *phone;

    c.alloc = alloc;
    c.ctx = ctx;
    c.errs = errs;
    c.max = maxerrs;
    c.n = 0;
    c.nomem = 0;

    media_url->data = NULL;
    media_url->len = 0;

    for (k = lapor_open311_single; *k; k++) {
        (void) lapor_form_get(form, *k, &n);

        if (n > 1) {
            lapor_open311_error(&c, *k, LAPOR_REPORT_E_REPEATED, NULL);
        }
    }

    d = lapor_open311_node(&c, LAPOR_JSON_OBJECT);
    loc = lapor_open311_node(&c, LAPOR_JSON_OBJECT);
    rep = lapor_open311_node(&c, LAPOR_JSON_OBJECT);

    if (c.nomem) {
        return -1;
    }

    /* the report type, the category and the texts */

    p = lapor_open311_attribute(&c, form, "type");

    if (p) {
        v = lapor_open311_string(&c, p->value, p->value_len);

    } else {
        v = lapor_open311_string(&c, "pengaduan", 9);
    }

    (void) lapor_open311_member(&c, d, 8, "type", v);

    p = lapor_open311_arg(form, "service_code");

    if (p) {
        (void) lapor_open311_member(&c, d, 8, "category",
                                    lapor_open311_string(&c, p->value,
                                                         p->value_len));
    }

    p = lapor_open311_arg(form, "description");

    if (p) {
        (void) lapor_open311_member(&c, d, 8, "body",
                                    lapor_open311_string(&c, p->value,
                                                         p->value_len));
    }

    first = lapor_open311_attribute(&c, form, "title");

    if (first) {
        v = lapor_open311_string(&c, first->value, first->value_len);

    } else {
        v = p ? lapor_open311_title(&c, p->value, p->value_len) : NULL;
    }

    if (v) {
        (void) lapor_open311_member(&c, d, 8, "title", v);
    }

    /* where: an address, coordinates or both */

    p = lapor_open311_arg(form, "address_string");

    if (p == NULL) {
        p = lapor_open311_arg(form, "address_id");
    }

    if (p) {
        (void) lapor_open311_member(&c, loc, 3, "text",
                                    lapor_open311_string(&c, p->value,
                                                         p->value_len));
    }

    lat = lapor_open311_arg(form, "lat");
    lon = lapor_open311_arg(form, "long");

    if ((lat == NULL) != (lon == NULL)) {
        lapor_open311_error(&c, lat ? "long" : "lat",
                            LAPOR_REPORT_E_COORDINATES, NULL);

    } else if (lat) {
        if (!lapor_open311_number(lat->value, lat->value_len)) {
            lapor_open311_error(&c, "lat", LAPOR_REPORT_E_TYPE, "number");
        }

        if (!lapor_open311_number(lon->value, lon->value_len)) {
            lapor_open311_error(&c, "long", LAPOR_REPORT_E_TYPE, "number");
        }

        v = lapor_open311_node(&c, LAPOR_JSON_NUMBER);

        if (v) {
            v->u.number.text = lat->value;
            v->u.number.len = lat->value_len;
            (void) lapor_open311_member(&c, loc, 3, "lat", v);
        }

        v = lapor_open311_node(&c, LAPOR_JSON_NUMBER);

        if (v) {
            v->u.number.text = lon->value;
            v->u.number.len = lon->value_len;
            (void) lapor_open311_member(&c, loc, 3, "lon", v);
        }
    }

    if (loc->u.object.n) {
        (void) lapor_open311_member(&c, d, 8, "location", loc);

    } else if (lat == NULL && lon == NULL) {
        lapor_open311_error(&c, "lat", LAPOR_REPORT_E_LOCATION, NULL);
    }

    /* privacy */

    v = lapor_open311_flag(&c, form, "anonymous");

    if (v) {
        (void) lapor_open311_member(&c, d, 8, "anonymous", v);
    }

    v = lapor_open311_flag(&c, form, "confidential");

    if (v) {
        (void) lapor_open311_member(&c, d, 8, "confidential", v);
    }

    /* who: "first last", reached by e-mail or else by phone */

    first = lapor_open311_arg(form, "first_name");
    last = lapor_open311_arg(form, "last_name");
    email = lapor_open311_arg(form, "email");
    phone = lapor_open311_arg(form, "phone");

    if (first || last) {
        len = (first ? first->value_len : 0) + (last ? last->value_len : 0)
              + 1;

        name = alloc(ctx, len + 1);
        if (name == NULL) {
            return -1;
        }

        n = 0;

        if (first) {
            memcpy(name, first->value, first->value_len);
            n = first->value_len;
        }

        if (first && last) {
            name[n++] = ' ';
        }

        if (last) {
            memcpy(name + n, last->value, last->value_len);
            n += last->value_len;
        }

        name[n] = '\0';

        (void) lapor_open311_member(&c, rep, 2, "name",
                                    lapor_open311_string(&c, name, n));
    }

    p = email ? email : phone;

    if (p) {
        (void) lapor_open311_member(&c, rep, 2, "contact",
                                    lapor_open311_string(&c, p->value,
                                                         p->value_len));
    }

    if (rep->u.object.n) {
        (void) lapor_open311_member(&c, d, 8, "reporter", rep);
    }

    /* a link to a photo or a document, kept with the report */

    p = lapor_open311_arg(form, "media_url");

    if (p) {
        if (p->value_chars > LAPOR_OPEN311_MEDIA_URL_MAX) {
            lapor_open311_error(&c, "media_url", LAPOR_REPORT_E_TOO_LONG,
                                "2000");

        } else if (!lapor_open311_url(p->value, p->value_len)) {
            lapor_open311_error(&c, "media_url", LAPOR_REPORT_E_URL, NULL);

        } else {
            media_url->data = p->value;
            media_url->len = p->value_len;
        }
    }

    if (c.nomem) {
        return -1;
    }

    *doc = d;

    return (int) c.n;
}


/* an argument; an empty value counts as absent, as the specification says */

static const lapor_form_pair_t *
lapor_open311_arg(const lapor_form_t *form, const char *key)
{
    const lapor_form_pair_t  *p;

    p = lapor_form_get(form, key, NULL);

    return (p && p->value_len) ? p : NULL;
}


/* attribute[code] or attribute[code][], one value in all */

static const lapor_form_pair_t *
lapor_open311_attribute(lapor_open311_ctx_t *c, const lapor_form_t *form,
    const char *code)
{
    char                      key[64], field[64];
    size_t                    n, m;
    const lapor_form_pair_t  *p, *q;

    snprintf(key, sizeof(key), "attribute[%s]", code);
    p = lapor_form_get(form, key, &n);

    snprintf(field, sizeof(field), "attribute[%s][]", code);
    q = lapor_form_get(form, field, &m);

    if (n + m > 1) {
        lapor_open311_error(c, key, LAPOR_REPORT_E_REPEATED, NULL);
        return NULL;
    }

    p = p ? p : q;

    return (p && p->value_len) ? p : NULL;
}


static lapor_json_t *
lapor_open311_flag(lapor_open311_ctx_t *c, const lapor_form_t *form,
    const char *code)
{
    char                      field[64];
    lapor_json_t             *v;
    const lapor_form_pair_t  *p;

    p = lapor_open311_attribute(c, form, code);

    if (p == NULL) {
        return NULL;
    }

    v = lapor_open311_node(c, LAPOR_JSON_BOOLEAN);
    if (v == NULL) {
        return NULL;
    }

    if ((p->value_len == 4 && memcmp(p->value, "true", 4) == 0)
        || (p->value_len == 1 && p->value[0] == '1'))
    {
        v->u.boolean = 1;

    } else if ((p->value_len == 5 && memcmp(p->value, "false", 5) == 0)
               || (p->value_len == 1 && p->value[0] == '0'))
    {
        v->u.boolean = 0;

    } else {
        snprintf(field, sizeof(field), "attribute[%s]", code);
        lapor_open311_error(c, field, LAPOR_REPORT_E_ENUM, "true, false");
        return NULL;
    }

    return v;
}


static void
lapor_open311_error(lapor_open311_ctx_t *c, const char *field,
    lapor_report_error_e code, const char *arg)
{
    size_t                 len;
    lapor_report_error_t  *e;

    if (c->n++ >= c->max) {
        return;
    }

    e = &c->errs[c->n - 1];

    len = strlen(field);
    if (len >= LAPOR_REPORT_FIELD_LEN) {
        len = LAPOR_REPORT_FIELD_LEN - 1;
    }

    memcpy(e->field, field, len);
    e->field[len] = '\0';
    e->code = code;
    e->arg = arg;
}


static lapor_json_t *
lapor_open311_node(lapor_open311_ctx_t *c, lapor_json_type_e type)
{
    lapor_json_t  *v;

    v = c->alloc(c->ctx, sizeof(lapor_json_t));
    if (v == NULL) {
        c->nomem = 1;
        return NULL;
    }

    memset(v, 0, sizeof(lapor_json_t));
    v->type = type;

    return v;
}


/* form values are checked UTF-8 already; the length in characters */

static lapor_json_t *
lapor_open311_string(lapor_open311_ctx_t *c, const char *s, size_t len)
{
    size_t         chars;
    lapor_json_t  *v;

    v = lapor_open311_node(c, LAPOR_JSON_STRING);
    if (v == NULL) {
        return NULL;
    }

    if (lapor_utf8_check((const unsigned char *) s, len,
                         LAPOR_UTF8_ALLOW_NEWLINES, &chars)
        != 0)
    {
        chars = len;
    }

    v->u.string.data = s;
    v->u.string.len = len;
    v->u.string.chars = chars;

    return v;
}


static int
lapor_open311_member(lapor_open311_ctx_t *c, lapor_json_t *obj, size_t max,
    const char *key, lapor_json_t *value)
{
    if (obj == NULL || value == NULL) {
        return -1;
    }

    if (obj->u.object.members == NULL) {
        obj->u.object.members = c->alloc(c->ctx,
                                         max * sizeof(lapor_json_member_t));
        if (obj->u.object.members == NULL) {
            c->nomem = 1;
            return -1;
        }
    }

    if (obj->u.object.n == max) {
        return -1;
    }

    obj->u.object.members[obj->u.object.n].key = key;
    obj->u.object.members[obj->u.object.n].key_len = strlen(key);
    obj->u.object.members[obj->u.object.n].value = value;
    obj->u.object.n++;

    return 0;
}


/*
 * Open311 has no title: the description's first line, cut at a word
 * within LAPOR_REPORT_TITLE_MAX characters; a first line too short for a
 * title takes the description with its line breaks as spaces.
 */

static lapor_json_t *
lapor_open311_title(lapor_open311_ctx_t *c, const char *s, size_t len)
{
    char    *t;
    size_t   i, n, chars, space, end;

    while (len && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
        s++;
        len--;
    }

    for (i = 0, chars = 0; i < len && s[i] != '\n' && s[i] != '\r'; i++) {
        chars += (((unsigned char) s[i] & 0xc0) != 0x80);
    }

    if (chars < LAPOR_REPORT_TITLE_MIN) {
        i = len;
    }

    end = i;

    t = c->alloc(c->ctx, end + 1);
    if (t == NULL) {
        c->nomem = 1;
        return NULL;
    }

    space = 0;

    for (i = 0, n = 0, chars = 0; i < end; i++) {

        if (((unsigned char) s[i] & 0xc0) != 0x80) {
            if (chars == LAPOR_REPORT_TITLE_MAX) {
                /* cut at the last word boundary, if a title is left */
                if (space > LAPOR_REPORT_TITLE_MIN) {
                    n = space;
                }

                break;
            }

            chars++;
        }

        if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
            t[n++] = ' ';

        } else {
            t[n++] = s[i];
        }

        if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
            space = n - 1;
        }
    }

    while (n && t[n - 1] == ' ') {
        n--;
    }

    t[n] = '\0';

    return lapor_open311_string(c, t, n);
}


/* http:// or https:// and a host, one line of visible ASCII */

static int
lapor_open311_url(const char *s, size_t len)
{
    size_t  i, skip;

    if (len > 8 && strncmp(s, "https://", 8) == 0) {
        skip = 8;

    } else if (len > 7 && strncmp(s, "http://", 7) == 0) {
        skip = 7;

    } else {
        return 0;
    }

    if (s[skip] == '/' || s[skip] == '?' || s[skip] == '#') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] <= 0x20 || (unsigned char) s[i] >= 0x7f) {
            return 0;
        }
    }

    return 1;
}


int
lapor_open311_number(const char *s, size_t len)
{
    size_t  i;

    i = 0;

    if (i < len && s[i] == '-') {
        i++;
    }

    if (i == len || s[i] < '0' || s[i] > '9') {
        return 0;
    }

    if (s[i] == '0') {
        i++;

    } else {
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }

    if (i < len && s[i] == '.') {
        i++;

        if (i == len || s[i] < '0' || s[i] > '9') {
            return 0;
        }

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }

    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;

        if (i < len && (s[i] == '+' || s[i] == '-')) {
            i++;
        }

        if (i == len || s[i] < '0' || s[i] > '9') {
            return 0;
        }

        while (i < len && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
    }

    return i == len && len <= 32;
}


const char *
lapor_open311_field(const char *path)
{
    size_t  i;

    static const char  *names[][2] = {
        { "category", "service_code" },
        { "body", "description" },
        { "title", "attribute[title]" },
        { "type", "attribute[type]" },
        { "anonymous", "attribute[anonymous]" },
        { "confidential", "attribute[confidential]" },
        { "location.text", "address_string" },
        { "location.lat", "lat" },
        { "location.lon", "long" },
        { "reporter", "first_name" },
        { "reporter.name", "first_name" },
        { "reporter.contact", "email" },
        { NULL, NULL }
    };

    for (i = 0; names[i][0]; i++) {
        if (strcmp(path, names[i][0]) == 0) {
            return names[i][1];
        }
    }

    return path;
}


static int
lapor_open311_digits(const char **p, const char *end, size_t n, int *out)
{
    int  v;

    if ((size_t) (end - *p) < n) {
        return -1;
    }

    for (v = 0; n; n--, (*p)++) {
        if (**p < '0' || **p > '9') {
            return -1;
        }

        v = v * 10 + (**p - '0');
    }

    *out = v;

    return 0;
}


int
lapor_open311_datetime(const char *s, size_t len, int64_t *t)
{
    int          h, mi, sec, oh, om, sign;
    int32_t      day;
    const char  *p, *end;

    p = s;
    end = s + len;

    if (len < 16 || s[10] != 'T'
        || lapor_calendar_parse_date(s, 10, &day) != 0)
    {
        return -1;
    }

    p = s + 11;

    if (lapor_open311_digits(&p, end, 2, &h) != 0 || p == end || *p++ != ':'
        || lapor_open311_digits(&p, end, 2, &mi) != 0)
    {
        return -1;
    }

    sec = 0;

    if (p < end && *p == ':') {
        p++;

        if (lapor_open311_digits(&p, end, 2, &sec) != 0) {
            return -1;
        }

        if (p < end && *p == '.') {
            p++;

            if (p == end || *p < '0' || *p > '9') {
                return -1;
            }

            while (p < end && *p >= '0' && *p <= '9') {
                p++;
            }
        }
    }

    if (h > 23 || mi > 59 || sec > 59 || p == end) {
        return -1;
    }

    if (*p == 'Z') {
        p++;
        oh = 0;
        om = 0;
        sign = 1;

    } else if (*p == '+' || *p == '-') {
        sign = (*p++ == '-') ? -1 : 1;

        if (lapor_open311_digits(&p, end, 2, &oh) != 0 || p == end
            || *p++ != ':' || lapor_open311_digits(&p, end, 2, &om) != 0
            || oh > 14 || om > 59)
        {
            return -1;
        }

    } else {
        return -1;
    }

    if (p != end) {
        return -1;
    }

    *t = (int64_t) day * 86400 + h * 3600 + mi * 60 + sec
         - sign * (oh * 3600 + om * 60);

    return 0;
}


const char *
lapor_open311_status(const char *state, size_t len)
{
    int  st;

    st = lapor_state_find(state, len);

    if (st < 0) {
        return NULL;
    }

    return lapor_state_open((lapor_state_e) st) ? "open" : "closed";
}
