// Home: what the channel is, its report types, its deadlines, privacy, and
// the channel's figures (GET stats).

import { t, nameOf, el, clear, api, catalog, onLanguage, formatNumber,
    formatShare, reportCard } from './common.js';

let cat = null;
let stats = null;
let recent = null;

function renderCatalog() {
    const lead = document.getElementById('home-lead');
    lead.textContent = t('home.lead', { region: nameOf(cat.region.name) });

    const types = clear(document.getElementById('types'));
    for (const ty of cat.types) {
        types.append(el('li', {}, el('h3', { text: nameOf(ty.name) }),
            el('p', { text: t('type.' + ty.code + '.text') })));
    }

    const steps = clear(document.getElementById('steps'));
    steps.append(
        el('li', { text: t('home.steps.dispatch',
            { days: cat.sla.dispatch_days }) }),
        el('li', { text: t('home.steps.follow',
            { days: cat.sla.follow_up_days }) }),
        el('li', { text: t('home.steps.close',
            { days: cat.sla.auto_close_days }) }));

    const table = clear(document.getElementById('sla-table'));
    table.append(el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: t('home.steps.col.category') }),
        el('th', { scope: 'col', class: 'num',
            text: t('home.steps.col.dispatch') }),
        el('th', { scope: 'col', class: 'num',
            text: t('home.steps.col.follow') }))));
    const body = el('tbody');
    for (const c of cat.categories) {
        body.append(el('tr', {},
            el('th', { scope: 'row', text: nameOf(c.name) }),
            el('td', { class: 'num',
                text: t('dur.days', { n: c.sla.dispatch_days }) }),
            el('td', { class: 'num',
                text: t('dur.days', { n: c.sla.follow_up_days }) })));
    }
    table.append(body);
}

function renderRecent() {
    const ul = clear(document.getElementById('recent'));
    if (!recent || !cat) {
        return;
    }
    if (recent.length === 0) {
        ul.append(el('li', { text: t('feed.none') }));
    }
    for (const item of recent) {
        ul.append(reportCard(item, cat));
    }
}

function renderFigures() {
    const box = clear(document.getElementById('figures'));
    if (!stats) {
        return;
    }
    if (!stats.totals || !stats.totals.submitted) {
        box.append(el('p', { text: t('home.figures.none') }));
        return;
    }
    const s = stats.speed;
    const f = [
        [formatNumber(stats.totals.submitted), t('fig.submitted')],
        [formatShare(stats.year.follow_up_rate), t('fig.followed') + ' ('
            + stats.year.year + ')'],
        [formatShare(s.dispatched_within_deadline.share),
            t('fig.dispatch_in_time')],
        [stats.satisfaction.mean_rating === null ? '–'
            : formatNumber(Number(stats.satisfaction.mean_rating), 1),
            t('fig.rating')]
    ];
    box.append(el('dl', { class: 'figures' }, f.map(([v, label]) =>
        el('div', {}, el('dt', { text: label }), el('dd', { text: v })))));
}

async function main() {
    try {
        cat = await catalog();
        renderCatalog();
    } catch (e) {
        document.getElementById('home-lead').textContent = t('error.catalog');
    }
    try {
        const r = await api('stats');
        if (r.status === 200) {
            stats = r.data;
        }
    } catch (e) {
        stats = null;
    }
    renderFigures();
    try {
        const r = await api('reports?limit=5');
        if (r.status === 200) {
            recent = r.data.items;
        }
    } catch (e) {
        recent = null;
    }
    renderRecent();
    onLanguage(() => {
        if (cat) {
            renderCatalog();
        }
        renderFigures();
        renderRecent();
    });
}

main();
