// The officers' console: queues, a report with its actions, the agencies
// dashboard.  One page, views chosen by the address's fragment
// (#/queue/<name>, #/report/<id>, #/dashboard); never the token, which is
// pasted once and kept in this tab's sessionStorage until "sign out".
// Everything is built with textContent: nothing from the API is parsed as
// HTML.  docs/console.md describes the console.

import { TEXTS } from './i18n.js';
import { workingDaysUntil } from '../../assets/workdays.js';
import { el, clear } from '../../assets/dom.js';

const TOKEN_KEY = 'lapor.console.token';
const WHO_KEY = 'lapor.console.who';
const LANG_KEY = 'lapor.lang';
const POLL_MS = 5000;
const PAGE = 20;

const API = (document.querySelector('meta[name="lapor-api"]')
    || { content: '/api/v1/' }).content;

const ADMIN_QUEUES = ['submitted', 'deferred', 'dispatched', 'in_progress',
    'followed_up', 'overdue'];
const AGENCY_QUEUES = ['inbox', 'overdue'];

// What each role may do, from which states (docs/api.md, the lifecycle).
// The API decides (403, 409); this copy only chooses which forms to show.
const OPEN = ['submitted', 'deferred', 'dispatched', 'in_progress',
    'followed_up'];
const ACTIONS = {
    admin: [
        ['dispatch', ['submitted', 'deferred', 'dispatched']],
        ['defer', ['submitted']],
        ['archive', ['submitted', 'deferred']],
        ['clarify', OPEN]
    ],
    agency: [
        ['respond', ['dispatched']],
        ['follow_up', ['in_progress']],
        ['not_authority', ['dispatched']],
        ['clarify', OPEN]
    ]
};

const S = {
    lang: chooseLanguage(),
    token: null,
    who: null,          // {role, agency}
    cat: null,
    view: null,
    queue: null,        // {name, cursors, page, items, next}
    lastQueue: [],      // ids of the last queue page shown, for "next"
    report: null,       // {id, data, events}
    timer: null,
    busy: false
};

const $ = (id) => document.getElementById(id);

// ---- Language and texts ---------------------------------------------------

function chooseLanguage() {
    let saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* none */ }
    if (saved === 'id' || saved === 'en') {
        return saved;
    }
    for (const l of navigator.languages || [navigator.language || 'id']) {
        const p = String(l).toLowerCase().split('-')[0];
        if (p === 'id' || p === 'in') {
            return 'id';
        }
        if (p === 'en') {
            return 'en';
        }
    }
    return 'id';
}

function t(key, vars) {
    let s = TEXTS[S.lang][key];
    if (s === undefined) {
        s = TEXTS.id[key] !== undefined ? TEXTS.id[key] : key;
    }
    if (vars) {
        s = s.replace(/\{(\w+)\}/g,
            (m, k) => (vars[k] === undefined ? m : String(vars[k])));
    }
    return s;
}

function nameOf(name) {
    if (!name) {
        return '';
    }
    return typeof name === 'string' ? name : (name[S.lang] || name.id);
}

function applyTexts() {
    document.documentElement.lang = S.lang;
    for (const e of document.querySelectorAll('[data-i18n]')) {
        e.textContent = t(e.dataset.i18n);
    }
    for (const e of document.querySelectorAll('[data-i18n-label]')) {
        e.setAttribute('aria-label', t(e.dataset.i18nLabel));
    }
    document.title = t('site.console') + ' · LAPOR!';
    if (S.cat) {
        for (const e of document.querySelectorAll('[data-region]')) {
            e.textContent = nameOf(S.cat.region.name);
        }
    }
    renderWho();
}


function locale() {
    return S.lang === 'en' ? 'en-GB' : 'id-ID';
}

function formatTime(iso, withDate) {
    if (!iso) {
        return '';
    }
    const o = { hour: '2-digit', minute: '2-digit',
        timeZone: S.cat ? S.cat.time_zone : undefined };
    if (withDate !== false) {
        o.day = 'numeric';
        o.month = 'short';
        o.year = 'numeric';
    }
    try {
        return new Intl.DateTimeFormat(locale(), o).format(new Date(iso));
    } catch (e) {
        return iso;
    }
}

