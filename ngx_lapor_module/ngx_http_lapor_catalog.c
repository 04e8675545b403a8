
/*
 * The catalog: "lapor_catalog file.json" reads and validates the file when
 * the configuration is loaded (a broken catalog fails "nginx -t" with the
 * file and the reason), and GET catalog serves it, normalised and prepared
 * once, to the portals that build their forms from it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_catalog.h"
#include "ngx_http_lapor_json.h"
#include "lapor_crypto.h"
#include "lapor_report.h"


#define NGX_HTTP_LAPOR_CATALOG_MAX_SIZE  (4 * 1024 * 1024)


static ngx_int_t ngx_http_lapor_catalog_render(ngx_conf_t *cf,
    ngx_http_lapor_catalog_conf_t *cc);
static void ngx_http_lapor_catalog_coverage(ngx_conf_t *cf,
    ngx_http_lapor_catalog_conf_t *cc);
static void ngx_http_lapor_catalog_name(yajl_gen g,
    lapor_catalog_name_t *name);
static void ngx_http_lapor_catalog_sla(yajl_gen g, lapor_catalog_sla_t *sla);
static void ngx_http_lapor_catalog_limit(yajl_gen g, const char *field,
    unsigned min, unsigned max);


static ngx_str_t  ngx_http_lapor_cache_control = ngx_string("Cache-Control");
static ngx_str_t  ngx_http_lapor_cache_public =
    ngx_string("public, max-age=300");


char *
ngx_http_lapor_catalog_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    char                            err[LAPOR_CATALOG_ERR_LEN];
    ngx_str_t                      *value, text;
    ngx_http_lapor_catalog_conf_t  *cc;

    if (llcf->catalog != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    cc = ngx_pcalloc(cf->pool, sizeof(ngx_http_lapor_catalog_conf_t));
    if (cc == NULL) {
        return NGX_CONF_ERROR;
    }

    cc->file = value[1];

    if (ngx_http_lapor_read_conf_file(cf, "lapor_catalog", &cc->file,
                                      NGX_HTTP_LAPOR_CATALOG_MAX_SIZE, &text)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (lapor_catalog_parse(text.data, text.len, ngx_http_lapor_pool_alloc,
                            cf->pool, &cc->catalog, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_catalog\" file \"%V\": %s",
                           &cc->file, err);
        return NGX_CONF_ERROR;
    }

    if (ngx_http_lapor_catalog_render(cf, cc) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    ngx_http_lapor_catalog_coverage(cf, cc);

    llcf->catalog = cc;

    return NGX_CONF_OK;
}


/*
 * A catalog whose holidays end soon makes "nginx -t" (and every start and
 * reload) warn; one whose holidays have ended, louder.  Neither fails: the
 * deadlines are still computed, with weekends only after the last covered
 * day, and refusing to start on a date would turn a missing list into an
 * outage.
 */

static void
ngx_http_lapor_catalog_coverage(ngx_conf_t *cf,
    ngx_http_lapor_catalog_conf_t *cc)
{
    int                y;
    u_char             date[16];
    int64_t            left;
    unsigned           m, d;
    lapor_calendar_t  *cal;

    cal = &cc->catalog->calendar;

    left = lapor_calendar_coverage_left(cal, ngx_time());

    if (left >= LAPOR_CALENDAR_COVERAGE_WARN_DAYS) {
        return;
    }

    lapor_calendar_civil_from_days(cal->covered_until, &y, &m, &d);
    ngx_sprintf(date, "%04d-%02ud-%02ud%Z", y, m, d);

    if (left < 0) {
        ngx_conf_log_error(NGX_LOG_ERR, cf, 0,
                           "\"lapor_catalog\" file \"%V\": its holidays "
                           "ended on %s, the last covered date: deadlines "
                           "after it skip weekends only; add the holidays "
                           "that follow and \"holidays_until\"",
                           &cc->file, date);
        return;
    }

    ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                       "\"lapor_catalog\" file \"%V\": its holidays end on "
                       "%s, the last covered date, in %L days: deadlines "
                       "after it will skip weekends only; add the next "
                       "holidays and \"holidays_until\"",
                       &cc->file, date, left);
}


