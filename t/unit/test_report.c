
/*
 * Unit tests for the report validator (lapor_report.c), run against the
 * example catalog (examples/catalog.json, time zone Asia/Makassar, +08:00)
 * and a copy of it moved to -05:00.
 */


#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lapor_calendar.h"
#include "lapor_catalog.h"
#include "lapor_json.h"
#include "lapor_report.h"
#include "lapor_utf8.h"
#include "unit.h"


#define CATALOG_FILE  "examples/catalog.json"

#define WITA          (8 * 3600)
#define MINUS5        (-5 * 3600)

#define E_ACUTE       "\xc3\xa9"              /* U+00E9, 2 bytes */
#define EMOJI         "\xf0\x9f\x98\x80"      /* U+1F600, 4 bytes */

#define TITLE_OK      "Jalan rusak di Denpasar"
#define BODY_OK       "Jalan berlubang besar di depan pasar sejak bulan lalu."
#define NAME_OK       "Budi Santoso"
#define CONTACT_OK    "warga@contoh.id"

#define CHANNELS      "web, sms, app, kiosk, wifi-portal, counter"

#define NERRS         LAPOR_REPORT_MAX_ERRORS


static lapor_json_limits_t   limits;
static lapor_catalog_t      *cat;          /* the example, +08:00 */
static lapor_catalog_t      *cat_minus5;   /* the same at -05:00 */
static int64_t               now;          /* 2025-06-10 12:00:00 WITA */


/* every block the parser and the tests allocate is freed at exit */

static void *
test_alloc(void *ctx, size_t size)
{
    (void) ctx;

    return unit_alloc(size);
}


/* a formatted string in the test pool */

static char *
text(const char *fmt, ...)
{
    int       n;
    char     *p;
    va_list   args;

    va_start(args, fmt);
    n = vsnprintf(NULL, 0, fmt, args);
    va_end(args);

    p = test_alloc(NULL, (size_t) n + 1);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    va_start(args, fmt);
    (void) vsnprintf(p, (size_t) n + 1, fmt, args);
    va_end(args);

    return p;
}


/* unit repeated n times */

static char *
rep(const char *unit, size_t n)
{
    char    *p;
    size_t   len, i;

    len = strlen(unit);
    p = test_alloc(NULL, len * n + 1);

    if (p == NULL) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }

    for (i = 0; i < n; i++) {
        memcpy(p + i * len, unit, len);
    }

    p[len * n] = '\0';

    return p;
}


/* a local wall-clock time at a UTC offset, as Unix seconds */

static int64_t
at(int32_t offset, int y, unsigned m, unsigned d, unsigned hh, unsigned mm,
    unsigned ss)
{
    return lapor_calendar_days_from_civil(y, m, d) * 86400
           + hh * 3600 + mm * 60 + ss - offset;
}


/*
 * A report with the minimal valid members, except those named in skip
 * (separated by spaces), followed by extra members (JSON text or NULL).
 */

static const char  *base_members[][2] = {
    { "type", "\"type\":\"pengaduan\"" },
    { "category", "\"category\":\"kesehatan\"" },
    { "title", "\"title\":\"" TITLE_OK "\"" },
    { "body", "\"body\":\"" BODY_OK "\"" },
    { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\",\"contact\":\""
                  CONTACT_OK "\"}" }
};


static int
listed(const char *list, const char *word)
{
    size_t  n;

    if (list == NULL) {
        return 0;
    }

    n = strlen(word);

    while (*list) {
        while (*list == ' ') {
            list++;
        }

        if (strncmp(list, word, n) == 0
            && (list[n] == ' ' || list[n] == '\0'))
        {
            return 1;
        }

        while (*list && *list != ' ') {
            list++;
        }
    }

    return 0;
}


static char *
report(const char *skip, const char *extra)
{
    char    *p;
    size_t   i;

    p = text("{");

    for (i = 0; i < sizeof(base_members) / sizeof(base_members[0]); i++) {
        if (!listed(skip, base_members[i][0])) {
            p = text("%s%s%s", p, p[1] ? "," : "", base_members[i][1]);
        }
    }

    if (extra) {
        p = text("%s%s%s", p, p[1] ? "," : "", extra);
    }

    return text("%s}", p);
}


static lapor_json_t *
parse(const char *json)
{
    lapor_json_t        *root;
    lapor_json_error_t   err;

    memset(&err, 0, sizeof(err));

    root = lapor_json_parse((const unsigned char *) json, strlen(json),
                            &limits, &err);

    if (root == NULL) {
        fprintf(stderr, "  parse failed (%d at %lu): %s\n  in: %.200s\n",
                err.kind, (unsigned long) err.offset, err.message, json);
    }

    return root;
}


/* the number of errors, or (size_t) -1 if the JSON did not parse */

static size_t
run(const lapor_catalog_t *c, int64_t t, const char *json,
    lapor_report_t *out, lapor_report_error_t *errs, size_t maxerrs)
{
    lapor_json_t  *doc;

    doc = parse(json);

    if (doc == NULL) {
        return (size_t) -1;
    }

    return lapor_report_validate(doc, c, t, out, errs, maxerrs);
}


static const char *
show(const char *s)
{
    return s ? s : "(null)";
}


static void
dump(const char *what, const char *json, lapor_report_error_t *errs,
    size_t n)
{
    size_t  i;

    fprintf(stderr, "  %s\n  in: %.300s\n  got %ld error(s)\n", what, json,
            n == (size_t) -1 ? -1L : (long) n);

    for (i = 0; n != (size_t) -1 && i < n && i < NERRS; i++) {
        fprintf(stderr, "    [%lu] field \"%s\" code %d arg \"%s\"\n",
                (unsigned long) i, errs[i].field, (int) errs[i].code,
                show(errs[i].arg));
    }
}


static int
same_arg(const char *got, const char *want)
{
    if (got == NULL || want == NULL) {
        return got == want;
    }

    return strcmp(got, want) == 0;
}


/* exactly one error, with this field, code and arg */

static int
one_error_at(const lapor_catalog_t *c, int64_t t, const char *json,
    const char *field, lapor_report_error_e code, const char *arg)
{
    size_t                 n;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    memset(errs, 0, sizeof(errs));

    n = run(c, t, json, &out, errs, NERRS);

    if (n == 1 && strcmp(errs[0].field, field) == 0 && errs[0].code == code
        && same_arg(errs[0].arg, arg))
    {
        return 1;
    }

    fprintf(stderr, "  want field \"%s\" code %d arg \"%s\"\n", field,
            (int) code, show(arg));
    dump("one error expected", json, errs, n);

    return 0;
}


static int
one_error(const char *json, const char *field, lapor_report_error_e code,
    const char *arg)
{
    return one_error_at(cat, now, json, field, code, arg);
}


