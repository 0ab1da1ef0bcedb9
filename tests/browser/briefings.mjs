// Browser test of the guide briefings (docs/briefings.md): an editor writes
// an amendment of an article in French and another editor publishes it from
// the review page with a multiple-choice question; the French-speaking
// agent's desk shows the pending briefing (count, the diff with insertions
// and deletions marked, the question), the German-only agent's desk shows
// none; the agent answers (a wrong choice first) and acknowledges; the
// supervisors' page shows it acknowledged. An Arabic amendment is read right
// to left. Screenshots in French and Arabic. Prints TAP; exits 1 on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/briefings.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, call, chooseLanguage, launch, SHOTS } from './pages.mjs';
import { tap } from './tap.mjs';

const SLUG = 'passport-adult';
const PASSWORD = 'Briefing-browser-2026';
const { test, check, equal, noScriptErrors, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });

const { browser, open, pageErrors } = await launch({ base: BASE, viewport: { width: 1366, height: 900 } });

const route = (page, r) => page.waitForFunction((x) => document.getElementById('main').dataset.route === x, r);

/* A user made by the administrator, with their own password and (languages) a phone. */
async function makeUser(admin, login, role, languages) {
    const r = await call(admin, 'POST', '/api/v1/users', { login, display_name: login[0].toUpperCase() + login.slice(1), role });
    equal(r.status, 201, `user ${login}`);
    const id = r.json.user ? r.json.user.id : r.json.id;
    if (languages)
        equal((await call(admin, 'PUT', `/api/v1/users/${id}/sip`, { sip_user: `${login}-phone`, password: 'Sip-secret-2026', languages })).status,
            200, `${login}'s phone takes ${languages}`);
    const page = await open(login, r.json.temporary_password);
    equal((await call(page, 'POST', '/api/v1/me/password', { current_password: r.json.temporary_password, new_password: PASSWORD })).status,
        204, `${login} sets a password`);
    return page;
}

/* The desk drawn anew, after its briefings were read from the server. */
async function desk(page) {
    await page.goto(`${BASE}/#/agent`);
    await page.reload();
    await route(page, 'agent');
    await page.waitForSelector('#desk [data-action="briefings"][data-loaded]', { state: 'attached' });
}

/* An amendment written through the API by the demo editor, sent for review;
 * returns the version's id. */
async function draftAmendment(editor, lang, change) {
    const cur = (await call(editor, 'GET', `/api/v1/guide/articles/${SLUG}?lang=${lang}`)).json.text;
    const v = {};
    for (const k of ['title', 'summary', 'body', 'documents', 'fees', 'processing_time', 'where_to_apply', 'source', 'checked_on', 'confidence'])
        v[k] = cur[k];
    change(v);
    Object.assign(v, { lang, reason: 'Nouveau tarif' });
    const r = await call(editor, 'POST', `/api/v1/guide/articles/${SLUG}/versions`, v);
    equal(r.status, 201, `draft in ${lang}: ${JSON.stringify(r.json)}`);
    equal((await call(editor, 'POST', `/api/v1/guide/versions/${r.json.id}/submit`)).status, 200, 'submitted');
    return r.json.id;
}

