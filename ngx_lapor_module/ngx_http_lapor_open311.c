
/*
 * Open311 GeoReport v2 below "lapor_open311": discovery, services, service
 * definitions, POST requests, GET requests/{id}, GET tokens/{token}, GET
 * requests and GET servicerequestupdates, each as .json or .xml.
 *
 * Nothing here is a second copy of the REST API: a POST requests form is
 * turned into the document of POST reports (lapor_open311.c) and judged by
 * the same validator, and stored by the same submission (Idempotency-Key,
 * "submit" limit, one MULTI/EXEC); reads go through the "read" limit and
 * the view rules of ngx_http_lapor_view.c, always as the public sees a
 * report (never a reporter's name or contact; personal data in free text
 * masked; a confidential report's content not at all).  Errors are the
 * module's problems, written in Open311's form by
 * ngx_http_lapor_open311_problem().
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_lapor_module.h"
#include "ngx_http_lapor_open311.h"
#include "ngx_http_lapor_batch.h"
#include "ngx_http_lapor_body.h"
#include "ngx_http_lapor_catalog.h"
#include "ngx_http_lapor_json.h"
#include "ngx_http_lapor_limit.h"
#include "ngx_http_lapor_metrics.h"
#include "ngx_http_lapor_problem.h"
#include "ngx_http_lapor_report.h"
#include "lapor_crypto.h"
#include "lapor_docw.h"
#include "lapor_form.h"
#include "lapor_open311.h"
#include "lapor_mask.h"
#include "lapor_request.h"
#include "lapor_utf8.h"
#include "lapor_workflow.h"
#include "ngx_http_lapor_store.h"


#define NGX_HTTP_LAPOR_OPEN311_FORM_MAX    65536
#define NGX_HTTP_LAPOR_OPEN311_PAIRS_MAX   64
#define NGX_HTTP_LAPOR_OPEN311_KEY_MAX     64
#define NGX_HTTP_LAPOR_OPEN311_KEYS_SIZE   (4 * 1024 * 1024)
#define NGX_HTTP_LAPOR_OPEN311_SPEC  "http://wiki.open311.org/GeoReport_v2"

/* when the discovery document last changed (sortable, as asked) */
#define NGX_HTTP_LAPOR_OPEN311_CHANGESET   "2026-12-06T00:00:00Z"


/* a report in a list: its sorted-set score and number */
typedef struct {
    int64_t                     score;
    int64_t                     id;
} ngx_http_lapor_open311_entry_t;


/* GET requests and GET servicerequestupdates */
typedef struct {
    ngx_http_lapor_redis_t     *rds;
    ngx_http_lapor_loc_conf_t  *llcf;
    lapor_catalog_t            *cat;
    ngx_array_t                 keys;      /* ngx_str_t: the sorted sets */
    int64_t                    *ids;       /* the reports to show */
    ngx_uint_t                  nids;
    int64_t                     start;
    int64_t                     end;
    ngx_uint_t                  offset;    /* (page - 1) * page_size */
    ngx_uint_t                  size;      /* page_size */
    unsigned                    open:1;    /* the statuses wanted */
    unsigned                    closed:1;
    unsigned                    updates:1;
} ngx_http_lapor_open311_list_t;


typedef struct {
    ngx_str_t                   path;      /* "x/" + {param} when param */
    ngx_uint_t                  param;
    ngx_uint_t                  methods;
    ngx_str_t                   allow;
    ngx_http_handler_pt         handler;
    ngx_uint_t                  endpoint;
} ngx_http_lapor_open311_route_t;


