// The citizen portal in a real browser (headless Chromium driven by
// puppeteer-core), against a running nginx with the module and Redis.
//
//   node t/browser/journey.mjs <base-url> <admin-token> <agency-token>
//
// Run by t/041-portal.t, which starts nginx and Redis.  Prints one line
// per check, "ok - <name>" or "not ok - <name>", "# ..." for diagnostics,
// and "CTL <command>" when it needs the harness to act (redis-stop,
// redis-start); it then waits for a line on its standard input.  Ends
// with "done <checks>".  Screenshots go to $LAPOR_ARTIFACTS.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { apiClient, axe, browserLanguages, control, is, loadTexts,
    main, ok, problems, setCurrent, shots, text, visible, watch }
    from './lib.mjs';

// The portal's own texts, to know what each page must say.
const { TEXTS } = await loadTexts('examples', 'portal', 'assets',
    'i18n.js');
const [base, ADMIN, AGENCY] = process.argv.slice(2);
const API = base + 'api/v1/';
const apiCall = apiClient(API);
const ID = TEXTS.id;
const EN = TEXTS.en;

async function officer(id, action, token, body) {
    const r = await apiCall('POST', 'reports/' + id + '/' + action, token,
        body);
    ok(r.status === 200, `officer ${action} on report ${id}: 200`, r);
    return r;
}

async function submittedCount() {
    const r = await apiCall('GET', 'stats');
    return r.status === 200 ? r.data.totals.submitted : null;
}

async function fillReport(page, r) {
    await page.waitForSelector('#f-type-' + r.type);
    await page.click('#f-type-' + r.type);
    await page.select('#f-category', r.category);
    await page.type('#f-title', r.title);
    await page.type('#f-body', r.body);
    if (r.location) {
        await page.type('#f-location', r.location);
    }
    if (r.anonymous) {
        await page.click('#f-anonymous');
    }
    if (r.confidential) {
        await page.click('#f-confidential');
    }
    if (!r.anonymous) {
        await page.type('#f-name', r.name);
        await page.type('#f-contact', r.contact);
    }
}

async function submitAndReceipt(page, name, clicked) {
    if (!clicked) {
        await page.click('#submit');
    }
    await page.waitForSelector('#receipt:not([hidden])', { timeout: 15000 });
    const id = Number(await text(page, '#r-number'));
    const token = await text(page, '#r-token');
    ok(id > 0, `${name}: the receipt shows the report number`, id);
    ok(/^[A-Za-z0-9_-]{32}$/.test(token),
        `${name}: the receipt shows the tracking token`, token);
    ok(!page.url().includes(token), `${name}: the token is not in the URL`);
    const draft = await page.evaluate(() => localStorage.getItem('lapor.draft'));
    is(draft, null, `${name}: the draft is gone after the 201`);
    return { id, token };
}

async function trackOpen(page, rep) {
    await page.goto(base + 'lacak.html', { waitUntil: 'networkidle0' });
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(base + 'lacak.html', { waitUntil: 'networkidle0' });
    await page.type('#t-number', String(rep.id));
    await page.type('#t-token', rep.token);
    await page.click('#track-form button[type="submit"]');
    await page.waitForSelector('#status', { timeout: 10000 });
    ok(!page.url().includes(rep.token), 'track: the token is not in the URL');
}

async function statusText(page) {
    await page.waitForSelector('#status');
    return text(page, '#status');
}

