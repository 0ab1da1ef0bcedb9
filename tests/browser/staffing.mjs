// Browser test of the staffing page (#/staffing): the supervisor computes the
// textbook interval with the calculator (14 agents, 20 to schedule with 30 %
// shrinkage), then a Monday's plan from past Mondays written to the event
// log (French calls at 10:00 forecast, the handle time measured), a day of
// Ramadan flagged, and the page in Arabic, right to left. Screenshots in
// WASL_SCREENSHOTS. Prints TAP; exits 1 on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 WASL_DB=/tmp/wasl-api-x/wasl.db node tests/browser/staffing.mjs

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, SHOTS, uiTexts } from './pages.mjs';
import { checkNoErrors, tap } from './tap.mjs';
import { openBrowser } from './telephony.mjs';

const DB = process.env.WASL_DB;
const ar = uiTexts('ar');
const { test, check, equal, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });

const sqlite = (sql) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', DB, sql], { encoding: 'utf8' }).trim();

/* ms since the epoch of a wall-clock time in Casablanca (the center's zone), read from the
 * system's zone database as the server reads it (Chromium's and Node's own copy may differ). */
function casablanca(day, hhmm) {
    return 1000 * Number(execFileSync('date', ['-d', `TZ="Africa/Casablanca" ${day} ${hhmm}`, '+%s'], { encoding: 'utf8' }).trim());
}

/* 30 Nov 2026 and 23 Nov 2026 (Mondays), from 10:02 in Casablanca: six French calls answered on
 * the 30th (100 s of talk, 20 s of wrap-up), three on the 23rd. */
function writeMondays() {
    const agent = Number(sqlite("SELECT id FROM users WHERE login = 'agent'"));
    const rows = [];
    let call = 9000;
    const ev = (at, kind, c, a, q, d) => rows.push(`(${at}, '${kind}', ${c ?? 'NULL'}, ${a ?? 'NULL'}, ${q ? `'${q}'` : 'NULL'}, '${JSON.stringify(d)}')`);
    for (const [day, n] of [['2026-11-30', 6], ['2026-11-23', 3]]) {
        for (let i = 0; i < n; i++) {
            call += 1;
            const t0 = (casablanca(day, '10:02') + i * 240000) * 1000;
            ev(t0, 'call.arrived', call, null, null, { did: '+33800100200', country: 'FR', sip_call_id: `b${call}` });
            ev(t0 + 1e6, 'queue.joined', call, null, 'fr', { service: 'general', position: 1 });
            ev(t0 + 5e6, 'call.answered', call, agent, 'fr', { waited_ms: 4000 });
            ev(t0 + 5e6, 'agent.state', call, agent, null, { state: 'busy', reason: '', by: 0 });
            ev(t0 + 105e6, 'call.ended', call, agent, null, { outcome: 'answered', path: '', waited_ms: 4000, talked_ms: 100000 });
            ev(t0 + 105e6, 'agent.state', call, agent, null, { state: 'wrap_up', reason: '', by: 0 });
            ev(t0 + 125e6, 'agent.state', null, agent, null, { state: 'available', reason: '', by: 0 });
        }
    }
    sqlite(`INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES ${rows.join(', ')}`);
}

const browser = await openBrowser('wasl-staffing-', { viewport: { width: 1366, height: 900 }, locale: 'en-GB', timezoneId: null });
const { page, pageErrors } = browser;
page.setDefaultTimeout(8000);

async function makePlan(day, lang) {
    await page.fill('#plan-day', day);
    await page.selectOption('#plan-language', lang);
    await page.fill('#plan-weeks-n', '2');
    await page.evaluate(() => { delete document.getElementById('plan-result').dataset.day; });
    await page.click('#plan-form button[type=submit]');
    await page.waitForFunction((d) => document.getElementById('plan-result').dataset.day === d, day);
}

try {
    await test('the supervisor opens Staffing from the navigation', async () => {
        check(DB, 'WASL_DB names the SQLite file of the server at WASL_URL');
        writeMondays();
        await page.goto(`${BASE}/#/login`);
        await page.waitForSelector('input[name=login]');
        await page.fill('input[name=login]', 'supervisor');
        await page.fill('input[name=password]', 'supervisor-demo-2026');
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('main').dataset.route !== 'login');
        await page.click('#main-nav a[data-route="staffing"]');
        await page.waitForSelector('#calc-form');
    });

    await test('the calculator: 100 calls in 30 min of 180 s, 80 % in 20 s -> 14 agents, 20 to schedule', async () => {
        await page.fill('#staff-calls', '100');
        await page.click('#calc-form button[type=submit]');
        await page.waitForSelector('#calc-answer');
        equal(await page.$eval('#calc-answer', (e) => [e.dataset.agents, e.dataset.rostered]), ['14', '20'], 'the answer');
        equal(await page.$$eval('#calc-table tbody tr', (trs) => trs.map((r) => r.dataset.agents)), ['12', '13', '14', '15', '16'],
            'two fewer to two more');
        equal(await page.$eval('#calc-table tr[aria-current=true]', (e) => e.dataset.agents), '14', 'the chosen row marked');
    });

    await test("a Monday's plan: French calls at 10:00 from the past two Mondays, the handle time measured", async () => {
        await makePlan('2026-12-07', 'fr');
        const row = await page.$$eval('#plan-table-fr tr[data-start="10:00"] td', (tds) => tds.map((td) => td.textContent));
        equal(row[0], '5', '(2 x 6 + 1 x 3) / 3 calls');
        equal(row[1], '120', '100 s of talk and 20 s of wrap-up');
        check(Number(row[2]) >= 1 && Number(row[3]) > Number(row[2]), `agents and more to schedule: ${row}`);
        equal(await page.$$eval('#plan-weeks li', (lis) => lis.map((l) => l.dataset.use)), ['used', 'used'], 'both Mondays used');
        await page.screenshot({ path: join(SHOTS, 'staffing-en.png'), fullPage: true });
    });

    await test('a day of Ramadan is flagged, and so are the past weeks in it', async () => {
        await makePlan('2026-03-02', '');
        equal(await page.$$eval('#plan-seasons [data-season]', (s) => s.map((x) => x.dataset.season)), ['ramadan'], 'Ramadan');
        equal(await page.$$eval('#plan-weeks li', (lis) => lis.map((l) => [l.dataset.use, l.querySelectorAll('.season').length])),
            [['no_data', 1], ['no_data', 0]], '23 Feb in Ramadan, 16 Feb before it; no calls logged then');
        equal(await page.$$eval('.plan-language', (s) => s.length), 7, 'seven languages');
    });

    await test('in Arabic the page reads right to left', async () => {
        await page.selectOption('#lang-select', 'ar');
        await page.waitForFunction(() => document.documentElement.lang === 'ar');
        await page.waitForSelector('#calc-form');
        equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir=rtl');
        equal(await page.textContent('h1'), ar['staffing.title'], 'the title in Arabic');
        await page.fill('#staff-calls', '100');
        await page.click('#calc-form button[type=submit]');
        await page.waitForSelector('#calc-answer');
        await makePlan('2026-12-07', 'fr');
        const box = await page.$eval('#calc-form', (f) => {
            const a = f.querySelector('label').getBoundingClientRect();
            return { label: a.right, form: f.getBoundingClientRect().right };
        });
        check(box.form - box.label < 40, `labels start on the right: ${JSON.stringify(box)}`);
        await page.screenshot({ path: join(SHOTS, 'staffing-ar.png'), fullPage: true });
        checkNoErrors(pageErrors);
    });
} finally {
    await browser.close();
}
done();
