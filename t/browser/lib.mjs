// What the browser tests share (t/browser/journey.mjs for the portal,
// t/browser/console.mjs for the officers' console): the check lines the
// Perl harness reads, the harness's controls, Chromium with the flags this
// machine needs, axe-core, screenshots, and the watch for script errors,
// CSP violations and third-party requests.
//
// Output protocol: "ok - <name>" / "not ok - <name>" per check, "# ..."
// for diagnostics, "CTL <command> [args]" when the harness must act (the
// script then waits for one line on its standard input), and finally
// "done <checks>".

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = path.dirname(fileURLToPath(import.meta.url));

export const ROOT = path.join(here, '..', '..');
export const ARTIFACTS = process.env.LAPOR_ARTIFACTS
    || path.join(ROOT, 'build', 'browser');
const CHROMIUM = process.env.LAPOR_CHROMIUM || '/usr/bin/chromium';
const AXE = fs.readFileSync(path.join(here, 'node_modules', 'axe-core',
    'axe.min.js'), 'utf8');

let checks = 0;
let failed = 0;

// Script errors, CSP violations and third-party requests of every page.
export const problems = [];

// The page to photograph when a step throws.
let current = null;
export function setCurrent(page) {
    current = page;
}

// A page's texts module (examples/.../i18n.js), loaded from its source:
// the file sits outside this package.
export async function loadTexts(...parts) {
    const src = fs.readFileSync(path.join(ROOT, ...parts), 'utf8');
    return import('data:text/javascript,' + encodeURIComponent(src));
}

export function ok(cond, name, detail) {
    checks++;
    if (cond) {
        console.log('ok - ' + name);
    } else {
        failed++;
        console.log('not ok - ' + name);
        if (detail !== undefined) {
            for (const l of String(typeof detail === 'string' ? detail
                : JSON.stringify(detail, null, 1)).split('\n')) {
                console.log('# ' + l);
            }
        }
    }
    return cond;
}

export function is(got, want, name) {
    return ok(got === want, name, { got, want });
}

// Asks the harness to do something and waits for its answer.
const input = readline.createInterface({ input: process.stdin });
const answers = [];
let waiting = null;
input.on('line', (l) => {
    if (waiting) {
        const w = waiting;
        waiting = null;
        w(l);
    } else {
        answers.push(l);
    }
});

export function control(cmd) {
    console.log('CTL ' + cmd);
    if (answers.length) {
        return Promise.resolve(answers.shift());
    }
    return new Promise((resolve) => { waiting = resolve; });
}

// A client of the API outside the browser, for setting up and checking.
export function apiClient(api) {
    return async function apiCall(method, p, token, body, extra) {
        const headers = Object.assign({ 'Accept-Language': 'en' },
            extra || {});
        if (token) {
            headers.Authorization = 'Bearer ' + token;
        }
        if (body !== undefined) {
            headers['Content-Type'] = 'application/json';
        }
        const r = await fetch(api + p, { method, headers,
            body: body === undefined ? undefined : JSON.stringify(body) });
        let data = null;
        try { data = await r.json(); } catch (e) { data = null; }
        return { status: r.status, data, headers: r.headers };
    };
}

export async function axe(page, name) {
    await page.evaluate(AXE);
    const res = await page.evaluate(() => window.axe.run(document, {
        runOnly: { type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
    ok(res.violations.length === 0, `axe WCAG 2.1 AA: ${name}: 0 violations`,
        res.violations.map((v) => ({ id: v.id, help: v.help,
            nodes: v.nodes.slice(0, 3).map((n) => n.html) })));
}

// Screenshots of the page at each size, <name>-<w>x<h>.png; the page's
// own size is restored afterwards.
export async function shots(page, name, sizes) {
    const vp = page.viewport();
    for (const [w, h] of sizes || [[360, 640], [1280, 800]]) {
        await page.setViewport({ width: w, height: h });
        await page.screenshot({ path: path.join(ARTIFACTS,
            `${name}-${w}x${h}.png`), fullPage: false });
    }
    await page.setViewport(vp);
}

export async function text(page, sel) {
    return page.$eval(sel, (e) => e.textContent.trim());
}

export async function visible(page, sel) {
    return page.$eval(sel, (e) => !e.closest('[hidden]')
        && e.getClientRects().length > 0).catch(() => false);
}

// Collects a page's script errors, CSP violations and requests to any
// host but base.  Error statuses the pages meet on purpose are not errors.
export function watch(page, base) {
    page.on('console', (m) => {
        const s = m.text();
        if (m.type() === 'error'
            && !/status of (400|401|403|404|409|412|422|429|503)/.test(s)
            && !/net::ERR_INTERNET_DISCONNECTED/.test(s)) {
            problems.push(page.url() + ': ' + s);
        }
    });
    page.on('pageerror', (e) => problems.push(page.url() + ': ' + e.message));
    page.on('request', (req) => {
        if (!req.url().startsWith(base) && !req.url().startsWith('data:')
            && !req.url().startsWith('blob:')) {
            problems.push('third-party request: ' + req.url());
        }
    });
}

// The browser's languages (navigator.languages).  Not as an extra
// Accept-Language header: that would override the one the page sends.
export async function browserLanguages(page, langs) {
    await page.evaluateOnNewDocument((l) => {
        Object.defineProperty(navigator, 'languages', { get: () => l });
        Object.defineProperty(navigator, 'language', { get: () => l[0] });
    }, langs);
}

// Starts headless Chromium with the flags this machine needs (no sandbox
// as root, no background connections to a closed network), runs
// run(browser), prints "done <checks>" and exits: 0 when every check
// passed.  When run throws, the current page is saved as failure.png.
// extraArgs: more Chromium switches, each with the reason at its caller.
export function main(run, name, extraArgs = []) {
    (async () => {
        fs.mkdirSync(ARTIFACTS, { recursive: true });
        fs.rmSync(path.join(ARTIFACTS, 'failure.png'), { force: true });
        const browser = await puppeteer.launch({
            executablePath: CHROMIUM,
            headless: true,
            userDataDir: fs.mkdtempSync(path.join(os.tmpdir(),
                'lapor-chromium-')),
            args: ['--no-sandbox', '--disable-gpu', '--disable-quic',
                '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync',
                ...extraArgs]
        });
        try {
            await run(browser);
        } catch (e) {
            if (current) {
                await current.screenshot({ path: path.join(ARTIFACTS,
                    'failure.png'), fullPage: true }).catch(() => {});
                console.log('# failed at ' + current.url()
                    + '; screenshot in ' + path.join(ARTIFACTS,
                        'failure.png'));
            }
            throw e;
        } finally {
            await browser.close();
        }
    })().then(() => {
        console.log('done ' + checks);
        input.close();
        process.exit(failed ? 1 : 0);
    }, (e) => {
        ok(false, `the ${name} ran to its end`, String(e && e.stack || e));
        console.log('done ' + checks);
        input.close();
        process.exit(1);
    });
}