async function run(browser) {
    const page = await browser.newPage();
    setCurrent(page);
    watch(page, base);
    await browserLanguages(page, ['id-ID', 'id', 'en']);
    await page.setViewport({ width: 1280, height: 800 });

    // ---- Home, language ----------------------------------------------
    await page.goto(base, { waitUntil: 'networkidle0' });
    is(await text(page, 'h1'), ID['home.title'],
        'home: Indonesian on a first visit from an Indonesian browser');
    is(await page.evaluate(() => document.documentElement.lang), 'id',
        'home: <html lang="id">');
    ok((await text(page, '#steps')).includes('3 hari kerja'),
        'home: deadlines in working days from the catalog');
    await axe(page, 'home (id)');
    await shots(page, 'home');

    await page.click('#lang-switch');
    is(await text(page, 'h1'), EN['home.title'], 'home: the switch to English');
    await page.reload({ waitUntil: 'networkidle0' });
    is(await text(page, 'h1'), EN['home.title'],
        'home: English is remembered after a reload');
    await axe(page, 'home (en)');
    await shots(page, 'home-en');
    await page.click('#lang-switch');
    is(await text(page, 'h1'), ID['home.title'], 'home: back to Indonesian');

    const ctx = await browser.createBrowserContext();
    const enPage = await ctx.newPage();
    watch(enPage, base);
    await browserLanguages(enPage, ['en-GB', 'en']);
    await enPage.goto(base, { waitUntil: 'networkidle0' });
    is(await text(enPage, 'h1'), EN['home.title'],
        'home: English on a first visit from an English browser');
    await ctx.close();

    // ---- The form: field errors in both languages ----------------------
    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#f-type-pengaduan');
    await axe(page, 'report form');
    await shots(page, 'report-form');
    await page.type('#f-title', 'Pendek');
    await page.type('#f-body', 'terlalu pendek');
    await page.type('#f-contact', 'budi');
    await page.click('#submit');
    await page.waitForSelector('#form-errors.problem');
    const idTitle = await text(page, '#err-title');
    ok(/minimal 10 karakter/.test(idTitle),
        'form: the title\'s problem next to it, in Indonesian', idTitle);
    ok((await text(page, '#err-category')).length > 0,
        'form: the category\'s problem next to it');
    ok((await text(page, '#err-name')).length > 0
        && (await text(page, '#err-contact')).length > 0,
        'form: the reporter\'s problems next to name and contact');
    is(await page.$eval('#f-title', (e) => e.getAttribute('aria-invalid')),
        'true', 'form: the title is marked aria-invalid');
    is(await page.evaluate(() => document.activeElement.id), 'form-errors',
        'form: the focus moves to the list of problems');
    await axe(page, 'report form with errors');
    await shots(page, 'report-form-errors');
    await page.click('#lang-switch');
    await page.click('#submit');
    await page.waitForFunction(() => /at least 10 characters/.test(
        document.getElementById('err-title').textContent));
    ok(true, 'form: the title\'s problem in English after the switch');
    is(await text(page, 'label[for="f-title"] span'), EN['form.title_field'],
        'form: the labels in English');
    await page.click('#lang-switch');

    // The draft survives a reload.
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('#f-type-pengaduan');
    is(await page.$eval('#f-title', (e) => e.value), 'Pendek',
        'form: the draft is restored after a reload');
    await page.evaluate(() => localStorage.removeItem('lapor.draft'));

    // ---- Three reports through the form --------------------------------
    const before = await submittedCount();
    const NAME = 'Ketut Sudarsana';
    const CONTACT = 'ketut.sudarsana@example.id';
    const reports = {};

    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await fillReport(page, { type: 'pengaduan', category: 'infrastruktur',
        title: 'Jalan berlubang di Jalan Hayam Wuruk',
        body: 'Lubang besar di depan nomor 40 sejak seminggu; dua motor '
            + 'sudah jatuh di sana pada malam hari.',
        location: 'Jl. Hayam Wuruk 40, Denpasar', name: NAME,
        contact: CONTACT });
    reports.normal = await submitAndReceipt(page, 'normal report');
    ok((await text(page, '#r-warning')).includes('tidak dapat dipulihkan'),
        'receipt: warns that nobody can recover the token');
    await axe(page, 'receipt');
    await shots(page, 'receipt');

    // Save as .txt: the file holds the number and the token.
    const dl = fs.mkdtempSync(path.join(os.tmpdir(), 'lapor-dl-'));
    const cdp = await page.createCDPSession();
    await cdp.send('Browser.setDownloadBehavior',
        { behavior: 'allow', downloadPath: dl });
    await page.click('#r-save');
    const file = path.join(dl, `lapor-${reports.normal.id}.txt`);
    for (let i = 0; i < 50 && !fs.existsSync(file); i++) {
        await new Promise((r) => setTimeout(r, 100));
    }
    const saved = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    ok(saved.includes(reports.normal.token)
        && saved.includes('Nomor laporan: ' + reports.normal.id),
        'receipt: saved as a .txt file with number and token', saved);

    // Track it from the receipt: the token crosses in sessionStorage.
    await page.click('#r-track');
    await page.waitForSelector('#status', { timeout: 10000 });
    is(new URL(page.url()).hash, '#' + reports.normal.id,
        'receipt -> track: only the number in the address');
    is(await statusText(page), ID['status.submitted'],
        'track: status in words');
    ok(/\d+ hari kerja lagi|hari ini/.test(await text(page, '#deadline')),
        'track: the countdown in working days',
        await text(page, '#deadline'));
    await axe(page, 'track (submitted)');
    await shots(page, 'track');

    // Anonymous: no name or contact fields.
    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#f-type-pengaduan');
    await page.click('#f-anonymous');
    ok(!(await visible(page, '#f-name')),
        'form: anonymous hides name and contact');
    await page.click('#f-anonymous');
    await fillReport(page, { type: 'pengaduan', category: 'infrastruktur',
        title: 'Lampu jalan mati di Jalan Teuku Umar',
        body: 'Sudah tiga malam lampu jalan mati sepanjang 200 meter, '
            + 'hubungi 0812-3456-7890 bila perlu.', anonymous: true });
    reports.anonymous = await submitAndReceipt(page, 'anonymous report');

    // Confidential, with a double tap on the button.
    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await fillReport(page, { type: 'pengaduan', category: 'korupsi-pungli',
        title: 'Pungutan liar pembuatan KTP di kantor desa',
        body: 'Petugas meminta uang Rp 150.000 untuk KTP elektronik '
            + 'yang seharusnya gratis.', confidential: true,
        name: NAME, contact: CONTACT });
    await page.$eval('#submit', (b) => { b.click(); b.click(); });
    reports.confidential = await submitAndReceipt(page, 'confidential report',
        true);
    is(await submittedCount(), before + 3,
        'three submissions, a double tap among them: exactly three reports');

    const pub = await apiCall('GET', 'reports/' + reports.confidential.id);
    ok(pub.status === 200 && pub.data.confidential === true
        && pub.data.title === undefined,
        'the confidential report is reduced for the public', pub.data);
    const pubAnon = await apiCall('GET', 'reports/' + reports.anonymous.id);
    ok(pubAnon.status === 200 && pubAnon.data.anonymous === true
        && pubAnon.data.reporter === undefined,
        'the anonymous report has no reporter for the public', pubAnon.data);
    const mine = await apiCall('GET', 'reports/' + reports.normal.id,
        reports.normal.token);
    ok(mine.status === 200 && mine.data.reporter
        && mine.data.reporter.name === NAME && mine.data.channel === 'web',
        'the form sent name, contact and channel web', mine.data);

    // ---- The whole path of the anonymous report ------------------------
    const A = reports.anonymous;
    await officer(A.id, 'dispatch', ADMIN, { agency: 'pupr-kim',
        message: 'Mohon dicek ke lokasi.' });
    await officer(A.id, 'respond', AGENCY,
        { message: 'Tim kami akan meninjau lokasi minggu ini.' });
    await officer(A.id, 'follow_up', AGENCY,
        { message: 'Lampu sudah diganti pada hari Senin.' });

    await trackOpen(page, A);
    is(await statusText(page), ID['status.followed_up'],
        'track: followed up, in words');
    ok(!(await visible(page, '#t-token')),
        'track: the form with the token is hidden while the report is shown');
    ok(await visible(page, '#feedback-form'),
        'track: feedback offered when followed up');
    ok((await text(page, '#comment-form')).includes(
        ID['track.comment.reopen']), 'track: the comment would reopen it');
    ok((await text(page, '#timeline')).includes(
        'Lampu sudah diganti pada hari Senin.'),
        'track: the agency\'s follow-up in the timeline');
    await axe(page, 'track (followed up)');
    await shots(page, 'track-followed-up');

    await page.type('#c-message', 'Lampu di ujung timur masih mati.');
    await page.click('#comment-form button[type="submit"]');
    await page.waitForFunction((s) => document.getElementById('status')
        && document.getElementById('status').textContent === s, {},
    ID['status.in_progress']);
    ok(true, 'track: the reporter\'s comment reopens it (in progress)');

    await officer(A.id, 'follow_up', AGENCY,
        { message: 'Lampu di ujung timur sudah diganti juga.' });
    await page.reload({ waitUntil: 'networkidle0' });
    is(await statusText(page), ID['status.followed_up'],
        'track: followed up again after a reload (token kept in the tab)');

    // Feedback without a rating: the problem next to the field.
    await page.click('#fb-yes');
    await page.click('#feedback-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('err-fb-rating')
        .textContent.length > 0);
    ok(true, 'track: a missing rating is shown next to the rating');
    await page.click('#fb-r4');
    await page.type('#fb-comment', 'Terima kasih, sudah terang.');
    await page.click('#feedback-form button[type="submit"]');
    await page.waitForFunction((s) => document.getElementById('status')
        && document.getElementById('status').textContent === s, {},
    ID['status.closed']);
    ok(true, 'track: feedback closes the report');
    ok(!(await visible(page, '#comment-form'))
        && !(await visible(page, '#feedback-form')),
        'track: no actions on a closed report');
    const tl = await page.$$eval('#timeline li', (l) => l.length);
    is(tl, 7, 'track: the timeline has all seven steps');
    ok((await page.content()).includes('Terima kasih, sudah terang.'),
        'track: the reporter reads his own feedback');
    await axe(page, 'track (closed)');
    await shots(page, 'track-closed');

    // A wrong token.
    await page.goto(base + 'lacak.html', { waitUntil: 'networkidle0' });
    await page.evaluate(() => sessionStorage.clear());
    await page.goto(base + 'lacak.html', { waitUntil: 'networkidle0' });
    await page.type('#t-number', String(reports.normal.id));
    await page.type('#t-token', reports.anonymous.token);
    await page.click('#track-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('t-error')
        .textContent.length > 0);
    is(await text(page, '#t-error'), ID['track.badtoken'],
        'track: a token of another report is refused');
    await axe(page, 'track form');

    // ---- Offline, then Redis down: retried, one report each ------------
    const n0 = await submittedCount();
    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await fillReport(page, { type: 'aspirasi', category: 'infrastruktur',
        title: 'Usul jalur sepeda di Jalan Raya Puputan',
        body: 'Mohon dibuat jalur sepeda yang aman dari Renon ke '
            + 'Sanur untuk anak sekolah.', name: NAME, contact: CONTACT });
    await page.setOfflineMode(true);
    await page.click('#submit');
    await page.waitForSelector('#pending', { timeout: 10000 });
    const kept = await page.evaluate(() => JSON.parse(
        localStorage.getItem('lapor.draft')));
    ok(kept && kept.sent && kept.key, 'offline: the draft is kept with its '
        + 'key and its bytes', kept);
    await page.setOfflineMode(false);
    await page.waitForSelector('#receipt:not([hidden])', { timeout: 15000 });
    ok(true, 'offline: sent when the connection returns');

    await page.goto(base + 'lapor.html', { waitUntil: 'networkidle0' });
    await fillReport(page, { type: 'pengaduan', category: 'kesehatan',
        title: 'Antrean obat di puskesmas terlalu lama',
        body: 'Pasien menunggu lebih dari tiga jam untuk mengambil obat '
            + 'di loket farmasi.', name: NAME, contact: CONTACT });
    is(await control('redis-stop'), 'ok', 'Redis stopped by the harness');
    const down = page.waitForResponse((r) => r.url().endsWith('/reports')
        && r.request().method() === 'POST');
    await page.click('#submit');
    const first = await down;
    is(first.status(), 503, 'Redis down: the first attempt meets 503');
    await page.waitForSelector('#pending', { timeout: 10000 });
    ok(true, 'Redis down: the page says it will retry');
    await shots(page, 'report-pending');
    is(await control('redis-start'), 'ok', 'Redis started again');
    await page.waitForSelector('#receipt:not([hidden])', { timeout: 45000 });
    ok(true, 'Redis back: the retry gets the receipt');
    is(await submittedCount(), n0 + 2,
        'offline and Redis down: exactly one report each');

    // ---- Responsiveness ------------------------------------------------
    await page.goto(base + 'kinerja.html', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#chart-months');
    const bars = await page.$$eval('#chart-months rect',
        (r) => r.filter((x) => Number(x.getAttribute('height')) > 0).length);
    ok(bars >= 2, 'stats: the months chart has bars', bars);
    ok((await text(page, '#year-summary')).includes(String(n0 + 2)),
        'stats: the year\'s count', await text(page, '#year-summary'));
    await axe(page, 'responsiveness');
    await shots(page, 'responsiveness');
    await page.goto(base, { waitUntil: 'networkidle0' });
    await page.waitForSelector('.figures');
    ok(true, 'home: the figures once there are reports');
    await shots(page, 'home-figures');

    ok(problems.length === 0, 'no script error, CSP violation or '
        + 'third-party request on any page', problems);
}

main(run, 'journey');
