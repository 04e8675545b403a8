// Track a report: number + tracking token -> the reporter's view of the
// report (GET reports/{id} and its events with the token), the deadline
// in working days, and the reporter's actions (comments, feedback).
//
// The token never goes into the address: it is typed in (or handed over
// by the receipt through this tab's sessionStorage) and kept there only
// while the tab is open.

import { t, el, clear, api, catalog, onLanguage, formatDate, deadlineNode,
    agencyName as agencyOf, categoryName as categoryOf,
    typeName as typeOf } from './common.js';

const KEY = 'lapor.track';
const OPEN = ['submitted', 'deferred', 'dispatched', 'in_progress',
    'followed_up'];

let cat = null;
let current = null;     // {id, token}
let report = null;
let events = [];
let flash = null;       // a message shown above the report once

const $ = (id) => document.getElementById(id);

function remember() {
    try {
        sessionStorage.setItem(KEY, JSON.stringify(current));
    } catch (e) { /* memory only */ }
}

function forget() {
    try { sessionStorage.removeItem(KEY); } catch (e) { /* none */ }
    current = null;
    report = null;
    $('track-view').hidden = true;
    clear($('track-view'));
    $('t-token').value = '';
    $('track-form').hidden = false;
    $('t-number').focus();
}

function agencyName(code) {
    return agencyOf(cat, code);
}

function categoryName(code) {
    return categoryOf(cat, code);
}

function typeName(code) {
    return typeOf(cat, code);
}

async function load() {
    $('t-error').textContent = '';
    let r, ev;
    try {
        [r, ev] = await Promise.all([
            api('reports/' + current.id, { token: current.token }),
            api('reports/' + current.id + '/events', { token: current.token })
        ]);
    } catch (e) {
        $('t-error').textContent = t('error.network');
        return;
    }
    if (r.status === 404) {
        $('t-error').textContent = t('track.notfound');
        return;
    }
    if (r.status === 401) {
        $('t-error').textContent = t('track.badtoken');
        return;
    }
    if (r.status !== 200 || ev.status !== 200) {
        $('t-error').textContent = t('error.server',
            { status: r.status !== 200 ? r.status : ev.status });
        return;
    }
    report = r.data;
    events = ev.data.events || [];
    remember();
    $('track-form').hidden = true;
    render();
}

function render() {
    const v = clear($('track-view'));
    v.hidden = false;
    const head = el('h2', { id: 'report-h', tabindex: '-1' },
        t('receipt.number') + ' ' + report.id);
    const status = el('p', {},
        el('span', { class: 'status-badge', id: 'status' },
            t('status.' + report.status)),
        report.overdue ? el('span', { class: 'overdue' },
            ' ' + t('track.overdue.short')) : null);
    v.append(head);
    if (flash) {
        v.append(el('p', { class: flash.kind, role: 'status',
            text: flash.text }));
        flash = null;
    }
    v.append(status,
        el('p', { text: t('status.' + report.status + '.text') }),
        el('dl', { class: 'summary' },
            el('dt', { text: t('track.submitted_at') }),
            el('dd', { text: formatDate(report.created_at, cat.time_zone,
                true) }),
            el('dt', { text: t('track.agency') }),
            el('dd', { text: report.agency ? agencyName(report.agency.code) : '' }),
            el('dt', { text: t('track.deadline') }),
            el('dd', {}, deadlineNode(report, cat))));

    if (report.rating) {
        v.append(el('p', { text: t('track.rating.given', {
            rating: report.rating,
            resolved: t('resolved.' + report.resolved) }) }));
    }

    v.append(actions());

    // The report as the reporter wrote it.
    const mine = el('section', { class: 'panel', 'aria-labelledby': 'mine-h' },
        el('h3', { id: 'mine-h', text: t('track.your_report') }),
        el('p', {}, el('strong', { text: report.title || '' })),
        el('p', { class: 'hint', text: [typeName(report.type),
            categoryName(report.category)].join(' · ') }),
        el('p', { class: 'report-text', text: report.body || '' }),
        report.location && report.location.text
            ? el('p', { text: report.location.text }) : null,
        el('p', { class: 'hint', text: [
            report.anonymous ? t('home.privacy.anon.title') : null,
            report.confidential ? t('home.privacy.conf.title') : null]
            .filter(Boolean).join(' · ') }));
    v.append(mine);

    const tl = el('ol', { class: 'timeline', id: 'timeline' });
    for (const e of events) {
        const what = [t('event.' + e.type)];
        if (e.type === 'dispatch' && e.agency) {
            what.push(agencyName(e.agency));
        }
        tl.append(el('li', {},
            el('strong', { text: what.join(': ') }),
            el('div', { class: 'when', text: formatDate(e.at, cat.time_zone,
                true) + ' · ' + t('actor.' + e.actor) }),
            e.rating ? el('div', { text: t('track.rating.given',
                { rating: e.rating, resolved: t('resolved.' + e.resolved) }) })
                : null,
            e.message ? el('p', { class: 'msg', text: e.message }) : null));
    }
    v.append(el('h3', { text: t('track.timeline') }), tl);
    v.append(el('p', {}, el('button', { type: 'button', class: 'link',
        id: 'forget', text: t('track.forget'), onclick: forget })));
}

