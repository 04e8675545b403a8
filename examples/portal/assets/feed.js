// Public reports: the list (GET reports, newest first, one filter at a
// time, "show more" with the keyset cursor) and, at laporan.html#<id>, one
// report's page (GET reports/{id} and its events, as the public sees them).

import { t, el, clear, api, catalog, onLanguage, formatDate, reportCard,
    deadlineNode, agencyName, categoryName, typeName } from './common.js';

const STATES = ['submitted', 'deferred', 'dispatched', 'in_progress',
    'followed_up', 'closed', 'archived'];
const FILTERS = ['category', 'status', 'agency'];

let cat = null;
let items = [];
let cursor = null;
let shown = null;       // the report of the page, when one is shown
let events = [];

const $ = (id) => document.getElementById(id);

function fillFilters() {
    const opts = {
        category: cat.categories.map((c) => [c.code, categoryName(cat,
            c.code)]),
        status: STATES.map((s) => [s, t('status.' + s)]),
        agency: cat.agencies.map((a) => [a.code, agencyName(cat, a.code)])
    };
    for (const f of FILTERS) {
        const sel = $('q-' + f);
        const value = sel.value;
        clear(sel).append(el('option', { value: '', text: t('feed.all') }),
            ...opts[f].map(([v, label]) => el('option', { value: v,
                text: label })));
        sel.value = value;
    }
}

function query() {
    for (const f of FILTERS) {
        if ($('q-' + f).value) {
            return f + '=' + encodeURIComponent($('q-' + f).value);
        }
    }
    return '';
}

async function loadList(more) {
    const q = [query(), 'limit=20', more && cursor
        ? 'cursor=' + encodeURIComponent(cursor) : ''].filter(Boolean)
        .join('&');
    let r;
    try {
        r = await api('reports?' + q);
    } catch (e) {
        $('feed-count').textContent = t('error.network');
        return;
    }
    if (r.status !== 200) {
        $('feed-count').textContent = t('error.server', { status: r.status });
        return;
    }
    items = more ? items.concat(r.data.items) : r.data.items;
    cursor = r.data.next_cursor;
    renderList();
}

function renderList() {
    const ul = clear($('feed'));
    for (const item of items) {
        ul.append(reportCard(item, cat));
    }
    $('feed-count').textContent = items.length ? t('feed.count',
        { n: items.length }) : t('feed.none');
    $('feed-more').hidden = !cursor;
}

async function showReport(id) {
    let r, ev;
    try {
        [r, ev] = await Promise.all([api('reports/' + id),
            api('reports/' + id + '/events')]);
    } catch (e) {
        shown = null;
        renderReport(t('error.network'));
        return;
    }
    if (r.status !== 200) {
        shown = null;
        renderReport(r.status === 404 ? t('public.notfound')
            : t('error.server', { status: r.status }));
        return;
    }
    shown = r.data;
    events = ev.status === 200 ? ev.data.events : [];
    renderReport();
}

function renderReport(problem) {
    const v = clear($('public-view'));
    const id = location.hash.slice(1);
    v.append(el('p', {}, el('a', { href: 'laporan.html',
        text: t('public.back') })));
    v.append(el('h1', { id: 'public-h', tabindex: '-1',
        text: t('public.title', { id }) }));
    if (!shown) {
        v.append(el('p', { class: 'problem', text: problem || '' }));
        return;
    }
    const rep = shown;
    const dl = el('dl', { class: 'summary' });
    const row = (k, val) => {
        if (val) {
            dl.append(el('dt', { text: k }), el('dd', { text: val }));
        }
    };
    v.append(el('p', {}, el('span', { class: 'status-badge', id: 'status',
        text: t('status.' + rep.status) })),
    el('p', { text: t('status.' + rep.status + '.text') }));
    row(t('track.submitted_at'), formatDate(rep.created_at, cat.time_zone,
        true));
    row(t('track.agency'), rep.agency ? agencyName(cat, rep.agency.code) : '');
    row(t('public.type'), rep.type ? typeName(cat, rep.type) : '');
    row(t('public.category'), rep.category ? categoryName(cat, rep.category)
        : '');
    row(t('public.location'), rep.location && rep.location.text);
    row(t('public.occurred'), rep.occurred_on
        ? formatDate(rep.occurred_on + 'T12:00:00Z', 'UTC') : '');
    dl.append(el('dt', { text: t('track.deadline') }),
        el('dd', {}, deadlineNode(rep, cat)));
    v.append(dl);

    if (rep.confidential) {
        v.append(el('section', { class: 'panel' },
            el('h2', { text: t('feed.confidential') }),
            el('p', { text: t('feed.confidential.text') })));
    } else {
        v.append(el('section', { class: 'panel', 'aria-labelledby': 'rt' },
            el('h2', { id: 'rt', text: rep.title || '' }),
            el('p', { class: 'report-text', text: rep.body || '' }),
            el('p', { class: 'hint', text: rep.anonymous || !rep.reporter
                ? t('feed.anonymous')
                : t('feed.by', { name: rep.reporter.name }) })));
    }
    if (rep.rating) {
        v.append(el('p', { text: t('public.rating', {
            rating: rep.rating, resolved: t('resolved.' + rep.resolved) }) }));
    }

    const tl = el('ol', { class: 'timeline', id: 'timeline' });
    for (const e of events) {
        const what = [t('event.' + e.type)];
        if (e.type === 'dispatch' && e.agency) {
            what.push(agencyName(cat, e.agency));
        }
        tl.append(el('li', {},
            el('strong', { text: what.join(': ') }),
            el('div', { class: 'when', text: formatDate(e.at, cat.time_zone,
                true) + ' · ' + t('actor.' + e.actor) }),
            e.message ? el('p', { class: 'msg', text: e.message }) : null));
    }
    v.append(el('h2', { text: t('track.timeline') }), tl);
}

async function route() {
    const id = location.hash.slice(1);
    const one = /^[1-9][0-9]{0,14}$/.test(id);
    $('feed-view').hidden = one;
    $('public-view').hidden = !one;
    if (one) {
        await showReport(id);
        $('public-h').focus();
    } else {
        shown = null;
        if (!items.length) {
            await loadList(false);
        }
    }
}

async function main() {
    try {
        cat = await catalog();
    } catch (e) {
        $('feed-count').textContent = t('error.catalog');
        return;
    }
    fillFilters();
    for (const f of FILTERS) {
        $('q-' + f).addEventListener('change', () => {
            // one filter at a time: the API reads one list per filter
            for (const g of FILTERS) {
                if (g !== f) {
                    $('q-' + g).value = '';
                }
            }
            cursor = null;
            loadList(false);
        });
    }
    $('feed-filter').addEventListener('submit', (ev) => ev.preventDefault());
    $('feed-more').addEventListener('click', () => loadList(true));
    window.addEventListener('hashchange', route);
    onLanguage(() => {
        fillFilters();
        renderList();
        if (shown) {
            renderReport();
        }
    });
    await route();
}

main();
