
/*
 * Unit tests for the Open311 pieces that need no nginx: the form decoder
 * (lapor_form.c), the XML writer (lapor_xmlw.c), the JSON/XML document
 * writer (lapor_docw.c), the form-to-report mapping, datetimes and states
 * (lapor_open311.c), and the "client" role of the key file (lapor_tokens.c).
 */


#include <stdio.h>
#include <string.h>

#include "lapor_catalog.h"
#include "lapor_docw.h"
#include "lapor_form.h"
#include "lapor_open311.h"
#include "lapor_report.h"
#include "lapor_tokens.h"
#include "lapor_utf8.h"
#include "lapor_workflow.h"
#include "lapor_xmlw.h"
#include "unit.h"


static void *
test_alloc(void *ctx, size_t size)
{
    (void) ctx;

    return unit_alloc(size);
}


static int
form(const char *s, lapor_form_t *f, lapor_form_error_t *err)
{
    return lapor_form_parse((const unsigned char *) s, strlen(s), 64, 64,
                            test_alloc, NULL, f, err);
}


static void
test_form(void)
{
    lapor_form_t              f;
    lapor_form_error_t        err;
    const lapor_form_pair_t  *p;
    size_t                    n;

    UNIT_EQ(form("a=1&b=x+y&c=%41%42%e2%82%ac&d&&e=", &f, &err), 0);
    UNIT_EQ(f.n, 5);
    UNIT_TRUE(strcmp(f.pairs[0].key, "a") == 0);
    UNIT_TRUE(strcmp(f.pairs[1].value, "x y") == 0);
    UNIT_TRUE(strcmp(f.pairs[2].value, "AB\xe2\x82\xac") == 0);
    UNIT_EQ(f.pairs[2].value_chars, 3);
    UNIT_TRUE(strcmp(f.pairs[3].key, "d") == 0 && f.pairs[3].value_len == 0);
    UNIT_TRUE(strcmp(f.pairs[4].key, "e") == 0 && f.pairs[4].value_len == 0);

    /* keys are decoded too: attribute[type] */
    UNIT_EQ(form("attribute%5Btype%5D=aspirasi&attribute[x][]=1"
                 "&attribute[x][]=2", &f, &err), 0);
    p = lapor_form_get(&f, "attribute[type]", &n);
    UNIT_TRUE(p && strcmp(p->value, "aspirasi") == 0 && n == 1);
    p = lapor_form_get(&f, "attribute[x][]", &n);
    UNIT_TRUE(p && strcmp(p->value, "1") == 0 && n == 2);
    UNIT_TRUE(lapor_form_get(&f, "nothing", &n) == NULL && n == 0);

    /* an empty body */
    UNIT_EQ(form("", &f, &err), 0);
    UNIT_EQ(f.n, 0);

    /* line breaks in values, never in keys */
    UNIT_EQ(form("d=a%0D%0Ab%09c", &f, &err), 0);
    UNIT_TRUE(strcmp(f.pairs[0].value, "a\r\nb\tc") == 0);
    UNIT_EQ(form("a%0A=1", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ENCODING);

    /* bad escapes, with the offset of the "%" */
    UNIT_EQ(form("a=1&b=%4", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ESCAPE);
    UNIT_EQ(err.offset, 6);
    UNIT_EQ(form("a=%zz", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ESCAPE);
    UNIT_EQ(form("a=%", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ESCAPE);
    UNIT_EQ(form("%g1=x", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ESCAPE);

    /* not UTF-8, NUL, controls, overlong, surrogates */
    UNIT_EQ(form("a=%ff", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ENCODING);
    UNIT_EQ(form("a=x%00y", &f, &err), -1);
    UNIT_EQ(err.kind, LAPOR_FORM_ERR_ENCODING);
    UNIT_EQ(form("a=%01", &f, &err), -1);
    UNIT_EQ(form("a=%c0%80", &f, &err), -1);
    UNIT_EQ(form("a=%ed%a0%80", &f, &err), -1);
    UNIT_EQ(form("a=%e2%82", &f, &err), -1);

    /* limits: pairs (empty pieces count) and key length */
    {
        char  big[400];

        memset(big, '&', 100);
        big[100] = '\0';
        UNIT_EQ(form(big, &f, &err), -1);
        UNIT_EQ(err.kind, LAPOR_FORM_ERR_LIMIT);

        memset(big, 'k', 65);
        strcpy(big + 65, "=1");
        UNIT_EQ(form(big, &f, &err), -1);
        UNIT_EQ(err.kind, LAPOR_FORM_ERR_LIMIT);
    }
}


static const char *
xml_escape(const char *s, size_t len)
{
    static unsigned char  out[1024];
    size_t                n;

    n = lapor_xml_escape((const unsigned char *) s, len, out);
    out[n] = '\0';

    return (const char *) out;
}


/* every byte of the output is allowed in XML 1.0 text */

static int
xml_text_ok(const unsigned char *s, size_t len)
{
    size_t  i;

    if (lapor_utf8_check(s, len, LAPOR_UTF8_ALLOW_NEWLINES
                                 | LAPOR_UTF8_ALLOW_CONTROLS, NULL)
        != 0)
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if ((s[i] < 0x20 && s[i] != '\t' && s[i] != '\n') || s[i] == '<'
            || s[i] == '>' || s[i] == '"' || s[i] == '\'')
        {
            return 0;
        }

        /* U+FFFE, U+FFFF */
        if (i + 2 < len && s[i] == 0xef && s[i + 1] == 0xbf
            && (s[i + 2] == 0xbe || s[i + 2] == 0xbf))
        {
            return 0;
        }
    }

    return 1;
}


static void
test_xml(void)
{
    size_t                len, i, n, j;
    lapor_xmlw_t          w;
    const unsigned char  *doc;
    unsigned char         in[64], out[64 * 6];

    UNIT_TRUE(strcmp(xml_escape("a<b>&\"c'", 8),
                     "a&lt;b&gt;&amp;&quot;c&apos;") == 0);
    UNIT_TRUE(strcmp(xml_escape("x\r\ny\tz", 6), "x&#13;\ny\tz") == 0);

    /* controls, bad UTF-8, U+FFFE/U+FFFF become U+FFFD */
    UNIT_TRUE(strcmp(xml_escape("a\x01" "b", 3), "a\xef\xbf\xbd" "b") == 0);
    UNIT_TRUE(strcmp(xml_escape("\x00", 1), "\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xff", 1), "\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xc0\x80", 2),
                     "\xef\xbf\xbd\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xed\xa0\x80", 3),
                     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xef\xbf\xbe", 3), "\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xef\xbf\xbf", 3), "\xef\xbf\xbd") == 0);
    UNIT_TRUE(strcmp(xml_escape("\xe2\x82", 2),
                     "\xef\xbf\xbd\xef\xbf\xbd") == 0);

    /* kept: UTF-8 of every length, DEL, the C1 range (allowed in 1.0) */
    UNIT_TRUE(strcmp(xml_escape("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
                     "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80") == 0);

    /* whatever the bytes, the text is allowed XML */
    for (i = 0; i < 20000; i++) {
        n = unit_rand(sizeof(in));

        for (j = 0; j < n; j++) {
            in[j] = (unsigned char) unit_rand(256);
        }

        len = lapor_xml_escape(in, n, out);
        UNIT_TRUE(len <= lapor_xml_escaped_max(n));
        UNIT_TRUE(xml_text_ok(out, len));
    }

    /* the document */
    UNIT_EQ(lapor_xmlw_init(&w, test_alloc, NULL, 8), 0);
    UNIT_EQ(lapor_xmlw_open(&w, "errors"), 0);
    UNIT_EQ(lapor_xmlw_open(&w, "error"), 0);
    UNIT_EQ(lapor_xmlw_integer(&w, "code", -404), 0);
    UNIT_EQ(lapor_xmlw_element(&w, "description",
                               (const unsigned char *) "a & b", 5), 0);
    UNIT_TRUE(lapor_xmlw_result(&w, &len) == NULL);
    UNIT_EQ(lapor_xmlw_close(&w, "error"), 0);
    UNIT_EQ(lapor_xmlw_close(&w, "errors"), 0);
    doc = lapor_xmlw_result(&w, &len);
    UNIT_TRUE(doc != NULL);
    UNIT_TRUE(doc && len == strlen(LAPOR_XMLW_DECLARATION
                                   "<errors><error><code>-404</code>"
                                   "<description>a &amp; b</description>"
                                   "</error></errors>")
              && memcmp(doc, LAPOR_XMLW_DECLARATION
                             "<errors><error><code>-404</code>"
                             "<description>a &amp; b</description>"
                             "</error></errors>", len) == 0);

    /* misuse fails the writer for good */
    UNIT_EQ(lapor_xmlw_open(&w, "second-root"), -1);
    UNIT_TRUE(lapor_xmlw_result(&w, &len) == NULL);

    UNIT_EQ(lapor_xmlw_init(&w, test_alloc, NULL, 8), 0);
    UNIT_EQ(lapor_xmlw_text(&w, (const unsigned char *) "x", 1), -1);
    UNIT_EQ(lapor_xmlw_init(&w, test_alloc, NULL, 8), 0);
    UNIT_EQ(lapor_xmlw_close(&w, "x"), -1);
    UNIT_EQ(lapor_xmlw_init(&w, test_alloc, NULL, 8), 0);
    UNIT_TRUE(lapor_xmlw_result(&w, &len) == NULL);
}


static int
docw_is(lapor_docw_t *d, const char *want)
{
    size_t                len;
    const unsigned char  *s;

    s = lapor_docw_result(d, &len);

    if (s == NULL || len != strlen(want) || memcmp(s, want, len) != 0) {
        fprintf(stderr, "  got: %.*s\n want: %s\n", s ? (int) len : 6,
                s ? (const char *) s : "(null)", want);
        return 0;
    }

    return 1;
}


static void
build(lapor_docw_t *d, unsigned xml)
{
    lapor_docw_init(d, xml, test_alloc, NULL, 16);
    lapor_docw_list_open(d, "service_requests");
    lapor_docw_item_open(d, "request");
    lapor_docw_literal(d, "service_request_id", "7");
    lapor_docw_string(d, "description", (const unsigned char *) "bad\xff", 4);
    lapor_docw_number(d, "lat", "-8.5", 4);
    lapor_docw_bool(d, "metadata", 1);
    lapor_docw_null(d, "datatype_description");
    lapor_docw_integer(d, "code", 400);
    lapor_docw_field_list_open(d, "formats");
    lapor_docw_value(d, "format", (const unsigned char *) "text/xml", 8);
    lapor_docw_list_close(d, "formats");
    lapor_docw_field_item_open(d, "extra");
    lapor_docw_literal(d, "k", "<v>");
    lapor_docw_item_close(d, "extra");
    lapor_docw_item_close(d, "request");
    lapor_docw_list_close(d, "service_requests");
}


static void
test_docw(void)
{
    lapor_docw_t  d;

    build(&d, 0);
    UNIT_TRUE(docw_is(&d, "[{\"service_request_id\":\"7\","
                          "\"description\":null,\"lat\":-8.5,"
                          "\"metadata\":true,\"datatype_description\":null,"
                          "\"code\":400,\"formats\":[\"text/xml\"],"
                          "\"extra\":{\"k\":\"<v>\"}}]"));

    build(&d, 1);
    UNIT_TRUE(docw_is(&d, LAPOR_XMLW_DECLARATION
                          "<service_requests><request>"
                          "<service_request_id>7</service_request_id>"
                          "<description>bad\xef\xbf\xbd</description>"
                          "<lat>-8.5</lat><metadata>true</metadata>"
                          "<datatype_description></datatype_description>"
                          "<code>400</code>"
                          "<formats><format>text/xml</format></formats>"
                          "<extra><k>&lt;v&gt;</k></extra>"
                          "</request></service_requests>"));
}


static lapor_catalog_t *
catalog(void)
{
    char              err[LAPOR_CATALOG_ERR_LEN];
    lapor_catalog_t  *cat;

    static const char  *text =
        "{\"version\":1,"
        "\"region\":{\"code\":\"bali\",\"name\":{\"id\":\"Bali\","
        "\"en\":\"Bali\"}},"
        "\"time_zone\":\"Asia/Makassar\","
        "\"types\":[{\"code\":\"pengaduan\",\"name\":{\"id\":\"P\","
        "\"en\":\"C\"}},{\"code\":\"aspirasi\",\"name\":{\"id\":\"A\","
        "\"en\":\"A\"}}],"
        "\"agencies\":[{\"code\":\"pu\",\"name\":{\"id\":\"PU\","
        "\"en\":\"PW\"}}],"
        "\"categories\":[{\"code\":\"jalan\",\"name\":{\"id\":\"Jalan\","
        "\"en\":\"Roads\"},\"default_agency\":\"pu\"}],"
        "\"holidays\":[]}";

    if (lapor_catalog_parse((const unsigned char *) text, strlen(text),
                            test_alloc, NULL, &cat, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "catalog: %s\n", err);
        return NULL;
    }

    return cat;
}


/* maps a form and validates it; returns the number of errors in all */

static size_t
request(lapor_catalog_t *cat, const char *body, lapor_report_t *rep,
    lapor_report_str_t *media, lapor_report_error_t *errs)
{
    int                  n;
    size_t               m;
    lapor_form_t         f;
    lapor_json_t        *doc;
    lapor_form_error_t   ferr;

    if (form(body, &f, &ferr) != 0) {
        return 1000;
    }

    n = lapor_open311_request(&f, test_alloc, NULL, &doc, media, errs,
                              LAPOR_REPORT_MAX_ERRORS);
    if (n < 0) {
        return 2000;
    }

    m = lapor_report_validate(doc, cat, 1764979200, rep, errs + n,
                              LAPOR_REPORT_MAX_ERRORS - n);

    return n + m;
}


static int
has_error(lapor_report_error_t *errs, size_t n, const char *field,
    lapor_report_error_e code)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (strcmp(lapor_open311_field(errs[i].field), field) == 0
            && errs[i].code == code)
        {
            return 1;
        }
    }

    return 0;
}


#define BASE  "service_code=jalan&lat=-8.65&long=115.21"                      \
              "&description=Lubang+besar+di+jalan+raya+sejak+dua+minggu"     \
              "&first_name=Made&last_name=Wirawan&email=made%40example.id"


static void
test_request(void)
{
    size_t                 n;
    lapor_report_t         rep;
    lapor_catalog_t       *cat;
    lapor_report_str_t     media;
    lapor_report_error_t   errs[LAPOR_REPORT_MAX_ERRORS];

    cat = catalog();
    UNIT_TRUE(cat != NULL);
    if (cat == NULL) {
        return;
    }

    UNIT_EQ(request(cat, BASE "&api_key=x&device_id=d&account_id=a"
                        "&jurisdiction_id=j&unknown=1", &rep, &media, errs),
            0);
    UNIT_TRUE(strcmp(rep.type->code, "pengaduan") == 0);
    UNIT_TRUE(strcmp(rep.category->code, "jalan") == 0);
    UNIT_TRUE(strcmp(rep.agency->code, "pu") == 0);
    UNIT_TRUE(strcmp(rep.title.data,
                     "Lubang besar di jalan raya sejak dua minggu") == 0);
    UNIT_TRUE(strcmp(rep.lat.data, "-8.65") == 0
              && strcmp(rep.lon.data, "115.21") == 0);
    UNIT_TRUE(rep.place.data == NULL);
    UNIT_TRUE(rep.has_reporter);
    UNIT_TRUE(strcmp(rep.reporter_name.data, "Made Wirawan") == 0);
    UNIT_TRUE(strcmp(rep.reporter_contact.data, "made@example.id") == 0);
    UNIT_TRUE(!rep.anonymous && !rep.confidential);
    UNIT_TRUE(media.data == NULL);

    /* attributes, one value each, [] or not; phone when no e-mail */
    UNIT_EQ(request(cat, "service_code=jalan&address_string=Jl.+Raya+1"
                        "&description=Lubang+besar+di+jalan+raya+sejak+dua"
                        "&attribute[type][]=aspirasi"
                        "&attribute[title]=Judul+yang+cukup+panjang"
                        "&attribute[anonymous]=true"
                        "&attribute[confidential]=1&phone=081234567890"
                        "&first_name=Komang"
                        "&media_url=https://example.id/a.jpg",
                    &rep, &media, errs), 0);
    UNIT_TRUE(strcmp(rep.type->code, "aspirasi") == 0);
    UNIT_TRUE(strcmp(rep.title.data, "Judul yang cukup panjang") == 0);
    UNIT_TRUE(strcmp(rep.place.data, "Jl. Raya 1") == 0);
    UNIT_TRUE(rep.anonymous && rep.confidential);
    UNIT_TRUE(rep.has_reporter);
    UNIT_TRUE(strcmp(rep.reporter_name.data, "Komang") == 0);
    UNIT_TRUE(strcmp(rep.reporter_contact.data, "081234567890") == 0);
    UNIT_TRUE(media.data && strcmp(media.data, "https://example.id/a.jpg")
                            == 0);

    /* address_id alone is a location */
    UNIT_EQ(request(cat, "service_code=jalan&address_id=A-17"
                        "&description=Lubang+besar+di+jalan+raya+sejak+dua"
                        "&attribute[anonymous]=true", &rep, &media, errs), 0);
    UNIT_TRUE(strcmp(rep.place.data, "A-17") == 0);

    /* no location at all; lat without long; numbers JSON can write */
    n = request(cat, "service_code=jalan&description=Lubang+besar+di+jalan"
                     "+raya+sejak+dua&attribute[anonymous]=true",
                &rep, &media, errs);
    UNIT_EQ(n, 1);
    UNIT_TRUE(has_error(errs, n, "lat", LAPOR_REPORT_E_LOCATION));

    n = request(cat, "service_code=jalan&lat=1&description=Lubang+besar+di"
                     "+jalan+raya+sejak+dua&attribute[anonymous]=true",
                &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "long", LAPOR_REPORT_E_COORDINATES));

    n = request(cat, "service_code=jalan&lat=.5&long=0x10&description=Lub"
                     "ang+besar+di+jalan+raya+sejak+dua"
                     "&attribute[anonymous]=true", &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "lat", LAPOR_REPORT_E_TYPE));
    UNIT_TRUE(has_error(errs, n, "long", LAPOR_REPORT_E_TYPE));

    n = request(cat, "service_code=jalan&lat=91&long=0&description=Lubang"
                     "+besar+di+jalan+raya+sejak+dua"
                     "&attribute[anonymous]=true", &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "lat", LAPOR_REPORT_E_RANGE));

    /* repeated arguments and attributes */
    n = request(cat, BASE "&description=again", &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "description", LAPOR_REPORT_E_REPEATED));
    n = request(cat, BASE "&attribute[type]=aspirasi"
                     "&attribute[type][]=aspirasi", &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "attribute[type]",
                        LAPOR_REPORT_E_REPEATED));

    /* the validator's rules under Open311 names */
    n = request(cat, "service_code=nope&lat=1&long=1&description=short",
                &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "service_code",
                        LAPOR_REPORT_E_UNKNOWN_CATEGORY));
    UNIT_TRUE(has_error(errs, n, "description", LAPOR_REPORT_E_TOO_SHORT));
    UNIT_TRUE(has_error(errs, n, "first_name", LAPOR_REPORT_E_REPORTER));

    n = request(cat, "lat=1&long=1&description=Lubang+besar+di+jalan+raya"
                     "+sejak+dua&attribute[anonymous]=true",
                &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "service_code", LAPOR_REPORT_E_REQUIRED));

    n = request(cat, BASE "&attribute[type]=keluhan&attribute[anonymous]=ya",
                &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "attribute[type]",
                        LAPOR_REPORT_E_UNKNOWN_TYPE));
    UNIT_TRUE(has_error(errs, n, "attribute[anonymous]",
                        LAPOR_REPORT_E_ENUM));

    n = request(cat, BASE "&media_url=javascript:alert(1)", &rep, &media,
                errs);
    UNIT_TRUE(has_error(errs, n, "media_url", LAPOR_REPORT_E_URL));

    n = request(cat, "service_code=jalan&lat=1&long=1&email=nope"
                     "&first_name=M&description=Lubang+besar+di+jalan+raya"
                     "+sejak+dua", &rep, &media, errs);
    UNIT_TRUE(has_error(errs, n, "first_name", LAPOR_REPORT_E_TOO_SHORT));
    UNIT_TRUE(has_error(errs, n, "email", LAPOR_REPORT_E_TOO_SHORT)
              || has_error(errs, n, "email", LAPOR_REPORT_E_CONTACT));

    /* description: 4000 characters at most, counted as characters */
    {
        static char  body[40000];
        char        *p;
        int          i;

        p = body + sprintf(body, "service_code=jalan&lat=1&long=1"
                                 "&attribute[anonymous]=true&description=");

        for (i = 0; i < 4000; i++) {
            p += sprintf(p, "%%C3%%A9");
        }

        *p = '\0';
        UNIT_EQ(request(cat, body, &rep, &media, errs), 0);
        UNIT_EQ(rep.title.len > 0, 1);

        sprintf(p, "x");
        n = request(cat, body, &rep, &media, errs);
        UNIT_TRUE(has_error(errs, n, "description",
                            LAPOR_REPORT_E_TOO_LONG));
    }

    /* a title from a long first line is cut at a word */
    UNIT_EQ(request(cat, "service_code=jalan&lat=1&long=1"
                        "&attribute[anonymous]=true&description="
                        "Satu+dua+tiga+empat+lima+enam+tujuh+delapan+"
                        "sembilan+sepuluh+sebelas+duabelas+tigabelas+"
                        "empatbelas+limabelas+enambelas+tujuhbelas+"
                        "delapanbelas+sembilanbelas+duapuluh+"
                        "duapuluhsatu+duapuluhdua+duapuluhtiga%0Abaris+dua",
                    &rep, &media, errs), 0);
    UNIT_TRUE(rep.title.len <= 150 && rep.title.len > 100);
    UNIT_TRUE(rep.title.data[rep.title.len - 1] != ' ');
    UNIT_TRUE(strstr(rep.title.data, "baris") == NULL);

    /* a short first line: the whole description, line breaks as spaces */
    UNIT_EQ(request(cat, "service_code=jalan&lat=1&long=1"
                        "&attribute[anonymous]=true&description="
                        "Lubang%0D%0Abesar+di+jalan+raya+sejak+dua",
                    &rep, &media, errs), 0);
    UNIT_TRUE(strcmp(rep.title.data,
                     "Lubang  besar di jalan raya sejak dua") == 0);
}


