// Browser test of a quality review, from the call's selection to the
// agent's acknowledgement, on a call really made and recorded: a server of
// its own with the telephony on (telephony.mjs: straight to the Arabic
// queue, recording on); the demo agent's phone registers and answers a
// carrier's call; the agent records the call (disposition, the guide article
// consulted, a case). The supervisor finds it on the quality page by agent,
// opens it, sees its facts, events and article, listens to the recording
// (audited), scores it on the form and saves; the agent finds the review
// under "My reviews", comments and acknowledges it; the page in Arabic reads
// right to left. Prints TAP; exits 1 on a failure. Screenshots (in
// WASL_SCREENSHOTS, default build/screenshots): quality-list-fr.png,
// quality-review-fr.png, quality-mine-fr.png, quality-mine-ar.png,
// quality-review-ar.png.
//
//   node tests/browser/quality.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SHOTS } from './pages.mjs';
import { apiClient, openBrowser, pageSteps, startTelephony, until } from './telephony.mjs';
import { tap, timeLimit } from './tap.mjs';

const TIME_LIMIT_MS = 150_000;

const { test, check, equal, noScriptErrors, done } = tap();

timeLimit(TIME_LIMIT_MS, 'the quality tests');
mkdirSync(SHOTS, { recursive: true });

const tel = await startTelephony({ settings: { 'sip.wrap_up': '0s' } });
const browser = await openBrowser('wasl-quality-', { viewport: { width: 1366, height: 900 } });
const { page, pageErrors } = browser;
const { waitRoute, login, chooseLanguage, logout } = pageSteps(page, tel.url);

let call = null;
let agentId = 0;

