// Validates recorded API answers against docs/openapi.yaml.
//
//   node validate.mjs <openapi.yaml> <recording.jsonl> [--coverage]
//
// Each line of the recording (made by the harness with LAPOR_RECORD, see
// t/lib/Lapor/Test.pm) is one answer: method, path, status, headers, body.
// For each, the path is matched against the document's paths (path
// parameters checked against their schemas), the operation of the method
// is looked up, and the status must be one the operation lists; the
// headers the document marks as required must be present, every documented
// header that is present must match its schema, the Content-Type must be
// one the response lists and the JSON body must validate against its
// schema; the body of a request answered with 2xx must validate against
// the operation's request body schema. Answers that no operation covers must be those the document's
// conventions describe: 404 not-found or unknown-action for a path that
// names no endpoint, 405 method-not-allowed with Allow for a method an
// endpoint lacks, both as a Problem.
//
// Prints one line per mismatch and a summary; exits 1 on any mismatch.
// With --coverage, also lists the operations and statuses seen.

import fs from 'node:fs';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [docFile, recFile, ...flags] = process.argv.slice(2);
if (!docFile || !recFile) {
    console.error('usage: node validate.mjs <openapi.yaml> <recording.jsonl>');
    process.exit(2);
}

const BASE = '/api/v1';
const doc = YAML.parse(fs.readFileSync(docFile, 'utf8'), { maxAliasCount: -1 });

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, 'openapi');

const esc = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const compiled = new Map();

function validator(pointer) {
    if (!compiled.has(pointer)) {
        compiled.set(pointer, ajv.compile({ $ref: 'openapi#' + pointer }));
    }
    return compiled.get(pointer);
}

// follows a $ref within the document; returns [object, its pointer]
function deref(obj, pointer) {
    while (obj && obj.$ref) {
        pointer = obj.$ref.replace(/^#/, '');
        obj = pointer.split('/').slice(1)
            .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
            .reduce((o, k) => (o === undefined ? o : o[k]), doc);
    }
    return [obj, pointer];
}

// the document's paths, concrete ones before templated ones
const routes = Object.keys(doc.paths).map((tpl) => {
    const names = [];
    const re = new RegExp('^' + tpl.replace(/\{([^}]+)\}/g, (_, n) => {
        names.push(n);
        return '([^/]+)';
    }) + '$');
    return { tpl, re, names };
}).sort((a, b) => a.names.length - b.names.length);

function pathParamOk(tpl, method, name, value) {
    const item = doc.paths[tpl];
    const params = [...(item.parameters || []),
        ...((item[method] && item[method].parameters) || [])];
    for (const p of params) {
        const [param, ptr] = deref(p, '');
        if (param.in === 'path' && param.name === name) {
            return validator(ptr + '/schema')(value);
        }
    }
    return true;
}

function match(path, method) {
    for (const r of routes) {
        const m = r.re.exec(path);
        if (!m) continue;
        const ok = r.names.every((n, i) =>
            pathParamOk(r.tpl, method, n, decodeURIComponent(m[i + 1])));
        if (ok) return r.tpl;
    }
    return null;
}

function header(headers, name) {
    const v = headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
}

function parseBody(rec) {
    try {
        return [JSON.parse(rec.body), null];
    } catch (e) {
        return [undefined, 'body is not JSON: ' + e.message];
    }
}

const problemPtr = '/components/schemas/Problem';

function checkProblem(rec, types) {
    const errs = [];
    const ct = (header(rec.headers, 'content-type') || '').split(';')[0].trim();
    if (rec.method === 'HEAD') return errs;
    if (ct !== 'application/problem+json') {
        return [`Content-Type ${ct || '(none)'}, not application/problem+json`];
    }
    const [body, perr] = parseBody(rec);
    if (perr) return [perr];
    const v = validator(problemPtr);
    if (!v(body)) errs.push('Problem: ' + ajv.errorsText(v.errors));
    if (body && !types.includes(body.type)) {
        errs.push(`problem type ${body.type}, expected one of ${types.join(', ')}`);
    }
    return errs;
}

const seen = new Map();
let failures = 0;
let checked = 0;

function fail(rec, what, errs) {
    failures++;
    for (const e of errs) {
        console.log(`not ok: ${rec.method} ${rec.path} ${rec.status} (${what}): ${e}`);
    }
}

const lines = fs.readFileSync(recFile, 'utf8').split('\n').filter(Boolean);

