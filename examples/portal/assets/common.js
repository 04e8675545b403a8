// What every page of the portal shares: the language, the texts, calls to
// the API, the catalog, dates and working days.  No cookies: the language
// is kept in localStorage, a tracking token at most in sessionStorage.

import { TEXTS } from './i18n.js';
import { workingDaysUntil } from './workdays.js';
import { el, clear } from './dom.js';

const LANG_KEY = 'lapor.lang';
const listeners = [];
let lang = chooseLanguage();
let catalogPromise = null;

// The API's base: <meta name="lapor-api" content="/api/v1/">.
export const API = (document.querySelector('meta[name="lapor-api"]')
    || { content: '/api/v1/' }).content;

// A saved choice wins; on the first visit the browser's languages (the
// same list it sends as Accept-Language) decide, Indonesian by default.
function chooseLanguage() {
    let saved = null;
    try { saved = localStorage.getItem(LANG_KEY); } catch (e) { /* none */ }
    if (saved === 'id' || saved === 'en') {
        return saved;
    }
    const langs = navigator.languages && navigator.languages.length
        ? navigator.languages : [navigator.language || 'id'];
    for (const l of langs) {
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

export function currentLang() {
    return lang;
}

export function t(key, vars) {
    let s = TEXTS[lang][key];
    if (s === undefined) {
        s = TEXTS.id[key] !== undefined ? TEXTS.id[key] : key;
    }
    if (vars) {
        s = s.replace(/\{(\w+)\}/g,
            (m, k) => (vars[k] === undefined ? m : String(vars[k])));
    }
    return s;
}

// A catalog name {"id", "en"} in the page's language.
export function nameOf(name) {
    if (!name) {
        return '';
    }
    return typeof name === 'string' ? name : (name[lang] || name.id);
}

export function onLanguage(fn) {
    listeners.push(fn);
}

export function setLanguage(l) {
    lang = l;
    try { localStorage.setItem(LANG_KEY, l); } catch (e) { /* private */ }
    applyTexts();
    for (const fn of listeners) {
        fn(l);
    }
}

// Fills every element with data-i18n (its text) and data-i18n-label
// (its aria-label) from the table of the current language.
export function applyTexts(root) {
    const scope = root || document;
    document.documentElement.lang = lang;
    for (const e of scope.querySelectorAll('[data-i18n]')) {
        e.textContent = t(e.dataset.i18n);
    }
    for (const e of scope.querySelectorAll('[data-i18n-label]')) {
        e.setAttribute('aria-label', t(e.dataset.i18nLabel));
    }
    const title = document.querySelector('meta[name="lapor-title"]');
    if (title) {
        document.title = t(title.content) + ' · LAPOR!';
    }
}

export { el, clear };

// One call to the API.  Resolves to {status, data, headers}; rejects only
// when there was no answer at all (network down, connection lost).
export async function api(path, opts) {
    const o = opts || {};
    const headers = { 'Accept': 'application/json',
        'Accept-Language': lang };
    if (o.body !== undefined) {
        headers['Content-Type'] = 'application/json';
    }
    if (o.token) {
        headers['Authorization'] = 'Bearer ' + o.token;
    }
    Object.assign(headers, o.headers || {});
    const res = await fetch(API + path, {
        method: o.method || 'GET',
        headers,
        body: o.body,
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
    return { status: res.status, data, headers: res.headers };
}

export function catalog() {
    if (!catalogPromise) {
        catalogPromise = api('catalog', { cache: 'default' }).then((r) => {
            if (r.status !== 200 || !r.data) {
                throw new Error('catalog ' + r.status);
            }
            return r.data;
        });
        catalogPromise.catch(() => { catalogPromise = null; });
    }
    return catalogPromise;
}

// Dates.  The API writes times in the catalog's time zone with its offset
// ("2026-12-02T23:59:59+08:00"); they are shown in that zone too, so that
// "the deadline is Wednesday" means the region's Wednesday.

function locale() {
    return lang === 'en' ? 'en-GB' : 'id-ID';
}

export function formatDate(iso, tz, withTime) {
    if (!iso) {
        return '';
    }
    const o = { day: 'numeric', month: 'long', year: 'numeric',
        timeZone: tz || undefined };
    if (withTime) {
        o.hour = '2-digit';
        o.minute = '2-digit';
    }
    try {
        return new Intl.DateTimeFormat(locale(), o).format(new Date(iso));
    } catch (e) {
        return iso;
    }
}

export function formatNumber(n, digits) {
    return new Intl.NumberFormat(locale(), {
        maximumFractionDigits: digits || 0,
        minimumFractionDigits: digits || 0 }).format(n);
}

export function formatShare(share) {
    if (share === null || share === undefined) {
        return '–';
    }
    return new Intl.NumberFormat(locale(), { style: 'percent',
        maximumFractionDigits: 0 }).format(Number(share));
}

// Working days (weekends and the catalog's holidays): shared with the
// officers' console, which imports workdays.js from here.
export { todayIn, isWorkingDay, workingDaysUntil } from './workdays.js';

function findName(list, code) {
    const x = list && list.find((y) => y.code === code);
    return x ? nameOf(x.name) : code;
}

export function agencyName(cat, code) {
    return findName(cat && cat.agencies, code);
}

export function categoryName(cat, code) {
    return findName(cat && cat.categories, code);
}

export function typeName(cat, code) {
    return findName(cat && cat.types, code);
}

// The deadline of the stage a report is in, in working days, honest about
// a deadline that has passed.
export function deadlineNode(report, cat) {
    if (!report.due_at) {
        return el('p', { text: t('track.no_deadline') });
    }
    const w = workingDaysUntil(report.due_at, cat);
    const date = formatDate(report.due_at, cat.time_zone, true);
    if (report.status === 'followed_up') {
        return el('p', { text: t('track.autoclose', { date, n: w.days }) });
    }
    if (report.overdue || w.overdue) {
        return el('p', { class: 'overdue', id: 'deadline',
            text: t('track.overdue', { date, n: w.days }) });
    }
    if (w.days === 0) {
        return el('p', { id: 'deadline', text: t('track.due_today', { date }) });
    }
    return el('p', { id: 'deadline',
        text: t('track.days_left', { n: w.days, date }) });
}

// One report of a public list (GET reports): a card linking to its page.
export function reportCard(item, cat) {
    const title = item.confidential ? t('feed.confidential')
        : (item.title || '');
    const meta = [formatDate(item.created_at, cat.time_zone),
        item.category ? categoryName(cat, item.category) : null,
        item.agency ? agencyName(cat, item.agency.code) : null]
        .filter(Boolean).join(' · ');
    return el('li', { class: 'card', 'data-id': String(item.id) },
        el('p', { class: 'card-head' },
            el('span', { class: 'status-badge', text: t('status.'
                + item.status) }),
            item.overdue ? el('span', { class: 'overdue',
                text: ' ' + t('track.overdue.short') }) : null,
            el('span', { class: 'num', text: ' #' + item.id })),
        el('h3', {}, el('a', { href: 'laporan.html#' + item.id,
            text: title })),
        el('p', { class: 'hint', text: meta }),
        item.confidential ? el('p', { text: t('feed.confidential.text') })
            : el('p', { class: 'excerpt', text: (item.body || '')
                .slice(0, 180) + ((item.body || '').length > 180 ? '…'
                : '') }));
}

// A random Idempotency-Key (also where crypto.randomUUID is missing: it
// needs a secure context).
export function randomKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

// The language switch and the current page in the menu.
function setUpChrome() {
    const sw = document.getElementById('lang-switch');
    if (sw) {
        sw.addEventListener('click', () => {
            setLanguage(lang === 'id' ? 'en' : 'id');
        });
    }
    const here = location.pathname.replace(/.*\//, '') || 'index.html';
    for (const a of document.querySelectorAll('nav a')) {
        if (a.getAttribute('href') === here
            || (here === 'index.html' && a.getAttribute('href') === './')) {
            a.setAttribute('aria-current', 'page');
        }
    }
    catalog().then((c) => {
        for (const e of document.querySelectorAll('[data-region]')) {
            e.textContent = nameOf(c.region.name);
        }
        onLanguage(() => {
            for (const e of document.querySelectorAll('[data-region]')) {
                e.textContent = nameOf(c.region.name);
            }
        });
    }).catch(() => {});
    applyTexts();
}

setUpChrome();
