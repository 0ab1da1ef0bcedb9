// Browser check of the published figures on the citizens' portal (#figures),
// against a wasl with the demo cases (wasl init --demo) and calls written to
// its event log here, in the middle of the last whole month: no login; the
// page shows the public route's numbers for France and the total, its
// withheld cells as "c" with the legend, the calls per consulate; a
// change of month follows; in Arabic the page is right to left. Screenshots
// in French and Arabic go to WASL_SCREENSHOTS. Prints TAP; exits 1 on a
// failure.
//
//   WASL_URL=http://127.0.0.1:18181 WASL_DB=/tmp/.../wasl.db node tests/browser/published.mjs

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, chromiumOptions } from './pages.mjs';
import { tap, timeLimit } from './tap.mjs';

const DB = process.env.WASL_DB;
const SHOTS = process.env.WASL_SCREENSHOTS || '';
const TIME_LIMIT_MS = 60_000;

const { test, equal, check, done } = tap({ bail: true });

/* Calls in the middle of the last whole month: France 25 answered, Spain 12,
 * Belgium 3 (a small count, withheld with another one). */
function writeCalls() {
    const now = new Date();
    const mid = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 15, 9, 0, 0) * 1000;
    const rows = [];
    let id = 5000;
    const add = (country, n, waitS) => {
        for (let i = 0; i < n; i++) {
            id += 1;
            const at = mid + id * 60_000_000;
            const w = at + waitS * 1_000_000;
            rows.push(`(${at}, 'call.arrived', ${id}, NULL, NULL, '{"did":"+800","country":"${country}","sip_call_id":"b${id}"}')`,
                `(${at}, 'queue.joined', ${id}, NULL, 'fr', '{"service":"general","position":1}')`,
                `(${w}, 'call.answered', ${id}, 7, 'fr', '{"waited_ms":${waitS * 1000}}')`,
                `(${w + 60_000_000}, 'call.ended', ${id}, 7, NULL, '{"outcome":"answered","path":"","waited_ms":${waitS * 1000},"talked_ms":60000}')`);
        }
    };
    add('FR', 25, 12);
    add('ES', 12, 30);
    add('BE', 3, 5);
    execFileSync('sqlite3', ['-cmd', '.timeout 10000', DB,
        `INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES ${rows.join(',\n')};`]);
}

const { chromium } = await import('playwright-core');
timeLimit(TIME_LIMIT_MS, 'the published figures\' checks');
writeCalls();
const browser = await chromium.launch(chromiumOptions());
const page = await browser.newPage({ locale: 'fr-FR', viewport: { width: 1366, height: 900 } });
page.setDefaultTimeout(10000);
const api = await (await fetch(`${BASE}/api/v1/public/figures`)).json();
const shot = async (name) => {
    if (!SHOTS)
        return;
    mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: join(SHOTS, name), fullPage: true });
};
const cellText = (table, code, figure) => page.locator(
    `.figures-table >> nth=${table} >> ${code === null ? 'tfoot tr' : `tbody tr[data-code="${code}"]`} >> td[data-figure="${figure}"]`)
    .innerText();

await test('from the portal\'s first page, without a login, to the last whole month', async () => {
    await page.goto(`${BASE}/portal.html?lang=fr`);
    await page.click('a.portal-choice[data-view="figures"]');
    await page.waitForSelector('.portal-figures .figures-table');
    equal(await page.inputValue('#figures-month'), api.month, 'the month shown');
    equal(await page.locator('.figures-table').count(), 2, 'by country and by consulate');
});

await test('France and the total: the public route\'s numbers', async () => {
    const fr = api.countries.find((r) => r.code === 'FR');
    equal(fr.calls_answered, 25, 'the route counts the calls written');
    equal(await cellText(0, 'FR', 'calls_answered'), '25', 'France\'s calls answered');
    equal(await cellText(0, 'FR', 'median_wait_s'), '12 s', 'France\'s median wait');
    equal((await cellText(0, null, 'calls_answered')).replace(/\s/g, ''), String(api.total.calls_answered), 'the total');
});

await test('withheld cells are "c", explained under the tables; calls per consulate too', async () => {
    const withheld = api.countries.concat(api.consulates).reduce((n, r) => n + r.suppressed.length, 0);
    check(withheld > 0, 'the month has withheld cells (Belgium\'s 3 calls at least)');
    equal(await page.locator('tbody td.figure-withheld').count(), withheld, 'one "c" per withheld cell');
    equal(await cellText(0, 'BE', 'calls_answered'), 'c', 'Belgium\'s 3 calls');
    check((await page.innerText('.figures-legend')).includes(`moins de ${api.min_count} personnes`), 'the legend says the rule');
    check(await page.locator('.figures-table >> nth=1 >> th', { hasText: 'Appels' }).count() > 0, 'a call column per consulate');
    equal((await cellText(1, null, 'calls_answered')).replace(/\s/g, ''), String(api.total.calls_answered), 'the consulates\' total is the center\'s');
    check((await page.innerText('.figures-notes')).includes('avec un dossier de ce consulat'), 'the note says how a call gets a consulate');
    await shot('published-fr.png');
});

await test('the CSV download is the month\'s', async () => {
    const href = await page.getAttribute('a[data-download="csv"]', 'href');
    equal(href, `/api/v1/public/figures?month=${api.month}&format=csv`, 'link');
    const csv = await (await fetch(`${BASE}${href}`)).text();
    check(csv.startsWith('month,level,code,calls_answered'), 'a CSV');
});

await test('another month', async () => {
    const before = await page.locator('#figures-month option').nth(1).getAttribute('value');
    await page.selectOption('#figures-month', before);
    /* the tables of that month, not the select (changed before them) */
    await page.waitForFunction((m) => location.hash === `#figures?month=${m}`
        && document.querySelector('section.portal-figures')?.dataset.month === m, before);
    equal(await page.locator('.figures-table >> nth=0 >> tbody tr[data-code="FR"] td[data-figure="calls_answered"]').innerText(), '0',
        'no call that month');
    await page.selectOption('#figures-month', api.month);
    await page.waitForFunction((m) => document.querySelector('section.portal-figures')?.dataset.month === m, api.month);
});

await test('in Arabic, right to left', async () => {
    await page.click('.portal-lang[data-lang="ar"]');
    await page.waitForFunction(() => document.documentElement.lang === 'ar');
    equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
    await page.waitForSelector('.figures-table caption >> text=حسب البلد');
    const [table, first] = await page.evaluate(() => {
        const t = document.querySelector('.figures-table');
        const th = t.querySelector('thead th').getBoundingClientRect();
        const td = t.querySelector('thead th:last-child').getBoundingClientRect();
        return [getComputedStyle(t).direction, th.left > td.left];
    });
    equal(table, 'rtl', 'the table runs right to left');
    equal(first, true, 'the first column is on the right');
    await shot('published-ar.png');
});

await browser.close();
done();