static ngx_int_t ngx_http_lapor_open311_discovery(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_services(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_definition(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_post(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_form(ngx_http_request_t *r,
    u_char *body, size_t len, u_char *digest);
static ngx_int_t ngx_http_lapor_open311_created(ngx_http_request_t *r,
    int64_t id, ngx_str_t *body, ngx_uint_t replayed);
static ngx_int_t ngx_http_lapor_open311_request_get(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_fetch(ngx_http_request_t *r,
    ngx_http_lapor_batch_t *b, void *data);
static void ngx_http_lapor_open311_fetched(ngx_http_request_t *r,
    void *data, redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_open311_token(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_requests(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_updates(ngx_http_request_t *r);
static ngx_int_t ngx_http_lapor_open311_list(ngx_http_request_t *r,
    ngx_uint_t updates);
static ngx_int_t ngx_http_lapor_open311_query(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, ngx_http_lapor_problem_t *pr);
static ngx_int_t ngx_http_lapor_open311_query_error(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr, const char *field,
    const ngx_http_lapor_text_t *message);
static ngx_int_t ngx_http_lapor_open311_ids(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, const lapor_form_pair_t *p);
static ngx_int_t ngx_http_lapor_open311_codes(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, const lapor_form_pair_t *p,
    ngx_http_lapor_problem_t *pr);
static ngx_int_t ngx_http_lapor_open311_range(ngx_http_request_t *r,
    void *data);
static ngx_int_t ngx_http_lapor_open311_by_id(ngx_http_request_t *r,
    void *data);
static void ngx_http_lapor_open311_ranged(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static ngx_int_t ngx_http_lapor_open311_reports(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l);
static void ngx_http_lapor_open311_listed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc);
static void ngx_http_lapor_open311_update(ngx_http_request_t *r,
    lapor_docw_t *d, lapor_catalog_t *cat, redisReply **f,
    redisReply *last);
static int ngx_http_lapor_open311_cmp(const void *a, const void *b);

static ngx_int_t ngx_http_lapor_open311_route(ngx_http_request_t *r,
    ngx_http_lapor_open311_route_t *rt, ngx_str_t *path);
static ngx_int_t ngx_http_lapor_open311_doc(ngx_http_request_t *r,
    lapor_docw_t *d);
static ngx_int_t ngx_http_lapor_open311_send(ngx_http_request_t *r,
    ngx_uint_t status, lapor_docw_t *d);
static const char *ngx_http_lapor_open311_name(ngx_http_request_t *r,
    const lapor_catalog_name_t *name, size_t *len);
static ngx_int_t ngx_http_lapor_open311_request(ngx_http_request_t *r,
    lapor_docw_t *d, lapor_catalog_t *cat, redisReply **f);
static void ngx_http_lapor_open311_text(ngx_http_request_t *r,
    lapor_docw_t *d, const char *name, redisReply *value, ngx_uint_t mask);
static void ngx_http_lapor_open311_time(ngx_http_request_t *r,
    lapor_docw_t *d, lapor_catalog_t *cat, const char *name, int64_t t);
static ngx_uint_t ngx_http_lapor_open311_status(ngx_uint_t status);


static ngx_str_t  ngx_http_lapor_open311_json_type =
    ngx_string("application/json; charset=utf-8");

static ngx_str_t  ngx_http_lapor_open311_xml_type =
    ngx_string("text/xml; charset=utf-8");


static ngx_http_lapor_text_t  ngx_http_lapor_t_not_found = {
    "Tidak ditemukan", "Not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_found = {
    "Sumber daya ini tidak ada di API Open311 ini; alamatnya berakhir "
    "dengan .json atau .xml.",
    "There is no such resource in this Open311 API; its paths end in .json "
    "or .xml."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_not_allowed = {
    "Metode tidak diizinkan", "Method not allowed"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_not_allowed = {
    "Sumber daya ini tidak mendukung metode permintaan; lihat header Allow.",
    "This resource does not support the request method; see the Allow "
    "header."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_service = {
    "Layanan tidak ditemukan", "Service not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_service = {
    "Tidak ada service_code ini; lihat services.",
    "There is no such service_code; see services."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_token = {
    "Token tidak ditemukan", "Token not found"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_token = {
    "Server ini langsung memberi service_request_id untuk setiap "
    "permintaan (jenis layanan realtime) dan tidak menerbitkan token.",
    "This server returns the service_request_id of every request at once "
    "(service type realtime); it issues no tokens."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_api_key = {
    "api_key tidak berlaku", "Invalid api_key"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_no_key = {
    "api_key wajib untuk membuat permintaan layanan.",
    "An api_key is required to create a service request."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_bad_key = {
    "api_key ini tidak dikenal; tidak dapat membuat permintaan layanan.",
    "Invalid api_key received -- can't proceed with create_request."
};

static ngx_http_lapor_text_t  ngx_http_lapor_t_form = {
    "Isi formulir tidak valid", "Invalid form"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_escape = {
    "Isi formulir memuat \"%\" yang tidak diikuti dua digit heksadesimal.",
    "The form holds a \"%\" not followed by two hex digits."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_encoding = {
    "Isi formulir bukan UTF-8 yang valid atau memuat karakter kontrol.",
    "The form is not valid UTF-8 or holds a control character."
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_limit = {
    "Formulir memuat terlalu banyak isian atau nama isian yang terlalu "
    "panjang.",
    "The form holds too many arguments or too long a name."
};


/* the states as status_notes, by lapor_state_e */

static ngx_http_lapor_text_t  ngx_http_lapor_open311_notes[] = {
    { "Diterima; menunggu verifikasi.", "Received; awaiting verification." },
    { "Ditunda oleh admin.", "Deferred by the administrators." },
    { "Diarsipkan tanpa tindak lanjut.", "Archived without follow-up." },
    { "Diteruskan ke instansi yang berwenang.",
      "Dispatched to the responsible agency." },
    { "Sedang diproses oleh instansi.", "In progress at the agency." },
    { "Ditindaklanjuti; menunggu tanggapan pelapor.",
      "Followed up; awaiting the reporter's response." },
    { "Selesai.", "Closed." }
};

static ngx_http_lapor_text_t  ngx_http_lapor_open311_confidential = {
    "Laporan rahasia: isinya tidak dipublikasikan.",
    "Confidential report: its content is not public."
};


static ngx_http_lapor_open311_route_t  ngx_http_lapor_open311_routes[] = {

    { ngx_string("discovery"), 0,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_discovery,
      NGX_HTTP_LAPOR_EP_CATALOG },

    { ngx_string("services"), 0,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_services,
      NGX_HTTP_LAPOR_EP_CATALOG },

    { ngx_string("services/"), 1,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_definition,
      NGX_HTTP_LAPOR_EP_CATALOG },

    { ngx_string("requests"), 0,
      NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_POST,
      ngx_string("GET, HEAD, POST"),
      ngx_http_lapor_open311_requests,
      NGX_HTTP_LAPOR_EP_OTHER },

    { ngx_string("servicerequestupdates"), 0,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_updates,
      NGX_HTTP_LAPOR_EP_OTHER },

    { ngx_string("requests/"), 1,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_request_get,
      NGX_HTTP_LAPOR_EP_REPORT },

    { ngx_string("tokens/"), 1,
      NGX_HTTP_GET|NGX_HTTP_HEAD,
      ngx_string("GET, HEAD"),
      ngx_http_lapor_open311_token,
      NGX_HTTP_LAPOR_EP_OTHER },

    { ngx_null_string, 0, 0, ngx_null_string, NULL, 0 }
};


ngx_int_t
ngx_http_lapor_open311_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        path;
    ngx_http_lapor_ctx_t            *ctx;
    ngx_http_lapor_problem_t         pr;
    ngx_http_core_loc_conf_t        *clcf;
    ngx_http_lapor_open311_route_t  *rt;

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* from here on every error is written in Open311's form */
    ctx->open311 = 1;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    path = r->uri;

    if (path.len >= clcf->name.len
        && ngx_strncmp(path.data, clcf->name.data, clcf->name.len) == 0)
    {
        path.data += clcf->name.len;
        path.len -= clcf->name.len;
    }

    if (path.len && path.data[0] == '/') {
        path.data++;
        path.len--;
    }

    /* the format by the extension */

    if (path.len > 5
        && ngx_strncmp(path.data + path.len - 5, ".json", 5) == 0)
    {
        path.len -= 5;

    } else if (path.len > 4
               && ngx_strncmp(path.data + path.len - 4, ".xml", 4) == 0)
    {
        ctx->xml = 1;
        path.len -= 4;

    } else {
        goto not_found;
    }

    for (rt = ngx_http_lapor_open311_routes; rt->handler; rt++) {

        rc = ngx_http_lapor_open311_route(r, rt, &path);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc != NGX_OK) {
            continue;
        }

        ctx->endpoint = rt->endpoint;

        if (!(r->method & rt->methods)) {
            rc = ngx_http_discard_request_body(r);
            if (rc != NGX_OK) {
                return rc;
            }

            ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

            pr.status = NGX_HTTP_NOT_ALLOWED;
            pr.type = "method-not-allowed";
            pr.title = &ngx_http_lapor_t_not_allowed;
            pr.detail = &ngx_http_lapor_d_not_allowed;
            pr.allow = rt->allow;

            return ngx_http_lapor_problem_send(r, &pr);
        }

        return rt->handler(r);
    }

not_found:

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND, "not-found",
                                  &ngx_http_lapor_t_not_found,
                                  &ngx_http_lapor_d_not_found);
}


/*
 * A literal path, or "prefix/" and one segment: a report number for
 * requests/ (ctx->report_id), any other segment in ctx->action.
 */

static ngx_int_t
ngx_http_lapor_open311_route(ngx_http_request_t *r,
    ngx_http_lapor_open311_route_t *rt, ngx_str_t *path)
{
    u_char                *p, *last;
    int64_t                id;
    ngx_http_lapor_ctx_t  *ctx;

    if (!rt->param) {
        return (path->len == rt->path.len
                && ngx_strncmp(path->data, rt->path.data, path->len) == 0)
               ? NGX_OK : NGX_DECLINED;
    }

    if (path->len <= rt->path.len
        || ngx_strncmp(path->data, rt->path.data, rt->path.len) != 0)
    {
        return NGX_DECLINED;
    }

    p = path->data + rt->path.len;
    last = path->data + path->len;

    if (ngx_strlchr(p, last, '/') != NULL) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    ctx->action.data = p;
    ctx->action.len = last - p;
    ctx->report_id = 0;

    if (rt->handler != ngx_http_lapor_open311_request_get) {
        return NGX_OK;
    }

    /* report numbers: 1 to 15 digits, no leading zero; else none */

    if (*p == '0' || last - p > 15) {
        return NGX_OK;
    }

    for (id = 0; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return NGX_OK;
        }

        id = id * 10 + (*p - '0');
    }

    ctx->report_id = id;

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_open311_doc(ngx_http_request_t *r, lapor_docw_t *d)
{
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_lapor_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (lapor_docw_init(d, ctx->xml, ngx_http_lapor_pool_alloc, r->pool,
                        2048)
        != 0)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_open311_send(ngx_http_request_t *r, ngx_uint_t status,
    lapor_docw_t *d)
{
    size_t                len;
    const unsigned char  *buf;

    buf = lapor_docw_result(d, &len);

    if (buf == NULL) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "lapor: incomplete Open311 document");
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_http_lapor_json_send_buf(r, status,
                                        d->xml
                                        ? &ngx_http_lapor_open311_xml_type
                                        : &ngx_http_lapor_open311_json_type,
                                        (u_char *) buf, len);
}


static const char *
ngx_http_lapor_open311_name(ngx_http_request_t *r,
    const lapor_catalog_name_t *name, size_t *len)
{
    if (ngx_http_lapor_lang(r) == NGX_HTTP_LAPOR_LANG_EN) {
        *len = name->en_len;
        return name->en;
    }

    *len = name->id_len;
    return name->id;
}


/* Errors ---------------------------------------------------------------- */


/*
 * Open311 knows 400, 403 and 404; the module's other answers keep their
 * status where a client can act on it (405 with Allow, 409 and 429 with
 * Retry-After, 413, 5xx), the rest are 400.
 */

static ngx_uint_t
ngx_http_lapor_open311_status(ngx_uint_t status)
{
    switch (status) {

    case NGX_HTTP_UNAUTHORIZED:
        return NGX_HTTP_FORBIDDEN;

    case NGX_HTTP_FORBIDDEN:
    case NGX_HTTP_NOT_FOUND:
    case NGX_HTTP_NOT_ALLOWED:
    case NGX_HTTP_CONFLICT:
    case NGX_HTTP_REQUEST_ENTITY_TOO_LARGE:
    case 429:
        return status;

    default:
        return status >= 500 ? status : NGX_HTTP_BAD_REQUEST;
    }
}


ngx_int_t
ngx_http_lapor_open311_problem(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr)
{
    u_char                        *p, *s;
    ngx_str_t                      text;
    ngx_uint_t                     i, status;
    lapor_docw_t                   d;
    const char                    *detail;
    ngx_http_lapor_field_error_t  *fe;

    status = ngx_http_lapor_open311_status(pr->status);

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_docw_list_open(&d, "errors");

    if (pr->errors && pr->errors->nelts) {

        /* one error per field: "<field>: <message>" */

        fe = pr->errors->elts;

        for (i = 0; i < pr->errors->nelts; i++) {
            ngx_http_lapor_problem_message(r, &fe[i], &text);

            s = ngx_pnalloc(r->pool, fe[i].field.len + 2 + text.len);
            if (s == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = s;

            if (fe[i].field.len) {
                p = ngx_cpymem(p, fe[i].field.data, fe[i].field.len);
                *p++ = ':';
                *p++ = ' ';
            }

            p = ngx_cpymem(p, text.data, text.len);

            lapor_docw_item_open(&d, "error");
            lapor_docw_integer(&d, "code", status);
            lapor_docw_string(&d, "description", s, p - s);
            lapor_docw_item_close(&d, "error");
        }

    } else {
        detail = ngx_http_lapor_text(r, pr->detail);

        lapor_docw_item_open(&d, "error");
        lapor_docw_integer(&d, "code", status);
        lapor_docw_string(&d, "description", (u_char *) detail,
                          ngx_strlen(detail));
        lapor_docw_item_close(&d, "error");
    }

    lapor_docw_list_close(&d, "errors");

    return ngx_http_lapor_open311_send(r, status, &d);
}


ngx_buf_t *
ngx_http_lapor_open311_error_page(ngx_http_request_t *r, ngx_uint_t status,
    const char *detail, ngx_str_t **type)
{
    size_t                len;
    ngx_buf_t            *b;
    lapor_docw_t          d;
    const unsigned char  *buf;

    /* nginx may answer before the routes ran: the format by the path */

    if (lapor_docw_init(&d, r->uri.len > 4
                            && ngx_strncmp(r->uri.data + r->uri.len - 4,
                                           ".xml", 4) == 0,
                        ngx_http_lapor_pool_alloc, r->pool, 256)
        != 0)
    {
        return NULL;
    }

    lapor_docw_list_open(&d, "errors");
    lapor_docw_item_open(&d, "error");
    lapor_docw_integer(&d, "code", status);
    lapor_docw_string(&d, "description", (u_char *) detail,
                      ngx_strlen(detail));
    lapor_docw_item_close(&d, "error");
    lapor_docw_list_close(&d, "errors");

    buf = lapor_docw_result(&d, &len);
    if (buf == NULL) {
        return NULL;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    b->pos = (u_char *) buf;
    b->last = (u_char *) buf + len;
    b->memory = 1;

    *type = d.xml ? &ngx_http_lapor_open311_xml_type
                  : &ngx_http_lapor_open311_json_type;

    return b;
}


/* Discovery, services, service definitions ------------------------------ */


static ngx_int_t
ngx_http_lapor_open311_discovery(ngx_http_request_t *r)
{
    u_char                     *p;
    ngx_int_t                   rc;
    ngx_str_t                   url, *host;
    lapor_docw_t                d;
    ngx_http_core_loc_conf_t   *clcf;
    ngx_http_lapor_loc_conf_t  *llcf;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);
    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    /* the endpoint's URL as this client reached it */

    host = &r->headers_in.server;

    url.data = ngx_pnalloc(r->pool, sizeof("https://") - 1 + host->len
                                    + clcf->name.len + 1);
    if (url.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

#if (NGX_HTTP_SSL)
    p = ngx_cpymem(url.data, r->connection->ssl ? "https://" : "http://",
                   r->connection->ssl ? 8 : 7);
#else
    p = ngx_cpymem(url.data, "http://", 7);
#endif

    if (r->headers_in.host && r->headers_in.host->value.len) {
        p = ngx_cpymem(p, r->headers_in.host->value.data,
                       r->headers_in.host->value.len);

    } else {
        p = ngx_cpymem(p, host->data, host->len);
    }

    p = ngx_cpymem(p, clcf->name.data, clcf->name.len);
    url.len = p - url.data;

    if (url.len && url.data[url.len - 1] == '/') {
        url.len--;
    }

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_docw_item_open(&d, "discovery");
    lapor_docw_literal(&d, "changeset", NGX_HTTP_LAPOR_OPEN311_CHANGESET);
    lapor_docw_string(&d, "contact", llcf->open311_contact.data,
                      llcf->open311_contact.len);
    lapor_docw_string(&d, "key_service", llcf->open311_key_service.data,
                      llcf->open311_key_service.len);

    lapor_docw_field_list_open(&d, "endpoints");
    lapor_docw_item_open(&d, "endpoint");
    lapor_docw_literal(&d, "specification", NGX_HTTP_LAPOR_OPEN311_SPEC);
    lapor_docw_string(&d, "url", url.data, url.len);
    lapor_docw_literal(&d, "changeset", NGX_HTTP_LAPOR_OPEN311_CHANGESET);
    lapor_docw_literal(&d, "type", "production");
    lapor_docw_field_list_open(&d, "formats");
    lapor_docw_value(&d, "format", (u_char *) "text/xml", 8);
    lapor_docw_value(&d, "format", (u_char *) "application/json", 16);
    lapor_docw_list_close(&d, "formats");
    lapor_docw_item_close(&d, "endpoint");
    lapor_docw_list_close(&d, "endpoints");
    lapor_docw_item_close(&d, "discovery");

    return ngx_http_lapor_open311_send(r, NGX_HTTP_OK, &d);
}


/*
 * The catalog's categories are the services: a report's category is what
 * Open311 calls its service, its default agency the service's group.
 */

static ngx_int_t
ngx_http_lapor_open311_services(ngx_http_request_t *r)
{
    u_char                        *p, *s;
    size_t                         i, nlen, alen;
    ngx_int_t                      rc;
    const char                    *name, *aname;
    lapor_docw_t                   d;
    lapor_catalog_t               *cat;
    ngx_http_lapor_loc_conf_t     *llcf;
    const lapor_catalog_agency_t  *agency;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    cat = llcf->catalog->catalog;

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_docw_list_open(&d, "services");

    for (i = 0; i < cat->ncategories; i++) {
        agency = lapor_catalog_category_agency(cat, &cat->categories[i]);

        name = ngx_http_lapor_open311_name(r, &cat->categories[i].name,
                                           &nlen);
        aname = ngx_http_lapor_open311_name(r, &agency->name, &alen);

        lapor_docw_item_open(&d, "service");

        lapor_docw_string(&d, "service_code",
                          (u_char *) cat->categories[i].code,
                          cat->categories[i].code_len);
        lapor_docw_string(&d, "service_name", (u_char *) name, nlen);

        /* "<name> (<agency>)" */

        s = ngx_pnalloc(r->pool, nlen + alen + 3);
        if (s == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(s, name, nlen);
        p = ngx_cpymem(p, " (", 2);
        p = ngx_cpymem(p, aname, alen);
        *p++ = ')';

        lapor_docw_string(&d, "description", s, p - s);
        lapor_docw_bool(&d, "metadata", 1);
        lapor_docw_literal(&d, "type", "realtime");

        /* "<category>,<agency>": the codes clients may search for */

        s = ngx_pnalloc(r->pool, cat->categories[i].code_len + 1
                                 + agency->code_len);
        if (s == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(s, cat->categories[i].code,
                       cat->categories[i].code_len);
        *p++ = ',';
        p = ngx_cpymem(p, agency->code, agency->code_len);

        lapor_docw_string(&d, "keywords", s, p - s);
        lapor_docw_string(&d, "group", (u_char *) aname, alen);

        lapor_docw_item_close(&d, "service");
    }

    lapor_docw_list_close(&d, "services");

    return ngx_http_lapor_open311_send(r, NGX_HTTP_OK, &d);
}


static ngx_http_lapor_text_t  ngx_http_lapor_open311_attr_text[] = {
    { "Jenis laporan: pengaduan (bawaan), aspirasi atau permintaan "
      "informasi.",
      "Report type: a complaint (the default), an aspiration or an "
      "information request." },
    { "Judul laporan, 10 sampai 150 karakter; bila kosong, diambil dari "
      "baris pertama deskripsi.",
      "The report's title, 10 to 150 characters; when empty, the first "
      "line of the description." },
    { "Anonim: nama pelapor tidak ditampilkan kepada publik maupun "
      "instansi.",
      "Anonymous: the reporter's name is shown neither to the public nor "
      "to the agency." },
    { "Rahasia: isi laporan tidak dipublikasikan.",
      "Confidential: the report's content is not made public." }
};

static ngx_http_lapor_text_t  ngx_http_lapor_open311_yes_no[] = {
    { "Ya", "Yes" },
    { "Tidak", "No" }
};


static ngx_int_t
ngx_http_lapor_open311_definition(ngx_http_request_t *r)
{
    size_t                           i, k, len;
    ngx_int_t                        rc;
    const char                      *text, *name;
    lapor_docw_t                     d;
    lapor_catalog_t                 *cat;
    ngx_http_lapor_ctx_t            *ctx;
    ngx_http_lapor_loc_conf_t       *llcf;
    const lapor_catalog_category_t  *category;

    static const char  *codes[] = {
        "type", "title", "anonymous", "confidential"
    };

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx = ngx_http_lapor_get_ctx(r);
    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    cat = llcf->catalog->catalog;

    category = lapor_catalog_category(cat, (char *) ctx->action.data,
                                      ctx->action.len);

    if (category == NULL) {
        return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND,
                                      "service-not-found",
                                      &ngx_http_lapor_t_service,
                                      &ngx_http_lapor_d_service);
    }

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_docw_item_open(&d, "service_definition");
    lapor_docw_string(&d, "service_code", (u_char *) category->code,
                      category->code_len);
    lapor_docw_field_list_open(&d, "attributes");

    for (i = 0; i < 4; i++) {
        lapor_docw_item_open(&d, "attribute");
        lapor_docw_bool(&d, "variable", 1);
        lapor_docw_string(&d, "code", (u_char *) codes[i],
                          ngx_strlen(codes[i]));

        if (i == 1) {
            lapor_docw_literal(&d, "datatype", "string");

        } else {
            lapor_docw_literal(&d, "datatype", "singlevaluelist");
        }

        lapor_docw_bool(&d, "required", 0);
        lapor_docw_null(&d, "datatype_description");
        lapor_docw_integer(&d, "order", i + 1);

        text = ngx_http_lapor_text(r, &ngx_http_lapor_open311_attr_text[i]);
        lapor_docw_string(&d, "description", (u_char *) text,
                          ngx_strlen(text));

        if (i == 0) {
            lapor_docw_field_list_open(&d, "values");

            for (k = 0; k < cat->ntypes; k++) {
                name = ngx_http_lapor_open311_name(r, &cat->types[k].name,
                                                   &len);

                lapor_docw_item_open(&d, "value");
                lapor_docw_string(&d, "key", (u_char *) cat->types[k].code,
                                  cat->types[k].code_len);
                lapor_docw_string(&d, "name", (u_char *) name, len);
                lapor_docw_item_close(&d, "value");
            }

            lapor_docw_list_close(&d, "values");

        } else if (i > 1) {
            lapor_docw_field_list_open(&d, "values");

            for (k = 0; k < 2; k++) {
                text = ngx_http_lapor_text(r,
                                           &ngx_http_lapor_open311_yes_no[k]);

                lapor_docw_item_open(&d, "value");
                lapor_docw_string(&d, "key",
                                  (u_char *) (k == 0 ? "true" : "false"),
                                  k == 0 ? 4 : 5);
                lapor_docw_string(&d, "name", (u_char *) text,
                                  ngx_strlen(text));
                lapor_docw_item_close(&d, "value");
            }

            lapor_docw_list_close(&d, "values");
        }

        lapor_docw_item_close(&d, "attribute");
    }

    lapor_docw_list_close(&d, "attributes");
    lapor_docw_item_close(&d, "service_definition");

    return ngx_http_lapor_open311_send(r, NGX_HTTP_OK, &d);
}


/* POST requests ---------------------------------------------------------- */


static ngx_int_t
ngx_http_lapor_open311_post(ngx_http_request_t *r)
{
    return ngx_http_lapor_read_form(r, ngx_http_lapor_open311_form,
                                    NGX_HTTP_LAPOR_OPEN311_FORM_MAX);
}


static ngx_int_t
ngx_http_lapor_open311_form(ngx_http_request_t *r, u_char *body, size_t len,
    u_char *digest)
{
    int                          n;
    size_t                       i, k, m, count;
    ngx_uint_t                   title;
    ngx_time_t                  *tp;
    lapor_form_t                 form;
    lapor_json_t                *doc;
    lapor_report_t               rep;
    lapor_report_str_t           media_url;
    lapor_form_error_t           ferr;
    const lapor_token_t         *key;
    lapor_report_error_t         errs[LAPOR_REPORT_MAX_ERRORS];
    ngx_http_lapor_problem_t     pr;
    ngx_http_lapor_loc_conf_t   *llcf;
    const lapor_form_pair_t     *api_key;
    unsigned char                hash[LAPOR_SHA256_LEN];

    llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);

    if (lapor_form_parse(body, len, NGX_HTTP_LAPOR_OPEN311_PAIRS_MAX,
                         NGX_HTTP_LAPOR_OPEN311_KEY_MAX,
                         ngx_http_lapor_pool_alloc, r->pool, &form, &ferr)
        != 0)
    {
        if (ferr.kind == LAPOR_FORM_ERR_NOMEM) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

        pr.status = NGX_HTTP_BAD_REQUEST;
        pr.type = "invalid-form";
        pr.title = &ngx_http_lapor_t_form;
        pr.detail = (ferr.kind == LAPOR_FORM_ERR_ESCAPE)
                    ? &ngx_http_lapor_d_escape
                    : (ferr.kind == LAPOR_FORM_ERR_ENCODING)
                      ? &ngx_http_lapor_d_encoding
                      : &ngx_http_lapor_d_limit;

        return ngx_http_lapor_problem_send(r, &pr);
    }

    /* the client: by the SHA-256 of its api_key, as officers by token */

    api_key = lapor_form_get(&form, "api_key", &count);

    if (api_key == NULL || api_key->value_len == 0) {
        return ngx_http_lapor_problem(r, NGX_HTTP_FORBIDDEN,
                                      "api-key-missing",
                                      &ngx_http_lapor_t_api_key,
                                      &ngx_http_lapor_d_no_key);
    }

    if (lapor_sha256((u_char *) api_key->value, api_key->value_len, hash)
        != 0)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    key = llcf->open311_keys ? lapor_tokens_find(&llcf->open311_keys->tokens,
                                                 hash)
                             : NULL;

    if (key == NULL || count > 1) {
        return ngx_http_lapor_problem(r, NGX_HTTP_FORBIDDEN,
                                      "api-key-unknown",
                                      &ngx_http_lapor_t_api_key,
                                      &ngx_http_lapor_d_bad_key);
    }

    /* the form as the document of POST reports, judged by its validator */

    n = lapor_open311_request(&form, ngx_http_lapor_pool_alloc, r->pool,
                              &doc, &media_url, errs,
                              LAPOR_REPORT_MAX_ERRORS);
    if (n < 0) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    m = ngx_min((size_t) n, LAPOR_REPORT_MAX_ERRORS);

    tp = ngx_timeofday();

    count = lapor_report_validate(doc, llcf->catalog->catalog, tp->sec,
                                  &rep, errs + m,
                                  LAPOR_REPORT_MAX_ERRORS - m);

    if (n == 0 && count == 0) {
        rep.channel = key->label;
        rep.media_url = media_url;

        return ngx_http_lapor_submit(r, &rep, tp->sec, digest,
                                     ngx_http_lapor_open311_created);
    }

    m += ngx_min(count, LAPOR_REPORT_MAX_ERRORS - m);

    /*
     * A title the client did not send comes from the description: its
     * errors are the description's, reported under that name already.
     */

    title = lapor_form_get(&form, "attribute[title]", NULL) != NULL
            || lapor_form_get(&form, "attribute[title][]", NULL) != NULL;

    for (i = 0, k = 0; i < m; i++) {

        if (!title && ngx_strcmp(errs[i].field, "title") == 0) {
            continue;
        }

        errs[k++] = errs[i];
    }

    m = k;

    for (i = 0; i < m; i++) {

        if (errs[i].code == LAPOR_REPORT_E_UNKNOWN_CATEGORY) {
            return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND,
                                          "service-not-found",
                                          &ngx_http_lapor_t_service,
                                          &ngx_http_lapor_d_service);
        }

        /* the validator's paths as Open311 spells the arguments */
        ngx_cpystrn((u_char *) errs[i].field,
                    (u_char *) lapor_open311_field(errs[i].field),
                    LAPOR_REPORT_FIELD_LEN);
    }

    return ngx_http_lapor_report_invalid(r, errs, m, 0);
}


static ngx_int_t
ngx_http_lapor_open311_created(ngx_http_request_t *r, int64_t id,
    ngx_str_t *body, ngx_uint_t replayed)
{
    u_char                    *p, num[NGX_INT64_LEN];
    lapor_docw_t               d;
    ngx_table_elt_t           *location;
    ngx_http_lapor_ctx_t      *ctx;
    ngx_http_core_loc_conf_t  *clcf;

    static ngx_str_t  replayed_name = ngx_string("Idempotent-Replayed");
    static ngx_str_t  replayed_value = ngx_string("true");

    ctx = ngx_http_lapor_get_ctx(r);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /* Location: <location>requests/<id>.<format> */

    location = ngx_list_push(&r->headers_out.headers);
    p = ngx_pnalloc(r->pool, clcf->name.len + sizeof("/requests/.json") - 1
                             + NGX_INT64_LEN);

    if (location == NULL || p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    location->hash = 1;
    ngx_str_set(&location->key, "Location");
    location->value.data = p;

    p = ngx_cpymem(p, clcf->name.data, clcf->name.len);

    if (clcf->name.len == 0 || clcf->name.data[clcf->name.len - 1] != '/') {
        *p++ = '/';
    }

    p = ngx_sprintf(p, "requests/%L.%s", id, ctx->xml ? "xml" : "json");
    location->value.len = p - location->value.data;
    location->lowcase_key = NULL;
#if (nginx_version >= 1023000)
    location->next = NULL;
#endif

    if (replayed
        && ngx_http_lapor_header_add(r, &replayed_name, &replayed_value)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the number only: the tracking token is the reporter's, not the app's */

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lapor_docw_list_open(&d, "service_requests");
    lapor_docw_item_open(&d, "request");
    lapor_docw_string(&d, "service_request_id", num,
                      ngx_sprintf(num, "%L", id) - num);
    lapor_docw_item_close(&d, "request");
    lapor_docw_list_close(&d, "service_requests");

    return ngx_http_lapor_open311_send(r, NGX_HTTP_CREATED, &d);
}


/* GET requests/{id}, GET tokens/{token} ---------------------------------- */


static ngx_int_t
ngx_http_lapor_open311_request_get(ngx_http_request_t *r)
{
    ngx_int_t              rc;
    ngx_http_lapor_ctx_t  *ctx;

    ctx = ngx_http_lapor_get_ctx(r);

    if (ctx->report_id == 0) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_lapor_report_not_found(r);
    }

    return ngx_http_lapor_view_start(r, ngx_http_lapor_open311_fetch,
                                     ngx_http_lapor_open311_fetched);
}


static ngx_int_t
ngx_http_lapor_open311_fetch(ngx_http_request_t *r, ngx_http_lapor_batch_t *b,
    void *data)
{
    ngx_http_lapor_view_t  *v = data;

    v->key = ngx_http_lapor_key(r->pool, &v->llcf->namespace, "report:%L",
                                v->id);
    if (v->key == NULL) {
        return NGX_ERROR;
    }

    ngx_http_lapor_batch_cmd(b, "HGETALL");
    ngx_http_lapor_batch_str(b, v->key);

    return b->failed ? NGX_ERROR : NGX_OK;
}


static void
ngx_http_lapor_open311_fetched(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_view_t  *v = data;

    lapor_docw_t   d;
    redisReply   **f;

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY) {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, v->rds, rc, reply));
        return;
    }

    f = ngx_http_lapor_report_fields(r->pool, reply);
    if (f == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING) {
        ngx_http_finalize_request(r, ngx_http_lapor_report_not_found(r));
        return;
    }

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lapor_docw_list_open(&d, "service_requests");

    rc = ngx_http_lapor_open311_request(r, &d, v->llcf->catalog->catalog, f);

    if (rc != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "lapor: report \"%V\" is incomplete", v->key);
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    lapor_docw_list_close(&d, "service_requests");

    ngx_http_finalize_request(r, ngx_http_lapor_open311_send(r, NGX_HTTP_OK,
                                                             &d));
}


/*
 * One request as the public sees the report (the view rules of
 * ngx_http_lapor_view.c): never the reporter; free text masked; of a
 * confidential report only its number, state, dates, service and agency.
 */

static ngx_int_t
ngx_http_lapor_open311_request(ngx_http_request_t *r, lapor_docw_t *d,
    lapor_catalog_t *cat, redisReply **f)
{
    int                              st_index;
    size_t                           len;
    u_char                           num[NGX_INT64_LEN];
    ngx_time_t                      *tp;
    const char                      *text, *status;
    redisReply                      *a, *c;
    ngx_http_lapor_view_state_t      st;
    const lapor_catalog_agency_t    *agency;
    const lapor_catalog_category_t  *category;

    tp = ngx_timeofday();

    if (ngx_http_lapor_view_state(f, tp->sec, &st) != NGX_OK) {
        return NGX_ERROR;
    }

    lapor_docw_item_open(d, "request");

    lapor_docw_string(d, "service_request_id", num,
                      ngx_sprintf(num, "%L", st.id) - num);

    status = st.auto_closed
             ? "closed"
             : lapor_open311_status(st.status->str, st.status->len);

    if (status == NULL) {
        status = "open";
    }

    lapor_docw_string(d, "status", (u_char *) status, ngx_strlen(status));

    st_index = st.auto_closed
               ? LAPOR_STATE_CLOSED
               : lapor_state_find(st.status->str, st.status->len);

    if (st_index >= 0) {
        text = ngx_http_lapor_text(r, &ngx_http_lapor_open311_notes[st_index]);
        lapor_docw_string(d, "status_notes", (u_char *) text,
                          ngx_strlen(text));
    }

    c = f[NGX_HTTP_LAPOR_F_CATEGORY];
    category = (c->type == REDIS_REPLY_STRING)
               ? lapor_catalog_category(cat, c->str, c->len) : NULL;

    if (category) {
        text = ngx_http_lapor_open311_name(r, &category->name, &len);
        lapor_docw_string(d, "service_name", (u_char *) text, len);
    }

    ngx_http_lapor_open311_text(r, d, "service_code", c, 0);

    if (!st.confidential) {
        ngx_http_lapor_open311_text(r, d, "title",
                                    f[NGX_HTTP_LAPOR_F_TITLE], 1);
        ngx_http_lapor_open311_text(r, d, "description",
                                    f[NGX_HTTP_LAPOR_F_BODY], 1);
    }

    a = f[NGX_HTTP_LAPOR_F_AGENCY];
    agency = (a->type == REDIS_REPLY_STRING)
             ? lapor_catalog_agency(cat, a->str, a->len) : NULL;

    if (agency) {
        text = ngx_http_lapor_open311_name(r, &agency->name, &len);
        lapor_docw_string(d, "agency_responsible", (u_char *) text, len);
    }

    if (st.confidential) {
        text = ngx_http_lapor_text(r, &ngx_http_lapor_open311_confidential);
        lapor_docw_string(d, "service_notice", (u_char *) text,
                          ngx_strlen(text));
    }

    ngx_http_lapor_open311_time(r, d, cat, "requested_datetime",
                                st.created);
    ngx_http_lapor_open311_time(r, d, cat, "updated_datetime", st.updated);

    if (st.open && st.due) {
        ngx_http_lapor_open311_time(r, d, cat, "expected_datetime", st.due);
    }

    if (!st.confidential) {
        ngx_http_lapor_open311_text(r, d, "address",
                                    f[NGX_HTTP_LAPOR_F_PLACE], 1);

        if (f[NGX_HTTP_LAPOR_F_LAT]->type == REDIS_REPLY_STRING
            && f[NGX_HTTP_LAPOR_F_LON]->type == REDIS_REPLY_STRING
            && lapor_open311_number(f[NGX_HTTP_LAPOR_F_LAT]->str,
                                    f[NGX_HTTP_LAPOR_F_LAT]->len)
            && lapor_open311_number(f[NGX_HTTP_LAPOR_F_LON]->str,
                                    f[NGX_HTTP_LAPOR_F_LON]->len))
        {
            lapor_docw_number(d, "lat", f[NGX_HTTP_LAPOR_F_LAT]->str,
                              f[NGX_HTTP_LAPOR_F_LAT]->len);
            lapor_docw_number(d, "long", f[NGX_HTTP_LAPOR_F_LON]->str,
                              f[NGX_HTTP_LAPOR_F_LON]->len);
        }

        ngx_http_lapor_open311_text(r, d, "media_url",
                                    f[NGX_HTTP_LAPOR_F_MEDIA_URL], 0);
    }

    lapor_docw_item_close(d, "request");

    return NGX_OK;
}


/* a stored text, masked for the public; absent fields are left out */

static void
ngx_http_lapor_open311_text(ngx_http_request_t *r, lapor_docw_t *d,
    const char *name, redisReply *value, ngx_uint_t mask)
{
    u_char  *s;

    if (value->type != REDIS_REPLY_STRING) {
        return;
    }

    s = (u_char *) value->str;

    if (mask) {
        s = ngx_http_lapor_view_masked(r, value);

        if (s == NULL) {
            /* never the unmasked text */
            return;
        }
    }

    lapor_docw_string(d, name, s, value->len);
}


static void
ngx_http_lapor_open311_time(ngx_http_request_t *r, lapor_docw_t *d,
    lapor_catalog_t *cat, const char *name, int64_t t)
{
    ngx_str_t  s;

    if (ngx_http_lapor_catalog_time(r->pool, cat, t, &s) == NGX_OK) {
        lapor_docw_string(d, name, s.data, s.len);
    }
}


static ngx_int_t
ngx_http_lapor_open311_token(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_http_lapor_problem(r, NGX_HTTP_NOT_FOUND, "token-not-found",
                                  &ngx_http_lapor_t_token,
                                  &ngx_http_lapor_d_token);
}


/* GET requests, GET servicerequestupdates -------------------------------- */


#define NGX_HTTP_LAPOR_OPEN311_DAYS        90
#define NGX_HTTP_LAPOR_OPEN311_LIST_MAX    1000
#define NGX_HTTP_LAPOR_OPEN311_DEPTH_MAX   10000


static ngx_http_lapor_text_t  ngx_http_lapor_t_query = {
    "Parameter tidak valid", "Invalid query"
};

static ngx_http_lapor_text_t  ngx_http_lapor_d_query = {
    "Beberapa parameter perlu diperbaiki; lihat daftar errors.",
    "Some query arguments need correcting; see the errors list."
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_query = {
    "bukan query string yang valid (escape %, UTF-8)",
    "is not a valid query string (% escapes, UTF-8)"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_datetime = {
    "bukan tanggal-waktu W3C dengan zona waktu, misalnya "
    "2026-12-01T00:00:00+08:00",
    "is not a W3C datetime with a time zone, e.g. 2026-12-01T00:00:00+08:00"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_order = {
    "tidak boleh sebelum start_date", "must not be before start_date"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_days = {
    "rentang start_date sampai end_date paling lama 90 hari",
    "the range from start_date to end_date may not exceed 90 days"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_status = {
    "harus open, closed atau keduanya dipisah koma",
    "must be open, closed or both, separated by a comma"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_ids = {
    "harus nomor laporan dipisah koma, paling banyak 1000",
    "must be report numbers separated by commas, at most 1000"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_page = {
    "harus bilangan bulat positif", "must be a positive whole number"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_page_size = {
    "harus bilangan bulat 1 sampai 1000",
    "must be a whole number from 1 to 1000"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_depth = {
    "page × page_size tidak boleh melebihi 10000",
    "page × page_size may not exceed 10000"
};

static ngx_http_lapor_text_t  ngx_http_lapor_m_repeated = {
    "hanya boleh diisi sekali", "must be given only once"
};


static ngx_int_t
ngx_http_lapor_open311_requests(ngx_http_request_t *r)
{
    ngx_http_lapor_ctx_t  *ctx;

    if (r->method == NGX_HTTP_POST) {
        ctx = ngx_http_lapor_get_ctx(r);
        ctx->endpoint = NGX_HTTP_LAPOR_EP_SUBMIT;
        return ngx_http_lapor_open311_post(r);
    }

    return ngx_http_lapor_open311_list(r, 0);
}


static ngx_int_t
ngx_http_lapor_open311_updates(ngx_http_request_t *r)
{
    return ngx_http_lapor_open311_list(r, 1);
}


/*
 * A list from the sorted sets, never a scan: the reports of a category
 * and status class by creation time ("public:category:<code>:open|closed",
 * or without a category the states' "public:status:<state>"),
 * or every report by its last change ("updated"); the pages of all the
 * sets asked for are merged, newest first.
 */

static ngx_int_t
ngx_http_lapor_open311_list(ngx_http_request_t *r, ngx_uint_t updates)
{
    ngx_int_t                       rc;
    ngx_http_lapor_problem_t        pr;
    ngx_http_lapor_main_conf_t     *lmcf;
    ngx_http_lapor_open311_list_t  *l;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    l = ngx_pcalloc(r->pool, sizeof(ngx_http_lapor_open311_list_t));
    if (l == NULL
        || ngx_array_init(&l->keys, r->pool, 8, sizeof(ngx_str_t)) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_lapor_module);

    l->rds = lmcf->redis_conn;
    l->llcf = ngx_http_get_module_loc_conf(r, ngx_http_lapor_module);
    l->cat = l->llcf->catalog->catalog;
    l->updates = updates;

    ngx_memzero(&pr, sizeof(ngx_http_lapor_problem_t));

    rc = ngx_http_lapor_open311_query(r, l, &pr);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_DECLINED) {
        if (pr.status) {
            /* 404 for an unknown service_code, made already */
            return ngx_http_lapor_problem_send(r, &pr);
        }

        pr.status = NGX_HTTP_BAD_REQUEST;
        pr.type = "invalid-query";
        pr.title = &ngx_http_lapor_t_query;
        pr.detail = &ngx_http_lapor_d_query;

        return ngx_http_lapor_problem_send(r, &pr);
    }

    if (l->ids) {
        /* service_request_id: those reports, nothing else */
        return ngx_http_lapor_limit(r, "read", ngx_http_lapor_open311_by_id,
                                    NULL, l);
    }

    return ngx_http_lapor_limit(r, "read", ngx_http_lapor_open311_range,
                                NULL, l);
}


static ngx_int_t
ngx_http_lapor_open311_query_error(ngx_http_request_t *r,
    ngx_http_lapor_problem_t *pr, const char *field,
    const ngx_http_lapor_text_t *message)
{
    ngx_str_t  f;

    f.data = (u_char *) field;
    f.len = ngx_strlen(field);

    if (ngx_http_lapor_problem_error(r, pr, &f, message, NULL) != NGX_OK) {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


/* NGX_OK, NGX_DECLINED with the errors in pr, or NGX_ERROR */

static ngx_int_t
ngx_http_lapor_open311_query(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, ngx_http_lapor_problem_t *pr)
{
    u_char                    *p, *last;
    size_t                     i, n;
    int64_t                    now, page;
    ngx_str_t                 *key;
    ngx_int_t                  rc, bad;
    ngx_time_t                *tp;
    lapor_form_t               q;
    lapor_form_error_t         ferr;
    const lapor_form_pair_t   *v, *start, *end, *codes;

    static const char  *single[] = {
        "service_request_id", "service_code", "start_date", "end_date",
        "status", "page", "page_size", "jurisdiction_id", "api_key", NULL
    };

    if (lapor_form_parse(r->args.data, r->args.len,
                         NGX_HTTP_LAPOR_OPEN311_PAIRS_MAX,
                         NGX_HTTP_LAPOR_OPEN311_KEY_MAX,
                         ngx_http_lapor_pool_alloc, r->pool, &q, &ferr)
        != 0)
    {
        if (ferr.kind == LAPOR_FORM_ERR_NOMEM) {
            return NGX_ERROR;
        }

        return ngx_http_lapor_open311_query_error(r, pr, "",
                                                  &ngx_http_lapor_m_query);
    }

    bad = 0;

    for (i = 0; single[i]; i++) {
        (void) lapor_form_get(&q, single[i], &n);

        if (n > 1) {
            rc = ngx_http_lapor_open311_query_error(r, pr, single[i],
                                                 &ngx_http_lapor_m_repeated);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            bad = 1;
        }
    }

    if (bad) {
        return NGX_DECLINED;
    }

    /* service_request_id overrides every other argument */

    v = lapor_form_get(&q, "service_request_id", NULL);

    if (v && v->value_len && !l->updates) {
        l->open = 1;
        l->closed = 1;

        rc = ngx_http_lapor_open311_ids(r, l, v);

        if (rc == NGX_DECLINED) {
            return ngx_http_lapor_open311_query_error(r, pr,
                                                      "service_request_id",
                                                      &ngx_http_lapor_m_ids);
        }

        return rc;
    }

    /* the window: at most 90 days, the last 90 by default */

    tp = ngx_timeofday();
    now = tp->sec;

    start = lapor_form_get(&q, "start_date", NULL);
    end = lapor_form_get(&q, "end_date", NULL);

    if (start && start->value_len == 0) {
        start = NULL;
    }

    if (end && end->value_len == 0) {
        end = NULL;
    }

    l->end = now;

    if (end && lapor_open311_datetime(end->value, end->value_len, &l->end)
               != 0)
    {
        rc = ngx_http_lapor_open311_query_error(r, pr, "end_date",
                                                &ngx_http_lapor_m_datetime);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        bad = 1;
    }

    l->start = l->end - NGX_HTTP_LAPOR_OPEN311_DAYS * 86400;

    if (start
        && lapor_open311_datetime(start->value, start->value_len, &l->start)
           != 0)
    {
        rc = ngx_http_lapor_open311_query_error(r, pr, "start_date",
                                                &ngx_http_lapor_m_datetime);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        bad = 1;
    }

    if (!bad && start && !end) {
        /* only a start: the 90 days from it */
        l->end = l->start + NGX_HTTP_LAPOR_OPEN311_DAYS * 86400;
    }

    if (!bad && l->end < l->start) {
        rc = ngx_http_lapor_open311_query_error(r, pr, "end_date",
                                                &ngx_http_lapor_m_order);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        bad = 1;
    }

    if (!bad && l->end - l->start > NGX_HTTP_LAPOR_OPEN311_DAYS * 86400) {
        rc = ngx_http_lapor_open311_query_error(r, pr, "start_date",
                                                &ngx_http_lapor_m_days);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        bad = 1;
    }

    /* status: open, closed or both */

    v = lapor_form_get(&q, "status", NULL);

    if (v && v->value_len) {
        p = (u_char *) v->value;
        last = p + v->value_len;

        while (p < last) {
            n = (ngx_strlchr(p, last, ',') ? ngx_strlchr(p, last, ',')
                                           : last) - p;

            if (n == 4 && ngx_strncmp(p, "open", 4) == 0) {
                l->open = 1;

            } else if (n == 6 && ngx_strncmp(p, "closed", 6) == 0) {
                l->closed = 1;

            } else {
                l->open = 0;
                l->closed = 0;
                break;
            }

            p += n + 1;
        }

        if (!l->open && !l->closed) {
            rc = ngx_http_lapor_open311_query_error(r, pr, "status",
                                                    &ngx_http_lapor_m_status);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            bad = 1;
        }

    } else {
        l->open = 1;
        l->closed = 1;
    }

    /* the paging extension: page (from 1) and page_size (1 to 1000) */

    page = 1;
    l->size = NGX_HTTP_LAPOR_OPEN311_LIST_MAX;

    v = lapor_form_get(&q, "page", NULL);

    if (v && v->value_len) {
        page = lapor_request_number((u_char *) v->value, v->value_len);

        if (page < 1) {
            rc = ngx_http_lapor_open311_query_error(r, pr, "page",
                                                    &ngx_http_lapor_m_page);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            bad = 1;
            page = 1;
        }
    }

    v = lapor_form_get(&q, "page_size", NULL);

    if (v && v->value_len) {
        rc = lapor_request_number((u_char *) v->value, v->value_len);

        if (rc < 1 || rc > NGX_HTTP_LAPOR_OPEN311_LIST_MAX) {
            rc = ngx_http_lapor_open311_query_error(r, pr, "page_size",
                                                &ngx_http_lapor_m_page_size);
            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            bad = 1;

        } else {
            l->size = rc;
        }
    }

    if (!bad && (page > NGX_HTTP_LAPOR_OPEN311_DEPTH_MAX
                 || (ngx_uint_t) page * l->size
                    > NGX_HTTP_LAPOR_OPEN311_DEPTH_MAX))
    {
        rc = ngx_http_lapor_open311_query_error(r, pr, "page",
                                                &ngx_http_lapor_m_depth);
        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        bad = 1;
    }

    l->offset = (page - 1) * l->size;

    if (bad) {
        return NGX_DECLINED;
    }

    if (l->updates) {
        key = ngx_array_push(&l->keys);
        if (key == NULL) {
            return NGX_ERROR;
        }

        ngx_str_set(key, "updated");

        return NGX_OK;
    }

    /* service_code: the categories, all by default */

    codes = lapor_form_get(&q, "service_code", NULL);

    return ngx_http_lapor_open311_codes(r, l, codes, pr);
}


static ngx_int_t
ngx_http_lapor_open311_codes(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, const lapor_form_pair_t *v,
    ngx_http_lapor_problem_t *pr)
{
    u_char                          *p, *last, *comma;
    size_t                           i;
    ngx_str_t                       *key;
    ngx_uint_t                       k;
    const lapor_catalog_category_t  *c, **cats;

    cats = ngx_palloc(r->pool, (l->cat->ncategories + 1) * sizeof(void *));
    if (cats == NULL) {
        return NGX_ERROR;
    }

    k = 0;

    if (v == NULL || v->value_len == 0) {
        /* every category: the same reports are in the states' sets */

        for (i = 0; i < LAPOR_STATE_COUNT; i++) {
            if (lapor_state_open((lapor_state_e) i) ? !l->open : !l->closed) {
                continue;
            }

            key = ngx_array_push(&l->keys);
            if (key == NULL) {
                return NGX_ERROR;
            }

            key->data = ngx_pnalloc(r->pool, sizeof("public:status:") - 1
                                    + ngx_strlen(lapor_state_name(
                                                   (lapor_state_e) i)));
            if (key->data == NULL) {
                return NGX_ERROR;
            }

            key->len = ngx_sprintf(key->data, "public:status:%s",
                                   lapor_state_name((lapor_state_e) i))
                       - key->data;
        }

        return NGX_OK;
    }

    p = (u_char *) v->value;
    last = p + v->value_len;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        c = lapor_catalog_category(l->cat, (char *) p, comma - p);

        if (c == NULL) {
            pr->status = NGX_HTTP_NOT_FOUND;
            pr->type = "service-not-found";
            pr->title = &ngx_http_lapor_t_service;
            pr->detail = &ngx_http_lapor_d_service;
            return NGX_DECLINED;
        }

        for (i = 0; i < k && cats[i] != c; i++) {
            /* void */
        }

        if (i == k && k < l->cat->ncategories) {
            cats[k++] = c;
        }

        if (comma == last) {
            break;
        }

        p = comma + 1;
    }

    for (i = 0; i < k; i++) {
        if (l->open) {
            key = ngx_array_push(&l->keys);
            if (key == NULL) {
                return NGX_ERROR;
            }

            key->data = ngx_pnalloc(r->pool, cats[i]->code_len + 24);
            if (key->data == NULL) {
                return NGX_ERROR;
            }

            key->len = ngx_sprintf(key->data, "public:category:%*s:open",
                                   cats[i]->code_len, cats[i]->code)
                       - key->data;
        }

        if (l->closed) {
            key = ngx_array_push(&l->keys);
            if (key == NULL) {
                return NGX_ERROR;
            }

            key->data = ngx_pnalloc(r->pool, cats[i]->code_len + 24);
            if (key->data == NULL) {
                return NGX_ERROR;
            }

            key->len = ngx_sprintf(key->data, "public:category:%*s:closed",
                                   cats[i]->code_len, cats[i]->code)
                       - key->data;
        }
    }

    return NGX_OK;
}


/* "1,2,3": up to 1000 report numbers; NGX_DECLINED for anything else */

static ngx_int_t
ngx_http_lapor_open311_ids(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l, const lapor_form_pair_t *v)
{
    u_char   *p, *last, *comma;
    int64_t   id;

    l->ids = ngx_palloc(r->pool,
                        NGX_HTTP_LAPOR_OPEN311_LIST_MAX * sizeof(int64_t));
    if (l->ids == NULL) {
        return NGX_ERROR;
    }

    p = (u_char *) v->value;
    last = p + v->value_len;

    for ( ;; ) {
        comma = ngx_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        if (comma == p || comma - p > 15 || *p == '0'
            || l->nids == NGX_HTTP_LAPOR_OPEN311_LIST_MAX)
        {
            return NGX_DECLINED;
        }

        for (id = 0; p < comma; p++) {
            if (*p < '0' || *p > '9') {
                return NGX_DECLINED;
            }

            id = id * 10 + (*p - '0');
        }

        l->ids[l->nids++] = id;

        if (comma == last) {
            break;
        }

        p = comma + 1;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_http_lapor_open311_by_id(ngx_http_request_t *r, void *data)
{
    return ngx_http_lapor_open311_reports(r, data);
}


static ngx_int_t
ngx_http_lapor_open311_range(ngx_http_request_t *r, void *data)
{
    ngx_http_lapor_open311_list_t  *l = data;

    ngx_str_t               *keys;
    ngx_uint_t               i;
    ngx_http_lapor_batch_t   b;

    if (ngx_http_lapor_batch_init(&b, r->pool, &l->llcf->namespace,
                                  l->keys.nelts + 2)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    keys = l->keys.elts;

    /* one transaction: EXEC answers every range at once */

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    for (i = 0; i < l->keys.nelts; i++) {
        /* ZRANGE ... BYSCORE REV: ZREVRANGEBYSCORE, within the ACL */
        ngx_http_lapor_batch_cmd(&b, "ZRANGE");
        ngx_http_lapor_batch_key(&b, "%V", &keys[i]);
        ngx_http_lapor_batch_int(&b, ngx_http_lapor_score(l->end, -1));
        ngx_http_lapor_batch_int(&b, ngx_http_lapor_score(l->start, 0));
        ngx_http_lapor_batch_cstr(&b, "BYSCORE");
        ngx_http_lapor_batch_cstr(&b, "REV");
        ngx_http_lapor_batch_cstr(&b, "WITHSCORES");
        ngx_http_lapor_batch_cstr(&b, "LIMIT");
        ngx_http_lapor_batch_int(&b, 0);
        ngx_http_lapor_batch_int(&b, l->offset + l->size);
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    return ngx_http_lapor_batch_send(r, l->rds, &b,
                                     ngx_http_lapor_open311_ranged, l);
}


static void
ngx_http_lapor_open311_ranged(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_open311_list_t  *l = data;

    size_t                           i, k, n;
    redisReply                      *set;
    ngx_http_lapor_open311_entry_t  *e;

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != l->keys.nelts)
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, l->rds, rc, reply));
        return;
    }

    for (n = 0, i = 0; i < reply->elements; i++) {
        if (reply->element[i]->type == REDIS_REPLY_ARRAY) {
            n += reply->element[i]->elements / 2;
        }
    }

    e = ngx_palloc(r->pool, (n + 1) * sizeof(ngx_http_lapor_open311_entry_t));
    if (e == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    for (n = 0, i = 0; i < reply->elements; i++) {
        set = reply->element[i];

        if (set->type != REDIS_REPLY_ARRAY) {
            ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                             r, l->rds, NGX_OK, set));
            return;
        }

        for (k = 0; k + 1 < set->elements; k += 2) {
            if (ngx_http_lapor_redis_int(set->element[k], &e[n].id) != NGX_OK
                || ngx_http_lapor_redis_int(set->element[k + 1], &e[n].score)
                   != NGX_OK)
            {
                continue;
            }

            n++;
        }
    }

    /* the sets merged, newest first; then the page */

    ngx_qsort(e, n, sizeof(ngx_http_lapor_open311_entry_t),
              ngx_http_lapor_open311_cmp);

    l->ids = ngx_palloc(r->pool, (l->size + 1) * sizeof(int64_t));
    if (l->ids == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    for (i = l->offset; i < n && l->nids < l->size; i++) {
        l->ids[l->nids++] = e[i].id;
    }

    ngx_http_finalize_request(r, ngx_http_lapor_open311_reports(r, l));
}


static int
ngx_http_lapor_open311_cmp(const void *a, const void *b)
{
    const ngx_http_lapor_open311_entry_t  *x = a, *y = b;

    return (x->score < y->score) ? 1 : (x->score > y->score) ? -1 : 0;
}


/* the reports of the page: HGETALL (and, for updates, the last event) */

static ngx_int_t
ngx_http_lapor_open311_reports(ngx_http_request_t *r,
    ngx_http_lapor_open311_list_t *l)
{
    lapor_docw_t             d;
    ngx_uint_t               i;
    ngx_http_lapor_batch_t   b;

    if (l->nids == 0) {
        if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (l->updates) {
            lapor_docw_list_open(&d, "service_request_updates");
            lapor_docw_list_close(&d, "service_request_updates");

        } else {
            lapor_docw_list_open(&d, "service_requests");
            lapor_docw_list_close(&d, "service_requests");
        }

        return ngx_http_lapor_open311_send(r, NGX_HTTP_OK, &d);
    }

    if (ngx_http_lapor_batch_init(&b, r->pool, &l->llcf->namespace,
                                  2 * l->nids + 2)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_lapor_batch_cmd(&b, "MULTI");

    for (i = 0; i < l->nids; i++) {
        ngx_http_lapor_batch_cmd(&b, "HGETALL");
        ngx_http_lapor_batch_key(&b, "report:%L", l->ids[i]);

        if (l->updates) {
            ngx_http_lapor_batch_cmd(&b, "LRANGE");
            ngx_http_lapor_batch_key(&b, "report:%L:events", l->ids[i]);
            ngx_http_lapor_batch_int(&b, -1);
            ngx_http_lapor_batch_int(&b, -1);
        }
    }

    ngx_http_lapor_batch_cmd(&b, "EXEC");

    return ngx_http_lapor_batch_send(r, l->rds, &b,
                                     ngx_http_lapor_open311_listed, l);
}


static void
ngx_http_lapor_open311_listed(ngx_http_request_t *r, void *data,
    redisReply *reply, ngx_int_t rc)
{
    ngx_http_lapor_open311_list_t  *l = data;

    size_t                         i, step;
    ngx_time_t                    *tp;
    lapor_docw_t                   d;
    redisReply                   **f;
    ngx_http_lapor_view_state_t    st;

    step = l->updates ? 2 : 1;

    if (rc != NGX_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements != step * l->nids)
    {
        ngx_http_finalize_request(r, ngx_http_lapor_problem_redis(
                                         r, l->rds, rc, reply));
        return;
    }

    if (ngx_http_lapor_open311_doc(r, &d) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    tp = ngx_timeofday();

    lapor_docw_list_open(&d, l->updates ? "service_request_updates"
                                        : "service_requests");

    for (i = 0; i < reply->elements; i += step) {
        if (reply->element[i]->type != REDIS_REPLY_ARRAY) {
            continue;
        }

        f = ngx_http_lapor_report_fields(r->pool, reply->element[i]);
        if (f == NULL) {
            ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        if (f[NGX_HTTP_LAPOR_F_ID]->type != REDIS_REPLY_STRING
            || ngx_http_lapor_view_state(f, tp->sec, &st) != NGX_OK)
        {
            /* gone, or an id that is no report */
            continue;
        }

        /* a report the sweep has not closed yet reads as closed already */
        if ((st.open && !l->open) || (!st.open && !l->closed)) {
            continue;
        }

        if (l->updates) {
            ngx_http_lapor_open311_update(r, &d, l->cat, f,
                                          reply->element[i + 1]);

        } else if (ngx_http_lapor_open311_request(r, &d, l->cat, f)
                   != NGX_OK)
        {
            continue;
        }
    }

    lapor_docw_list_close(&d, l->updates ? "service_request_updates"
                                         : "service_requests");

    ngx_http_finalize_request(r, ngx_http_lapor_open311_send(r, NGX_HTTP_OK,
                                                             &d));
}


/*
 * FixMyStreet's request_update: the report's last change, with the words
 * of its last timeline entry when they are public (masked), else the
 * state's status_notes.
 */

static void
ngx_http_lapor_open311_update(ngx_http_request_t *r, lapor_docw_t *d,
    lapor_catalog_t *cat, redisReply **f, redisReply *last)
{
    int                           st_index;
    u_char                        num[2 * NGX_INT64_LEN + 2], *masked;
    size_t                        len;
    ngx_time_t                   *tp;
    const char                   *status, *text;
    lapor_json_t                 *ev, *msg, *vis;
    lapor_json_limits_t           limits;
    lapor_json_error_t            err;
    ngx_http_lapor_view_state_t   st;

    tp = ngx_timeofday();

    if (ngx_http_lapor_view_state(f, tp->sec, &st) != NGX_OK) {
        return;
    }

    lapor_docw_item_open(d, "request_update");

    lapor_docw_string(d, "update_id", num,
                      ngx_sprintf(num, "%L-%L", st.id, st.version) - num);
    lapor_docw_string(d, "service_request_id", num,
                      ngx_sprintf(num, "%L", st.id) - num);

    status = st.auto_closed
             ? "closed"
             : lapor_open311_status(st.status->str, st.status->len);

    if (status == NULL) {
        status = "open";
    }

    lapor_docw_string(d, "status", (u_char *) status, ngx_strlen(status));

    ngx_http_lapor_open311_time(r, d, cat, "updated_datetime", st.updated);

    /* the words of the last entry, as the public timeline shows them */

    text = NULL;
    len = 0;

    /*
     * LRANGE -1 -1: the last entry, alone in an array.  An empty list is
     * a report without actions, whose only entry, the submission, is not
     * stored (ngx_http_lapor_timeline.c) and has no words: the status
     * notes, as for the stored one of older reports.
     */
    last = (last->type == REDIS_REPLY_ARRAY && last->elements == 1)
           ? last->element[0] : NULL;

    if (!st.confidential && last && last->type == REDIS_REPLY_STRING) {
        ngx_memzero(&limits, sizeof(lapor_json_limits_t));

        limits.alloc = ngx_http_lapor_pool_alloc;
        limits.ctx = r->pool;
        limits.max_depth = 4;
        limits.max_string = 16384;
        limits.max_elements = 64;
        limits.max_number = 32;
        limits.string_flags = LAPOR_UTF8_ALLOW_NEWLINES;

        ev = lapor_json_parse((const unsigned char *) last->str, last->len,
                              &limits, &err);

        msg = ev ? lapor_json_get(ev, "message") : NULL;
        vis = ev ? lapor_json_get(ev, "visibility") : NULL;

        if (msg && msg->type == LAPOR_JSON_STRING
            && vis && vis->type == LAPOR_JSON_STRING
            && ngx_strcmp(vis->u.string.data, "public") == 0)
        {
            masked = ngx_pnalloc(r->pool, msg->u.string.len + 1);

            if (masked) {
                (void) lapor_mask((const unsigned char *) msg->u.string.data,
                                  msg->u.string.len, masked);
                text = (const char *) masked;
                len = msg->u.string.len;
            }
        }
    }

    if (text == NULL) {
        st_index = st.auto_closed
                   ? LAPOR_STATE_CLOSED
                   : lapor_state_find(st.status->str, st.status->len);

        if (st_index >= 0) {
            text = ngx_http_lapor_text(r,
                                       &ngx_http_lapor_open311_notes[st_index]);
            len = ngx_strlen(text);
        }
    }

    if (text) {
        lapor_docw_string(d, "description", (u_char *) text, len);
    }

    if (!st.confidential) {
        ngx_http_lapor_open311_text(r, d, "media_url",
                                    f[NGX_HTTP_LAPOR_F_MEDIA_URL], 0);
    }

    lapor_docw_item_close(d, "request_update");
}


/* Configuration ----------------------------------------------------------- */


/*
 * "lapor_open311_keys file": the api keys, in the format of "lapor_tokens"
 * with the role "client"; the label becomes the channel of the reports a
 * key files.
 */

char *
ngx_http_lapor_open311_keys_directive(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_http_lapor_loc_conf_t  *llcf = conf;

    char                           err[LAPOR_TOKENS_ERR_LEN];
    ngx_str_t                     *value, text;
    ngx_http_lapor_tokens_conf_t  *tc;

    if (llcf->open311_keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    tc = ngx_pcalloc(cf->pool, sizeof(ngx_http_lapor_tokens_conf_t));
    if (tc == NULL) {
        return NGX_CONF_ERROR;
    }

    tc->file = value[1];

    if (ngx_http_lapor_read_conf_file(cf, "lapor_open311_keys", &tc->file,
                                      NGX_HTTP_LAPOR_OPEN311_KEYS_SIZE, &text)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    if (lapor_tokens_parse_roles(text.data, text.len, LAPOR_ROLE_CLIENT,
                                 ngx_http_lapor_pool_alloc, cf->pool,
                                 &tc->tokens, err, sizeof(err))
        != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"lapor_open311_keys\" file \"%V\" %s",
                           &tc->file, err);
        return NGX_CONF_ERROR;
    }

    llcf->open311_keys = tc;

    return NGX_CONF_OK;
}
