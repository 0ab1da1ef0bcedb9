// The wallboard (#/wallboard) while calls happen: a supervisor logs in and
// opens it at 1920x1080; three SIPp callers dial in and wait in the Arabic
// queue (the test flow sends every call there; nobody takes calls), then hang
// up. The board must follow without a click or a reload: the Arabic tile's
// "waiting" goes up to 3 and its longest wait runs on, the tile turns red and
// the alerts name it (the thresholds file of this test: 1 waiting is amber,
// 3 red, from the first call); once the callers gave up, waiting is back to
// 0 and today's calls and abandon rate count them. No scrolling at
// 1920x1080 and at 1280x720; Arabic right to left. The supervision page
// shows the same tiles next to the agents' and calls' actions. Screenshots
// (WASL_SCREENSHOTS, default build/screenshots): wallboard-1920-fr.png,
// wallboard-1920-ar.png, wallboard-1280-en.png, wallboard-supervision-fr.png.
//
//   node tests/browser/wallboard.mjs        # prints TAP; exits 1 on a failure

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiClient, freePorts, startTelephony, until } from './telephony.mjs';
import { chromiumOptions, REPO, SHOTS } from './pages.mjs';
import { tap, timeLimit, watchErrors } from './tap.mjs';

const TIME_LIMIT_MS = 150_000;
const DID = '+33800100200';
const CALLERS = 3;
const HOLD_MS = 15_000; /* each caller waits this long, then hangs up */

const { test, check, note, noScriptErrors, done } = tap({ bail: true });
timeLimit(TIME_LIMIT_MS, 'the wallboard test');
mkdirSync(SHOTS, { recursive: true });

let tel = null;
let browser = null;
let page = null;
let sipp = null;
let agent = null;
let agentId = null;
const pageErrors = [];

function stopAll() {
    if (sipp && sipp.exitCode === null)
        sipp.kill('SIGKILL');
    if (tel)
        tel.stop();
}
process.once('exit', stopAll);

/* What the Arabic tile and the board show now. */
function board() {
    return page.evaluate(() => {
        const t = document.querySelector('#wb-tiles [data-queue="ar"]');
        const fig = (k) => t && t.querySelector(`[data-figure="${k}"] .wb-fig-n`).textContent.trim();
        return {
            ok: Boolean(t),
            waiting: t ? Number(t.dataset.waiting) : null,
            offered: t ? Number(t.dataset.offered) : null,
            level: t && t.dataset.level,
            longest: fig('longest_wait_s'),
            abandon: fig('abandon_rate'),
            alerts: [...document.querySelectorAll('#wb-alerts .wb-alert')].map((a) => `${a.dataset.queue}/${a.dataset.figure}/${a.dataset.level}`),
            at: document.getElementById('wallboard').dataset.at,
        };
    });
}

async function waitBoard(pred, ms, what) {
    const end = Date.now() + ms;
    let last = null;
    for (;;) {
        last = await board();
        if (pred(last))
            return last;
        if (Date.now() > end)
            throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
        await page.waitForTimeout(100);
    }
}

/* The page fits the viewport: nothing to scroll either way. */
async function fits() {
    return page.evaluate(() => ({
        h: document.documentElement.scrollHeight, vh: window.innerHeight,
        w: document.documentElement.scrollWidth, vw: window.innerWidth,
        tiles: document.querySelectorAll('#wb-tiles .wb-tile:not(.wb-empty)').length,
        heights: ['main', '#wallboard', '.wb-head', '#wb-body', '#wb-tiles', '.wb-bottom'].map((q) => Math.round(document.querySelector(q).getBoundingClientRect().height)),
        /* every tile fully on the screen */
        outside: [...document.querySelectorAll('#wb-tiles .wb-tile, .wb-panel')].filter((e) => {
            const r = e.getBoundingClientRect();
            return r.bottom > window.innerHeight + 1 || r.right > window.innerWidth + 1 || r.left < -1 || r.top < -1;
        }).length,
    }));
}

async function setLanguage(code) {
    await page.evaluate(async (c) => {
        const s = await (await fetch('/api/v1/session')).json();
        await fetch('/api/v1/me', { method: 'PATCH', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: JSON.stringify({ language: c }) });
    }, code);
    await page.reload();
    await page.waitForFunction((c) => document.documentElement.lang === c, code);
    await page.waitForSelector('#wallboard[data-state="on"] #wb-tiles [data-queue="ar"]');
}

