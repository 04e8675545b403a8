// The officers' console in a real browser (headless Chromium driven by
// puppeteer-core), against a running nginx with the module and Redis.
//
//   node t/browser/console.mjs <base-url> <admin> <pupr-kim> <dinkes>
//
// (officer tokens: an admin, the officers of two agencies).  Run by
// t/042-console.t; the output protocol and the shared helpers are those of
// t/browser/lib.mjs.  Controls: "CTL redis <JSON array>" runs a Redis
// command in the harness and answers with its reply as JSON; "CTL overdue
// <id>" moves the report's deadline a week into the past.

import { apiClient, axe, browserLanguages, control, is, loadTexts, main,
    ok, problems, setCurrent, shots, text, visible, watch } from './lib.mjs';

const { TEXTS } = await loadTexts('examples', 'console', 'assets',
    'i18n.js');
const [base, ADMIN, PUPR, DINKES] = process.argv.slice(2);
const API = base + 'api/v1/';
const CONSOLE = base + 'console/';
const apiCall = apiClient(API);
const ID = TEXTS.id;
const EN = TEXTS.en;
const SIZES = [[1280, 800], [768, 1024]];
const NS = 'lapor:{bali}:';
// Waits poll on a timer, not on animation frames, which a page in the
// background of its browser may not get.
const WAIT = { timeout: 15000, polling: 100 };

const ANON_NAME = 'Ni Luh Rahasia Sekali';
const ANON_CONTACT = 'luh.rahasia@example.id';

function fill(s, vars) {
    return s.replace(/\{(\w+)\}/g, (m, k) => String(vars[k]));
}

async function redis(...args) {
    return JSON.parse(await control('redis ' + JSON.stringify(args)));
}

async function submit(over) {
    const doc = Object.assign({ type: 'pengaduan', category: 'infrastruktur',
        title: 'Jalan rusak parah di Jl. Hayam Wuruk',
        body: 'Aspal mengelupas sepanjang dua puluh meter, berbahaya bagi '
            + 'pengendara motor pada malam hari.',
        reporter: { name: 'Komang Ayu Lestari',
            contact: 'komang.ayu@example.id' } }, over || {});
    const r = await apiCall('POST', 'reports', null, doc);
    ok(r.status === 201, `report "${doc.title}" submitted`, r);
    return r.data.id;
}

async function officer(id, action, token, body) {
    const r = await apiCall('POST', `reports/${id}/${action}`, token, body);
    ok(r.status === 200, `API: ${action} on report ${id}: 200`, r);
    return r;
}

async function newConsole(browser, langs) {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    watch(page, base);
    await browserLanguages(page, langs || ['id-ID', 'id', 'en']);
    await page.setViewport({ width: 1280, height: 800 });
    return page;
}

async function waitQueue(page) {
    await page.waitForFunction(() => {
        const v = document.getElementById('view-queue');
        return v && !v.hidden
            && document.getElementById('queue-updated').textContent !== '';
    }, WAIT);
}

