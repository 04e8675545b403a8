// The report form (POST reports) and its receipt.
//
// The form is built from GET catalog.  What the reporter types is kept as
// a draft in localStorage until the 201 arrives.  Each draft has its own
// Idempotency-Key; once sent, the exact bytes are kept with it and sent
// again, unchanged, after a 5xx, a lost connection or a reload, so that a
// retry can never make a second report.  Field problems of the API
// (problem+json errors[], in the page's language) are shown next to their
// fields.  The tracking token of the receipt is kept in memory only.

import { t, nameOf, el, clear, api, catalog, onLanguage, formatDate,
    randomKey, todayIn, applyTexts } from './common.js';

const DRAFT_KEY = 'lapor.draft';
const CHANNEL = 'web';
const FIELDS = ['category', 'agency', 'title', 'body', 'location',
    'occurred', 'name', 'contact'];

// Where each member path of the API's errors is shown.
const ERROR_PLACE = {
    'type': 'type', 'category': 'category', 'agency': 'agency',
    'title': 'title', 'body': 'body', 'location': 'location',
    'location.text': 'location', 'location.lat': 'location',
    'location.lon': 'location', 'occurred_on': 'occurred',
    'anonymous': 'privacy', 'confidential': 'privacy',
    'reporter': 'reporter', 'reporter.name': 'name',
    'reporter.contact': 'contact'
};
// The control to focus for each place.
const PLACE_INPUT = {
    type: null, category: 'f-category', agency: 'f-agency',
    title: 'f-title', body: 'f-body', location: 'f-location',
    occurred: 'f-occurred', privacy: 'f-anonymous', reporter: 'f-name',
    name: 'f-name', contact: 'f-contact'
};

let cat = null;
let draft = null;
let sending = false;
let retryTimer = null;
let retryDelay = 2;
let lastProblem = null;
let receipt = null;

const $ = (id) => document.getElementById(id);

function loadDraft() {
    try {
        return JSON.parse(localStorage.getItem(DRAFT_KEY) || 'null');
    } catch (e) {
        return null;
    }
}

function saveDraft() {
    try {
        if (draft) {
            localStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
        } else {
            localStorage.removeItem(DRAFT_KEY);
        }
    } catch (e) { /* private mode: the draft lives in memory only */ }
}

function newDraft() {
    return { key: randomKey(), fields: {}, geo: null, sent: null };
}

// Form -> draft.fields, and back.
function readFields() {
    const f = {};
    for (const name of FIELDS) {
        f[name] = $('f-' + name).value;
    }
    const type = document.querySelector('input[name="type"]:checked');
    f.type = type ? type.value : '';
    f.anonymous = $('f-anonymous').checked;
    f.confidential = $('f-confidential').checked;
    return f;
}

function writeFields(f) {
    for (const name of FIELDS) {
        if (f[name] !== undefined) {
            $('f-' + name).value = f[name];
        }
    }
    for (const r of document.querySelectorAll('input[name="type"]')) {
        r.checked = r.value === f.type;
    }
    $('f-anonymous').checked = !!f.anonymous;
    $('f-confidential').checked = !!f.confidential;
}

function onEdit() {
    if (receipt) {
        // the report is sent; nothing typed now belongs to a draft
        return;
    }
    if (!draft) {
        draft = newDraft();
    }
    if (draft.sent) {
        return;
    }
    draft.fields = readFields();
    saveDraft();
    showReporter();
    showCategoryHint();
}

function showReporter() {
    $('reporter').hidden = $('f-anonymous').checked;
}

// The request body, from the fields, with the members the API knows.
function buildReport(f) {
    const doc = { type: f.type, category: f.category, title: f.title,
        body: f.body, channel: CHANNEL };
    if (f.agency) {
        doc.agency = f.agency;
    }
    if (f.location.trim() !== '' || draft.geo) {
        doc.location = {};
        if (f.location.trim() !== '') {
            doc.location.text = f.location;
        }
        if (draft.geo) {
            doc.location.lat = draft.geo.lat;
            doc.location.lon = draft.geo.lon;
        }
    }
    if (f.occurred) {
        doc.occurred_on = f.occurred;
    }
    doc.anonymous = !!f.anonymous;
    doc.confidential = !!f.confidential;
    if (!f.anonymous) {
        doc.reporter = { name: f.name, contact: f.contact };
    }
    return doc;
}