static int
valid_at(const lapor_catalog_t *c, int64_t t, const char *json,
    lapor_report_t *out)
{
    size_t                 n;
    lapor_report_error_t   errs[NERRS];

    n = run(c, t, json, out, errs, NERRS);

    if (n == 0) {
        return 1;
    }

    dump("valid expected", json, errs, n);

    return 0;
}


static int
valid(const char *json)
{
    lapor_report_t  out;

    return valid_at(cat, now, json, &out);
}


static int
has_error(lapor_report_error_t *errs, size_t n, const char *field,
    lapor_report_error_e code)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(errs[i].field, field) == 0 && errs[i].code == code) {
            return 1;
        }
    }

    fprintf(stderr, "  missing error: field \"%s\" code %d\n", field,
            (int) code);

    return 0;
}


static int
str_is(lapor_report_str_t s, const char *want)
{
    return s.data != NULL && s.len == strlen(want)
           && memcmp(s.data, want, s.len) == 0 && s.data[s.len] == '\0';
}


static int
str_none(lapor_report_str_t s)
{
    return s.data == NULL && s.len == 0;
}


static int
code_is(const char *code, size_t len, const char *want)
{
    return code != NULL && len == strlen(want) && strcmp(code, want) == 0;
}


/* a table row: a document and the one error it must produce */

typedef struct {
    const char            *skip;
    const char            *extra;
    const char            *field;
    lapor_report_error_e   code;
    const char            *arg;
} case_t;


static void
run_cases(const case_t *cases, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (!one_error(report(cases[i].skip, cases[i].extra),
                       cases[i].field, cases[i].code, cases[i].arg))
        {
            fprintf(stderr, "  (case %lu)\n", (unsigned long) i);
            UNIT_TRUE(0);

        } else {
            UNIT_TRUE(1);
        }
    }
}


static char *
read_file(const char *name, size_t *len)
{
    FILE    *f;
    char    *buf;
    size_t   n, cap;

    f = fopen(name, "rb");

    if (f == NULL) {
        return NULL;
    }

    cap = 1 << 16;
    buf = test_alloc(NULL, cap);
    n = buf ? fread(buf, 1, cap - 1, f) : 0;
    fclose(f);

    if (buf == NULL || n == cap - 1) {
        return NULL;
    }

    buf[n] = '\0';
    *len = n;

    return buf;
}


static int
load_catalogs(void)
{
    char    *buf, *tz, *moved;
    char     err[LAPOR_CATALOG_ERR_LEN];
    size_t   len;

    static const char  zone[] = "\"time_zone\": \"Asia/Makassar\"";

    buf = read_file(CATALOG_FILE, &len);

    if (buf == NULL) {
        fprintf(stderr, "cannot read %s (run from the repository root)\n",
                CATALOG_FILE);
        return -1;
    }

    if (lapor_catalog_parse((unsigned char *) buf, len, test_alloc, NULL,
                            &cat, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "%s: %s\n", CATALOG_FILE, err);
        return -1;
    }

    tz = strstr(buf, zone);

    if (tz == NULL) {
        fprintf(stderr, "%s: no %s\n", CATALOG_FILE, zone);
        return -1;
    }

    moved = text("%.*s\"time_zone\": \"-05:00\"%s", (int) (tz - buf), buf,
                 tz + sizeof(zone) - 1);

    if (lapor_catalog_parse((unsigned char *) moved, strlen(moved),
                            test_alloc, NULL, &cat_minus5, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "%s at -05:00: %s\n", CATALOG_FILE, err);
        return -1;
    }

    return 0;
}


static void
test_catalog_loaded(void)
{
    UNIT_EQ(cat->calendar.utc_offset, WITA);
    UNIT_EQ(cat_minus5->calendar.utc_offset, MINUS5);
    UNIT_TRUE(lapor_catalog_type(cat, "pengaduan", 9) != NULL);
    UNIT_TRUE(lapor_catalog_category(cat, "kesehatan", 9) != NULL);
}


static void
test_minimal_valid(void)
{
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    memset(&out, 0xa5, sizeof(out));

    UNIT_EQ(run(cat, now, report(NULL, NULL), &out, errs, NERRS), 0);

    UNIT_TRUE(out.type != NULL
              && code_is(out.type->code, out.type->code_len, "pengaduan"));
    UNIT_TRUE(out.category != NULL
              && code_is(out.category->code, out.category->code_len,
                         "kesehatan"));

    /* no agency given: the category's default */
    UNIT_TRUE(out.agency != NULL
              && code_is(out.agency->code, out.agency->code_len, "dinkes"));
    UNIT_TRUE(out.category != NULL
              && out.agency == lapor_catalog_category_agency(cat,
                                                             out.category));

    UNIT_TRUE(str_is(out.title, TITLE_OK));
    UNIT_TRUE(str_is(out.body, BODY_OK));
    UNIT_TRUE(str_none(out.place));
    UNIT_TRUE(str_none(out.lat));
    UNIT_TRUE(str_none(out.lon));
    UNIT_TRUE(str_none(out.occurred_on));
    UNIT_EQ(out.anonymous, 0);
    UNIT_EQ(out.confidential, 0);
    UNIT_EQ(out.has_reporter, 1);
    UNIT_TRUE(str_is(out.reporter_name, NAME_OK));
    UNIT_TRUE(str_is(out.reporter_contact, CONTACT_OK));
    UNIT_TRUE(out.channel != NULL && strcmp(out.channel, "web") == 0);
    UNIT_TRUE(out.channel == lapor_report_channels[0]);

    /* explicit nulls for the optional members are the same as absent */

    UNIT_TRUE(valid_at(cat, now,
                       report(NULL, "\"agency\":null,\"location\":null,"
                              "\"occurred_on\":null,\"anonymous\":null,"
                              "\"confidential\":null,\"channel\":null"),
                       &out));
    UNIT_TRUE(out.agency != NULL
              && code_is(out.agency->code, out.agency->code_len, "dinkes"));
    UNIT_TRUE(out.channel == lapor_report_channels[0]);
    UNIT_TRUE(out.anonymous == 0 && out.confidential == 0);
}