async function signIn(page, token) {
    await page.goto(CONSOLE, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#token');
    await page.type('#token', token);
    await page.click('#signin button[type="submit"]');
    await waitQueue(page);
}

async function queueIds(page) {
    return page.$$eval('#queue-rows tr', (rs) => rs.map((r) =>
        Number(r.dataset.id)));
}

async function openReport(page, id) {
    await page.evaluate((i) => { location.hash = '#/report/' + i; }, id);
    await page.waitForFunction((i) => {
        const h = document.getElementById('report-h');
        return !document.getElementById('view-report').hidden
            && (document.getElementById('report-summary')
                || document.getElementById('report-alert').textContent)
            && new RegExp('^\\S+ ' + i + '(:|$)').test(h.textContent);
    }, WAIT, id);
}

async function alertText(page, sel) {
    await page.waitForSelector(sel, WAIT);
    return text(page, sel);
}

async function run(browser) {
    // ---- Reports to work on -------------------------------------------
    const r1 = await submit();
    const r2 = await submit({ title: 'Saluran air tersumbat di Sanur',
        anonymous: true, reporter: { name: ANON_NAME,
            contact: ANON_CONTACT } });
    const r3 = await submit({ category: 'kesehatan',
        title: 'Puskesmas tutup pada jam layanan' });
    const r4 = await submit({ title: 'Lampu jalan padam di Jl. Sudirman' });
    const r5 = await submit({ title: 'Trotoar amblas di Jl. Teuku Umar' });
    // an agency whose inbox is empty: the console still finds its agency
    const dinkes = await newConsole(browser);
    setCurrent(dinkes);
    await signIn(dinkes, DINKES);
    is(await text(dinkes, '#who'), fill(ID['who.agency'],
        { agency: 'Dinas Kesehatan Provinsi Bali' }),
    'an agency officer with an empty inbox: its agency found');
    ok(await visible(dinkes, '#queue-empty'), 'the empty inbox says so');
    await dinkes.browserContext().close();

    await officer(r2, 'dispatch', ADMIN, { agency: 'pupr-kim' });
    await officer(r3, 'dispatch', ADMIN, { agency: 'dinkes' });
    await officer(r5, 'dispatch', ADMIN, { agency: 'pupr-kim' });

    // ---- Signing in -------------------------------------------------------
    const admin = await newConsole(browser);
    setCurrent(admin);
    await admin.goto(CONSOLE, { waitUntil: 'networkidle0' });
    await admin.waitForSelector('#view-signin:not([hidden])');
    is(await text(admin, 'h1#signin-h'), ID['signin.title'],
        'sign-in: Indonesian first');
    await axe(admin, 'sign-in (id)');
    await shots(admin, 'console-signin', SIZES);
    await admin.type('#token', 'not-a-token-at-all');
    await admin.click('#signin button[type="submit"]');
    await admin.waitForFunction(() =>
        document.getElementById('signin-error').textContent !== '', WAIT);
    is(await text(admin, '#signin-error'), ID['signin.invalid'],
        'sign-in: an unknown token is refused with a message');
    await admin.$eval('#token', (e) => { e.value = ''; });

    await admin.type('#token', ADMIN);
    await admin.click('#signin button[type="submit"]');
    await waitQueue(admin);
    ok(!admin.url().includes(ADMIN), 'the token is not in the URL');
    is(await admin.evaluate(() => sessionStorage.getItem(
        'lapor.console.token')), ADMIN, 'the token is in sessionStorage');
    const local = await admin.evaluate(() => JSON.stringify(
        Object.entries(localStorage)));
    ok(!local.includes(ADMIN), 'the token is not in localStorage', local);
    is((await admin.cookies()).length, 0, 'no cookie');
    is(await text(admin, '#who'), ID['who.admin'], 'signed in as admin');
    ok(admin.url().endsWith('#/queue/submitted'),
        'admins start at the new reports', admin.url());
    const tabs = await admin.$$eval('#queue-tabs a', (as) =>
        as.map((a) => a.getAttribute('href')));
    is(tabs.join(' '), ['submitted', 'deferred', 'dispatched', 'in_progress',
        'followed_up', 'overdue'].map((n) => '#/queue/' + n).join(' '),
    'admins have the six queues');
    let ids = await queueIds(admin);
    ok(ids.includes(r1) && ids.includes(r4) && !ids.includes(r2),
        'the new-reports queue holds the submitted reports only', ids);
    const cell = await admin.$eval(`#queue-rows tr[data-id="${r1}"]`,
        (r) => [...r.cells].map((c) => c.textContent.trim()));
    is(cell[0], String(r1), 'row: the number');
    ok(cell[1].startsWith('Jalan rusak parah'), 'row: the title', cell);
    is(cell[2], 'Jalan, Jembatan dan Infrastruktur', 'row: the category name',
        cell);
    ok(/^\d+ jam$/.test(cell[4]), 'row: the age', cell);
    ok(/^\d+ hari kerja lagi$|^berakhir hari ini$/.test(cell[5]),
        'row: the deadline in working days', cell);
    await axe(admin, 'queue (admin)');
    await shots(admin, 'console-queue', SIZES);

    // ---- The admin dispatches r1 from the queue, by keyboard --------------
    await admin.keyboard.press('j');
    let sel = await admin.evaluate(() =>
        document.activeElement.closest('tr').dataset.id);
    for (let i = 0; i < 20 && sel !== String(r1); i++) {
        await admin.keyboard.press('j');
        sel = await admin.evaluate(() =>
            document.activeElement.closest('tr').dataset.id);
    }
    is(sel, String(r1), 'j moves the selection down the queue');
    await admin.keyboard.press('Enter');
    await admin.waitForSelector('#report-summary', WAIT);
    ok(admin.url().endsWith('#/report/' + r1), 'Enter opens the report');
    ok((await text(admin, '#report-reporter')).includes('Komang Ayu Lestari'),
        'the admin sees the reporter');
    await admin.keyboard.press('d');
    is(await admin.evaluate(() => document.activeElement.id),
        'dispatch-agency', 'd goes to the dispatch form (agency picker)');
    const options = await admin.$$eval('#dispatch-agency option',
        (o) => o.length);
    is(options, 17, 'the agency picker has the catalog\'s agencies');
    await admin.select('#dispatch-agency', 'pupr-kim');
    await admin.keyboard.press('Tab');
    await admin.keyboard.type('Mohon segera dicek ke lokasi.');
    await admin.keyboard.press('Tab');
    await admin.keyboard.press('Enter');
    ok((await alertText(admin, '#report-alert .success')).includes(
        ID['status.dispatched']), 'dispatched: the console says so');
    is(await text(admin, '#report-version'), '2', 'the new version on screen');
    await axe(admin, 'report (admin)');
    await shots(admin, 'console-report', SIZES);

    let v = await apiCall('GET', 'reports/' + r1, ADMIN);
    is(v.data.status, 'dispatched', 'API: r1 dispatched');
    is(v.data.agency.code, 'pupr-kim', 'API: to pupr-kim');

    // r1 a week late; the admin watches the overdue queue
    is(await control('overdue ' + r1), 'ok', 'the harness made r1 overdue');
    await admin.evaluate(() => { location.hash = '#/queue/overdue'; });
    await waitQueue(admin);
    await admin.waitForFunction((i) => document.querySelector(
        `#queue-rows tr[data-id="${i}"]`), WAIT, r1);
    const odRow = await admin.$eval(`#queue-rows tr[data-id="${r1}"]`,
        (r) => ({ cls: r.className, due: r.cells[5].textContent.trim() }));
    ok(odRow.cls.includes('is-overdue'), 'overdue row marked', odRow);
    ok(/^⚠ Terlambat \d+ hari kerja$/.test(odRow.due),
        'overdue said in words with an icon, not by colour alone', odRow);
    await admin.evaluate(() => { window.stillHere = true; });

    // ---- The agency's officer ---------------------------------------------
    const pupr = await newConsole(browser);
    setCurrent(pupr);
    await signIn(pupr, PUPR);
    ok(pupr.url().endsWith('#/queue/inbox'), 'agencies start at their inbox');
    ok((await text(pupr, '#who')).includes('Pekerjaan Umum'),
        'signed in as the officer of the agency',
        await text(pupr, '#who'));
    is(await pupr.$$eval('#queue-tabs a', (a) => a.length), 2,
        'an agency has its inbox and its overdue part only');
    ids = await queueIds(pupr);
    ok(ids.includes(r1) && ids.includes(r2) && ids.includes(r5)
        && !ids.includes(r3) && !ids.includes(r4),
    'the inbox: its own dispatched reports only', ids);
    is(ids[0], r1, 'the inbox by deadline: the overdue report first');
    ok((await pupr.content()).indexOf(ANON_NAME) < 0,
        'inbox: no anonymous identity in the DOM');
    await axe(pupr, 'inbox (agency)');
    await shots(pupr, 'console-inbox', SIZES);

    await openReport(pupr, r1);
    await pupr.keyboard.press('r');
    is(await pupr.evaluate(() => document.activeElement.id),
        'respond-message', 'r goes to the response form');
    await pupr.keyboard.type('Tim kami meninjau lokasi hari ini.');
    await pupr.click('#form-respond button[type="submit"]');
    ok((await alertText(pupr, '#report-alert .success')).includes(
        ID['status.in_progress']), 'responded: in progress');
    await pupr.type('#follow_up-message', 'Jalan sudah ditambal.');
    await pupr.click('#form-follow_up button[type="submit"]');
    ok((await alertText(pupr, '#report-alert .success')).includes(
        ID['status.followed_up']), 'followed up');
    const tl = await pupr.$$eval('#report-timeline li', (l) =>
        l.map((x) => x.dataset.type));
    is(tl.join(','), 'submitted,dispatch,respond,follow_up',
        'the timeline: who did what');
    ok((await text(pupr, '#report-timeline')).includes('oleh Admin')
        && (await text(pupr, '#report-timeline')).includes('oleh Instansi'),
    'the timeline names the roles');
    ok(!(await visible(pupr, '#form-respond')),
        'no response form once followed up');

    // ---- The admin sees it leave the overdue queue, without a reload ------
    setCurrent(admin);
    await admin.waitForFunction((i) => !document.querySelector(
        `#queue-rows tr[data-id="${i}"]`), WAIT, r1);
    ok(await admin.evaluate(() => window.stillHere === true),
        'r1 left the admin\'s overdue queue without a page reload');

    // ---- Against the API and Redis ----------------------------------------
    v = await apiCall('GET', 'reports/' + r1, ADMIN);
    is(v.data.status, 'followed_up', 'API: r1 followed up');
    is(v.data.version, 4, 'API: version 4 (dispatch, respond, follow-up)');
    const ev = await apiCall('GET', `reports/${r1}/events`, ADMIN);
    is(ev.data.events.map((e) => e.type + ':' + e.actor).join(','),
        'submitted:reporter,dispatch:admin,respond:agency,follow_up:agency',
        'API: the timeline');
    is(await redis('HGET', NS + 'report:' + r1, 'status'), 'followed_up',
        'Redis: the report hash');
    for (const s of ['submitted', 'dispatched', 'in_progress']) {
        is(await redis('ZSCORE', NS + 'deadlines:' + s, String(r1)), null,
            'Redis: not in the overdue index deadlines:' + s);
    }
    is(await redis('ZSCORE', NS + 'inbox:pupr-kim', String(r1)), null,
        'Redis: not in the inbox');
    ok(await redis('ZSCORE', NS + 'queue:followed_up', String(r1)) !== null,
        'Redis: in the followed-up queue');
    const od = await apiCall('GET', 'queue?overdue=1', ADMIN);
    ok(!od.data.items.some((i) => i.id === r1), 'API: not overdue');

    // ---- An anonymous reporter, as the agency sees the report -------------
    setCurrent(pupr);
    await pupr.keyboard.press('n');
    await pupr.waitForFunction((i) => document.getElementById('report-h')
        .textContent.includes('Laporan ' + i + ':'), WAIT, r2);
    ok(pupr.url().endsWith('#/report/' + r2),
        'n opens the next report of the inbox', pupr.url());
    is(await text(pupr, '#report-reporter'), ID['report.reporter.hidden'],
        'anonymous: the agency is told the identity is hidden');
    const dom = await pupr.content();
    ok(!dom.includes(ANON_NAME) && !dom.includes(ANON_CONTACT)
        && !dom.includes('Rahasia Sekali'),
    'anonymous: the reporter\'s name and contact nowhere in the agency\'s '
        + 'DOM');
    const stored = await pupr.evaluate(() => JSON.stringify([
        Object.entries(sessionStorage), Object.entries(localStorage)]));
    ok(!stored.includes(ANON_NAME), 'anonymous: nor in its storage');
    await axe(pupr, 'report (agency, anonymous)');
    setCurrent(admin);
    await openReport(admin, r2);
    ok((await text(admin, '#report-reporter')).includes(ANON_NAME),
        'anonymous: admins see the identity, with a warning');
    const v2 = await text(admin, '#report-version');
    await officer(r2, 'clarify', PUPR, { message: 'Kami cek minggu ini.' });
    await admin.waitForSelector('#report-changed:not([hidden])',
        WAIT);
    ok((await text(admin, '#report-changed-text')).includes(
        'versi ' + (Number(v2) + 1)),
    'a report changed meanwhile: the open page says so');
    is(await text(admin, '#report-version'), v2,
        '... and keeps the version on screen until reloaded');
    await admin.click('#report-reload');
    // (the element is absent while the report loads: a predicate that
    // throws on its first run would never be polled again)
    await admin.waitForFunction((v) => {
        const e = document.getElementById('report-version');
        return e !== null && e.textContent === v;
    }, WAIT, String(Number(v2) + 1));
    ok(true, 'reload shows the new version');

    // ---- Another agency's report: 403, shown clearly ----------------------
    setCurrent(pupr);
    await openReport(pupr, r3);
    is(await text(pupr, '#report-alert'), ID['report.forbidden'],
        'another agency\'s report: the 403 as a clear message');
    ok(!(await pupr.$('#report-actions')) && !(await pupr.$('#report-summary')),
        'another agency\'s report: nothing of it, no action');
    ok(!(await pupr.content()).includes('Puskesmas tutup'),
        'another agency\'s report: not even its title');
    await axe(pupr, 'report refused (agency)');

    // r5 leaves pupr-kim while its officer has it open
    await openReport(pupr, r5);
    await officer(r5, 'dispatch', ADMIN, { agency: 'dinkes' });
    await pupr.type('#respond-message', 'Kami tangani.');
    await pupr.click('#form-respond button[type="submit"]');
    is(await alertText(pupr, '#forbidden'), ID['action.forbidden.agency'],
        'acting on a report now with another agency: the 403 explained');
    is((await apiCall('GET', 'reports/' + r5, ADMIN)).data.status,
        'dispatched', 'API: r5 unchanged by the refused action');

    // ---- Two consoles, one report -----------------------------------------
    const second = await newConsole(browser);
    await signIn(second, ADMIN);
    setCurrent(admin);
    await openReport(admin, r4);
    await openReport(second, r4);
    await admin.select('#dispatch-agency', 'pupr-kim');
    await second.select('#dispatch-agency', 'dishub');
    await Promise.all([
        admin.click('#form-dispatch button[type="submit"]'),
        second.click('#form-dispatch button[type="submit"]')]);
    const [a, b] = await Promise.all([admin, second].map((p) =>
        p.waitForSelector('#report-alert .success, #conflict',
            WAIT).then((e) => e.evaluate((x) => x.id
                || x.className))));
    const results = [a, b].sort().join(',');
    is(results, 'conflict,success', 'two consoles: one wins, one conflicts',
        [a, b]);
    const loser = a === 'conflict' ? admin : second;
    const winnerAgency = a === 'conflict' ? 'dishub' : 'pupr-kim';
    const msg = await text(loser, '#conflict');
    is(msg, fill(ID['action.conflict'], { status: ID['status.dispatched'],
        version: 2 }), 'the loser reads "someone else changed this report" '
        + 'with the new state');
    is(await text(loser, '#report-version'), '2',
        'the loser now sees the new version');
    setCurrent(loser);
    await axe(loser, 'report after a 412');
    await shots(loser, 'console-conflict', SIZES);
    v = await apiCall('GET', 'reports/' + r4, ADMIN);
    is(v.data.version, 2, 'API: one dispatch only, no silent overwrite');
    is(v.data.agency.code, winnerAgency, 'API: the winner\'s agency');
    const ev4 = await apiCall('GET', `reports/${r4}/events`, ADMIN);
    is(ev4.data.events.filter((e) => e.type === 'dispatch').length, 1,
        'API: one dispatch in the timeline');

    // ---- Keyset paging ----------------------------------------------------
    const many = [];
    for (let i = 0; i < 22; i++) {
        const r = await apiCall('POST', 'reports', null, { type: 'aspirasi',
            category: 'infrastruktur', title: 'Usulan taman kota nomor ' + i,
            body: 'Mohon dibangun taman bermain anak di lahan kosong ini.',
            anonymous: true });
        many.push(r.data.id);
    }
    setCurrent(admin);
    await admin.evaluate(() => { location.hash = '#/queue/submitted'; });
    await admin.waitForFunction((n) => document.querySelectorAll(
        '#queue-rows tr').length === 20 && !document.getElementById(
        'queue-next').hidden, WAIT);
    const page1 = await queueIds(admin);
    await admin.click('#queue-next');
    await admin.waitForFunction(() => !document.getElementById('queue-prev')
        .hidden && document.querySelectorAll('#queue-rows tr').length < 20,
    WAIT);
    const page2 = await queueIds(admin);
    ok(admin.url().endsWith('#/queue/submitted') && !admin.url()
        .includes('cursor'), 'paging keeps the address');
    is(page1.length + page2.length, many.length,
        'two pages: every new report once', [page1, page2]);
    ok(many.every((i) => page1.includes(i) || page2.includes(i))
        && !page1.some((i) => page2.includes(i)),
    'keyset pages: none missed, none repeated');
    ok(await admin.evaluate(() => document.getElementById('queue-next')
        .hidden), 'the last page has no next');
    await admin.click('#queue-prev');
    await admin.waitForFunction(() => document.querySelectorAll(
        '#queue-rows tr').length === 20, WAIT);
    is((await queueIds(admin)).join(','), page1.join(','),
        'previous: the first page again');

    // ---- The other forms: hand-back, defer, archive, clarify --------------
    const r6 = await submit({ title: 'Pohon tumbang menutup jalan desa' });
    await officer(r6, 'dispatch', ADMIN, { agency: 'pupr-kim' });
    setCurrent(pupr);
    await openReport(pupr, r6);
    await pupr.type('#not_authority-reason',
        'Jalan desa adalah kewenangan kabupaten.');
    await pupr.click('#form-not_authority button[type="submit"]');
    const back = await alertText(pupr, '#report-alert .success');
    ok(back.includes(ID['status.submitted']) && back.includes(
        ID['action.left']), 'not authority: handed back, and the agency '
        + 'is told it no longer has the report', back);
    ok(!(await pupr.content()).includes('Pohon tumbang'),
        'not authority: the report is gone from the agency\'s screen');

    setCurrent(admin);
    await openReport(admin, r6);
    ok((await text(admin, '#report-summary')).includes(
        ID['report.flagged']), 'the admin sees the hand-back flag');
    ok((await text(admin, '#report-timeline')).includes(
        'kewenangan kabupaten'), 'the admin reads the agency\'s reason');
    await admin.type('#defer-reason', 'Mohon sebutkan nama desanya.');
    await admin.click('#form-defer button[type="submit"]');
    ok((await alertText(admin, '#report-alert .success')).includes(
        ID['status.deferred']), 'defer with a reason');
    await admin.type('#archive-reason', 'Pelapor tidak dapat dihubungi.');
    await admin.click('#form-archive button[type="submit"]');
    ok((await alertText(admin, '#report-alert .success')).includes(
        ID['status.archived']), 'archive with a reason');
    is(await text(admin, '#report-actions p'), ID['report.no_actions'],
        'an archived report offers no action');
    await openReport(admin, r2);
    await admin.type('#clarify-message', 'Mohon lampirkan foto lokasi.');
    await admin.click('#form-clarify button[type="submit"]');
    ok((await alertText(admin, '#report-alert .success')).includes(
        ID['status.dispatched']), 'clarify keeps the state');
    const ev6 = await apiCall('GET', `reports/${r6}/events`, ADMIN);
    is(ev6.data.events.map((e) => e.type).join(','),
        'submitted,dispatch,not_authority,defer,archive',
        'API: the hand-back, the deferral and the archive');

    // ---- The dashboard ----------------------------------------------------
    setCurrent(admin);
    await admin.evaluate(() => { location.hash = '#/dashboard'; });
    await admin.waitForSelector('#dash-rows tr', WAIT);
    const st = await apiCall('GET', 'stats');
    const pk = st.data.agencies.by_agency.find((x) => x.agency === 'pupr-kim');
    const dashRow = await admin.$eval('#dash-rows tr[data-agency="pupr-kim"]',
        (r) => [...r.children].map((c) => c.textContent.trim()));
    is(dashRow[1], String(pk.open), 'dashboard: pupr-kim open, as GET stats');
    is(dashRow[3], String(pk.first_responses),
        'dashboard: first answers this month');
    ok(pk.first_responses >= 1 && /^≤ \d+ jam$/.test(dashRow[4]),
        'dashboard: the median time to the first answer', dashRow);
    is(await admin.$$eval('#dash-rows tr', (r) => r.length), 17,
        'dashboard: every agency');
    await axe(admin, 'dashboard');
    await shots(admin, 'console-dashboard', SIZES);
    const agencyPage = await pupr.$('#nav-dashboard');
    ok(!(await pupr.evaluate(() => !document.getElementById('nav-dashboard')
        .parentElement.hidden)) || !agencyPage,
    'agencies have no dashboard link');

    // ---- English ----------------------------------------------------------
    await admin.click('#lang-switch');
    await admin.waitForFunction(() => document.documentElement.lang === 'en',
        WAIT);
    is(await text(admin, '#dash-h'), EN['dash.title'], 'English by the switch');
    await axe(admin, 'dashboard (en)');

    // ---- Sign out ---------------------------------------------------------
    await admin.click('#sign-out');
    await admin.waitForSelector('#view-signin:not([hidden])');
    is(await admin.evaluate(() => sessionStorage.getItem(
        'lapor.console.token')), null, 'sign out forgets the token');
    is(await text(admin, '#flash'), EN['signin.out'], 'sign out says so');
    await admin.reload({ waitUntil: 'networkidle0' });
    ok(await visible(admin, '#view-signin'),
        'after a reload: signed out still');
    await admin.click('#lang-switch');

    ok(problems.length === 0, 'no script error, CSP violation or '
        + 'third-party request on any page', problems);
}

main(run, 'console');