// The catalog's parts of the form.
function renderCatalog() {
    const box = clear($('type-options'));
    for (const ty of cat.types) {
        const id = 'f-type-' + ty.code;
        box.append(el('p', {},
            el('input', { type: 'radio', name: 'type', id, value: ty.code,
                'aria-describedby': 'err-type' }), ' ',
            el('label', { for: id }, el('strong', { text: nameOf(ty.name) }),
                ': ' + t('type.' + ty.code + '.text'))));
    }
    const catSel = clear($('f-category'));
    catSel.append(el('option', { value: '', text: t('form.category.choose') }));
    for (const c of cat.categories) {
        catSel.append(el('option', { value: c.code, text: nameOf(c.name) }));
    }
    const agSel = clear($('f-agency'));
    agSel.append(el('option', { value: '', text: t('form.agency.default') }));
    for (const a of cat.agencies) {
        agSel.append(el('option', { value: a.code, text: nameOf(a.name) }));
    }
    const lim = cat.limits;
    $('hint-title').textContent = t('form.title.hint',
        { min: lim.title.min_chars, max: lim.title.max_chars });
    $('hint-body').textContent = t('form.body.hint',
        { min: lim.body.min_chars, max: lim.body.max_chars });
    $('f-title').maxLength = lim.title.max_chars;
    $('f-body').maxLength = lim.body.max_chars;
    $('f-location').maxLength = lim['location.text'].max_chars;
    $('f-name').maxLength = lim['reporter.name'].max_chars;
    $('f-contact').maxLength = lim['reporter.contact'].max_chars;
    $('f-occurred').max = todayIn(cat.time_zone);
    if (draft) {
        writeFields(draft.fields);
    }
    if (!document.querySelector('input[name="type"]:checked')) {
        const first = document.querySelector('input[name="type"]');
        if (first) {
            first.checked = true;
        }
    }
    showCategoryHint();
    showReporter();
    showGeo();
}

function showCategoryHint() {
    const c = cat && cat.categories.find((x) => x.code === $('f-category').value);
    $('hint-category').textContent = c ? t('form.category.sla',
        { dispatch: c.sla.dispatch_days, follow: c.sla.follow_up_days }) : '';
}

function showGeo() {
    const g = draft && draft.geo;
    $('geo-status').textContent = g ? t('form.geo.done', g) : '';
    $('geo-remove').hidden = !g;
}

function useLocation() {
    if (!navigator.geolocation) {
        $('geo-status').textContent = t('form.geo.fail');
        return;
    }
    navigator.geolocation.getCurrentPosition((pos) => {
        if (!draft) {
            draft = newDraft();
        }
        draft.geo = { lat: Number(pos.coords.latitude.toFixed(5)),
            lon: Number(pos.coords.longitude.toFixed(5)) };
        saveDraft();
        showGeo();
    }, () => {
        $('geo-status').textContent = t('form.geo.fail');
    }, { timeout: 15000, maximumAge: 60000 });
}

// Problems next to their fields.
function clearErrors() {
    for (const e of document.querySelectorAll('#report-form .error')) {
        e.textContent = '';
    }
    for (const e of document.querySelectorAll('[aria-invalid]')) {
        e.removeAttribute('aria-invalid');
    }
    clear($('form-errors'));
    $('form-errors').className = '';
}