try {
    const admin = await open('admin', 'admin-demo-2026');
    const editor = await open('editor', 'editor-demo-2026');
    const nadia = await makeUser(admin, 'nadia', 'agent', 'fr:5 ar');
    const hans = await makeUser(admin, 'hans', 'agent', 'de');
    const publisher = await makeUser(admin, 'rachid', 'editor');
    const supervisor = await open('supervisor', 'supervisor-demo-2026');
    for (const p of [nadia, hans, publisher, supervisor])
        await chooseLanguage(p, 'fr');

    await test('nothing pending before the amendment', async () => {
        await desk(nadia);
        check(await nadia.$eval('#desk [data-action="briefings"]', (b) => b.hidden), 'no briefings button');
    });

    let vid;
    await test('an editor publishes an amendment with a question from the review page', async () => {
        vid = await draftAmendment(editor, 'fr', (v) => {
            v.fees[0].amount = 990;
            v.body = v.body.replace('\n', '\nLe tarif passe à 990 dirhams.\n');
        });
        await publisher.goto(`${BASE}/#/guide/edit/review`);
        const card = `.review-card[data-id="${vid}"]`;
        await publisher.waitForSelector(card);
        await publisher.click(`${card} .briefing-editor summary`);
        await publisher.click(`${card} [data-action="add-question"]`);
        await publisher.fill(`${card} .briefing-editor-row input[name="question"]`, 'Quel est le nouveau tarif du passeport adulte ?');
        await publisher.selectOption(`${card} .briefing-editor-row select[name="kind"]`, 'choice');
        await publisher.fill(`${card} .briefing-editor-row textarea[name="choices"]`, '860 dirhams\n990 dirhams\n1 200 dirhams');
        await publisher.fill(`${card} .briefing-editor-row input[name="right"]`, '2');
        await publisher.screenshot({ path: join(SHOTS, 'briefing-editor-fr.png'), fullPage: true });
        await publisher.click(`${card} [data-action="approve"]`);
        await publisher.waitForSelector(`${card}[data-done="approved"]`);
    });

    await test('the French-speaking agent\'s desk shows the pending briefing', async () => {
        await desk(nadia);
        const button = '#desk [data-action="briefings"]';
        check(!(await nadia.$eval(button, (b) => b.hidden)), 'the briefings button');
        equal(await nadia.textContent('#briefing-count'), '1', 'count badge');
        await nadia.click(button);
        const card = `#briefings .briefing-card[data-slug="${SLUG}"][data-lang="fr"]`;
        await nadia.waitForSelector(card);
        const fees = await nadia.$$eval(`${card} .briefing-field[data-field="fees"] :is(ins,del)`, (xs) => xs.map((x) => [x.tagName, x.textContent]));
        check(fees.some(([t, x]) => t === 'DEL' && x === '860') && fees.some(([t, x]) => t === 'INS' && x === '990'), `the fee, word by word: ${JSON.stringify(fees)}`);
        check((await nadia.$$eval(`${card} .briefing-field[data-field="body"] ins`, (xs) => xs.map((x) => x.textContent))).some((x) => x.includes('990 dirhams')),
            'the added sentence marked');
        equal(await nadia.$$eval(`${card} .briefing-question[data-kind="choice"] .briefing-choice`, (xs) => xs.length), 3, 'the question and its choices');
        await nadia.screenshot({ path: join(SHOTS, 'briefing-desk-fr.png'), fullPage: true });
    });

    await test('the German-only agent\'s desk shows none', async () => {
        await desk(hans);
        check(await hans.$eval('#desk [data-action="briefings"]', (b) => b.hidden), 'no briefings button');
        equal(await hans.$eval('#desk [data-action="briefings"]', (b) => b.dataset.count), '0', 'nothing pending');
    });

    await test('a wrong choice is refused, the right one acknowledges', async () => {
        const card = `#briefings .briefing-card[data-slug="${SLUG}"][data-lang="fr"]`;
        await nadia.check(`${card} .briefing-choice:nth-of-type(1) input`);
        await nadia.click(`${card} [data-action="acknowledge"]`);
        await nadia.waitForSelector(`${card} .briefing-problem [data-code="brief.wrong_answer"]`);
        await nadia.check(`${card} .briefing-choice:nth-of-type(2) input`);
        await nadia.click(`${card} [data-action="acknowledge"]`);
        await nadia.waitForSelector('#briefings .briefing-note[data-acknowledged]');
        equal(await nadia.$$eval('#briefings .briefing-card', (xs) => xs.length), 0, 'no longer pending');
        equal(await nadia.$eval('#desk [data-action="briefings"]', (b) => b.dataset.count), '0', 'the count');
    });

    await test('the supervisors\' page shows it acknowledged', async () => {
        await supervisor.goto(`${BASE}/#/supervision/briefings`);
        await route(supervisor, 'supervision/briefings');
        const row = `#briefings-table tr[data-slug="${SLUG}"][data-lang="fr"]`;
        await supervisor.waitForSelector(row);
        equal(await supervisor.$eval(row, (r) => r.dataset.acknowledged), '1', 'one agent has read it');
        const concerned = Number(await supervisor.$eval(row, (r) => r.dataset.concerned));
        check(concerned >= 2, `the French-speaking agents (nadia, the demo agent, the demo supervisor's phone): ${concerned}`);
        await supervisor.click(`${row} [data-action="detail"]`);
        await supervisor.waitForSelector('#briefing-detail .briefing-agents tr[data-state="acknowledged"]');
        const states = await supervisor.$$eval('.briefing-detail .briefing-agents tbody tr', (trs) => trs.map((tr) => [tr.cells[0].textContent, tr.dataset.state]));
        check(states.some(([n, s]) => n === 'Nadia' && s === 'acknowledged'), `Nadia acknowledged: ${JSON.stringify(states)}`);
        check(!states.some(([n]) => n === 'Hans'), 'Hans not concerned');
        check(states.some(([, s]) => s === 'pending'), 'the others still pending');
        await supervisor.screenshot({ path: join(SHOTS, 'briefing-supervision-fr.png'), fullPage: true });
        await chooseLanguage(supervisor, 'ar');
        await supervisor.waitForSelector(`${row} [data-action="detail"]`);
        await supervisor.click(`${row} [data-action="detail"]`);
        await supervisor.waitForSelector('#briefing-detail .briefing-agents tr[data-state="acknowledged"]');
        equal(await supervisor.evaluate(() => document.documentElement.dir), 'rtl', 'the page in Arabic');
        equal(await supervisor.$eval('#briefing-detail .briefing-diff', (d) => getComputedStyle(d).direction), 'ltr', 'a French diff stays left to right');
        await supervisor.screenshot({ path: join(SHOTS, 'briefing-supervision-ar.png'), fullPage: true });
        await chooseLanguage(supervisor, 'fr');
    });

    await test('an Arabic amendment is read right to left, in an Arabic desk', async () => {
        const id = await draftAmendment(editor, 'ar', (v) => {
            v.summary = `${v.summary} تم تحديث الرسوم.`;
        });
        equal((await call(publisher, 'POST', `/api/v1/guide/versions/${id}/approve`, {})).status, 200, 'published');
        await chooseLanguage(nadia, 'ar');
        await desk(nadia);
        equal(await nadia.textContent('#briefing-count'), '1', 'count badge');
        await nadia.click('#desk [data-action="briefings"]');
        const card = `#briefings .briefing-card[data-lang="ar"]`;
        await nadia.waitForSelector(card);
        equal(await nadia.evaluate(() => document.documentElement.dir), 'rtl', 'the page');
        equal(await nadia.$eval(`${card} .briefing-diff`, (d) => [d.dir, getComputedStyle(d).direction].join()), 'rtl,rtl', 'the diff');
        check((await nadia.$$eval(`${card} ins`, (xs) => xs.map((x) => x.textContent))).some((x) => x.includes('الرسوم')), 'the Arabic insertion');
        await nadia.screenshot({ path: join(SHOTS, 'briefing-desk-ar.png'), fullPage: true });
        await nadia.click(`${card} [data-action="acknowledge"]`);
        await nadia.waitForSelector('#briefings .briefing-note[data-acknowledged]');
        await chooseLanguage(nadia, 'fr');
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
}
done();