for (const line of lines) {
    const rec = JSON.parse(line);
    const method = rec.method.toLowerCase();
    const full = rec.path.replace(/[?#].*$/, '');
    checked++;

    if (!full.startsWith(BASE + '/')) {
        fail(rec, 'path', [`not below ${BASE}/`]);
        continue;
    }

    const tpl = match(full.slice(BASE.length), method);

    if (!tpl) {
        const key = `(no endpoint) ${rec.status}`;
        seen.set(key, (seen.get(key) || 0) + 1);
        const errs = rec.status === 404
            ? checkProblem(rec, ['urn:lapor:problem:not-found',
                'urn:lapor:problem:unknown-action'])
            : [`status ${rec.status} for a path that names no endpoint (only 404)`];
        if (errs.length) fail(rec, 'no endpoint', errs);
        continue;
    }

    const op = doc.paths[tpl][method];

    if (!op) {
        const key = `${rec.method} ${tpl} (no operation) ${rec.status}`;
        seen.set(key, (seen.get(key) || 0) + 1);
        const errs = rec.status === 405
            ? checkProblem(rec, ['urn:lapor:problem:method-not-allowed'])
            : [`status ${rec.status} for a method ${tpl} does not have (only 405)`];
        if (rec.status === 405 && !header(rec.headers, 'allow')) {
            errs.push('405 without Allow');
        }
        if (errs.length) fail(rec, 'no operation', errs);
        continue;
    }

    const what = `${op.operationId}`;
    const key = `${rec.method} ${tpl} ${rec.status}`;
    seen.set(key, (seen.get(key) || 0) + 1);

    const respPtr0 = `/paths/${esc(tpl)}/${method}/responses/${rec.status}`;
    const [resp, respPtr] = deref(op.responses[String(rec.status)], respPtr0);

    if (!resp) {
        fail(rec, what, [`status ${rec.status} is not documented (documented: `
            + Object.keys(op.responses).join(', ') + ')']);
        continue;
    }

    const errs = [];

    for (const [name, h0] of Object.entries(resp.headers || {})) {
        const [h, hptr] = deref(h0, `${respPtr}/headers/${esc(name)}`);
        const value = header(rec.headers, name);
        if (value === undefined) {
            if (h.required) errs.push(`required header ${name} missing`);
            continue;
        }
        if (h.schema) {
            const v = validator(hptr + '/schema');
            if (!v(value)) {
                errs.push(`header ${name}: "${value}" ` + ajv.errorsText(v.errors));
            }
        }
    }

    const ct = (header(rec.headers, 'content-type') || '').split(';')[0].trim();
    const hasBody = rec.body !== undefined && rec.body !== '';

    if (method === 'head') {
        if (hasBody) errs.push('HEAD answer with a body');
    } else if (resp.content) {
        if (!resp.content[ct]) {
            errs.push(`Content-Type ${ct || '(none)'} not documented (`
                + Object.keys(resp.content).join(', ') + ')');
        } else if (resp.content[ct].schema) {
            const [body, perr] = parseBody(rec);
            if (perr) {
                errs.push(perr);
            } else {
                const v = validator(`${respPtr}/content/${esc(ct)}/schema`);
                if (!v(body)) errs.push('body: ' + ajv.errorsText(v.errors));
            }
        }
    } else if (hasBody) {
        errs.push(`a body (${ct}) where the document has no content`);
    }

    // a request the module accepted must be one the document allows
    if (rec.status >= 200 && rec.status < 300 && op.requestBody) {
        const [rb, rbPtr] = deref(op.requestBody,
            `/paths/${esc(tpl)}/${method}/requestBody`);
        const rct = (header(rec.request_headers || {}, 'content-type') || '')
            .split(';')[0].trim().toLowerCase();
        if (!rb.content[rct]) {
            errs.push(`request Content-Type ${rct || '(none)'} not documented`);
        } else if (rec.request_body !== undefined) {
            let body;
            try {
                body = JSON.parse(rec.request_body);
            } catch (e) {
                body = undefined;
                errs.push('accepted request body is not JSON: ' + e.message);
            }
            if (body !== undefined) {
                const v = validator(`${rbPtr}/content/${esc(rct)}/schema`);
                if (!v(body)) {
                    errs.push('accepted request body: ' + ajv.errorsText(v.errors));
                }
            }
        }
    }

    if (errs.length) fail(rec, what, errs);
}

if (flags.includes('--coverage')) {
    for (const k of [...seen.keys()].sort()) {
        console.log(`# ${String(seen.get(k)).padStart(5)}  ${k}`);
    }
}

// the operations no recorded answer reached
const missed = [];
for (const [tpl, item] of Object.entries(doc.paths)) {
    for (const m of ['get', 'head', 'post']) {
        if (!item[m]) continue;
        const prefix = `${m.toUpperCase()} ${tpl} `;
        if (![...seen.keys()].some((k) => k.startsWith(prefix)
            && !k.includes('(no operation)'))) {
            missed.push(`${m.toUpperCase()} ${tpl}`);
        }
    }
}
console.log(`operations not exercised: ${missed.length ? missed.join(', ') : 'none'}`);
console.log(`${checked - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