static void
test_datetime(void)
{
    int64_t  t;

    UNIT_EQ(lapor_open311_datetime("2026-12-01T08:00:00+08:00", 25, &t), 0);
    UNIT_EQ(t, 1796083200);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00Z", 20, &t), 0);
    UNIT_EQ(t, 1796083200);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00Z", 17, &t), 0);
    UNIT_EQ(t, 1796083200);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00.123Z", 24, &t), 0);
    UNIT_EQ(t, 1796083200);
    UNIT_EQ(lapor_open311_datetime("2026-11-30T19:00:00-05:00", 25, &t), 0);
    UNIT_EQ(t, 1796083200);

    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00", 19, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01", 10, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-02-30T00:00:00Z", 20, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T24:00:00Z", 20, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:60:00Z", 20, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00+8:00", 24, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00Zx", 21, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01T00:00:00.Z", 21, &t), -1);
    UNIT_EQ(lapor_open311_datetime("2026-12-01 00:00:00Z", 20, &t), -1);
    UNIT_EQ(lapor_open311_datetime("", 0, &t), -1);
}


static void
test_status(void)
{
    UNIT_TRUE(strcmp(lapor_open311_status("submitted", 9), "open") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("deferred", 8), "open") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("dispatched", 10), "open") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("in_progress", 11), "open") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("followed_up", 11), "open") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("closed", 6), "closed") == 0);
    UNIT_TRUE(strcmp(lapor_open311_status("archived", 8), "closed") == 0);
    UNIT_TRUE(lapor_open311_status("open", 4) == NULL);

    UNIT_TRUE(lapor_open311_number("0", 1));
    UNIT_TRUE(lapor_open311_number("-8.65", 5));
    UNIT_TRUE(lapor_open311_number("1e5", 3));
    UNIT_TRUE(!lapor_open311_number("01", 2));
    UNIT_TRUE(!lapor_open311_number("+1", 2));
    UNIT_TRUE(!lapor_open311_number("1.", 2));
    UNIT_TRUE(!lapor_open311_number(".5", 2));
    UNIT_TRUE(!lapor_open311_number("nan", 3));
    UNIT_TRUE(!lapor_open311_number("", 0));
    UNIT_TRUE(!lapor_open311_number("1 ", 2));
}