static ngx_int_t
ngx_http_lapor_catalog_render(ngx_conf_t *cf,
    ngx_http_lapor_catalog_conf_t *cc)
{
    int                        y;
    char                       date[16];
    size_t                     i, len;
    unsigned                   m, d;
    yajl_gen                   g;
    const char               **ch;
    lapor_catalog_t           *cat;
    yajl_alloc_funcs           af;
    const unsigned char       *buf;
    unsigned char              digest[LAPOR_SHA256_LEN];
    lapor_catalog_category_t  *c;

    cat = cc->catalog;

    /* the document lives in the configuration pool, with the catalog */

    ngx_http_lapor_json_alloc_funcs(cf->pool, &af);

    g = yajl_gen_alloc(&af);
    if (g == NULL) {
        return NGX_ERROR;
    }

    yajl_gen_config(g, yajl_gen_validate_utf8, 1);

    yajl_gen_map_open(g);

    ngx_http_lapor_json_literal(g, "region");
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "code");
    yajl_gen_string(g, (const unsigned char *) cat->region_code,
                    cat->region_code_len);
    ngx_http_lapor_json_literal(g, "name");
    ngx_http_lapor_catalog_name(g, &cat->region_name);
    yajl_gen_map_close(g);

    ngx_http_lapor_json_literal(g, "time_zone");
    yajl_gen_string(g, (const unsigned char *) cat->time_zone,
                    cat->time_zone_len);

    ngx_http_lapor_json_literal(g, "sla");
    ngx_http_lapor_catalog_sla(g, &cat->sla);

    ngx_http_lapor_json_literal(g, "types");
    yajl_gen_array_open(g);

    for (i = 0; i < cat->ntypes; i++) {
        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "code");
        yajl_gen_string(g, (const unsigned char *) cat->types[i].code,
                        cat->types[i].code_len);
        ngx_http_lapor_json_literal(g, "name");
        ngx_http_lapor_catalog_name(g, &cat->types[i].name);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    ngx_http_lapor_json_literal(g, "agencies");
    yajl_gen_array_open(g);

    for (i = 0; i < cat->nagencies; i++) {
        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "code");
        yajl_gen_string(g, (const unsigned char *) cat->agencies[i].code,
                        cat->agencies[i].code_len);
        ngx_http_lapor_json_literal(g, "name");
        ngx_http_lapor_catalog_name(g, &cat->agencies[i].name);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    ngx_http_lapor_json_literal(g, "categories");
    yajl_gen_array_open(g);

    for (i = 0; i < cat->ncategories; i++) {
        c = &cat->categories[i];

        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "code");
        yajl_gen_string(g, (const unsigned char *) c->code, c->code_len);
        ngx_http_lapor_json_literal(g, "name");
        ngx_http_lapor_catalog_name(g, &c->name);
        ngx_http_lapor_json_literal(g, "default_agency");
        yajl_gen_string(g, (const unsigned char *)
                           cat->agencies[c->default_agency].code,
                        cat->agencies[c->default_agency].code_len);
        ngx_http_lapor_json_literal(g, "sla");
        ngx_http_lapor_catalog_sla(g, &c->sla);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    ngx_http_lapor_json_literal(g, "holidays");
    yajl_gen_array_open(g);

    for (i = 0; i < cat->nholidays; i++) {
        lapor_calendar_civil_from_days(cat->holidays[i].day, &y, &m, &d);
        len = ngx_sprintf((u_char *) date, "%04d-%02ud-%02ud", y, m, d)
              - (u_char *) date;

        yajl_gen_map_open(g);
        ngx_http_lapor_json_literal(g, "date");
        yajl_gen_string(g, (const unsigned char *) date, len);
        ngx_http_lapor_json_literal(g, "name");
        yajl_gen_string(g, (const unsigned char *) cat->holidays[i].name,
                        cat->holidays[i].name_len);
        yajl_gen_map_close(g);
    }

    yajl_gen_array_close(g);

    ngx_http_lapor_json_literal(g, "channels");
    yajl_gen_array_open(g);

    for (ch = lapor_report_channels; *ch; ch++) {
        ngx_http_lapor_json_cstr(g, *ch);
    }

    yajl_gen_array_close(g);

    /* the form's length limits, in characters, so portals check early */

    ngx_http_lapor_json_literal(g, "limits");
    yajl_gen_map_open(g);
    ngx_http_lapor_catalog_limit(g, "title", LAPOR_REPORT_TITLE_MIN,
                                 LAPOR_REPORT_TITLE_MAX);
    ngx_http_lapor_catalog_limit(g, "body", LAPOR_REPORT_BODY_MIN,
                                 LAPOR_REPORT_BODY_MAX);
    ngx_http_lapor_catalog_limit(g, "location.text", 1,
                                 LAPOR_REPORT_PLACE_MAX);
    ngx_http_lapor_catalog_limit(g, "reporter.name", LAPOR_REPORT_NAME_MIN,
                                 LAPOR_REPORT_NAME_MAX);
    ngx_http_lapor_catalog_limit(g, "reporter.contact",
                                 LAPOR_REPORT_CONTACT_MIN,
                                 LAPOR_REPORT_CONTACT_MAX);
    yajl_gen_map_close(g);

    yajl_gen_map_close(g);

    if (yajl_gen_get_buf(g, &buf, &len) != yajl_gen_status_ok) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_catalog\" file \"%V\" cannot be rendered "
                           "as JSON", &cc->file);
        return NGX_ERROR;
    }

    cc->json.data = (u_char *) buf;
    cc->json.len = len;

    if (lapor_sha256(buf, len, digest) != 0) {
        return NGX_ERROR;
    }

    cc->etag.data = ngx_pnalloc(cf->pool, 2 + 32);
    if (cc->etag.data == NULL) {
        return NGX_ERROR;
    }

    cc->etag.data[0] = '"';
    lapor_hex(digest, 16, (char *) cc->etag.data + 1);
    cc->etag.data[33] = '"';
    cc->etag.len = 34;

    return NGX_OK;
}


