// Browser test of the practice line (docs/practice.md): a server of its own
// with the telephony on (telephony.mjs) and the French script's spoken lines;
// the demo agent's phone registers (the agent stays out of the queues). In
// Chromium the agent goes from the desk to practice mode (#/practice) and
// starts a call; wasl rings the phone, the phone answers, the page shows the
// call and the record form; the
// agent searches the guide, marks the lost-passport article consulted, fills
// the case (dossier, passport, due date a week after the call) and sees the
// score: 100 %. The page in Arabic reads right to left; the supervisor sees
// the session and its score. Prints TAP; exits 1 on a failure. Screenshots
// (WASL_SCREENSHOTS, default build/screenshots): practice-fr.png,
// practice-ar.png, practice-supervisor-fr.png.
//
//   node tests/browser/practice.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS } from './pages.mjs';
import { apiClient, openBrowser, pageSteps, startTelephony, until } from './telephony.mjs';
import { tap, timeLimit } from './tap.mjs';

const TIME_LIMIT_MS = 120_000;
const SCRIPT = 'fr-passeport-perdu-milan';

const { test, check, equal, noScriptErrors, done } = tap();

timeLimit(TIME_LIMIT_MS, 'the practice tests');
mkdirSync(SHOTS, { recursive: true });

const tel = await startTelephony({
    settings: { 'sip.wrap_up': '0s' },
    prompts: [0, 1, 2].map((k) => `practice/${SCRIPT}/${k}`),
});
const browser = await openBrowser('wasl-practice-', { viewport: { width: 1366, height: 900 } });
const { page, pageErrors } = browser;
const { waitRoute, login, chooseLanguage, logout } = pageSteps(page, tel.url);

let session = null;

try {
    await test('the agent starts a practice call from the page; the phone rings and answers', async () => {
        const agent = await apiClient(tel.url, 'agent', 'agent-demo-2026');
        const reg = await tel.phone.send({ cmd: 'register' });
        check(reg.ok, `the phone registers: ${JSON.stringify(reg)}`);
        await until(async () => (await agent('GET', '/api/v1/me/phone')).json.registered, 10_000, 'registered');
        await login('agent', 'agent-demo-2026');
        await chooseLanguage('fr');
        /* from the desk: its practice mode button */
        await page.click('#main-nav-list a[data-route="agent"]');
        await waitRoute('agent');
        await page.click('#desk [data-action="practice"]');
        await waitRoute('practice');
        await page.waitForSelector(`select[name=script] option[value="${SCRIPT}"]`, { state: 'attached' });
        await page.selectOption('select[name=script]', SCRIPT);
        await page.click('[data-action="start"]');
        await page.waitForSelector('.practice-session[data-state="ringing"], .practice-session[data-state="dialling"]');
        await until(async () => (await tel.phone.send({ cmd: 'answer' })).ok, 10_000, 'the phone answers');
        await page.waitForSelector('.practice-session[data-state="answered"] form.practice-record', { timeout: 15_000 });
        session = Number(await page.getAttribute('.practice-session', 'data-session'));
        check(session > 0, `session ${session}`);
    });

    await test('the agent consults the guide, fills the case and is scored 100 %', async () => {
        await page.fill('.practice-record input[name=q]', 'passeport perdu');
        await page.click('[data-action="search"]');
        await page.waitForSelector('[data-action="consulted"][data-slug="passport-lost"]');
        await page.click('[data-action="consulted"][data-slug="passport-lost"]');
        await page.waitForSelector('.practice-consulted li[data-slug="passport-lost"]');
        const agent = await apiClient(tel.url, 'agent', 'agent-demo-2026');
        const s = (await agent('GET', `/api/v1/practice/sessions/${session}`)).json;
        const day = new Date(`${s.started_at.slice(0, 10)}T12:00:00Z`);
        day.setUTCDate(day.getUTCDate() + 7);
        await page.selectOption('select[name=disposition]', 'case_opened');
        await page.selectOption('select[name=case_type]', 'dossier');
        await page.selectOption('select[name=category]', 'passport');
        await page.fill('input[name=due_on]', day.toISOString().slice(0, 10));
        await page.click('[data-action="record"]');
        await page.waitForSelector('.practice-result[data-score="100"]');
        const rows = await page.$$eval('.practice-result tr[data-criterion]', (trs) => trs.map((tr) => `${tr.dataset.criterion}:${tr.dataset.met}`));
        equal(rows, ['article:true', 'case_type:true', 'category:true', 'deadline_days:true'], 'every criterion met');
        await page.waitForSelector(`#practice-sessions tr[data-session="${session}"]`);
        await page.screenshot({ path: join(SHOTS, 'practice-fr.png'), fullPage: true });
    });

    await test('in Arabic the page reads right to left', async () => {
        await chooseLanguage('ar');
        await page.waitForSelector('.practice-result[data-score="100"]');
        equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        const box = await page.$eval('.page-practice h1', (el) => {
            const r = el.getBoundingClientRect();
            return { right: r.right, width: document.documentElement.clientWidth };
        });
        check(box.right > box.width / 2, `the title starts on the right: ${JSON.stringify(box)}`);
        await page.screenshot({ path: join(SHOTS, 'practice-ar.png'), fullPage: true });
        await chooseLanguage('fr');
    });

    await test('the supervisor sees the trainee\'s session and its score', async () => {
        await logout();
        await login('supervisor', 'supervisor-demo-2026');
        await page.click('#main-nav-list a[data-route="practice"]');
        await waitRoute('practice');
        await page.waitForSelector(`#practice-sessions tr[data-session="${session}"]`);
        const row = await page.textContent(`#practice-sessions tr[data-session="${session}"]`);
        check(row.includes('100 %'), `the row: ${row}`);
        await page.click(`#practice-sessions tr[data-session="${session}"] a`);
        await page.waitForSelector('.practice-result[data-score="100"]');
        await page.screenshot({ path: join(SHOTS, 'practice-supervisor-fr.png'), fullPage: true });
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
    await tel.close();
}

done();