try {
    await test('wasl (a thresholds file that turns a queue amber at 1 caller waiting, red at 3) and Chromium start', async () => {
        tel = await startTelephony({
            settings: (dir) => {
                const file = join(dir, 'thresholds.json');
                writeFileSync(file, JSON.stringify({
                    min_offered: 1,
                    defaults: {
                        waiting: { amber: 0, red: 2 }, longest_wait_s: { amber: 600, red: 1200 },
                        service_level: { amber: 0.8, red: 0.5 }, abandon_rate: { amber: 0.1, red: 0.3 },
                    },
                }));
                return { 'supervision.thresholds': file, 'sip.queue_announce': '0' };
            },
        });
        const { chromium } = await import('playwright-core');
        browser = await chromium.launch(chromiumOptions());
        const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'fr-FR', timezoneId: 'Africa/Casablanca' });
        page = await context.newPage();
        watchErrors(page, pageErrors);
        page.setDefaultTimeout(10_000);
    });

    await test('the supervisor logs in and opens the wallboard: full screen, a tile per queue, no scrolling at 1920x1080', async () => {
        await page.goto(`${tel.url}/#/wallboard`);
        await page.fill('input[name=login]', 'supervisor');
        await page.fill('input[name=password]', 'supervisor-demo-2026');
        await page.click('form button[type=submit]');
        /* back where they were going: the wallboard */
        await page.waitForFunction(() => document.getElementById('main').dataset.route === 'wallboard');
        await setLanguage('fr');
        const b = await board();
        check(b.ok && b.waiting === 0 && b.offered === 0, `nobody waiting, no call yet: ${JSON.stringify(b)}`);
        check(b.level === 'ok', `the Arabic tile is green: ${b.level}`);
        check(await page.isHidden('header.topbar'), 'no header: the board takes the screen');
        const f = await fits();
        note(`1920x1080: ${JSON.stringify(f)}`);
        check(f.tiles >= 14, `a tile per queue (7 languages x 2 services): ${f.tiles}`);
        check(f.h <= f.vh && f.w <= f.vw && f.outside === 0, `no scrolling: ${JSON.stringify(f)}`);
        await page.waitForSelector('#wb-live[data-live="live"]');
    });

    await test(`${CALLERS} SIPp callers wait in the Arabic queue: the board follows by itself (waiting, longest wait, red tile, alert)`, async () => {
        const gen = spawnSync('python3', [join(REPO, 'tests', 'sip', 'sippgen.py'), '--steps', String(HOLD_MS), '--name', 'wallboard'],
            { encoding: 'utf8' });
        check(gen.status === 0, `sippgen: ${gen.stderr}`);
        const sdir = join(tel.dir, 'sipp');
        mkdirSync(sdir);
        writeFileSync(join(sdir, 'caller.xml'), gen.stdout);
        const sp = await freePorts();
        sipp = spawn('sipp', [`127.0.0.1:${tel.sipPort}`, '-sf', 'caller.xml', '-s', DID, '-i', '127.0.0.1', '-p', String(sp.sip),
            '-mi', '127.0.0.1', '-mp', String(sp.rtpMin), '-m', String(CALLERS), '-l', String(CALLERS), '-r', '10', '-nostdin',
            '-timeout', '60s', '-timeout_error', '-trace_err', '-error_file', 'err.log', '-rtp_echo', '-cid_str', 'wallboard-%u-%p@%s'],
        { cwd: sdir, stdio: ['ignore', 'ignore', 'ignore'] });
        const one = await waitBoard((b) => b.waiting >= 1, 10_000, 'a caller waiting on the board');
        note(`first caller: ${JSON.stringify(one)}`);
        const all = await waitBoard((b) => b.waiting === CALLERS, 10_000, `${CALLERS} waiting`);
        check(all.level === 'red', `3 waiting: the tile is red (${all.level})`);
        check(all.alerts.includes('ar/waiting/red'), `the alert list names it: ${all.alerts}`);
        const later = await waitBoard((b) => b.longest !== all.longest && b.longest !== '0:00', 8_000, 'the longest wait runs on');
        note(`longest wait ${all.longest} -> ${later.longest}`);
        await page.screenshot({ path: join(SHOTS, 'wallboard-1920-fr.png') });
    });

    await test('in Arabic: right to left, the same figures, still no scrolling', async () => {
        await setLanguage('ar');
        check(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'dir=rtl');
        const b = await waitBoard((x) => x.waiting === CALLERS, 8_000, 'the callers still waiting');
        const order = await page.evaluate(() => {
            const tiles = [...document.querySelectorAll('#wb-tiles .wb-tile')].slice(0, 2).map((e) => e.getBoundingClientRect().left);
            return tiles[0] > tiles[1];
        });
        check(order, 'the first language\'s tile is on the right');
        const f = await fits();
        check(f.h <= f.vh && f.w <= f.vw && f.outside === 0, `no scrolling in Arabic: ${JSON.stringify(f)}`);
        note(`ar: ${JSON.stringify(b)}`);
        await page.screenshot({ path: join(SHOTS, 'wallboard-1920-ar.png') });
    });

    await test('the callers give up: waiting back to 0, today\'s calls and abandon rate count them (src/stats over the event log)', async () => {
        /* waiting is the snapshot's (at once); today's figures are at most 5 s old */
        const after = await waitBoard((b) => b.waiting === 0 && b.abandon !== '—', HOLD_MS + 20_000, 'the abandons counted today');
        note(`after: ${JSON.stringify(after)}`);
        check(after.offered === CALLERS, `${CALLERS} calls today: ${after.offered}`);
        check(/100/.test(after.abandon) || /١٠٠/.test(after.abandon), `all of them abandoned: ${after.abandon}`);
        check(after.alerts.includes('ar/abandon_rate/red'), `the abandon rate is an alert now: ${after.alerts}`);
        const code = await new Promise((r) => (sipp.exitCode !== null ? r(sipp.exitCode) : sipp.once('exit', r)));
        note(`SIPp exit ${code} (its callers hung up themselves)`);
    });

    await test('1280x720: the same board without scrolling', async () => {
        await page.setViewportSize({ width: 1280, height: 720 });
        await setLanguage('en');
        const f = await fits();
        note(`1280x720: ${JSON.stringify(f)}`);
        check(f.h <= f.vh && f.w <= f.vw && f.outside === 0, `no scrolling: ${JSON.stringify(f)}`);
        await page.screenshot({ path: join(SHOTS, 'wallboard-1280-en.png') });
    });

    await test('an agent registers and goes available: the board lists them with their state and time, and counts them in their queues', async () => {
        const r = await tel.phone.send({ cmd: 'register' });
        check(r.ok, `REGISTER: ${JSON.stringify(r)}`);
        agent = await apiClient(tel.url, 'agent', 'agent-demo-2026');
        const me = await until(async () => {
            const x = await agent('GET', '/api/v1/me/phone');
            return x.json.registered ? x.json : null;
        }, 10_000, 'the agent\'s phone registered');
        const set = await agent('PUT', '/api/v1/me/state', { state: 'available' });
        check(set.status === 200 || set.status === 202, `available: ${set.status}`);
        await page.waitForSelector(`#wb-agent-list [data-user="${me.user_id}"][data-state="available"]`);
        const spoken = me.languages.split(/\s+/).filter(Boolean);
        const avail = await page.$eval('#wb-tiles [data-queue="ar"] .wb-avail', (e) => e.textContent);
        note(`the agent speaks ${spoken.join(' ')}; the Arabic tile shows ${avail}`);
        check(!spoken.includes('ar') || /1/.test(avail), 'counted as available in the Arabic queue');
        const total = await page.$eval('#wb-totals [data-key="available"]', (e) => e.dataset.n);
        check(total === '1', `one agent available: ${total}`);
        agentId = me.user_id;
        await page.screenshot({ path: join(SHOTS, 'wallboard-1280-en-agent.png') });
    });

    await test('the supervision page: the same tiles, a link to the wallboard; the supervisor pauses the agent from it', async () => {
        await page.setViewportSize({ width: 1366, height: 768 });
        await setLanguage('fr').catch(() => null);
        await page.click('.wb-exit');
        await page.waitForFunction(() => document.getElementById('main').dataset.route === 'supervision');
        check(await page.isVisible('header.topbar'), 'the header is back');
        await page.waitForSelector('#tel-figures[data-state="on"] [data-queue="ar"]');
        check(await page.isVisible('#open-wallboard'), 'a link opens the wallboard');
        await page.click(`#tel-agents-table [data-action="agent"][data-user="${agentId}"]`);
        await page.waitForSelector('dialog [data-field="reason"]');
        await page.screenshot({ path: join(SHOTS, 'wallboard-supervision-fr.png'), fullPage: false });
        const reasons = await page.$$eval('dialog [data-field="reason"] option', (o) => o.map((x) => x.value));
        check(reasons.length > 0, `pause reasons offered: ${reasons}`);
        await page.click('dialog [data-action="pause"]');
        await until(async () => (await agent('GET', '/api/v1/me/phone')).json.state === 'paused', 5000, 'the agent paused');
        await page.waitForSelector(`#tel-agents-table tr[data-user="${agentId}"][data-state="paused"]`);
        const audit = await page.evaluate(async () => (await (await fetch('/api/v1/tel/status')).json()).agents);
        check(audit.some((a) => a.user_id && a.state === 'paused'), 'the status shows the pause');
        await agent('PUT', '/api/v1/me/state', { state: 'offline' });
    });

    await noScriptErrors(pageErrors);
} finally {
    if (browser)
        await browser.close().catch(() => null);
    stopAll();
}
done();
