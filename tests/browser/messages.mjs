// Browser test of the voice messages page (#/messages): a server of its own
// with the telephony on (telephony.mjs) and a flow that takes a message in
// Arabic; two callers leave one each (the caller's phone sends its 600 Hz
// tone; the prompt before it is the one recording the server loads). The agent (fr ar en) sees them with the numbers masked, plays one in
// the page's player, has one caller called back (a callback request) and
// marks the other handled with a note; the supervisor sees them handled; the
// page in Arabic is right to left. Prints TAP; exits 1 on a failure.
// Screenshots go to WASL_SCREENSHOTS (default build/screenshots):
// messages-fr.png, messages-player-fr.png, messages-handled-fr.png, messages-ar.png.
//
//   node tests/browser/messages.mjs

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTelephony } from './telephony.mjs';
import { tap } from './tap.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const SHOTS = process.env.WASL_SCREENSHOTS ? resolve(process.env.WASL_SCREENSHOTS) : join(repo, 'build', 'screenshots');
const TIME_LIMIT_MS = 120_000;
const FLOW = {
    start: 'arabic',
    nodes: {
        arabic: { type: 'set_language', language: 'ar', next: 'message' },
        message: { type: 'record', prompts: 'please_hold', max_seconds: 2, next: 'hangup' },
        hangup: { type: 'hangup' },
    },
};
const CALLERS = ['+33612345678', '+33612345699'];

const { test, check, equal, done } = tap();

