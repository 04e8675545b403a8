// Responsiveness: the figures of GET stats as charts drawn in inline SVG,
// each with the same numbers in a table for screen readers and print.

import { t, nameOf, el, clear, api, catalog, onLanguage, formatDate,
    formatNumber, formatShare, todayIn } from './common.js';

const BUCKETS = ['3600', '14400', '28800', '86400', '172800', '259200',
    '432000', '864000', '1728000', '2592000', 'inf'];

let cat = null;
let stats = null;
let year = null;

const $ = (id) => document.getElementById(id);

function duration(seconds) {
    if (seconds === null || seconds === undefined) {
        return null;
    }
    const s = Number(seconds);
    if (s < 86400) {
        const h = Math.round(s / 3600);
        return h === 1 ? t('dur.hour1') : t('dur.hours', { n: h });
    }
    const d = Math.round(s / 86400);
    return d === 1 ? t('dur.day1') : t('dur.days', { n: d });
}

function bucketLabel(b) {
    return b === 'inf' ? '> 30 ' + t('dur.days', { n: '' }).trim()
        : '≤ ' + duration(b);
}

// A bar chart: groups of one or two bars, labels under them.
function barChart(id, title, desc, labels, series) {
    const W = 640;
    const H = 220;
    const top = 16;
    const bottom = 40;
    const left = 36;
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const n = labels.length;
    const groupW = (W - left) / n;
    const barW = Math.min(28, (groupW - 6) / series.length);
    const y = (v) => top + (H - top - bottom) * (1 - v / max);
    const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img',
        'aria-labelledby': id + '-t ' + id + '-d', id });
    svg.append(el('title', { id: id + '-t', text: title }),
        el('desc', { id: id + '-d', text: desc }));
    svg.append(el('line', { class: 'axis', x1: left, x2: W, y1: y(0),
        y2: y(0) }));
    svg.append(el('text', { x: left - 4, y: y(max) + 4,
        'text-anchor': 'end', text: formatNumber(max) }));
    svg.append(el('text', { x: left - 4, y: y(0) + 4,
        'text-anchor': 'end', text: '0' }));
    labels.forEach((label, i) => {
        const x0 = left + i * groupW + (groupW - barW * series.length) / 2;
        series.forEach((s, k) => {
            const v = s.values[i];
            const r = el('rect', { class: s.cls, x: x0 + k * barW,
                y: y(v), width: Math.max(1, barW - 2),
                height: Math.max(0, y(0) - y(v)) });
            r.append(el('title', { text: label + ', ' + s.name + ': '
                + formatNumber(v) }));
            svg.append(r);
        });
        svg.append(el('text', { x: left + i * groupW + groupW / 2,
            y: H - bottom + 16, 'text-anchor': 'middle', text: label }));
    });
    return el('div', { class: 'chart' }, svg);
}

function table(caption, heads, rows) {
    return el('div', { class: 'scroll' }, el('table', {},
        el('caption', { class: 'visually-hidden', text: caption }),
        el('thead', {}, el('tr', {}, heads.map((h, i) => el('th',
            { scope: 'col', class: i ? 'num' : null, text: h })))),
        el('tbody', {}, rows.map((r) => el('tr', {}, r.map((c, i) => i
            ? el('td', { class: 'num', text: c })
            : el('th', { scope: 'row', text: c })))))));
}

function meter(share) {
    const bar = el('span');
    bar.style.width = (share === null ? 0 : Number(share) * 100) + '%';
    return el('div', { class: 'meter', 'aria-hidden': 'true' }, bar);
}