static void
test_keys(void)
{
    char            err[LAPOR_TOKENS_ERR_LEN];
    const char     *text;
    lapor_tokens_t  t;

    text = "# clients\n"
           "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
           " client - fixmystreet\n";

    UNIT_EQ(lapor_tokens_parse_roles((const unsigned char *) text,
                                     strlen(text), LAPOR_ROLE_CLIENT,
                                     test_alloc, NULL, &t, err, sizeof(err)),
            0);
    UNIT_EQ(t.n, 1);
    UNIT_EQ(t.tokens[0].role, LAPOR_ROLE_CLIENT);
    UNIT_TRUE(strcmp(t.tokens[0].label, "fixmystreet") == 0);

    /* a client line is no officer token, and the reverse */
    UNIT_EQ(lapor_tokens_parse((const unsigned char *) text, strlen(text),
                               test_alloc, NULL, &t, err, sizeof(err)), -1);
    UNIT_TRUE(strstr(err, "line 2: the role must be \"admin\" or "
                          "\"agency\"") != NULL);

    text = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
           " admin - x\n";
    UNIT_EQ(lapor_tokens_parse_roles((const unsigned char *) text,
                                     strlen(text), LAPOR_ROLE_CLIENT,
                                     test_alloc, NULL, &t, err, sizeof(err)),
            -1);
    UNIT_TRUE(strcmp(err, "line 1: the role must be \"client\"") == 0);

    text = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
           " client dinkes x\n";
    UNIT_EQ(lapor_tokens_parse_roles((const unsigned char *) text,
                                     strlen(text), LAPOR_ROLE_CLIENT,
                                     test_alloc, NULL, &t, err, sizeof(err)),
            -1);
    UNIT_TRUE(strstr(err, "line 1: an api key takes \"-\"") != NULL);
}


int
main(void)
{
    test_form();
    test_xml();
    test_docw();
    test_request();
    test_datetime();
    test_status();
    test_keys();

    unit_free_all();

    return unit_report("open311");
}