const watchdog = setTimeout(() => {
    console.log(`Bail out! the voice messages tests took longer than ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();
mkdirSync(SHOTS, { recursive: true });

const { chromium } = await import('playwright-core');
/* no prompt recordings at all: the record node's message starts at once */
const tel = await startTelephony({ flow: FLOW });
const profile = mkdtempSync(join(tmpdir(), 'wasl-messages-'));
const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.WASL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
        '--autoplay-policy=no-user-gesture-required'],
    viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: 'Africa/Casablanca',
});
const page = context.pages()[0] || await context.newPage();
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
page.setDefaultTimeout(10_000);

async function waitRoute(r) {
    await page.waitForFunction((want) => document.getElementById('main').dataset.route === want, r);
}

async function apiCall(method, path, body) {
    return page.evaluate(async ([m, p, b]) => {
        const s = await (await fetch('/api/v1/session')).json();
        const res = await fetch(p, {
            method: m, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: b ? JSON.stringify(b) : undefined,
        });
        return { status: res.status, json: res.status === 204 ? null : await res.json() };
    }, [method, path, body]);
}

async function login(who, password) {
    await page.goto(`${tel.url}/#/login`);
    await page.fill('input[name=login]', who);
    await page.fill('input[name=password]', password);
    await page.click('form button[type=submit]');
    await page.waitForFunction(() => !['login', ''].includes(document.getElementById('main').dataset.route));
}

async function logout() {
    await apiCall('DELETE', '/api/v1/session');
}

async function chooseLanguage(code) {
    await page.selectOption('#lang-select', code);
    await page.waitForFunction((c) => document.documentElement.lang === c, code);
}

/* The messages listed as the logged-in user, once there are `count` of them
 * (the row is written by the event log a moment after the call). */
async function messagesListed(count, query = '', ms = 10_000) {
    const end = Date.now() + ms;
    for (;;) {
        const r = await apiCall('GET', `/api/v1/tel/messages${query}`);
        const items = (r.json && r.json.items) || [];
        if (items.length >= count || Date.now() > end)
            return items;
        await page.waitForTimeout(200);
    }
}

let messages = [];

try {
    await test('two callers leave a voice message each in the Arabic flow', async () => {
        for (const caller of CALLERS) {
            const r = await tel.phone.send({ cmd: 'call_wait', caller, timeout: 10 }, 15_000);
            check(r.ok && r.code === 200, `the IVR answers ${caller}: ${JSON.stringify(r)}`);
        }
        await login('agent', 'agent-demo-2026');
        await chooseLanguage('fr');
        messages = await messagesListed(2, '?status=new');
        equal(messages.length, 2, `two new messages for the agent (who takes Arabic); server log: ${tel.log().slice(-1500)}`);
        equal(messages.map((m) => m.language), ['ar', 'ar'], 'in the callers\' language');
    });

    await test('the agent\'s list: masked numbers, language, length, actions', async () => {
        await page.click('#main-nav-list a[data-route="messages"]');
        await waitRoute('messages');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"]`);
        const rows = await page.$$eval('#messages-table tbody tr[data-status="new"]', (trs) => trs.map((tr) => tr.textContent));
        equal(rows.length, 2, 'two rows under "New"');
        check(rows.every((t) => !t.includes('612345678') && !t.includes('612345699')), `numbers masked: ${rows}`);
        check(rows[0].includes('+336******99') && rows[1].includes('+336******78'), `newest first, last digits shown: ${rows}`);
        check(rows.every((t) => t.includes('العربية')), 'the language named in itself');
        equal(await page.$$eval('#messages-table [data-action="callback"]', (b) => b.length), 2, 'a "Call back" button each');
        await page.screenshot({ path: join(SHOTS, 'messages-fr.png'), fullPage: true });
    });

    await test('Listen plays the message in the page (the audio is the WAV the caller left)', async () => {
        const row = `#messages-table tr[data-id="${messages[1].id}"]`;
        await page.click(`${row} [data-action="listen"]`);
        const audio = `${row} audio[data-message="${messages[1].id}"]`;
        await page.waitForSelector(audio);
        await page.waitForFunction((sel) => {
            const a = document.querySelector(sel);
            return a && a.readyState >= 1 && Number.isFinite(a.duration);
        }, audio);
        const duration = await page.$eval(audio, (a) => a.duration);
        check(duration > 1.5 && duration < 2.5, `about max_seconds (2 s): ${duration}`);
        await page.screenshot({ path: join(SHOTS, 'messages-player-fr.png'), fullPage: true });
    });

    await test('"Call back" makes a callback request and marks the message handled', async () => {
        const row = `#messages-table tr[data-id="${messages[1].id}"]`;
        await page.click(`${row} [data-action="callback"]`);
        await page.click('dialog [data-confirm="yes"]');
        await page.waitForSelector('.message-area .alert-success');
        await page.waitForSelector(row, { state: 'detached' });
        const m = (await messagesListed(1, '?status=handled'))[0];
        check(m && m.id === messages[1].id && m.outcome === 'callback' && m.callback > 0, `handled by a callback: ${JSON.stringify(m)}`);
        check((await page.textContent('.message-area')).includes(String(m.callback)), 'the request\'s number is said');
    });

    await test('"Handled" with an outcome and a note', async () => {
        const row = `#messages-table tr[data-id="${messages[0].id}"]`;
        await page.click(`${row} [data-action="handled"]`);
        await page.selectOption('dialog select[name=outcome]', 'no_action');
        await page.fill('dialog textarea[name=note]', 'Rappelé depuis le poste : rendez-vous pris.');
        await page.click('dialog [data-action="save"]');
        await page.waitForSelector(row, { state: 'detached' });
        await page.selectOption('select[name=status]', 'handled');
        await page.click('[data-action="filter"]');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"][data-status="handled"]`);
        const text = await page.textContent(`#messages-table tr[data-id="${messages[0].id}"]`);
        check(text.includes('Aucune suite nécessaire') && text.includes('rendez-vous pris') && text.includes('par vous'),
            `outcome, note and who: ${text}`);
        check((await page.textContent(`#messages-table tr[data-id="${messages[1].id}"]`)).includes('Rappelé'), 'the other: called back');
        await page.screenshot({ path: join(SHOTS, 'messages-handled-fr.png'), fullPage: true });
    });

    await test('the supervisor sees both handled, and the callback request waiting', async () => {
        await logout();
        await login('supervisor', 'supervisor-demo-2026');
        const handled = await messagesListed(2, '?status=handled');
        equal(handled.map((m) => m.outcome).sort(), ['callback', 'no_action'], 'outcomes');
        const cbs = (await apiCall('GET', '/api/v1/tel/callbacks')).json.items;
        const cb = handled.find((m) => m.outcome === 'callback').callback;
        check(cbs.some((c) => c.id === cb && c.language === 'ar'), `callback ${cb} waits, in Arabic: ${JSON.stringify(cbs)}`);
    });

    await test('in Arabic the page reads right to left', async () => {
        await page.goto(`${tel.url}/#/messages`);
        await waitRoute('messages');
        await chooseLanguage('ar');
        await page.selectOption('select[name=status]', 'handled');
        await page.click('[data-action="filter"]');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"][data-status="handled"]`);
        equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        check((await page.textContent('h1')).includes('الرسائل الصوتية'), 'the title in Arabic');
        const box = await page.$eval('#messages-table th', (th) => {
            const r = th.getBoundingClientRect();
            return { left: r.left, right: r.right, width: document.documentElement.clientWidth };
        });
        check(box.right > box.width / 2, `the first column is on the right: ${JSON.stringify(box)}`);
        const phone = await page.$eval('#messages-table .message-phone', (el) => {
            const cs = getComputedStyle(el);
            return { direction: cs.direction, bidi: cs.unicodeBidi, text: el.textContent };
        });
        check(phone.direction === 'ltr' && phone.bidi === 'isolate' && phone.text.startsWith('+336'),
            `the number stays left to right inside the Arabic text: ${JSON.stringify(phone)}`);
        const by = await page.textContent(`#messages-table tr[data-id="${messages[0].id}"]`);
        check(by.includes('Demo Agent'), `who handled it, by name: ${by}`);
        await page.screenshot({ path: join(SHOTS, 'messages-ar.png'), fullPage: true });
        await chooseLanguage('fr');
    });

    await test('no script error in the page', async () => {
        equal(pageErrors, [], 'page errors');
    });
} finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
    await tel.phone.send({ cmd: 'quit' }).catch(() => null);
    tel.stop();
}

done();
