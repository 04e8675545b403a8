// The citizen portal in a real browser (headless Chromium driven by
// puppeteer-core), against a running nginx with the module and Redis.
//
//   node t/browser/journey.mjs <base-url> <admin-token> <agency-token>
//
// Run by t/041-portal.t, which starts nginx and Redis.  Prints one line
// per check, "ok - <name>" or "not ok - <name>", "# ..." for diagnostics,
// "TOKEN <token>" for each tracking token it was given (the harness makes
// sure none reached the access log), and "CTL <command>" when it needs the
// harness to act (redis-stop, redis-start, overdue <id>); it then waits
// for a line on its standard input.  Ends with "done <checks>".
// Screenshots go to $LAPOR_ARTIFACTS.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ARTIFACTS, apiClient, axe, browserLanguages, control, is,
    loadTexts, main, ok, problems, setCurrent, shots, text, visible, watch }
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
    console.log('TOKEN ' + token);
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

    // Keyboard only: the skip link first, then every control in order.
    await page.keyboard.press('Tab');
    is(await page.evaluate(() => document.activeElement.className), 'skip',
        'keyboard: the skip link comes first');
    await page.keyboard.press('Enter');
    const order = [];
    for (let i = 0; i < 40; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => document.activeElement.id);
        if (id && id !== order[order.length - 1]) {
            // a date field takes one Tab per part
            order.push(id);
        }
        if (id === 'submit') {
            break;
        }
    }
    const controls = ['f-category', 'f-agency', 'f-title', 'f-body',
        'f-location', 'geo', 'f-occurred', 'f-anonymous', 'f-confidential',
        'f-name', 'f-contact', 'submit'];
    is(order.filter((x) => controls.includes(x)).join(' '),
        controls.join(' '), 'keyboard: the skip link leads into the form, '
        + 'every control reachable by Tab in order');
    await page.focus('#f-title');
    await page.keyboard.type('Pendek');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#form-errors.problem');
    ok(true, 'keyboard: Enter in a field sends the form');
    await page.evaluate(() => localStorage.removeItem('lapor.draft'));
    await page.reload({ waitUntil: 'networkidle0' });
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

    // Copy: number and token on the clipboard.
    await browser.defaultBrowserContext().overridePermissions(base,
        ['clipboard-read', 'clipboard-write', 'clipboard-sanitized-write']);
    await page.click('#r-copy');
    await page.waitForFunction(() => document.getElementById('r-copy-status')
        .textContent.length > 0);
    const clip = await page.evaluate(() => navigator.clipboard.readText());
    ok(clip.includes(reports.normal.token) && clip.includes(
        String(reports.normal.id)), 'receipt: copied with its number', clip);

    // Print: only the receipt, with its warning.
    await page.emulateMediaType('print');
    ok(!(await visible(page, 'header.site'))
        && await visible(page, '#r-token') && await visible(page, '#r-warning')
        && !(await visible(page, '#r-copy')),
    'receipt: the print view shows the receipt and its warning only');
    await page.emulateMediaType(null);

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

    // A deadline that has passed is said so.
    is(await control('overdue ' + reports.normal.id), 'ok',
        'the harness moved the deadline three days back');
    await page.reload({ waitUntil: 'networkidle0' });
    await page.waitForSelector('#deadline');
    ok(await page.$eval('#deadline', (e) => e.classList.contains('overdue')
        && e.textContent.startsWith('Terlambat')),
    'track: an overdue report is shown as late', await text(page,
        '#deadline'));
    ok((await text(page, '#track-view')).includes(ID['track.overdue.short']),
        'track: "Terlambat" next to the status');
    await shots(page, 'track-overdue');

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

    // ---- The public list and report pages ------------------------------
    // An anonymous report that does name its reporter (the API allows it):
    // neither name nor contact may reach a public page.
    const ANON_NAME = 'Nyoman Tersembunyi';
    const ANON_CONTACT = 'nyoman.tersembunyi@example.id';
    const hidden = await apiCall('POST', 'reports', null, {
        type: 'pengaduan', category: 'kesehatan', channel: 'web',
        title: 'Petugas puskesmas meminta uang tambahan',
        body: 'Pasien diminta membayar Rp 50.000 di luar tarif resmi.',
        anonymous: true,
        reporter: { name: ANON_NAME, contact: ANON_CONTACT } });
    ok(hidden.status === 201, 'an anonymous report with a name, by the API',
        hidden);
    const secrets = [ANON_NAME, ANON_CONTACT, CONTACT,
        'Pungutan liar pembuatan KTP', 'Rp 150.000', '0812-3456-7890',
        reports.normal.token, reports.anonymous.token];
    // the page of one report (the same document: only the fragment moves)
    const publicPage = async (id) => {
        await page.goto(base + 'laporan.html#' + id,
            { waitUntil: 'networkidle0' });
        await page.waitForFunction((h) => {
            const e = document.getElementById('public-h');
            return e && e.textContent === h
                && document.querySelector('#public-view #status');
        }, {}, ID['public.title'].replace('{id}', id));
    };
    const leaks = async (what) => {
        const html = await page.content();
        const found = secrets.filter((x) => html.includes(x));
        ok(found.length === 0, `${what}: no name or contact of an anonymous `
            + 'report, no contact, no confidential text, no token', found);
    };

    await page.goto(base + 'laporan.html', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#feed li');
    const listed = await page.$$eval('#feed li', (l) => l.map(
        (x) => Number(x.dataset.id)));
    const want = [hidden.data.id, reports.confidential.id, A.id,
        reports.normal.id];
    ok(want.every((id) => listed.includes(id)),
        'feed: the reports are listed', { listed, want });
    ok(listed.indexOf(hidden.data.id) < listed.indexOf(reports.normal.id),
        'feed: newest first', listed);
    ok((await text(page, `#feed li[data-id="${reports.confidential.id}"]`))
        .includes(ID['feed.confidential']), 'feed: a confidential report '
        + 'says so, without its text');
    await leaks('feed');
    await axe(page, 'public reports');
    await shots(page, 'public-reports');

    await page.select('#q-status', 'closed');
    await page.waitForFunction((id) => {
        const l = [...document.querySelectorAll('#feed li')];
        return l.length === 1 && l[0].dataset.id === String(id);
    }, {}, A.id);
    ok(true, 'feed: the status filter shows only the closed report');
    await page.select('#q-category', 'kesehatan');
    await page.waitForFunction((id) => {
        const l = [...document.querySelectorAll('#feed li')];
        return l.length >= 1 && l.every((x) => x.dataset.id !== String(id));
    }, {}, A.id);
    is(await page.$eval('#q-status', (e) => e.value), '',
        'feed: one filter at a time');

    await page.click(`#feed li[data-id="${hidden.data.id}"] a`);
    await page.waitForSelector('#public-view:not([hidden]) #status');
    is(new URL(page.url()).hash, '#' + hidden.data.id,
        'report page: laporan.html#<number>');
    ok((await page.content()).includes(ID['feed.anonymous']),
        'report page: the reporter is "anonim"');
    await leaks('report page (anonymous)');
    await axe(page, 'public report page');
    await shots(page, 'public-report');

    await publicPage(reports.confidential.id);
    await leaks('report page (confidential)');
    await publicPage(A.id);
    is(await text(page, '#status'), ID['status.closed'],
        'report page: the closed report');
    ok((await text(page, '#timeline')).includes(
        'Lampu di ujung timur sudah diganti juga.'),
        'report page: the agency\'s follow-up in the public timeline');
    ok(!(await page.content()).includes('Lampu di ujung timur masih mati.'),
        'report page: the reporter\'s comment is not public');
    await leaks('report page (closed)');

    await page.goto(base, { waitUntil: 'networkidle0' });
    await page.waitForSelector('#recent li[data-id]');
    ok(true, 'home: the latest reports');
    await leaks('home');

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
    console.log('TOKEN ' + await text(page, '#r-token'));

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
    console.log('TOKEN ' + await text(page, '#r-token'));
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

    // ---- More reports than a page: "show more" pages with the cursor ----
    for (let i = 0; i < 21; i++) {
        const r = await apiCall('POST', 'reports', null, {
            type: 'aspirasi', category: 'pendidikan', channel: 'web',
            title: 'Usul perpustakaan keliling nomor ' + i,
            body: 'Mohon perpustakaan keliling datang ke desa kami, usul '
                + 'nomor ' + i + '.', anonymous: true });
        if (r.status !== 201) {
            ok(false, 'a report for paging', r);
        }
    }
    const total = await submittedCount();
    await page.goto(base + 'laporan.html', { waitUntil: 'networkidle0' });
    await page.waitForSelector('#feed li');
    is(await page.$$eval('#feed li', (l) => l.length), 20,
        'feed: a page of 20');
    ok(await visible(page, '#feed-more'), 'feed: "show more" offered');
    await page.click('#feed-more');
    await page.waitForFunction((n) => document.querySelectorAll('#feed li')
        .length === n, {}, total);
    const all = await page.$$eval('#feed li', (l) => l.map(
        (x) => x.dataset.id));
    is(new Set(all).size, total, 'feed: every report once after "show more"');
    ok(!(await visible(page, '#feed-more')), 'feed: nothing more to show');

    // ---- The free-WiFi landing page and the pop-up ----------------------
    const wctx = await browser.createBrowserContext();
    const wifi = await wctx.newPage();
    watch(wifi, base);
    await browserLanguages(wifi, ['id-ID', 'id']);
    await wifi.setViewport({ width: 360, height: 640 });
    const net = await wifi.createCDPSession();
    await net.send('Network.enable');
    await net.send('Network.setCacheDisabled', { cacheDisabled: true });
    let bytes = 0;
    const sizes = [];
    const urls = new Map();
    net.on('Network.requestWillBeSent', (e) => urls.set(e.requestId,
        e.request.url));
    net.on('Network.loadingFinished', (e) => {
        bytes += e.encodedDataLength;
        sizes.push([urls.get(e.requestId), e.encodedDataLength]);
    });
    await wifi.goto(base + 'wifi/', { waitUntil: 'networkidle0' });
    await wifi.waitForSelector('#f-category option[value="kesehatan"]');
    console.log('# WiFi landing page: ' + bytes + ' bytes transferred');
    ok(bytes > 0 && bytes <= 20480, `WiFi page: ${bytes} bytes transferred, `
        + 'at most 20 KB with its API calls', sizes);
    ok(await wifi.evaluate(() => document.documentElement.scrollWidth <= 360),
        'WiFi page: no sideways scrolling at 360 px');
    const bottom = await wifi.$eval('#submit',
        (b) => b.getBoundingClientRect().bottom);
    ok(bottom <= 640, `WiFi page: the whole form on one 360×640 screen `
        + `(button bottom ${Math.round(bottom)} px)`);
    await axe(wifi, 'WiFi landing page');
    await wifi.screenshot({ path: path.join(ARTIFACTS, 'wifi-360x640.png') });

    await wifi.click('#submit');
    await wifi.waitForFunction(() => document.getElementById('e-title')
        .textContent.length > 0);
    ok(/wajib diisi|minimal/.test(await text(wifi, '#e-title')),
        'WiFi page: the problems next to their fields',
        await text(wifi, '#e-title'));
    await wifi.select('#f-category', 'kesehatan');
    await wifi.type('#f-title', 'Toilet puskesmas rusak sebulan');
    await wifi.type('#f-body', 'Toilet pasien di puskesmas rusak dan tidak '
        + 'bisa dipakai sejak sebulan.');
    await wifi.click('#f-anonymous');
    await wifi.click('#submit');
    await wifi.waitForSelector('#receipt:not([hidden])', { timeout: 15000 });
    const wid = Number(await text(wifi, '#r-id'));
    const wtok = await text(wifi, '#r-token');
    console.log('TOKEN ' + wtok);
    const wrep = await apiCall('GET', 'reports/' + wid, wtok);
    ok(wrep.status === 200 && wrep.data.channel === 'wifi-portal'
        && wrep.data.anonymous === true,
        'WiFi page: an anonymous report through channel wifi-portal',
        wrep.data);
    await wifi.screenshot({ path: path.join(ARTIFACTS,
        'wifi-receipt-360x640.png') });
    await wifi.click('a[href="../lacak.html"]');
    await wifi.waitForSelector('#status');
    ok(!wifi.url().includes(wtok), 'WiFi receipt -> track: opened without '
        + 'the token in the address');

    // The pop-up on a hotspot's own page (another origin, served here by
    // request interception: no network).
    const hot = await wctx.newPage();
    await hot.setViewport({ width: 360, height: 640 });
    await hot.setRequestInterception(true);
    hot.on('request', (req) => {
        if (req.url().startsWith('http://hotspot.test/')) {
            req.respond({ status: 200, contentType: 'text/html',
                body: '<!DOCTYPE html><html lang="id"><head><meta '
                    + 'charset="utf-8"><title>Hotspot Bali</title></head>'
                    + '<body><main><h1>WiFi gratis Pemprov Bali</h1><p>Anda '
                    + 'sudah terhubung.</p></main><script src="' + base
                    + 'wifi/popup.js" defer></script></body></html>' });
        } else {
            req.continue();
        }
    });
    const hotErrors = [];
    hot.on('pageerror', (e) => hotErrors.push(e.message));
    await hot.goto('http://hotspot.test/', { waitUntil: 'networkidle0' });
    await hot.waitForSelector('#lapor-popup');
    is(await hot.$eval('#lapor-popup a', (a) => a.href), base + 'wifi/',
        'pop-up: invites to the WiFi landing page');
    is(await hot.$eval('#lapor-popup', (a) => a.lang), 'id',
        'pop-up: in the hotspot page\'s language');
    await axe(hot, 'pop-up on a hotspot page');
    await hot.screenshot({ path: path.join(ARTIFACTS, 'popup-360x640.png') });
    await hot.click('#lapor-popup-close');
    ok(!(await hot.$('#lapor-popup')), 'pop-up: dismissed');
    await hot.reload({ waitUntil: 'networkidle0' });
    ok(!(await hot.$('#lapor-popup')), 'pop-up: not shown again the same day');
    await hot.evaluate(() => localStorage.setItem('lapor.popup.dismissed',
        String(Date.now() - 25 * 3600 * 1000)));
    await hot.reload({ waitUntil: 'networkidle0' });
    ok(await hot.$('#lapor-popup'), 'pop-up: back after a day');
    ok(hotErrors.length === 0, 'pop-up: no script error', hotErrors);
    await wctx.close();

    ok(problems.length === 0, 'no script error, CSP violation or '
        + 'third-party request on any page', problems);
}

main(run, 'journey', [
    // the pop-up test's hotspot page is an intercepted public origin
    // loading the script from 127.0.0.1: allowed in real life (a public
    // portal), blocked here as a request into the loopback address space
    // without these
    '--disable-features=LocalNetworkAccessChecks,'
        + 'BlockInsecurePrivateNetworkRequests,'
        + 'PrivateNetworkAccessRespectPreflightResults'
]);