static void
ngx_http_lapor_catalog_name(yajl_gen g, lapor_catalog_name_t *name)
{
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "id");
    yajl_gen_string(g, (const unsigned char *) name->id, name->id_len);
    ngx_http_lapor_json_literal(g, "en");
    yajl_gen_string(g, (const unsigned char *) name->en, name->en_len);
    yajl_gen_map_close(g);
}


static void
ngx_http_lapor_catalog_sla(yajl_gen g, lapor_catalog_sla_t *sla)
{
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "dispatch_days");
    yajl_gen_integer(g, sla->dispatch_days);
    ngx_http_lapor_json_literal(g, "follow_up_days");
    yajl_gen_integer(g, sla->follow_up_days);
    ngx_http_lapor_json_literal(g, "auto_close_days");
    yajl_gen_integer(g, sla->auto_close_days);
    yajl_gen_map_close(g);
}


static void
ngx_http_lapor_catalog_limit(yajl_gen g, const char *field, unsigned min,
    unsigned max)
{
    ngx_http_lapor_json_cstr(g, field);
    yajl_gen_map_open(g);
    ngx_http_lapor_json_literal(g, "min_chars");
    yajl_gen_integer(g, min);
    ngx_http_lapor_json_literal(g, "max_chars");
    yajl_gen_integer(g, max);
    yajl_gen_map_close(g);
}


ngx_int_t
ngx_http_lapor_catalog_handler(ngx_http_request_t *r)
{
    ngx_int_t                   rc;
    ngx_table_elt_t            *etag;
    ngx_http_lapor_loc_conf_t  *llcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    etag = ngx_list_push(&r->headers_out.headers);
    if (etag == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    etag->hash = 1;
    ngx_str_set(&etag->key, "ETag");
    etag->value = llcf->catalog->etag;
    etag->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    etag->next = NULL;
#endif

    /* nginx's not-modified filter answers If-None-Match with 304 */
    r->headers_out.etag = etag;

    if (ngx_http_lapor_header_add(r, &ngx_http_lapor_cache_control,
                                  &ngx_http_lapor_cache_public)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_send(r, NGX_HTTP_OK, &ngx_http_lapor_json_type,
                               llcf->catalog->json.data,
                               llcf->catalog->json.len);
}


ngx_int_t
ngx_http_lapor_catalog_time(ngx_pool_t *pool, lapor_catalog_t *cat,
    int64_t t, ngx_str_t *out)
{
    out->data = ngx_pnalloc(pool, LAPOR_CALENDAR_FORMAT_LEN);
    if (out->data == NULL) {
        return NGX_ERROR;
    }

    out->len = lapor_calendar_format(&cat->calendar, t, (char *) out->data);

    return NGX_OK;
}