function showProblem(p) {
    clearErrors();
    lastProblem = p;
    const box = $('form-errors');
    box.className = 'problem';
    const errors = (p && p.errors) || [];
    if (errors.length === 0) {
        box.append(el('p', { text: t('form.error.body',
            { message: (p && (p.detail || p.title)) || '' }) }));
        box.focus();
        return;
    }
    const list = el('ul');
    let first = null;
    for (const e of errors) {
        const place = ERROR_PLACE[e.field];
        const label = place ? fieldLabel(place) : e.field;
        if (place) {
            const msg = $('err-' + place);
            msg.textContent = msg.textContent
                ? msg.textContent + '; ' + e.message : e.message;
            const input = PLACE_INPUT[place] ? $(PLACE_INPUT[place]) : null;
            if (input) {
                input.setAttribute('aria-invalid', 'true');
            }
            first = first || place;
        }
        const target = place && PLACE_INPUT[place] ? '#' + PLACE_INPUT[place]
            : (place === 'type' ? '#f-type' : null);
        const text = (label ? label + ': ' : '') + e.message;
        list.append(el('li', {}, target
            ? el('a', { href: target, text }) : text));
    }
    box.append(el('p', { text: t('form.errors') }), list);
    box.focus();
}

function fieldLabel(place) {
    const key = { type: 'form.type', category: 'form.category',
        agency: 'form.agency', title: 'form.title_field', body: 'form.body',
        location: 'form.location', occurred: 'form.occurred',
        privacy: 'form.privacy', reporter: 'form.reporter',
        name: 'form.name', contact: 'form.contact' }[place];
    return t(key);
}

function setLocked(locked) {
    for (const e of $('report-form').elements) {
        if (e.id !== 'submit') {
            e.disabled = locked;
        }
    }
}

function setStatus(node) {
    clear($('form-status')).append(...(node ? [node] : []));
}

function showPending() {
    setLocked(true);
    $('submit').disabled = true;
    const retry = el('button', { type: 'button', class: 'button small',
        id: 'retry-now', text: t('form.pending.retry'),
        onclick: () => send() });
    const edit = el('button', { type: 'button', class: 'link',
        id: 'pending-edit', text: t('form.pending.edit'),
        onclick: () => {
            if (window.confirm(t('form.pending.edit.confirm'))) {
                unlockWithNewKey();
            }
        } });
    const first = !$('pending');
    setStatus(el('div', { class: 'notice', id: 'pending', tabindex: '-1' },
        el('p', { text: t('form.pending') }),
        el('p', { class: 'actions' }, retry, ' ', edit)));
    if (first) {
        $('pending').focus();
    }
}

function unlockWithNewKey() {
    clearTimeout(retryTimer);
    draft.key = randomKey();
    draft.sent = null;
    saveDraft();
    setLocked(false);
    $('submit').disabled = false;
    setStatus(null);
}

function scheduleRetry(seconds) {
    clearTimeout(retryTimer);
    const s = Math.max(1, Math.min(seconds || retryDelay, 60));
    retryDelay = Math.min(retryDelay * 2, 30);
    retryTimer = setTimeout(send, s * 1000);
}

// Sends the draft's stored bytes with its key.
async function send() {
    if (sending || !draft || !draft.sent) {
        return;
    }
    clearTimeout(retryTimer);
    sending = true;
    $('submit').disabled = true;
    $('submit').textContent = t('form.sending');
    let r = null;
    try {
        r = await api('reports', { method: 'POST', body: draft.sent,
            headers: { 'Idempotency-Key': draft.key } });
    } catch (e) {
        r = null;
    }
    sending = false;
    $('submit').textContent = t('form.submit');

    if (r && r.status === 201 && r.data && r.data.tracking_token) {
        draft = null;
        saveDraft();
        showReceipt(r.data);
        return;
    }
    const retryAfter = r ? Number(r.headers.get('Retry-After')) || 0 : 0;
    if (!r || r.status >= 500 || r.status === 409) {
        // No answer, or none that tells: the same bytes with the same key
        // go again later; the API answers a repeat of a stored report with
        // its 201.
        showPending();
        scheduleRetry(r && r.status === 409 ? 1 : retryAfter);
        return;
    }
    // The API refused the report itself: nothing was stored; the reporter
    // may change it and send it again under the same key.
    draft.sent = null;
    if (r.status === 422) {
        draft.key = randomKey();
    }
    saveDraft();
    setLocked(false);
    $('submit').disabled = false;
    setStatus(null);
    if (r.status === 429) {
        clearErrors();
        const box = $('form-errors');
        box.className = 'problem';
        box.append(el('p', { text: t('form.limited',
            { minutes: Math.max(1, Math.ceil(retryAfter / 60)) }) }));
        box.focus();
        return;
    }
    showProblem(r.data);
}