function agencyName(code) {
    const a = S.cat && S.cat.agencies.find((x) => x.code === code);
    return a ? nameOf(a.name) : (code || '');
}

function categoryName(code) {
    const c = S.cat && S.cat.categories.find((x) => x.code === code);
    return c ? nameOf(c.name) : (code || '');
}

function typeName(code) {
    const c = S.cat && S.cat.types.find((x) => x.code === code);
    return c ? nameOf(c.name) : (code || '');
}

// ---- The API --------------------------------------------------------------

async function api(path, opts) {
    const o = opts || {};
    const headers = { 'Accept': 'application/json',
        'Accept-Language': S.lang };
    if (o.body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    const token = o.token || S.token;
    if (token && !o.anonymous) {
        headers['Authorization'] = 'Bearer ' + token;
    }
    Object.assign(headers, o.headers || {});
    const res = await fetch(API + path, {
        method: o.method || 'GET',
        headers,
        body: o.body === undefined ? undefined : JSON.stringify(o.body),
        credentials: 'omit',
        referrerPolicy: 'no-referrer',
        cache: o.cache || 'no-store'
    });
    let data = null;
    try {
        data = await res.json();
    } catch (e) {
        data = null;
    }
    if (res.status === 401 && S.token && !o.token) {
        signOut('signin.expired');
    }
    return { status: res.status, data, headers: res.headers };
}

async function loadCatalog() {
    if (!S.cat) {
        const r = await api('catalog', { anonymous: true, cache: 'default' });
        if (r.status !== 200 || !r.data) {
            throw new Error('catalog ' + r.status);
        }
        S.cat = r.data;
        applyTexts();
    }
    return S.cat;
}

// ---- Signing in and out ---------------------------------------------------

// Who a token belongs to: only admins may read the "submitted" queue, an
// agency's officer gets 400 there; its agency is the one whose inbox it
// may read (first from its own inbox's reports, else by asking).
async function identify(token) {
    let r = await api('queue?status=submitted&limit=1', { token });
    if (r.status === 200) {
        return { role: 'admin', agency: null };
    }
    if (r.status === 401) {
        return { error: 'signin.invalid' };
    }
    if (r.status !== 400) {
        return { error: 'signin.failed', status: r.status };
    }
    r = await api('queue?limit=1', { token });
    if (r.status !== 200) {
        return { error: 'signin.failed', status: r.status };
    }
    if (r.data.items.length) {
        return { role: 'agency', agency: r.data.items[0].agency };
    }
    for (const a of S.cat.agencies) {
        r = await api('queue?limit=1&agency=' + encodeURIComponent(a.code),
            { token });
        if (r.status === 200) {
            return { role: 'agency', agency: a.code };
        }
    }
    return { role: 'agency', agency: null };
}

async function signIn(ev) {
    ev.preventDefault();
    const input = $('token');
    const err = $('signin-error');
    const token = input.value.trim();
    err.textContent = '';
    input.removeAttribute('aria-invalid');
    if (!token) {
        err.textContent = t('signin.empty');
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
    }
    const button = ev.target.querySelector('button[type="submit"]');
    button.disabled = true;
    flash(t('signin.checking'));
    let who;
    try {
        await loadCatalog();
        who = await identify(token);
    } catch (e) {
        who = { error: 'signin.failed', status: 0 };
    }
    button.disabled = false;
    flash('');
    if (who.error) {
        err.textContent = t(who.error, { status: who.status });
        input.setAttribute('aria-invalid', 'true');
        input.focus();
        return;
    }
    input.value = '';
    S.token = token;
    S.who = who;
    try {
        sessionStorage.setItem(TOKEN_KEY, token);
        sessionStorage.setItem(WHO_KEY, JSON.stringify(who));
    } catch (e) { /* kept in memory for this page only */ }
    renderWho();
    if (location.hash && location.hash !== '#/signin') {
        route();
    } else {
        location.hash = defaultRoute();
    }
}

function signOut(why) {
    S.token = null;
    S.who = null;
    S.report = null;
    S.queue = null;
    try {
        sessionStorage.removeItem(TOKEN_KEY);
        sessionStorage.removeItem(WHO_KEY);
    } catch (e) { /* nothing kept */ }
    stopPolling();
    renderWho();
    show('signin');
    flash(t(why || 'signin.out'));
    if (location.hash) {
        history.replaceState(null, '', location.pathname);
    }
    $('token').focus();
}

function renderWho() {
    const who = $('who');
    const signed = Boolean(S.token && S.who);
    $('sign-out').hidden = !signed;
    $('nav').hidden = !signed;
    $('shortcuts').hidden = !signed;
    $('nav-dashboard').parentElement.hidden = !(signed
        && S.who.role === 'admin');
    if (!signed) {
        who.textContent = '';
        return;
    }
    who.textContent = S.who.role === 'admin' ? t('who.admin')
        : t('who.agency', { agency: agencyName(S.who.agency) });
}

function defaultRoute() {
    return S.who && S.who.role === 'admin' ? '#/queue/submitted'
        : '#/queue/inbox';
}

// ---- Views and routing ----------------------------------------------------

function show(view) {
    for (const v of ['signin', 'queue', 'report', 'dashboard']) {
        $('view-' + v).hidden = v !== view;
    }
    S.view = view;
    for (const a of document.querySelectorAll('#nav a')) {
        a.removeAttribute('aria-current');
    }
    const nav = view === 'dashboard' ? $('nav-dashboard')
        : (view === 'queue' || view === 'report') ? $('nav-queues') : null;
    if (nav) {
        nav.setAttribute('aria-current', 'page');
    }
}

function flash(msg) {
    $('flash').textContent = msg || '';
}

async function route() {
    if (!S.token) {
        show('signin');
        return;
    }
    flash('');
    const h = location.hash.replace(/^#\/?/, '').split('/');
    try {
        await loadCatalog();
    } catch (e) {
        flash(t('report.failed', { status: 0 }));
        return;
    }
    const from = S.view;
    if (h[0] === 'report' && /^[1-9][0-9]{0,14}$/.test(h[1] || '')) {
        await openReport(Number(h[1]));
        $('report-h').focus();
    } else if (h[0] === 'dashboard' && S.who.role === 'admin') {
        await openDashboard();
        if (from !== 'dashboard') {
            $('dash-h').focus();
        }
    } else {
        const names = S.who.role === 'admin' ? ADMIN_QUEUES : AGENCY_QUEUES;
        if (h[0] !== 'queue' || !names.includes(h[1])) {
            location.replace(defaultRoute());
            return;
        }
        await openQueue(h[1]);
        if (from !== 'queue') {
            $('queue-h').focus();
        }
    }
    startPolling();
}

function startPolling() {
    stopPolling();
    S.timer = setInterval(poll, POLL_MS);
}

function stopPolling() {
    if (S.timer) {
        clearInterval(S.timer);
        S.timer = null;
    }
}

// Every few seconds, while the tab is visible: the queue page or the
// dashboard is read again and redrawn; a report is only checked for a
// newer version, never redrawn under the officer's hands.
async function poll() {
    if (document.hidden || S.busy || !S.token) {
        return;
    }
    S.busy = true;
    try {
        if (S.view === 'queue' && S.queue) {
            await loadQueuePage();
        } else if (S.view === 'dashboard') {
            await loadDashboard();
        } else if (S.view === 'report' && S.report && S.report.data) {
            const r = await api('reports/' + S.report.id);
            if (r.status === 200 && r.data.version !== S.report.data.version) {
                $('report-changed-text').textContent = t('report.changed', {
                    version: r.data.version,
                    status: t('status.' + r.data.status) });
                $('report-changed').hidden = false;
            } else if (r.status === 403) {
                // dispatched elsewhere or handed back meanwhile
                $('report-changed-text').textContent = t('action.left');
                $('report-changed').hidden = false;
            }
        }
    } catch (e) {
        /* the next round tries again */
    } finally {
        S.busy = false;
    }
}

// ---- Queues ---------------------------------------------------------------

function queueQuery(name) {
    if (name === 'overdue') {
        return 'overdue=1';
    }
    if (name === 'inbox') {
        return '';
    }
    return 'status=' + name;
}

async function openQueue(name) {
    show('queue');
    if (!S.queue || S.queue.name !== name) {
        S.queue = { name, cursors: [null], page: 0, items: [], next: null,
            selected: null };
        // never another queue's rows under this queue's title
        clear($('queue-rows'));
        $('queue-updated').textContent = '';
        $('queue-empty').hidden = true;
    }
    const names = S.who.role === 'admin' ? ADMIN_QUEUES : AGENCY_QUEUES;
    const tabs = clear($('queue-tabs'));
    for (const n of names) {
        tabs.append(el('li', null, el('a', { href: '#/queue/' + n,
            'aria-current': n === name ? 'page' : null,
            text: t('queue.' + n) })));
    }
    $('queue-h').textContent = t('queue.title', { name: t('queue.' + name) });
    $('report-back').setAttribute('href', '#/queue/' + name);
    $('nav-queues').setAttribute('href', '#/queue/' + name);
    await loadQueuePage();
}

async function loadQueuePage() {
    const q = S.queue;
    const cursor = q.cursors[q.page];
    let query = queueQuery(q.name);
    query += (query ? '&' : '') + 'limit=' + PAGE;
    if (cursor) {
        query += '&cursor=' + encodeURIComponent(cursor);
    }
    const r = await api('queue?' + query);
    if (S.queue !== q) {
        return;
    }
    if (r.status !== 200) {
        flash(t('report.failed', { status: r.status }));
        return;
    }
    q.items = r.data.items;
    q.next = r.data.next_cursor;
    S.lastQueue = q.items.map((x) => x.id);
    renderQueue();
}

function dueCell(item) {
    if (!item.due_at) {
        return el('span', { class: 'due-ok', text: t('due.none') });
    }
    if (item.status === 'followed_up') {
        return el('span', { class: 'due-ok', text: t('due.autoclose',
            { when: formatTime(item.due_at) }) });
    }
    const w = workingDaysUntil(item.due_at, S.cat);
    if (item.overdue || w.overdue) {
        return el('span', { class: 'overdue-mark' },
            el('span', { 'aria-hidden': 'true', text: '⚠ ' }),
            w.days > 0 ? t('due.overdue', { n: w.days })
                : t('due.overdue.today'));
    }
    return el('span', { class: 'due-ok', title: formatTime(item.due_at),
        text: w.days === 0 ? t('due.today') : t('due.left', { n: w.days }) });
}

function ageText(iso) {
    const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
    if (s < 86400) {
        return t('age.hours', { n: Math.floor(s / 3600) });
    }
    return t('age.days', { n: Math.floor(s / 86400) });
}

function queueRow(item) {
    const overdue = Boolean(item.overdue);
    return el('tr', { 'data-id': String(item.id),
        class: overdue ? 'is-overdue' : null },
        el('td', { class: 'id' }, el('a', { href: '#/report/' + item.id,
            text: String(item.id) })),
        el('td', null, item.title,
            el('div', null,
                item.flagged ? el('span', { class: 'badge flagged',
                    text: t('badge.flagged') }) : null,
                item.anonymous ? el('span', { class: 'badge',
                    text: t('badge.anonymous') }) : null,
                item.confidential ? el('span', { class: 'badge',
                    text: t('badge.confidential') }) : null)),
        el('td', null, categoryName(item.category)),
        el('td', null, agencyName(item.agency)),
        el('td', null, ageText(item.created_at)),
        el('td', null, dueCell(item)));
}

function renderQueue() {
    const q = S.queue;
    const focused = document.activeElement
        && document.activeElement.closest('#queue-rows tr');
    const focusId = focused ? focused.dataset.id : null;
    const body = clear($('queue-rows'));
    for (const item of q.items) {
        body.append(queueRow(item));
    }
    $('queue-caption').textContent = t('queue.caption',
        { name: t('queue.' + q.name), page: q.page + 1 });
    $('queue-table').hidden = q.items.length === 0;
    $('queue-empty').hidden = q.items.length !== 0;
    $('queue-first').hidden = q.page === 0;
    $('queue-prev').hidden = q.page === 0;
    $('queue-next').hidden = !q.next;
    $('queue-updated').textContent = t('queue.updated', { sec: POLL_MS / 1000,
        time: formatTime(new Date().toISOString(), false) });
    select(q.selected, focusId !== null);
    if (focusId !== null && !body.querySelector(`tr[data-id="${focusId}"]`)) {
        $('queue-h').focus();
    }
}

// The selected row (j/k): marked, and its link focused.
function select(id, focus) {
    const rows = [...document.querySelectorAll('#queue-rows tr')];
    S.queue.selected = id;
    for (const r of rows) {
        const on = r.dataset.id === String(id);
        r.classList.toggle('is-selected', on);
        if (on && focus) {
            r.querySelector('a').focus();
        }
    }
}

function moveSelection(step) {
    const rows = [...document.querySelectorAll('#queue-rows tr')];
    if (!rows.length) {
        return;
    }
    let i = rows.findIndex((r) => r.dataset.id === String(S.queue.selected));
    i = i < 0 ? (step > 0 ? 0 : rows.length - 1)
        : Math.min(rows.length - 1, Math.max(0, i + step));
    select(rows[i].dataset.id, true);
}

// ---- A report -------------------------------------------------------------

async function openReport(id) {
    show('report');
    if (!S.report || S.report.id !== id) {
        $('report-alert').textContent = '';
    }
    $('report-changed').hidden = true;
    $('report-h').textContent = t('report.title', { id });
    clear($('report-content')).append(el('p', { text: t('report.loading') }));
    const [r, ev] = await Promise.all([api('reports/' + id),
        api('reports/' + id + '/events')]);
    clear($('report-content'));
    S.report = { id, data: null, events: null };
    if (r.status === 403) {
        showAlert($('report-alert'), 'problem', t('report.forbidden'));
        return;
    }
    if (r.status === 404) {
        showAlert($('report-alert'), 'problem', t('report.not_found'));
        return;
    }
    if (r.status !== 200) {
        showAlert($('report-alert'), 'problem',
            t('report.failed', { status: r.status }));
        return;
    }
    S.report.data = r.data;
    S.report.events = ev.status === 200 ? ev.data.events : [];
    renderReport();
}

function showAlert(box, kind, msg) {
    clear(box).append(el('div', { class: kind }, el('p', { text: msg })));
}

function row(dl, label, ...value) {
    dl.append(el('dt', { text: label }), el('dd', null, ...value));
}

function renderReport() {
    const d = S.report.data;
    const c = clear($('report-content'));
    $('report-h').textContent = t('report.title', { id: d.id })
        + (d.title ? ': ' + d.title : '');

    const dl = el('dl', { class: 'summary', id: 'report-summary' });
    row(dl, t('report.status'), el('span', { class: 'status-badge',
        id: 'report-status', 'data-status': d.status,
        text: t('status.' + d.status) }));
    row(dl, t('report.version'), el('span', { id: 'report-version',
        text: String(d.version) }));
    if (d.type) {
        row(dl, t('report.type'), typeName(d.type));
    }
    if (d.category) {
        row(dl, t('report.category'), categoryName(d.category));
    }
    row(dl, t('report.agency'), d.agency ? nameOf(d.agency.name) : '');
    if (d.returned_by) {
        row(dl, t('report.returned_by'), nameOf(d.returned_by.name));
    }
    if (d.flagged) {
        row(dl, t('badge.flagged'), el('span', { class: 'badge flagged',
            text: t('report.flagged') }));
    }
    row(dl, t('report.created'), formatTime(d.created_at));
    row(dl, t('report.updated'), formatTime(d.updated_at));
    row(dl, t('report.due'), d.due_at ? el('span', null,
        formatTime(d.due_at), ' · ', dueCell(d)) : t('due.none'));
    row(dl, t('report.privacy'), [
        d.confidential ? t('report.confidential') : t('report.public'),
        d.anonymous ? ', ' + t('report.anonymous') : ''].join(''));
    if (d.channel) {
        row(dl, t('report.channel'), d.channel);
    }
    if (d.location && d.location.text) {
        row(dl, t('report.location'), d.location.text);
    }
    if (d.occurred_on) {
        row(dl, t('report.occurred'), d.occurred_on);
    }
    // The API leaves "reporter" out for an agency when the report is
    // anonymous; the console shows only what it was given.
    const rep = el('div', { id: 'report-reporter' });
    if (d.reporter && !(d.anonymous && S.who.role !== 'admin')) {
        rep.append(el('div', { text: d.reporter.name }),
            el('div', { text: d.reporter.contact }));
        if (d.anonymous) {
            rep.append(el('div', { class: 'hint',
                text: t('report.reporter.anon_admin') }));
        }
    } else if (d.anonymous) {
        rep.append(t('report.reporter.hidden'));
    } else {
        rep.append(t('report.reporter.none'));
    }
    row(dl, t('report.reporter'), rep);

    const left = el('div', null, dl);
    if (d.body) {
        left.append(el('h2', { text: t('report.body') }),
            el('p', { class: 'report-text', text: d.body }));
    }
    left.append(el('h2', { text: t('report.timeline') }), timeline());

    const right = el('div', { id: 'report-actions' },
        el('h2', { text: t('report.actions') }));
    const allowed = (ACTIONS[S.who.role] || [])
        .filter(([, from]) => from.includes(d.status));
    if (!allowed.length) {
        right.append(el('p', { text: t('report.no_actions') }));
    }
    for (const [action] of allowed) {
        right.append(actionForm(action, d));
    }
    if (allowed.length) {
        right.append(el('p', { class: 'hint',
            text: t('action.comment.note') }));
    }
    if (S.lastQueue.includes(d.id)) {
        const i = S.lastQueue.indexOf(d.id);
        if (i + 1 < S.lastQueue.length) {
            right.append(el('p', null, el('a', { id: 'report-next',
                href: '#/report/' + S.lastQueue[i + 1],
                text: t('report.next') + ' (' + S.lastQueue[i + 1] + ')' })));
        }
    }
    c.append(el('div', { class: 'report-grid' }, left, right));
}

function timeline() {
    const ol = el('ol', { class: 'timeline', id: 'report-timeline' });
    for (const e of S.report.events || []) {
        let what = t('event.' + e.type, { agency: agencyName(e.agency),
            rating: e.rating });
        if (what === 'event.' + e.type) {
            what = e.type;
        }
        const li = el('li', { 'data-type': e.type },
            el('div', null, el('strong', { text: what }), ' ',
                t('event.by', { actor: t('actor.' + e.actor) })),
            el('div', { class: 'when' }, formatTime(e.at),
                e.from ? ' · ' + t('event.move', {
                    from: t('status.' + e.from), to: t('status.' + e.status) })
                    : ''));
        if (e.message) {
            li.append(el('p', { class: 'msg', text: e.message }));
        }
        ol.append(li);
    }
    return ol;
}

function field(id, label, control, hint) {
    const hintId = hint ? id + '-hint' : null;
    if (hintId) {
        control.setAttribute('aria-describedby', hintId);
    }
    return el('div', { class: 'field' },
        el('label', { for: id, text: label }), control,
        hint ? el('p', { class: 'hint', id: hintId, text: hint }) : null);
}

function actionForm(action, d) {
    const f = el('form', { class: 'action-form', id: 'form-' + action,
        'data-action': action, 'aria-labelledby': 'form-' + action + '-h',
        novalidate: true });
    f.append(el('h3', { id: 'form-' + action + '-h',
        text: t('action.' + action) }));
    if (action === 'dispatch') {
        const sel = el('select', { id: 'dispatch-agency', name: 'agency',
            required: true });
        for (const a of S.cat.agencies) {
            sel.append(el('option', { value: a.code,
                selected: d.agency && d.agency.code === a.code,
                text: nameOf(a.name) }));
        }
        f.append(field('dispatch-agency', t('action.dispatch.agency'), sel),
            field('dispatch-message', t('action.dispatch.message'),
                el('textarea', { id: 'dispatch-message', name: 'message',
                    maxlength: '1000', rows: '3' })));
    } else if (['defer', 'archive', 'not_authority'].includes(action)) {
        f.append(field(action + '-reason', t('action.reason'),
            el('textarea', { id: action + '-reason', name: 'reason',
                required: true, maxlength: '1000', rows: '3' }),
            t('action.reason.hint')));
    } else {
        f.append(field(action + '-message', t('action.message'),
            el('textarea', { id: action + '-message', name: 'message',
                required: true, maxlength: '4000', rows: '4' }),
            t('action.message.hint')));
    }
    f.append(el('button', { type: 'submit', class: 'button primary',
        text: t('action.submit.' + action) }));
    f.addEventListener('submit', (ev) => {
        ev.preventDefault();
        act(f, action);
    });
    return f;
}

// One action, conditional on the version on screen: If-Match.  A 412
// never overwrites: the officer is told, and sees the report as it is now.
async function act(form, action) {
    const d = S.report.data;
    const body = {};
    for (const e of form.querySelectorAll('select, textarea')) {
        const v = e.value.trim();
        if (v !== '' || e.required) {
            body[e.name] = e.value;
        }
    }
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const box = $('report-alert');
    showAlert(box, 'notice', t('action.sending'));
    let r;
    try {
        r = await api('reports/' + d.id + '/' + action, { method: 'POST',
            body, headers: { 'If-Match': '"' + d.version + '"' } });
    } catch (e) {
        button.disabled = false;
        showAlert(box, 'problem', t('action.network'));
        return;
    }
    button.disabled = false;
    if (r.status === 200) {
        await openReport(d.id);
        // after a hand-back the agency may no longer read the report
        showAlert($('report-alert'), 'success', t('action.done', {
            status: t('status.' + r.data.status), version: r.data.version })
            + (S.report.data ? '' : ' ' + t('action.left')));
        $('report-h').focus();
        return;
    }
    if (r.status === 412 || r.status === 409) {
        const conflict = r.status === 412;
        await openReport(d.id);
        const now = S.report.data;
        const msg = conflict
            ? t('action.conflict', { status: now ? t('status.' + now.status)
                : '?', version: now ? now.version : '?' })
            : t('action.transition', { status: now
                ? t('status.' + now.status) : '?' });
        showAlert($('report-alert'), 'problem', msg);
        $('report-alert').firstChild.id = conflict ? 'conflict' : 'transition';
        $('report-h').focus();
        return;
    }
    if (r.status === 403) {
        const type = r.data && r.data.type || '';
        showAlert(box, 'problem', type.endsWith(':not-your-agency')
            ? t('action.forbidden.agency') : t('action.forbidden.role'));
        box.firstChild.id = 'forbidden';
        return;
    }
    if (r.status === 400 && r.data && r.data.errors) {
        showAlert(box, 'problem', t('action.invalid', { errors:
            r.data.errors.map((e) => e.field + ': ' + e.message)
                .join('; ') }));
        const first = form.querySelector('textarea, select');
        if (first) {
            first.setAttribute('aria-invalid', 'true');
            first.focus();
        }
        return;
    }
    if (r.status !== 401) {
        showAlert(box, 'problem', t('action.retry', { status: r.status }));
    }
}

// ---- The dashboard --------------------------------------------------------

async function openDashboard() {
    show('dashboard');
    await loadDashboard();
}

function duration(count, p50) {
    if (!count) {
        return t('dur.none');
    }
    if (p50 === null || p50 === undefined) {
        return t('dur.more');
    }
    if (p50 < 86400) {
        return t('dur.hours', { n: p50 / 3600 });
    }
    return t('dur.days', { n: p50 / 86400 });
}

async function loadDashboard() {
    const [st, od] = await Promise.all([api('stats'),
        api('queue?overdue=1&limit=' + PAGE)]);
    if (S.view !== 'dashboard') {
        return;
    }
    if (st.status !== 200 || !st.data.agencies) {
        showAlert($('dash-alert'), 'problem',
            t('dash.failed', { status: st.status }));
        return;
    }
    clear($('dash-alert'));
    const ag = st.data.agencies;
    $('dash-lead').textContent = t('dash.lead', { month: ag.month });
    const rows = ag.by_agency.slice().sort((a, b) => (b.overdue - a.overdue)
        || (b.open - a.open) || agencyName(a.agency)
            .localeCompare(agencyName(b.agency)));
    const body = clear($('dash-rows'));
    for (const a of rows) {
        body.append(el('tr', { 'data-agency': a.agency,
            class: a.overdue ? 'is-overdue' : null },
            el('th', { scope: 'row', text: agencyName(a.agency) }),
            el('td', { class: 'num', text: String(a.open) }),
            el('td', { class: 'num' }, a.overdue
                ? el('span', { class: 'overdue-mark' },
                    el('span', { 'aria-hidden': 'true', text: '⚠ ' }),
                    String(a.overdue))
                : '0'),
            el('td', { class: 'num', text: String(a.first_responses) }),
            el('td', { class: 'num', text: duration(a.first_responses,
                a.first_response_p50_seconds) })));
    }
    const items = od.status === 200 ? od.data.items : [];
    const ob = clear($('dash-overdue-rows'));
    for (const item of items) {
        ob.append(queueRow(item));
    }
    $('dash-overdue').hidden = items.length === 0;
    $('dash-overdue-empty').hidden = items.length !== 0;
    S.lastQueue = items.map((x) => x.id);
}

// ---- Keyboard -------------------------------------------------------------

function typing(e) {
    const tag = e.target && e.target.tagName;
    return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT'
        || (e.target && e.target.isContentEditable);
}

function goToForm(action, fieldId) {
    const f = $('form-' + action);
    if (!f) {
        return;
    }
    f.scrollIntoView({ block: 'center' });
    $(fieldId).focus();
}

function onKey(e) {
    if (!S.token || e.ctrlKey || e.metaKey || e.altKey || typing(e)) {
        return;
    }
    switch (e.key) {
    case 'j':
    case 'k':
        if (S.view === 'queue') {
            moveSelection(e.key === 'j' ? 1 : -1);
            e.preventDefault();
        }
        break;
    case 'n': {
        let next = null;
        if (S.view === 'report' && S.report) {
            const i = S.lastQueue.indexOf(S.report.id);
            next = i >= 0 ? S.lastQueue[i + 1] : S.lastQueue[0];
        } else if (S.view === 'queue' || S.view === 'dashboard') {
            const i = S.queue ? S.lastQueue.indexOf(Number(S.queue.selected))
                : -1;
            next = S.lastQueue[i + 1];
        }
        if (next) {
            location.hash = '#/report/' + next;
            e.preventDefault();
        }
        break;
    }
    case 'd':
        if (S.view === 'report') {
            goToForm('dispatch', 'dispatch-agency');
            e.preventDefault();
        }
        break;
    case 'r':
        if (S.view === 'report') {
            goToForm('respond', 'respond-message');
            e.preventDefault();
        }
        break;
    case 'q':
        location.hash = S.queue ? '#/queue/' + S.queue.name : defaultRoute();
        e.preventDefault();
        break;
    case '?': {
        const det = $('shortcuts');
        det.open = !det.open;
        det.querySelector('summary').focus();
        e.preventDefault();
        break;
    }
    default:
        break;
    }
}

// ---- Start ----------------------------------------------------------------

function start() {
    try {
        S.token = sessionStorage.getItem(TOKEN_KEY);
        S.who = JSON.parse(sessionStorage.getItem(WHO_KEY) || 'null');
    } catch (e) {
        S.token = null;
    }
    if (!S.who) {
        S.token = null;
    }
    applyTexts();
    $('lang-switch').addEventListener('click', () => {
        S.lang = S.lang === 'id' ? 'en' : 'id';
        try { localStorage.setItem(LANG_KEY, S.lang); } catch (e) { /* */ }
        applyTexts();
        if (S.token) {
            route();
        }
    });
    $('sign-out').addEventListener('click', () => signOut());
    $('signin').addEventListener('submit', signIn);
    $('queue-next').addEventListener('click', () => {
        if (S.queue.next) {
            S.queue.cursors[S.queue.page + 1] = S.queue.next;
            S.queue.page++;
            S.queue.selected = null;
            loadQueuePage();
        }
    });
    $('queue-prev').addEventListener('click', () => {
        S.queue.page = Math.max(0, S.queue.page - 1);
        S.queue.selected = null;
        loadQueuePage();
    });
    $('queue-first').addEventListener('click', () => {
        S.queue.page = 0;
        S.queue.selected = null;
        loadQueuePage();
    });
    $('report-reload').addEventListener('click', () => {
        openReport(S.report.id).then(() => $('report-h').focus());
    });
    document.addEventListener('keydown', onKey);
    document.addEventListener('focusin', (e) => {
        const tr = e.target.closest && e.target.closest('#queue-rows tr');
        if (tr && S.queue) {
            select(tr.dataset.id, false);
        }
    });
    window.addEventListener('hashchange', route);
    loadCatalog().catch(() => {});
    if (S.token) {
        route();
    } else {
        show('signin');
    }
}

start();