function actions() {
    const box = el('div', { id: 'actions' });
    if (!OPEN.includes(report.status)) {
        return box;
    }
    if (report.status === 'followed_up') {
        box.append(feedbackForm());
    }
    const note = report.status === 'followed_up' ? t('track.comment.reopen')
        : report.status === 'deferred' ? t('track.comment.deferred') : null;
    const form = el('form', { class: 'panel', id: 'comment-form',
        novalidate: true },
        el('h3', { text: t('track.comment.title') }),
        note ? el('p', { text: note }) : null,
        el('div', { class: 'field' },
            el('label', { for: 'c-message', text: t('track.comment.label') }),
            el('textarea', { id: 'c-message', rows: '4',
                'aria-describedby': 'err-c-message' }),
            el('p', { class: 'error', id: 'err-c-message' })),
        el('p', {}, el('button', { type: 'submit', class: 'button',
            text: t('track.comment.submit') })));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        act('comments', { message: $('c-message').value },
            { message: 'c-message' });
    });
    box.append(form);
    return box;
}

function feedbackForm() {
    const rating = el('fieldset', { id: 'fb-rating',
        'aria-describedby': 'err-fb-rating' },
        el('legend', { text: t('track.feedback.rating') }));
    for (let i = 1; i <= 5; i++) {
        rating.append(el('span', { class: 'choice' },
            el('input', { type: 'radio', name: 'rating', value: String(i),
                id: 'fb-r' + i }), ' ',
            el('label', { for: 'fb-r' + i, text: String(i) }), '  '));
    }
    rating.append(el('p', { class: 'error', id: 'err-fb-rating' }));
    const resolved = el('fieldset', { id: 'fb-resolved',
        'aria-describedby': 'err-fb-resolved' },
        el('legend', { text: t('track.feedback.resolved') }));
    for (const r of ['yes', 'partial', 'no']) {
        resolved.append(el('p', {},
            el('input', { type: 'radio', name: 'resolved', value: r,
                id: 'fb-' + r }), ' ',
            el('label', { for: 'fb-' + r, text: t('track.feedback.' + r) })));
    }
    resolved.append(el('p', { class: 'error', id: 'err-fb-resolved' }));
    const form = el('form', { class: 'panel', id: 'feedback-form',
        novalidate: true },
        el('h3', { text: t('track.feedback.title') }), rating, resolved,
        el('div', { class: 'field' },
            el('label', { for: 'fb-comment',
                text: t('track.feedback.comment') }),
            el('textarea', { id: 'fb-comment', rows: '3',
                'aria-describedby': 'err-fb-comment' }),
            el('p', { class: 'error', id: 'err-fb-comment' })),
        el('p', {}, el('button', { type: 'submit', class: 'button primary',
            text: t('track.feedback.submit') })));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const r = form.querySelector('input[name="rating"]:checked');
        const s = form.querySelector('input[name="resolved"]:checked');
        const body = { rating: r ? Number(r.value) : null,
            resolved: s ? s.value : null };
        if ($('fb-comment').value !== '') {
            body.comment = $('fb-comment').value;
        }
        act('feedback', body, { rating: 'fb-rating',
            resolved: 'fb-resolved', comment: 'fb-comment' });
    });
    return form;
}

async function act(action, body, places) {
    for (const id of Object.values(places)) {
        $('err-' + id).textContent = '';
    }
    let r;
    try {
        r = await api('reports/' + report.id + '/' + action, {
            method: 'POST', token: current.token, body: JSON.stringify(body),
            headers: { 'If-Match': '"' + report.version + '"' } });
    } catch (e) {
        flash = { kind: 'problem', text: t('error.network') };
        render();
        return;
    }
    if (r.status === 200) {
        flash = { kind: 'success', text: t('track.action.done',
            { status: t('status.' + r.data.status) }) };
        await load();
        $('report-h').focus();
        return;
    }
    if ((r.status === 400) && r.data && r.data.errors) {
        let first = null;
        for (const e of r.data.errors) {
            const id = places[e.field] || Object.values(places)[0];
            $('err-' + id).textContent = e.message;
            first = first || $(id);
        }
        if (first) {
            first.focus();
        }
        return;
    }
    if (r.status === 412 || r.status === 409) {
        flash = { kind: 'problem', text: r.data
            && r.data.type === 'urn:lapor:problem:invalid-transition'
            ? t('track.action.state') : t('track.action.changed') };
        await load();
        return;
    }
    flash = { kind: 'problem', text: t('error.server', { status: r.status }) };
    render();
}

async function main() {
    $('track-form').addEventListener('submit', (ev) => {
        ev.preventDefault();
        const id = $('t-number').value.trim().replace(/^#/, '');
        const token = $('t-token').value.trim();
        if (!/^[1-9][0-9]{0,14}$/.test(id)) {
            $('t-error').textContent = t('track.badnumber');
            $('t-number').setAttribute('aria-invalid', 'true');
            $('t-number').focus();
            return;
        }
        $('t-number').removeAttribute('aria-invalid');
        current = { id, token };
        load();
    });
    try {
        cat = await catalog();
    } catch (e) {
        $('t-error').textContent = t('error.catalog');
        return;
    }
    onLanguage(() => {
        if (report) {
            render();
        }
    });
    let saved = null;
    try {
        saved = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    } catch (e) {
        saved = null;
    }
    const fromHash = location.hash.replace(/^#/, '');
    if (saved && saved.id && saved.token
        && (!fromHash || fromHash === String(saved.id))) {
        current = saved;
        $('t-number').value = saved.id;
        load();
    } else if (/^[1-9][0-9]{0,14}$/.test(fromHash)) {
        $('t-number').value = fromHash;
        $('t-token').focus();
    }
}

main();