try {
    await test('a recorded call: the agent answers it on their phone and records what it was about', async () => {
        const agent = await apiClient(tel.url, 'agent', 'agent-demo-2026');
        agentId = (await agent('GET', '/api/v1/session')).json.user.id;
        const reg = await tel.phone.send({ cmd: 'register' });
        check(reg.ok, `the phone registers: ${JSON.stringify(reg)}`);
        await until(async () => (await agent('GET', '/api/v1/me/phone')).json.registered, 10_000, 'registered');
        const st = await agent('PUT', '/api/v1/me/state', { state: 'available' });
        check([200, 202].includes(st.status), `available: ${st.status}`);
        check((await tel.phone.send({ cmd: 'call', caller: '+33612345678' })).ok, 'a carrier calls');
        await until(async () => (await agent('GET', '/api/v1/me/phone')).json.state === 'ringing', 10_000, 'the phone rings');
        check((await tel.phone.send({ cmd: 'answer' })).ok, 'the agent answers');
        await until(async () => (await agent('GET', '/api/v1/me/phone')).json.state === 'busy', 10_000, 'on the call');
        const phone = (await agent('GET', '/api/v1/me/phone')).json;
        check((await tel.phone.send({ cmd: 'hangup' })).ok, 'the caller hangs up');
        const sup = await apiClient(tel.url, 'supervisor', 'supervisor-demo-2026');
        const items = await until(async () => {
            const r = await sup('GET', '/api/v1/quality/calls?recorded=1');
            return r.json.items && r.json.items.length ? r.json.items : null;
        }, 15_000, 'the call in the call log, recorded');
        call = items[0];
        equal(call.id, phone.call, 'the call the agent took');
        const version = (await agent('GET', '/api/v1/guide/articles/passport-lost?lang=ar')).json.text.version;
        const c = await agent('POST', '/api/v1/cases', {
            type: 'dossier', category: 'passport', language: 'ar', country: 'FR', subject: 'جواز سفر ضائع',
            fields: { procedure: 'passport', consulate: 'FR-PAR' }, citizen: { name: 'سلمى بناني', phone: '+33612345678' },
        });
        equal(c.status, 201, 'a case opened on the call');
        const d = await agent('PUT', `/api/v1/desk/calls/${call.id}`, {
            disposition: 'case_opened', reference: c.json.reference, articles: [{ slug: 'passport-lost', lang: 'ar', version }],
        });
        equal(d.status, 200, 'the call recorded at the desk');
        call.reference = c.json.reference;
    });

    await test('the supervisor picks the call on the quality page by agent', async () => {
        await login('supervisor', 'supervisor-demo-2026');
        await chooseLanguage('fr');
        await page.click('#main-nav-list a[data-route="quality"]');
        await waitRoute('quality');
        await page.waitForSelector(`#quality-calls tr[data-call="${call.id}"]`);
        await page.waitForSelector(`select[name=agent] option[value="${agentId}"]`, { state: 'attached' });
        await page.selectOption('select[name=agent]', String(agentId));
        await page.selectOption('select[name=disposition]', 'case_opened');
        await page.click('[data-action="filter"]');
        await page.waitForFunction((id) => {
            const rows = document.querySelectorAll('#quality-calls tbody tr[data-call]');
            return rows.length === 1 && rows[0].dataset.call === String(id);
        }, call.id);
        const text = await page.textContent(`#quality-calls tr[data-call="${call.id}"]`);
        check(text.includes('Demo Agent') && text.includes('Dossier ouvert') && text.includes('ar'), `the row, the disposition by its name: ${text}`);
        /* a filter that excludes it */
        await page.selectOption('select[name=disposition]', 'wrong_number');
        await page.click('[data-action="filter"]');
        await page.waitForSelector('#quality-calls tbody tr:not([data-call])');
        await page.selectOption('select[name=disposition]', '');
        await page.click('[data-action="filter"]');
        await page.waitForSelector(`#quality-calls tr[data-call="${call.id}"]`);
        await page.screenshot({ path: join(SHOTS, 'quality-list-fr.png'), fullPage: true });
        await page.click(`#quality-calls tr[data-call="${call.id}"] [data-action="review"]`);
        await waitRoute('quality/review');
    });

    await test('the review page: facts, case, article, events; the recording plays (audited)', async () => {
        await page.waitForSelector('#quality-call-facts');
        const facts = await page.textContent('#quality-call-facts');
        check(facts.includes(call.reference) && facts.includes('Demo Agent'), `facts: ${facts}`);
        check((await page.textContent('#quality-articles')).includes('passport-lost'), 'the article consulted');
        const kinds = await page.$$eval('#quality-events li', (lis) => lis.map((li) => li.dataset.kind));
        check(kinds.includes('call.answered') && kinds.includes('call.ended'), `the call's events: ${kinds.join(' ')}`);
        const [wav] = await Promise.all([
            page.waitForResponse((res) => new RegExp(`/api/v1/tel/calls/${call.id}/recording$`).test(res.url())),
            page.click('[data-action="listen"]'),
        ]);
        equal(wav.status(), 200, 'the recording');
        await page.waitForFunction(() => {
            const a = document.querySelector('audio[data-call]');
            return a && a.readyState >= 1 && Number.isFinite(a.duration);
        });
    });

    await test('the supervisor scores the call on the form and saves', async () => {
        const pick = async (q, v) => page.check(`[data-question="${q}"] input[value="${v}"]`);
        /* saving with a question unanswered is refused in the page */
        await page.click('[data-action="save"]');
        await page.waitForSelector('#quality-result .alert-error');
        await pick('greeting_language', 'yes');
        await pick('identity_before_data', 'yes');
        await pick('right_article', 'yes');
        await pick('current_version', 'yes');
        await pick('deadline_given', 'yes');
        await pick('case_opened', 'yes');
        await pick('closing', '1');
        await page.fill('textarea[name=comment]', 'Bon accueil en arabe ; résumez la suite avant de raccrocher.');
        await page.click('[data-action="save"]');
        await page.waitForSelector('#quality-result[data-score]');
        const score = Number(await page.$eval('#quality-result', (e) => e.dataset.score));
        /* closing 1 of 2: its section (weight 10 of 100) at half */
        equal(score, 95, 'the score');
        check((await page.textContent('#quality-result')).includes('95'), 'said on the page');
        await page.waitForSelector('#quality-reviews tr[data-review]');
        await page.screenshot({ path: join(SHOTS, 'quality-review-fr.png'), fullPage: true });
        const admin = await apiClient(tel.url, 'admin', 'admin-demo-2026');
        const audit = (await admin('GET', '/api/v1/audit?action=call.recording_listen')).json.entries;
        check(audit.some((e) => e.object === `call:${call.id}` && e.actor === 'supervisor'), 'the listening is in the audit trail');
        const saved = (await admin('GET', '/api/v1/audit?action=quality.review_saved')).json.entries;
        check(saved.some((e) => e.object === `call:${call.id}`), 'so is the review');
    });

    await test('the agent reads the review under "My reviews", comments and acknowledges it', async () => {
        await logout();
        await login('agent', 'agent-demo-2026');
        await chooseLanguage('fr');
        await page.click('#main-nav-list a[data-route="reviews"]');
        await waitRoute('reviews');
        const card = await page.waitForSelector('#my-reviews article[data-acknowledged="false"]');
        const text = await card.textContent();
        check(text.includes('95') && text.includes('résumez la suite') && text.includes('Supervisor'), `the review: ${text}`);
        check(text.includes("A accueilli l'appelant dans sa langue"), 'the questions in French');
        await page.fill('textarea[name=agent_comment]', "Merci, je résumerai la suite à l'avenir.");
        await page.click('[data-action="acknowledge"]');
        await page.waitForSelector('#my-reviews article[data-acknowledged="true"]');
        check((await page.textContent('#my-reviews article')).includes("je résumerai la suite"), 'the comment shown');
        await page.screenshot({ path: join(SHOTS, 'quality-mine-fr.png'), fullPage: true });
        const agent = await apiClient(tel.url, 'agent', 'agent-demo-2026');
        const mine = (await agent('GET', '/api/v1/quality/reviews')).json.items;
        check(mine.length === 1 && mine[0].acknowledged && mine[0].agent_comment.includes('résumerai'), 'stored');
    });

    await test('in Arabic the agent\'s reviews and the review page read right to left', async () => {
        await chooseLanguage('ar');
        await page.waitForSelector('#my-reviews article[data-acknowledged="true"]');
        equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        check((await page.textContent('h1')).includes('تقييماتي'), 'the title in Arabic');
        check((await page.textContent('#my-reviews article')).includes('رحّب بالمتصل بلغته'), 'the form\'s questions in Arabic');
        const box = await page.$eval('#my-reviews article h2', (el) => {
            const r = el.getBoundingClientRect();
            return { right: r.right, width: document.documentElement.clientWidth };
        });
        check(box.right > box.width / 2, `the heading starts on the right: ${JSON.stringify(box)}`);
        await page.screenshot({ path: join(SHOTS, 'quality-mine-ar.png'), fullPage: true });
        await chooseLanguage('fr');
        await logout();
        await login('supervisor', 'supervisor-demo-2026');
        await page.goto(`${tel.url}/#/quality/review?call=${call.id}`);
        await waitRoute('quality/review');
        await chooseLanguage('ar');
        await page.waitForSelector('#quality-reviews tr[data-review]');
        const ackCell = await page.textContent('#quality-reviews tr[data-review] td:last-child');
        check(ackCell.trim() !== '—', `the supervisor sees it acknowledged: ${ackCell}`);
        await page.screenshot({ path: join(SHOTS, 'quality-review-ar.png'), fullPage: true });
        await chooseLanguage('fr');
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
    await tel.close();
}

done();