function render() {
    const box = clear($('stats'));
    if (!stats) {
        return;
    }
    const tz = cat ? cat.time_zone : undefined;
    box.append(el('p', { class: 'hint', text: t('stats.generated',
        { date: formatDate(stats.generated_at, tz, true) }) }));

    // The year, month by month.
    const y = stats.year;
    const months = t('month.short').split(',');
    const mt = t('stats.months.title', { year: y.year });
    box.append(el('h2', { text: mt }),
        el('p', { id: 'year-summary', text: t('stats.year.summary', {
            year: y.year, submitted: formatNumber(y.submitted),
            followed: formatNumber(y.followed_up),
            rate: formatShare(y.follow_up_rate) }) }),
        el('ul', { class: 'legend', 'aria-hidden': 'true' },
            el('li', {}, el('span', { class: 'swatch a' }),
                t('stats.legend.submitted')),
            el('li', {}, el('span', { class: 'swatch b' }),
                t('stats.legend.followed'))),
        barChart('chart-months', mt, t('stats.months.desc'), months, [
            { name: t('stats.legend.submitted'), cls: 'bar-a',
                values: y.months.map((m) => m.submitted) },
            { name: t('stats.legend.followed'), cls: 'bar-b',
                values: y.months.map((m) => m.followed_up) }]),
        el('details', {}, el('summary', { text: t('stats.col.month') }),
            table(mt, [t('stats.col.month'), t('stats.col.submitted'),
                t('stats.col.followed'), t('stats.col.rate')],
            y.months.map((m, i) => [months[i], formatNumber(m.submitted),
                formatNumber(m.followed_up), formatShare(m.follow_up_rate)]))));

    // Speed.
    box.append(el('h2', { text: t('stats.speed.title') }));
    for (const [key, label] of [['time_to_dispatch', 'stats.speed.dispatch'],
        ['time_to_first_response', 'stats.speed.response']]) {
        const h = stats.speed[key];
        const pct = (p) => (h.count === 0 ? t('stats.speed.none')
            : p === null ? t('stats.speed.more30') : duration(p));
        const title = t(label);
        box.append(el('h3', { text: title }),
            el('dl', { class: 'figures' },
                el('div', {}, el('dt', { text: t('stats.speed.p50') }),
                    el('dd', { text: pct(h.p50_seconds) })),
                el('div', {}, el('dt', { text: t('stats.speed.p90') }),
                    el('dd', { text: pct(h.p90_seconds) })),
                el('div', {}, el('dt', { text: t('stats.speed.count',
                    { n: '' }).trim() }),
                    el('dd', { text: formatNumber(h.count) }))),
            barChart('chart-' + key, title, t('stats.hist.desc'),
                BUCKETS.map(bucketLabel), [{ name: title, cls: 'bar-a',
                    values: BUCKETS.map((b) => h.buckets[b] || 0) }]));
    }

    // Deadlines kept.
    box.append(el('h2', { text: t('stats.deadline.title') }));
    for (const [key, label] of [
        ['dispatched_within_deadline', 'stats.deadline.dispatch'],
        ['followed_up_within_deadline', 'stats.deadline.follow']]) {
        const d = stats.speed[key];
        box.append(el('p', {}, el('strong', { text: t(label) + ': ' }),
            formatShare(d.share) + ' (' + t('stats.deadline.of',
                { within: formatNumber(d.within),
                    count: formatNumber(d.count) }) + ')'),
            meter(d.share));
    }

    // Satisfaction.
    const sat = stats.satisfaction;
    box.append(el('h2', { text: t('stats.satisfaction.title') }),
        el('p', { text: sat.ratings ? t('stats.satisfaction.mean', {
            mean: formatNumber(Number(sat.mean_rating), 2),
            n: formatNumber(sat.ratings) }) : t('stats.satisfaction.none') }));
    if (sat.ratings) {
        box.append(el('ul', {}, ['yes', 'partial', 'no'].map((r) =>
            el('li', { text: t('track.feedback.' + r) + ': '
                + formatNumber(sat.resolved[r] || 0) }))));
    }

    // Per agency.
    const agencies = Object.entries(stats.totals.by_agency || {})
        .sort((a, b) => b[1] - a[1]);
    const agencyName = (code) => {
        const a = cat && cat.agencies.find((x) => x.code === code);
        return a ? nameOf(a.name) : code;
    };
    const at = t('stats.agency.title');
    box.append(el('h2', { text: at }),
        el('p', { text: t('stats.agency.desc') }),
        table(at, [t('stats.col.agency'), t('stats.col.reports')],
            agencies.map(([code, n]) => [agencyName(code), formatNumber(n)])));

    // Waiting now.
    const q = stats.queues;
    box.append(el('h2', { text: t('stats.queues.title') }),
        table(t('stats.queues.title'), [t('track.status'),
            t('stats.col.reports')],
        ['submitted', 'deferred', 'dispatched', 'in_progress', 'followed_up']
            .map((s) => [t('status.' + s), formatNumber(q[s] || 0)])
            .concat([[t('stats.queues.overdue'),
                formatNumber(q.overdue || 0)]])));
}

async function load() {
    let r;
    try {
        r = await api('stats' + (year ? '?year=' + year : ''));
    } catch (e) {
        clear($('stats')).append(el('p', { class: 'problem',
            text: t('error.network') }));
        return;
    }
    if (r.status !== 200) {
        clear($('stats')).append(el('p', { class: 'problem',
            text: t('error.server', { status: r.status }) }));
        return;
    }
    stats = r.data;
    render();
}

async function main() {
    try {
        cat = await catalog();
    } catch (e) {
        cat = null;
    }
    const now = Number((cat ? todayIn(cat.time_zone)
        : new Date().toISOString()).slice(0, 4));
    const sel = $('s-year');
    for (let y = now; y >= now - 4; y--) {
        sel.append(el('option', { value: String(y), text: String(y) }));
    }
    $('year-form').addEventListener('submit', (ev) => {
        ev.preventDefault();
        year = sel.value;
        load();
    });
    onLanguage(render);
    await load();
}

main();