function submit(ev) {
    ev.preventDefault();
    if (sending || (draft && draft.sent)) {
        return;
    }
    if (!draft) {
        draft = newDraft();
    }
    draft.fields = readFields();
    draft.sent = JSON.stringify(buildReport(draft.fields));
    saveDraft();
    retryDelay = 2;
    clearErrors();
    send();
}

// The receipt: number and token shown once, in memory only.
function showReceipt(data) {
    receipt = data;
    $('form-view').hidden = true;
    const sec = $('receipt');
    sec.hidden = false;
    renderReceipt();
    sec.focus();
}

function renderReceipt() {
    if (!receipt) {
        return;
    }
    $('r-number').textContent = String(receipt.id);
    $('r-token').textContent = receipt.tracking_token;
    $('r-due').textContent = receipt.due_at ? t('receipt.due',
        { date: formatDate(receipt.due_at, cat && cat.time_zone) }) : '';
}

function receiptText() {
    const url = new URL('lacak.html', location.href).href;
    return t('receipt.file', {
        region: cat ? nameOf(cat.region.name) : '', id: receipt.id,
        token: receipt.tracking_token, url,
        date: formatDate(receipt.created_at, cat && cat.time_zone, true) });
}

async function copyReceipt() {
    const text = t('receipt.number') + ': ' + receipt.id + '\n'
        + t('receipt.token') + ': ' + receipt.tracking_token;
    let ok = false;
    try {
        await navigator.clipboard.writeText(text);
        ok = true;
    } catch (e) {
        const range = document.createRange();
        range.selectNodeContents($('r-token'));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
    }
    $('r-copy-status').textContent = ok ? t('receipt.copied')
        : t('receipt.copy.fail');
}

function saveReceipt() {
    const blob = new Blob([receiptText()], { type: 'text/plain' });
    const a = el('a', { href: URL.createObjectURL(blob),
        download: 'lapor-' + receipt.id + '.txt' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function trackIt(ev) {
    // The token goes to the track page through this tab's sessionStorage,
    // never through the address.
    ev.preventDefault();
    try {
        sessionStorage.setItem('lapor.track', JSON.stringify(
            { id: receipt.id, token: receipt.tracking_token }));
    } catch (e) { /* the reporter types it in */ }
    location.href = 'lacak.html#' + receipt.id;
}

async function main() {
    draft = loadDraft();
    $('report-form').addEventListener('submit', submit);
    $('report-form').addEventListener('input', onEdit);
    $('report-form').addEventListener('change', onEdit);
    $('geo').addEventListener('click', useLocation);
    $('geo-remove').addEventListener('click', () => {
        draft.geo = null;
        saveDraft();
        showGeo();
    });
    $('r-copy').addEventListener('click', copyReceipt);
    $('r-save').addEventListener('click', saveReceipt);
    $('r-print').addEventListener('click', () => window.print());
    $('r-track').addEventListener('click', trackIt);
    window.addEventListener('online', () => {
        if (draft && draft.sent) {
            send();
        }
    });
    onLanguage(() => {
        if (cat) {
            const f = readFields();
            renderCatalog();
            writeFields(f);
            showCategoryHint();
        }
        if (draft && draft.sent) {
            showPending();
        }
        if (lastProblem && $('form-errors').firstChild) {
            // the API's words are in the language of the request
            applyTexts($('report-form'));
        }
        renderReceipt();
    });

    try {
        cat = await catalog();
    } catch (e) {
        setStatus(el('p', { class: 'problem', text: t('error.catalog') }));
        return;
    }
    renderCatalog();
    if (draft && draft.sent) {
        showPending();
        send();
    } else if (draft && Object.values(draft.fields).some((v) => v)) {
        const discard = el('button', { type: 'button', class: 'link',
            text: t('form.draft.discard'), onclick: () => {
                draft = null;
                saveDraft();
                $('report-form').reset();
                renderCatalog();
                setStatus(null);
            } });
        setStatus(el('p', { class: 'notice' },
            t('form.draft.restored') + ' ', discard));
    }
}

main();