static void
test_full_valid(void)
{
    lapor_report_t  out;

    static const char  full[] =
        "{\"type\":\"aspirasi\",\"category\":\"kesehatan\","
        "\"title\":\"Antrean puskesmas terlalu panjang\","
        "\"body\":\"Setiap pagi antrean di puskesmas mengular sampai "
        "jalan.\\nMohon ditambah loket.\","
        "\"agency\":\"rsud-bali-mandara\","
        "\"location\":{\"text\":\"Jl. Raya Puputan, Denpasar\","
        "\"lat\":-8.6705,\"lon\":115.2126E0},"
        "\"occurred_on\":\"2025-06-10\","
        "\"anonymous\":false,\"confidential\":true,"
        "\"reporter\":{\"name\":\"Ni Luh Putu Ayu\","
        "\"contact\":\"+62 812-3456-7890\"},"
        "\"channel\":\"wifi-portal\"}";

    memset(&out, 0xa5, sizeof(out));

    UNIT_TRUE(valid_at(cat, now, full, &out));

    UNIT_TRUE(out.type != NULL
              && code_is(out.type->code, out.type->code_len, "aspirasi"));
    UNIT_TRUE(out.category != NULL
              && code_is(out.category->code, out.category->code_len,
                         "kesehatan"));

    /* the given agency wins over the category's default (dinkes) */
    UNIT_TRUE(out.agency != NULL
              && code_is(out.agency->code, out.agency->code_len,
                         "rsud-bali-mandara"));

    UNIT_TRUE(str_is(out.title, "Antrean puskesmas terlalu panjang"));
    UNIT_TRUE(str_is(out.body, "Setiap pagi antrean di puskesmas mengular "
                               "sampai jalan.\nMohon ditambah loket."));
    UNIT_TRUE(str_is(out.place, "Jl. Raya Puputan, Denpasar"));

    /* coordinates as written */
    UNIT_TRUE(str_is(out.lat, "-8.6705"));
    UNIT_TRUE(str_is(out.lon, "115.2126E0"));

    UNIT_TRUE(str_is(out.occurred_on, "2025-06-10"));
    UNIT_EQ(out.anonymous, 0);
    UNIT_EQ(out.confidential, 1);
    UNIT_EQ(out.has_reporter, 1);
    UNIT_TRUE(str_is(out.reporter_name, "Ni Luh Putu Ayu"));
    UNIT_TRUE(str_is(out.reporter_contact, "+62 812-3456-7890"));
    UNIT_TRUE(out.channel == lapor_report_channels[4]);
    UNIT_TRUE(out.channel != NULL
              && strcmp(out.channel, "wifi-portal") == 0);

    /* a past date, anonymous and confidential together */

    UNIT_TRUE(valid_at(cat, now,
                       report(NULL, "\"occurred_on\":\"2024-02-29\","
                              "\"anonymous\":true,\"confidential\":true,"
                              "\"location\":{\"text\":\"Pasar Badung\"},"
                              "\"channel\":\"sms\""),
                       &out));
    UNIT_TRUE(str_is(out.occurred_on, "2024-02-29"));
    UNIT_TRUE(out.anonymous == 1 && out.confidential == 1);
    UNIT_TRUE(str_is(out.place, "Pasar Badung"));
    UNIT_TRUE(str_none(out.lat) && str_none(out.lon));
    UNIT_TRUE(out.channel == lapor_report_channels[1]);

    /* location with coordinates only, integers and the extremes */

    UNIT_TRUE(valid_at(cat, now,
                       report(NULL, "\"location\":{\"lat\":90,"
                              "\"lon\":-180}"),
                       &out));
    UNIT_TRUE(str_is(out.lat, "90") && str_is(out.lon, "-180"));
    UNIT_TRUE(str_none(out.place));

    UNIT_TRUE(valid(report(NULL, "\"location\":{\"lat\":-90.0,"
                           "\"lon\":180.0}")));
    UNIT_TRUE(valid(report(NULL, "\"location\":{\"text\":null,"
                           "\"lat\":null,\"lon\":null}")));
    UNIT_TRUE(valid(report(NULL, "\"location\":{}")));
}


static void
test_anonymous(void)
{
    lapor_report_t  out;

    /* anonymous without a reporter */

    memset(&out, 0xa5, sizeof(out));

    UNIT_TRUE(valid_at(cat, now, report("reporter", "\"anonymous\":true"),
                       &out));
    UNIT_EQ(out.anonymous, 1);
    UNIT_EQ(out.has_reporter, 0);
    UNIT_TRUE(str_none(out.reporter_name));
    UNIT_TRUE(str_none(out.reporter_contact));

    UNIT_TRUE(valid(report("reporter",
                           "\"anonymous\":true,\"reporter\":null")));

    /* anonymous with a reporter: kept, for the admins only */

    UNIT_TRUE(valid_at(cat, now, report(NULL, "\"anonymous\":true"), &out));
    UNIT_EQ(out.anonymous, 1);
    UNIT_EQ(out.has_reporter, 1);
    UNIT_TRUE(str_is(out.reporter_name, NAME_OK));
    UNIT_TRUE(str_is(out.reporter_contact, CONTACT_OK));

    /* an anonymous reporter is still validated */

    UNIT_TRUE(one_error(report("reporter",
                               "\"anonymous\":true,\"reporter\":"
                               "{\"name\":\"Budi\",\"contact\":\"abcdef\"}"),
                        "reporter.contact", LAPOR_REPORT_E_CONTACT, NULL));
}


static void
test_not_object(void)
{
    size_t                 i, n;
    lapor_json_t          *doc;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    static const char  *docs[] = {
        "[]", "[{\"type\":\"pengaduan\"}]", "\"laporan\"", "null", "42",
        "true"
    };

    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        UNIT_TRUE(one_error(docs[i], "", LAPOR_REPORT_E_NOT_OBJECT, NULL));
    }

    doc = NULL;
    memset(errs, 0x5a, sizeof(errs));
    n = lapor_report_validate(doc, cat, now, &out, errs, NERRS);
    UNIT_TRUE(n == 1 && errs[0].code == LAPOR_REPORT_E_NOT_OBJECT
              && errs[0].field[0] == '\0' && errs[0].arg == NULL);
}


static void
test_required(void)
{
    static const case_t  cases[] = {
        { "type", NULL, "type", LAPOR_REPORT_E_REQUIRED, NULL },
        { "category", NULL, "category", LAPOR_REPORT_E_REQUIRED, NULL },
        { "title", NULL, "title", LAPOR_REPORT_E_REQUIRED, NULL },
        { "body", NULL, "body", LAPOR_REPORT_E_REQUIRED, NULL },
        { "reporter", "\"reporter\":{\"contact\":\"" CONTACT_OK "\"}",
          "reporter.name", LAPOR_REPORT_E_REQUIRED, NULL },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\"}",
          "reporter.contact", LAPOR_REPORT_E_REQUIRED, NULL },

        /* reporter: required unless anonymous */
        { "reporter", NULL, "reporter", LAPOR_REPORT_E_REPORTER, NULL },
        { "reporter", "\"reporter\":null", "reporter",
          LAPOR_REPORT_E_REPORTER, NULL },
        { "reporter", "\"anonymous\":false", "reporter",
          LAPOR_REPORT_E_REPORTER, NULL },
        { "reporter", "\"anonymous\":null", "reporter",
          LAPOR_REPORT_E_REPORTER, NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_unknown(void)
{
    static const case_t  cases[] = {
        { NULL, "\"foo\":1", "foo", LAPOR_REPORT_E_UNKNOWN, NULL },
        { NULL, "\"Title\":\"x\"", "Title", LAPOR_REPORT_E_UNKNOWN, NULL },
        { NULL, "\"status\":\"closed\"", "status", LAPOR_REPORT_E_UNKNOWN,
          NULL },
        { NULL, "\"location\":{\"text\":\"Pasar Badung\",\"foo\":true}",
          "location.foo", LAPOR_REPORT_E_UNKNOWN, NULL },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\",\"contact\":\""
          CONTACT_OK "\",\"age\":30}", "reporter.age",
          LAPOR_REPORT_E_UNKNOWN, NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_types(void)
{
    static const case_t  cases[] = {
        { "type", "\"type\":1", "type", LAPOR_REPORT_E_TYPE, "string" },
        { "category", "\"category\":true", "category", LAPOR_REPORT_E_TYPE,
          "string" },
        { "title", "\"title\":42", "title", LAPOR_REPORT_E_TYPE, "string" },
        { "body", "\"body\":{}", "body", LAPOR_REPORT_E_TYPE, "string" },
        { "body", "\"body\":[\"" BODY_OK "\"]", "body", LAPOR_REPORT_E_TYPE,
          "string" },
        { NULL, "\"agency\":[]", "agency", LAPOR_REPORT_E_TYPE, "string" },
        { NULL, "\"location\":[]", "location", LAPOR_REPORT_E_TYPE,
          "object" },
        { NULL, "\"location\":\"Denpasar\"", "location", LAPOR_REPORT_E_TYPE,
          "object" },
        { NULL, "\"location\":{\"text\":7}", "location.text",
          LAPOR_REPORT_E_TYPE, "string" },
        { NULL, "\"occurred_on\":20250601", "occurred_on",
          LAPOR_REPORT_E_TYPE, "string" },
        { NULL, "\"anonymous\":\"false\"", "anonymous", LAPOR_REPORT_E_TYPE,
          "boolean" },
        { NULL, "\"anonymous\":1", "anonymous", LAPOR_REPORT_E_TYPE,
          "boolean" },
        { NULL, "\"confidential\":\"true\"", "confidential",
          LAPOR_REPORT_E_TYPE, "boolean" },
        { "reporter", "\"reporter\":\"Budi\"", "reporter",
          LAPOR_REPORT_E_TYPE, "object" },
        { "reporter", "\"reporter\":[]", "reporter", LAPOR_REPORT_E_TYPE,
          "object" },
        { "reporter", "\"reporter\":{\"name\":5,\"contact\":\"" CONTACT_OK
          "\"}", "reporter.name", LAPOR_REPORT_E_TYPE, "string" },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\","
          "\"contact\":[]}", "reporter.contact", LAPOR_REPORT_E_TYPE,
          "string" },
        { NULL, "\"channel\":3", "channel", LAPOR_REPORT_E_TYPE, "string" }
    };

    size_t                 n;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];
    const char            *json;

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    /* coordinates as strings: both reported */

    json = report(NULL, "\"location\":{\"lat\":\"-8.65\",\"lon\":\"115.2\"}");
    n = run(cat, now, json, &out, errs, NERRS);
    UNIT_EQ(n, 2);
    UNIT_TRUE(n == 2 && has_error(errs, n, "location.lat",
                                  LAPOR_REPORT_E_TYPE)
              && has_error(errs, n, "location.lon", LAPOR_REPORT_E_TYPE)
              && same_arg(errs[0].arg, "number")
              && same_arg(errs[1].arg, "number"));

    UNIT_TRUE(one_error(report(NULL, "\"location\":{\"lat\":-8.65,"
                               "\"lon\":[115]}"),
                        "location.lon", LAPOR_REPORT_E_TYPE, "number"));
}


static void
test_title_length(void)
{
    lapor_report_t  out;

    /* characters, not bytes: 150 two- and four-byte characters fit */

    UNIT_TRUE(valid_at(cat, now,
                       report("title", text("\"title\":\"%s\"",
                                            rep(E_ACUTE, 150))),
                       &out));
    UNIT_EQ(out.title.len, 300);

    UNIT_TRUE(valid(report("title", text("\"title\":\"%s\"",
                                         rep(EMOJI, 150)))));
    UNIT_TRUE(valid(report("title", text("\"title\":\"%s\"",
                                         rep("a", 150)))));
    UNIT_TRUE(valid(report("title", text("\"title\":\"Pungli di kantor "
                                         "desa %s\"", rep(EMOJI, 126)))));

    UNIT_TRUE(one_error(report("title", text("\"title\":\"%s\"",
                                             rep(E_ACUTE, 151))),
                        "title", LAPOR_REPORT_E_TOO_LONG, "150"));
    UNIT_TRUE(one_error(report("title", text("\"title\":\"%s\"",
                                             rep(EMOJI, 151))),
                        "title", LAPOR_REPORT_E_TOO_LONG, "150"));
    UNIT_TRUE(one_error(report("title", text("\"title\":\"%s\"",
                                             rep("a", 151))),
                        "title", LAPOR_REPORT_E_TOO_LONG, "150"));

    /* ten two-byte characters are enough, nine are not (18 bytes) */

    UNIT_TRUE(valid(report("title", text("\"title\":\"%s\"",
                                         rep(E_ACUTE, 10)))));
    UNIT_TRUE(one_error(report("title", text("\"title\":\"%s\"",
                                             rep(E_ACUTE, 9))),
                        "title", LAPOR_REPORT_E_TOO_SHORT, "10"));
    UNIT_TRUE(one_error(report("title", text("\"title\":\"%s\"",
                                             rep(EMOJI, 9))),
                        "title", LAPOR_REPORT_E_TOO_SHORT, "10"));
    UNIT_TRUE(valid(report("title", "\"title\":\"Jalan rusak\"")));
    UNIT_TRUE(one_error(report("title", "\"title\":\"Jalan rsk\""),
                        "title", LAPOR_REPORT_E_TOO_SHORT, "10"));

    /* escapes count as the characters they decode to */
    UNIT_TRUE(valid(report("title", "\"title\":\"\\u00e9\\u00e9\\u00e9"
                           "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
                           "\\u00e9\"")));
}


static void
test_body_length(void)
{
    lapor_report_t  out;

    UNIT_TRUE(valid(report("body", text("\"body\":\"%s\"",
                                        rep("a", 20)))));
    UNIT_TRUE(one_error(report("body", text("\"body\":\"%s\"",
                                            rep("a", 19))),
                        "body", LAPOR_REPORT_E_TOO_SHORT, "20"));
    UNIT_TRUE(valid(report("body", text("\"body\":\"%s\"",
                                        rep(E_ACUTE, 20)))));
    UNIT_TRUE(one_error(report("body", text("\"body\":\"%s\"",
                                            rep(E_ACUTE, 19))),
                        "body", LAPOR_REPORT_E_TOO_SHORT, "20"));

    UNIT_TRUE(valid_at(cat, now,
                       report("body", text("\"body\":\"%s\"",
                                           rep(EMOJI, 4000))),
                       &out));
    UNIT_EQ(out.body.len, 16000);
    UNIT_TRUE(valid(report("body", text("\"body\":\"%s\"",
                                        rep("Lapor! ", 571)))));
    UNIT_TRUE(one_error(report("body", text("\"body\":\"%s\"",
                                            rep("a", 4001))),
                        "body", LAPOR_REPORT_E_TOO_LONG, "4000"));
    UNIT_TRUE(one_error(report("body", text("\"body\":\"%s\"",
                                            rep(E_ACUTE, 4001))),
                        "body", LAPOR_REPORT_E_TOO_LONG, "4000"));

    /* several lines and tabs are fine in the body */
    UNIT_TRUE(valid(report("body", "\"body\":\"Baris satu.\\nBaris dua."
                           "\\r\\n\\tBaris tiga.\"")));
}


static void
test_other_lengths(void)
{
    static const case_t  cases[] = {
        { "reporter", "\"reporter\":{\"name\":\"B\",\"contact\":\""
          CONTACT_OK "\"}", "reporter.name", LAPOR_REPORT_E_TOO_SHORT, "2" },
        { "reporter", "\"reporter\":{\"name\":\"" EMOJI "\",\"contact\":\""
          CONTACT_OK "\"}", "reporter.name", LAPOR_REPORT_E_TOO_SHORT, "2" },
        { "reporter", "\"reporter\":{\"name\":\"Budi\",\"contact\":\"abc\"}",
          "reporter.contact", LAPOR_REPORT_E_TOO_SHORT, "5" },
        { "reporter", "\"reporter\":{\"name\":\"Budi\",\"contact\":\"a@b\"}",
          "reporter.contact", LAPOR_REPORT_E_TOO_SHORT, "5" }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    UNIT_TRUE(valid(report("reporter",
                           "\"reporter\":{\"name\":\"Ni\",\"contact\":\""
                           CONTACT_OK "\"}")));
    UNIT_TRUE(valid(report("reporter",
                           text("\"reporter\":{\"name\":\"%s\",\"contact\":"
                                "\"" CONTACT_OK "\"}", rep(E_ACUTE, 100)))));
    UNIT_TRUE(one_error(report("reporter",
                               text("\"reporter\":{\"name\":\"%s\","
                                    "\"contact\":\"" CONTACT_OK "\"}",
                                    rep(E_ACUTE, 101))),
                        "reporter.name", LAPOR_REPORT_E_TOO_LONG, "100"));

    UNIT_TRUE(valid(report("reporter",
                           text("\"reporter\":{\"name\":\"Budi\","
                                "\"contact\":\"%s@contoh.id\"}",
                                rep("w", 90)))));
    UNIT_TRUE(one_error(report("reporter",
                               text("\"reporter\":{\"name\":\"Budi\","
                                    "\"contact\":\"%s@contoh.id\"}",
                                    rep("w", 91))),
                        "reporter.contact", LAPOR_REPORT_E_TOO_LONG, "100"));

    UNIT_TRUE(valid(report(NULL, text("\"location\":{\"text\":\"%s\"}",
                                      rep(E_ACUTE, 200)))));
    UNIT_TRUE(one_error(report(NULL, text("\"location\":{\"text\":\"%s\"}",
                                          rep(E_ACUTE, 201))),
                        "location.text", LAPOR_REPORT_E_TOO_LONG, "200"));
}


static void
test_one_line(void)
{
    static const case_t  cases[] = {
        { "title", "\"title\":\"Jalan rusak\\ndi Denpasar\"", "title",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { "title", "\"title\":\"Jalan rusak\\tdi Denpasar\"", "title",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { "title", "\"title\":\"Jalan rusak di Denpasar\\r\"", "title",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { "reporter", "\"reporter\":{\"name\":\"Budi\\nSantoso\","
          "\"contact\":\"" CONTACT_OK "\"}", "reporter.name",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { "reporter", "\"reporter\":{\"name\":\"Budi\\tSantoso\","
          "\"contact\":\"" CONTACT_OK "\"}", "reporter.name",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\","
          "\"contact\":\"" CONTACT_OK "\\n\"}", "reporter.contact",
          LAPOR_REPORT_E_ONE_LINE, NULL },
        { NULL, "\"location\":{\"text\":\"Pasar\\nBadung\"}",
          "location.text", LAPOR_REPORT_E_ONE_LINE, NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_blank(void)
{
    static const case_t  cases[] = {
        { "title", "\"title\":\"   \"", "title", LAPOR_REPORT_E_BLANK,
          NULL },
        { "title", "\"title\":\"                \"", "title",
          LAPOR_REPORT_E_BLANK, NULL },
        { "body", "\"body\":\"   \"", "body", LAPOR_REPORT_E_BLANK, NULL },
        { "body", "\"body\":\"          \\n\\n          \\r\\n\\t  \"",
          "body", LAPOR_REPORT_E_BLANK, NULL },
        { "reporter", "\"reporter\":{\"name\":\"  \",\"contact\":\""
          CONTACT_OK "\"}", "reporter.name", LAPOR_REPORT_E_BLANK, NULL },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\","
          "\"contact\":\"        \"}", "reporter.contact",
          LAPOR_REPORT_E_BLANK, NULL },
        { NULL, "\"location\":{\"text\":\" \"}", "location.text",
          LAPOR_REPORT_E_BLANK, NULL },
        { "category", "\"category\":\" \"", "category", LAPOR_REPORT_E_BLANK,
          NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_empty(void)
{
    static const case_t  cases[] = {
        { "type", "\"type\":\"\"", "type", LAPOR_REPORT_E_REQUIRED, NULL },
        { "category", "\"category\":\"\"", "category",
          LAPOR_REPORT_E_REQUIRED, NULL },
        { "title", "\"title\":\"\"", "title", LAPOR_REPORT_E_REQUIRED, NULL },
        { "body", "\"body\":\"\"", "body", LAPOR_REPORT_E_REQUIRED, NULL },
        /* optional: "" is not "is required", it is empty */
        { NULL, "\"agency\":\"\"", "agency", LAPOR_REPORT_E_EMPTY, NULL },
        { NULL, "\"occurred_on\":\"\"", "occurred_on",
          LAPOR_REPORT_E_EMPTY, NULL },
        { NULL, "\"channel\":\"\"", "channel", LAPOR_REPORT_E_EMPTY,
          NULL },
        { NULL, "\"location\":{\"text\":\"\"}", "location.text",
          LAPOR_REPORT_E_EMPTY, NULL },
        { "reporter", "\"reporter\":{\"name\":\"\",\"contact\":\""
          CONTACT_OK "\"}", "reporter.name", LAPOR_REPORT_E_REQUIRED, NULL },
        { "reporter", "\"reporter\":{\"name\":\"" NAME_OK "\","
          "\"contact\":\"\"}", "reporter.contact", LAPOR_REPORT_E_REQUIRED,
          NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));
}


static void
test_unknown_codes(void)
{
    lapor_report_t  out;

    static const case_t  cases[] = {
        { "type", "\"type\":\"keluhan\"", "type",
          LAPOR_REPORT_E_UNKNOWN_TYPE, NULL },
        { "type", "\"type\":\"Pengaduan\"", "type",
          LAPOR_REPORT_E_UNKNOWN_TYPE, NULL },
        { "category", "\"category\":\"cuaca\"", "category",
          LAPOR_REPORT_E_UNKNOWN_CATEGORY, NULL },
        { "category", "\"category\":\"dinkes\"", "category",
          LAPOR_REPORT_E_UNKNOWN_CATEGORY, NULL },
        { NULL, "\"agency\":\"dinas-x\"", "agency",
          LAPOR_REPORT_E_UNKNOWN_AGENCY, NULL },
        { NULL, "\"agency\":\"kesehatan\"", "agency",
          LAPOR_REPORT_E_UNKNOWN_AGENCY, NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    /* every type of the catalog, and an agency from another category */

    UNIT_TRUE(valid(report("type", "\"type\":\"informasi\"")));
    UNIT_TRUE(valid_at(cat, now,
                       report("category", "\"category\":\"lainnya\","
                              "\"agency\":\"bpbd\""),
                       &out));
    UNIT_TRUE(out.agency != NULL
              && code_is(out.agency->code, out.agency->code_len, "bpbd"));
    UNIT_TRUE(valid_at(cat, now, report("category",
                                        "\"category\":\"bencana\""),
                       &out));
    UNIT_TRUE(out.agency != NULL
              && code_is(out.agency->code, out.agency->code_len, "bpbd"));
}


static void
test_channel(void)
{
    size_t           i;
    lapor_report_t   out;

    static const case_t  cases[] = {
        { NULL, "\"channel\":\"fax\"", "channel", LAPOR_REPORT_E_ENUM,
          CHANNELS },
        { NULL, "\"channel\":\"WEB\"", "channel", LAPOR_REPORT_E_ENUM,
          CHANNELS },
        { NULL, "\"channel\":\"web \"", "channel", LAPOR_REPORT_E_ENUM,
          CHANNELS },
        { NULL, "\"channel\":\"we\"", "channel", LAPOR_REPORT_E_ENUM,
          CHANNELS }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    for (i = 0; lapor_report_channels[i]; i++) {
        UNIT_TRUE(valid_at(cat, now,
                           report(NULL, text("\"channel\":\"%s\"",
                                             lapor_report_channels[i])),
                           &out)
                  && out.channel == lapor_report_channels[i]);
    }

    UNIT_EQ(i, 6);
}


static void
test_coordinates(void)
{
    static const case_t  cases[] = {
        { NULL, "\"location\":{\"lat\":90.0001,\"lon\":115}",
          "location.lat", LAPOR_REPORT_E_RANGE, "-90..90" },
        { NULL, "\"location\":{\"lat\":-90.5,\"lon\":115}",
          "location.lat", LAPOR_REPORT_E_RANGE, "-90..90" },
        { NULL, "\"location\":{\"lat\":-8.65,\"lon\":-180.5}",
          "location.lon", LAPOR_REPORT_E_RANGE, "-180..180" },
        { NULL, "\"location\":{\"lat\":-8.65,\"lon\":180.0000001}",
          "location.lon", LAPOR_REPORT_E_RANGE, "-180..180" },
        { NULL, "\"location\":{\"lat\":1e999,\"lon\":115}",
          "location.lat", LAPOR_REPORT_E_RANGE, "-90..90" },
        { NULL, "\"location\":{\"lat\":-8.65,\"lon\":-1e999}",
          "location.lon", LAPOR_REPORT_E_RANGE, "-180..180" },

        /* one without the other: the missing one is named */
        { NULL, "\"location\":{\"lat\":-8.65}", "location.lon",
          LAPOR_REPORT_E_COORDINATES, NULL },
        { NULL, "\"location\":{\"text\":\"Kuta\",\"lon\":115.17}",
          "location.lat", LAPOR_REPORT_E_COORDINATES, NULL },
        { NULL, "\"location\":{\"lat\":-8.65,\"lon\":null}", "location.lon",
          LAPOR_REPORT_E_COORDINATES, NULL },
        { NULL, "\"location\":{\"lat\":\"-8.65\"}", "location.lon",
          LAPOR_REPORT_E_COORDINATES, NULL }
    };

    size_t                 n;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    /* both out of range: both reported */

    n = run(cat, now, report(NULL, "\"location\":{\"lat\":1e999,"
                             "\"lon\":-180.5}"),
            &out, errs, NERRS);
    UNIT_TRUE(n == 2 && has_error(errs, n, "location.lat",
                                  LAPOR_REPORT_E_RANGE)
              && has_error(errs, n, "location.lon", LAPOR_REPORT_E_RANGE));

    /* a tiny number underflows to zero: in range */
    UNIT_TRUE(valid(report(NULL, "\"location\":{\"lat\":1e-999,"
                           "\"lon\":-0}")));
}


static void
test_dates(void)
{
    lapor_report_t  out;

    static const case_t  cases[] = {
        { NULL, "\"occurred_on\":\"2025-02-29\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025-13-01\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025-04-31\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025-00-10\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"0000-01-01\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025/06/01\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"10-06-2025\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"kemarin!!!\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },

        /*
         * Not dates either, whatever their length: a client should hear
         * "not a YYYY-MM-DD date", not "at least 10 characters".
         */
        { NULL, "\"occurred_on\":\"yesterday\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025-1-1\"", "occurred_on",
          LAPOR_REPORT_E_DATE, NULL },
        { NULL, "\"occurred_on\":\"2025-06-01T10:00:00+08:00\"",
          "occurred_on", LAPOR_REPORT_E_DATE, NULL }
    };

    run_cases(cases, sizeof(cases) / sizeof(cases[0]));

    UNIT_TRUE(valid_at(cat, now, report(NULL, "\"occurred_on\":"
                                        "\"2025-06-10\""),
                       &out));
    UNIT_TRUE(str_is(out.occurred_on, "2025-06-10"));
    UNIT_TRUE(valid(report(NULL, "\"occurred_on\":\"2025-06-09\"")));
    UNIT_TRUE(valid(report(NULL, "\"occurred_on\":\"1998-05-21\"")));
    UNIT_TRUE(valid(report(NULL, "\"occurred_on\":\"0001-01-01\"")));
}


static void
test_future(void)
{
    int64_t          t;
    lapor_report_t   out;

    /* tomorrow, and far ahead */

    UNIT_TRUE(one_error(report(NULL, "\"occurred_on\":\"2025-06-11\""),
                        "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));
    UNIT_TRUE(one_error(report(NULL, "\"occurred_on\":\"9999-12-31\""),
                        "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));
    UNIT_TRUE(one_error(report(NULL, "\"occurred_on\":\"2026-01-01\""),
                        "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));

    /*
     * +08:00, one second before local midnight (15:59:59 UTC): today is
     * still 2025-06-10 locally.
     */

    t = at(WITA, 2025, 6, 10, 23, 59, 59);
    UNIT_TRUE(valid_at(cat, t, report(NULL, "\"occurred_on\":"
                                      "\"2025-06-10\""),
                       &out));
    UNIT_TRUE(one_error_at(cat, t,
                           report(NULL, "\"occurred_on\":\"2025-06-11\""),
                           "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));

    /*
     * +08:00, 30 seconds after local midnight: the UTC date is still
     * 2025-06-10, but locally 2025-06-11 has begun.
     */

    t = at(WITA, 2025, 6, 11, 0, 0, 30);
    UNIT_TRUE(valid_at(cat, t, report(NULL, "\"occurred_on\":"
                                      "\"2025-06-11\""),
                       &out));
    UNIT_TRUE(one_error_at(cat, t,
                           report(NULL, "\"occurred_on\":\"2025-06-12\""),
                           "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));

    /*
     * -05:00, a minute before local midnight: the UTC date is already
     * 2025-06-11 (04:59 UTC), but locally it is still 2025-06-10.
     */

    t = at(MINUS5, 2025, 6, 10, 23, 59, 0);
    UNIT_TRUE(valid_at(cat_minus5, t,
                       report(NULL, "\"occurred_on\":\"2025-06-10\""),
                       &out));
    UNIT_TRUE(one_error_at(cat_minus5, t,
                           report(NULL, "\"occurred_on\":\"2025-06-11\""),
                           "occurred_on", LAPOR_REPORT_E_FUTURE, NULL));

    /* and at local midnight it is */

    t = at(MINUS5, 2025, 6, 11, 0, 0, 0);
    UNIT_TRUE(valid_at(cat_minus5, t,
                       report(NULL, "\"occurred_on\":\"2025-06-11\""),
                       &out));
}


static void
test_contact(void)
{
    size_t  i;

    static const char  *bad[] = {
        "@x.id", "08 12", "1234567890123456", "abcdef", "0812345",
        "warga@", "warga@contoh", "warga@.id", "warga@contoh.", "a b@c.id",
        "warga@con toh.id", "x@y@contoh.id", "+62+8123456789",
        "0812/3456/7890", "(0361) 222333", "+62 812 3456 7890 123"
    };

    static const char  *good[] = {
        "warga@contoh.id", "+62 812-3456-7890", "081234567890",
        "a@b.id", "Ni.Luh+lapor@mail.baliprov.go.id", "0361.222.333",
        "12345678", "123456789012345", "+628123456789"
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!one_error(report("reporter",
                              text("\"reporter\":{\"name\":\"Budi\","
                                   "\"contact\":\"%s\"}", bad[i])),
                       "reporter.contact", LAPOR_REPORT_E_CONTACT, NULL))
        {
            fprintf(stderr, "  (bad contact %lu: %s)\n", (unsigned long) i,
                    bad[i]);
            UNIT_TRUE(0);

        } else {
            UNIT_TRUE(1);
        }
    }

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!valid(report("reporter",
                           text("\"reporter\":{\"name\":\"Budi\","
                                "\"contact\":\"%s\"}", good[i]))))
        {
            fprintf(stderr, "  (good contact %lu: %s)\n", (unsigned long) i,
                    good[i]);
            UNIT_TRUE(0);

        } else {
            UNIT_TRUE(1);
        }
    }
}


static void
test_reporter(void)
{
    size_t                 n;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    /* an empty reporter object: both members required */

    n = run(cat, now, report("reporter", "\"reporter\":{}"), &out, errs,
            NERRS);
    UNIT_TRUE(n == 2 && has_error(errs, n, "reporter.name",
                                  LAPOR_REPORT_E_REQUIRED)
              && has_error(errs, n, "reporter.contact",
                           LAPOR_REPORT_E_REQUIRED));

    /* a bad contact leaves has_reporter unset */

    n = run(cat, now, report("reporter", "\"anonymous\":true,\"reporter\":"
                             "{\"name\":\"Budi\",\"contact\":\"abcdef\"}"),
            &out, errs, NERRS);
    UNIT_EQ(n, 1);
    UNIT_EQ(out.has_reporter, 0);

    /* a non-boolean anonymous does not excuse a missing reporter */

    n = run(cat, now, report("reporter", "\"anonymous\":\"true\""), &out,
            errs, NERRS);
    UNIT_TRUE(n == 2 && has_error(errs, n, "anonymous", LAPOR_REPORT_E_TYPE)
              && has_error(errs, n, "reporter", LAPOR_REPORT_E_REPORTER));
}


static const char  five_bad[] =
    "{\"type\":\"keluhan\",\"category\":\"cuaca\",\"title\":\"pendek\","
    "\"body\":42,\"channel\":\"fax\",\"reporter\":{\"name\":\"" NAME_OK
    "\",\"contact\":\"" CONTACT_OK "\"}}";


static void
test_many_errors(void)
{
    size_t                 n;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    n = run(cat, now, five_bad, &out, errs, NERRS);
    UNIT_EQ(n, 5);
    UNIT_TRUE(n == 5
              && has_error(errs, n, "type", LAPOR_REPORT_E_UNKNOWN_TYPE)
              && has_error(errs, n, "category",
                           LAPOR_REPORT_E_UNKNOWN_CATEGORY)
              && has_error(errs, n, "title", LAPOR_REPORT_E_TOO_SHORT)
              && has_error(errs, n, "body", LAPOR_REPORT_E_TYPE)
              && has_error(errs, n, "channel", LAPOR_REPORT_E_ENUM));

    /* an empty object: the four required members and the reporter */

    n = run(cat, now, "{}", &out, errs, NERRS);
    UNIT_EQ(n, 5);
    UNIT_TRUE(n == 5
              && has_error(errs, n, "type", LAPOR_REPORT_E_REQUIRED)
              && has_error(errs, n, "category", LAPOR_REPORT_E_REQUIRED)
              && has_error(errs, n, "title", LAPOR_REPORT_E_REQUIRED)
              && has_error(errs, n, "body", LAPOR_REPORT_E_REQUIRED)
              && has_error(errs, n, "reporter", LAPOR_REPORT_E_REPORTER));

    /* errors in nested objects too */

    n = run(cat, now,
            "{\"type\":\"aspirasi\",\"category\":\"pendidikan\","
            "\"title\":\"Atap sekolah bocor\",\"body\":\"" BODY_OK "\","
            "\"extra\":1,\"occurred_on\":\"2099-01-01\","
            "\"location\":{\"lat\":91,\"lon\":0,\"alt\":3},"
            "\"reporter\":{\"name\":\"x\",\"contact\":\"08 12\"}}",
            &out, errs, NERRS);
    UNIT_EQ(n, 6);
    UNIT_TRUE(n == 6
              && has_error(errs, n, "extra", LAPOR_REPORT_E_UNKNOWN)
              && has_error(errs, n, "occurred_on", LAPOR_REPORT_E_FUTURE)
              && has_error(errs, n, "location.alt", LAPOR_REPORT_E_UNKNOWN)
              && has_error(errs, n, "location.lat", LAPOR_REPORT_E_RANGE)
              && has_error(errs, n, "reporter.name",
                           LAPOR_REPORT_E_TOO_SHORT)
              && has_error(errs, n, "reporter.contact",
                           LAPOR_REPORT_E_CONTACT));
}


static void
test_maxerrs(void)
{
    char                  *json;
    size_t                 n, i, max;
    lapor_report_t         out;
    lapor_report_error_t   all[NERRS], errs[NERRS];

    n = run(cat, now, five_bad, &out, all, NERRS);
    UNIT_EQ(n, 5);

    for (max = 1; max <= 4; max++) {
        memset(errs, 0x5a, sizeof(errs));

        /* every error is counted, the first max are described */
        n = run(cat, now, five_bad, &out, errs, max);
        UNIT_EQ(n, 5);

        /* the first ones, in the same order, and nothing written after */

        for (i = 0; i < max; i++) {
            UNIT_TRUE(strcmp(errs[i].field, all[i].field) == 0
                      && errs[i].code == all[i].code);
        }

        UNIT_TRUE(errs[max].field[0] == 0x5a
                  && errs[max].field[LAPOR_REPORT_FIELD_LEN - 1] == 0x5a);
    }

    /* more errors than LAPOR_REPORT_MAX_ERRORS unknown members */

    json = report(NULL, NULL);
    json[strlen(json) - 1] = '\0';

    for (i = 0; i < 40; i++) {
        json = text("%s,\"x%lu\":%lu", json, (unsigned long) i,
                    (unsigned long) i);
    }

    json = text("%s}", json);

    n = run(cat, now, json, &out, errs, NERRS);
    UNIT_EQ(n, 40);
    UNIT_TRUE(strcmp(errs[0].field, "x0") == 0
              && strcmp(errs[NERRS - 1].field, "x31") == 0);
}


/* the length of a field, at most LAPOR_REPORT_FIELD_LEN if not terminated */

static size_t
field_len(const char *field)
{
    size_t  n;

    for (n = 0; n < LAPOR_REPORT_FIELD_LEN && field[n]; n++) {
        /* void */
    }

    return n;
}


static int
is_prefix(const char *s, const char *of)
{
    return strncmp(s, of, strlen(s)) == 0;
}


static int
utf8_ok(const char *s)
{
    return lapor_utf8_check((const unsigned char *) s, strlen(s), 0, NULL)
           == 0;
}


static void
test_long_key(void)
{
    size_t                 n, len;
    char                  *key;
    lapor_report_t         out;
    lapor_report_error_t   errs[NERRS];

    /* 200 two-byte characters at the top level: cut to 94 bytes */

    key = rep(E_ACUTE, 200);
    memset(errs, 0x5a, sizeof(errs));
    n = run(cat, now, report(NULL, text("\"%s\":1", key)), &out, errs,
            NERRS);
    UNIT_EQ(n, 1);
    len = field_len(errs[0].field);
    UNIT_TRUE(len <= LAPOR_REPORT_FIELD_LEN - 1);
    UNIT_EQ(len, 94);
    UNIT_TRUE(len < LAPOR_REPORT_FIELD_LEN && utf8_ok(errs[0].field));
    UNIT_TRUE(is_prefix(errs[0].field, key));
    UNIT_EQ(errs[0].code, LAPOR_REPORT_E_UNKNOWN);

    /* four-byte characters: 23 of them (92 bytes) fit */

    key = rep(EMOJI, 200);
    n = run(cat, now, report(NULL, text("\"%s\":1", key)), &out, errs,
            NERRS);
    len = field_len(errs[0].field);
    UNIT_TRUE(n == 1 && len == 92 && utf8_ok(errs[0].field)
              && is_prefix(errs[0].field, key));

    /* nested: "location." takes 9 bytes of the room */

    key = rep(E_ACUTE, 200);
    n = run(cat, now, report(NULL, text("\"location\":{\"%s\":1}", key)),
            &out, errs, NERRS);
    len = field_len(errs[0].field);
    UNIT_TRUE(n == 1 && len < LAPOR_REPORT_FIELD_LEN
              && len >= LAPOR_REPORT_FIELD_LEN - 3
              && strncmp(errs[0].field, "location.", 9) == 0
              && utf8_ok(errs[0].field)
              && is_prefix(errs[0].field + 9, key));

    key = rep(EMOJI, 100);
    n = run(cat, now, report("reporter",
                             text("\"reporter\":{\"name\":\"Budi\","
                                  "\"contact\":\"" CONTACT_OK "\","
                                  "\"%s\":1}", key)),
            &out, errs, NERRS);
    len = field_len(errs[0].field);
    UNIT_TRUE(n == 1 && len < LAPOR_REPORT_FIELD_LEN
              && strncmp(errs[0].field, "reporter.", 9) == 0
              && utf8_ok(errs[0].field)
              && is_prefix(errs[0].field + 9, key));

    /* ASCII: 95 bytes fit exactly, a 96th is cut */

    key = rep("k", 95);
    n = run(cat, now, report(NULL, text("\"%s\":1", key)), &out, errs,
            NERRS);
    UNIT_TRUE(n == 1 && strcmp(errs[0].field, key) == 0);

    key = rep("k", 96);
    n = run(cat, now, report(NULL, text("\"%s\":1", key)), &out, errs,
            NERRS);
    UNIT_TRUE(n == 1 && strlen(errs[0].field) == 95
              && is_prefix(errs[0].field, key));
}


int
main(void)
{
    int  rc;

    limits.alloc = test_alloc;
    limits.ctx = NULL;
    limits.max_depth = 8;
    limits.max_string = 65536;
    limits.max_elements = 256;
    limits.max_number = 32;
    limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;

    if (load_catalogs() != 0) {
        UNIT_TRUE(0);
        unit_free_all();
        return unit_report("report");
    }

    now = at(WITA, 2025, 6, 10, 12, 0, 0);

    test_catalog_loaded();
    test_minimal_valid();
    test_full_valid();
    test_anonymous();
    test_not_object();
    test_required();
    test_unknown();
    test_types();
    test_title_length();
    test_body_length();
    test_other_lengths();
    test_one_line();
    test_blank();
    test_empty();
    test_unknown_codes();
    test_channel();
    test_coordinates();
    test_dates();
    test_future();
    test_contact();
    test_reporter();
    test_many_errors();
    test_maxerrs();
    test_long_key();

    rc = unit_report("report");

    unit_free_all();

    return rc;
}
