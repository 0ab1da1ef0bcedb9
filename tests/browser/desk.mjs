// Browser tests of the agent's desk (#/agent) at 1366x768: a caller shown
// through desk.showCaller() (as the telephony will push an offered call),
// their cases, and the guide side by side; "passport lost abroad, wants a
// follow-up" done in at most 4 clicks (counted); the call's disposition
// saved with the guide article consulted; keyboard shortcuts; Arabic right
// to left; the case list's search box. Prints TAP; exits 1 on a failure.
// Screenshots go to WASL_SCREENSHOTS (default build/screenshots).
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/desk.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, call, SHOTS, uiTexts } from './pages.mjs';
import { tap, timeLimit, watchErrors } from './tap.mjs';
import { openBrowser, pageSteps } from './telephony.mjs';

const TIME_LIMIT_MS = 60_000;
const CALLER = '+33 6 45 67 89 01';
const CALL_ID = `desk-test-${Date.now()}@wasl`;
const texts = {};
for (const l of ['ar', 'fr', 'en'])
    texts[l] = uiTexts(l);

const { test, check, equal, noScriptErrors, done } = tap();

timeLimit(TIME_LIMIT_MS, 'the desk tests');
mkdirSync(SHOTS, { recursive: true });
const browser = await openBrowser('wasl-desk-');
const { context, page, pageErrors } = browser;
page.setDefaultTimeout(8000);
const { waitRoute, chooseLanguage } = pageSteps(page, BASE);
const apiCall = (method, path, body) => call(page, method, path, body);

/* Every click of the agent goes through here, so the flow's clicks are counted. */
let clicks = 0;
async function click(selector) {
    clicks += 1;
    await page.click(selector);
}

/* The three columns' boxes, in the page's coordinates. */
async function columns() {
    return page.evaluate(() => ['.desk-col-caller', '.desk-col-cases', '.desk-col-guide'].map((s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        return { left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top), width: Math.round(r.width) };
    }));
}

let earlier = null;

await test('login as an agent: the desk is the home page', async () => {
    await page.goto(`${BASE}/#/login`);
    await page.fill('input[name=login]', 'agent');
    await page.fill('input[name=password]', 'agent-demo-2026');
    await page.click('form button[type=submit]');
    await waitRoute('agent');
    await chooseLanguage('fr');
    await page.waitForSelector('#desk #guide-q');
    earlier = await apiCall('POST', '/api/v1/cases', {
        type: 'dossier', category: 'passport', language: 'fr', country: 'FR', subject: 'Renouvellement de passeport déposé en mars',
        fields: { procedure: 'passport', consulate: 'FR-PAR' }, citizen: { phone: CALLER, name: 'Amina Test' },
    });
    equal(earlier.status, 201, 'an earlier case of the caller');
});

await test('at 1366x768 an offered caller shows the caller, their cases and the guide side by side', async () => {
    await page.evaluate(([phone, callId]) => window.desk.showCaller({
        phone, language: 'fr', country: 'FR', waited: 95, ivrPath: ['Français', 'Passeport'], callId,
    }), [CALLER, CALL_ID]);
    await page.waitForSelector(`#desk-open-cases[data-count] li[data-reference="${earlier.json.reference}"]`);
    const phone = await page.textContent('#desk-caller-phone');
    check(!phone.includes('45 67') && !phone.includes('456789'), `the number is masked: ${phone}`);
    check((await page.textContent('#desk-caller')).includes('1 min 35 s'), 'the wait is shown');
    const [caller, cases, guide] = await columns();
    check(caller.right <= cases.left && cases.right <= guide.left, `side by side: ${JSON.stringify([caller, cases, guide])}`);
    check(Math.abs(caller.top - guide.top) < 4 && Math.abs(cases.top - guide.top) < 4, 'on one line');
    check(guide.right <= 1366, `fits the width: ${guide.right}`);
    check(caller.top < 200, `the desk starts ${caller.top} px from the top (chrome)`);
    check(guide.width >= 400, `the guide has room: ${guide.width} px`);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
    check(widths.doc <= widths.win, `no sideways scrolling: ${widths.doc} > ${widths.win}`);
    equal(await page.$$eval('.i18n-missing', (e) => e.length), 0, 'missing texts');
});

let created = null;

await test('"passport lost abroad, wants a follow-up": at most 4 clicks from the caller shown, the article attached', async () => {
    await page.waitForSelector('#desk-today[data-calls]');
    await page.waitForFunction(() => document.getElementById('desk-today').dataset.cases !== undefined);
    const dayBefore = await page.$eval('#desk-today', (e) => ({ calls: Number(e.dataset.calls), cases: Number(e.dataset.cases) }));
    clicks = 0;
    await page.focus('#guide-q'); /* the keyboard, not a click: Alt+G does the same */
    await page.keyboard.type('passeport perdu');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#guide-results a.hit-link[data-slug="passport-lost"]');
    await click('#guide-results a.hit-link[data-slug="passport-lost"]');
    await page.waitForSelector('#desk-article[data-slug="passport-lost"]:not([hidden])');
    const version = Number(await page.getAttribute('#desk-article', 'data-version'));
    await page.waitForSelector('#desk-consulted li[data-slug="passport-lost"]');
    await click('[data-action="desk-article-new-case"]');
    await page.waitForSelector('#desk-new-form');
    equal(await page.inputValue('#desk-new-type'), 'dossier', 'a dossier to follow');
    equal(await page.inputValue('#desk-new-category'), 'passport', 'category from the article');
    equal(await page.inputValue('#desk-new-procedure'), 'passport', 'procedure from the article');
    equal(await page.inputValue('#desk-new-language'), 'fr', 'the caller\'s language');
    check((await page.inputValue('#desk-new-consulate')).startsWith('FR-'), 'a consulate of the caller\'s country');
    check((await page.inputValue('#desk-new-subject')).length > 5, 'subject from the article');
    await page.screenshot({ path: join(SHOTS, 'desk-new-case-fr.png') });
    await click('[data-action="desk-create-case"]');
    await page.waitForSelector('#desk-created[data-reference]');
    check(clicks <= 4, `${clicks} clicks`);
    console.log(`# ${clicks} clicks from the caller shown to the case created`);
    const ref = await page.getAttribute('#desk-created', 'data-reference');
    created = (await apiCall('GET', `/api/v1/cases/${ref}`)).json;
    created.pin = await page.getAttribute('#desk-created .pin', 'data-pin');
    check(/^\d{6}$/.test(created.pin), `the PIN is shown to read out: ${created.pin}`);
    equal(created.articles, [{ slug: 'passport-lost', lang: 'fr', version }], 'the article consulted, with its version, on the case');
    equal(created.citizen.phone, '+33645678901', 'the caller\'s number on the case');
    await page.waitForSelector(`#desk-open-cases li[data-reference="${ref}"]`);
    const call = await apiCall('GET', `/api/v1/desk/calls/${encodeURIComponent(CALL_ID)}`);
    equal(call.status, 200, 'the call was recorded');
    equal([call.json.disposition, call.json.reference], ['case_opened', ref], 'as "case opened", with the case');
    equal(call.json.articles, [{ slug: 'passport-lost', lang: 'fr', version }], 'and the article consulted');
    await page.waitForSelector('#desk-call-form[data-saved="case_opened"]');
    /* one's own figures for the day count the call and the case */
    await page.waitForSelector(`#desk-today[data-calls="${dayBefore.calls + 1}"][data-cases="${dayBefore.cases + 1}"]`);
    await page.screenshot({ path: join(SHOTS, 'desk-fr.png') });
});

await test('keyboard shortcuts: Alt+G the guide, Alt+D the outcome, Alt+S saves; listed in the help', async () => {
    await page.keyboard.press('Alt+g');
    equal(await page.evaluate(() => document.activeElement.id), 'guide-q', 'Alt+G');
    await page.keyboard.press('Alt+d');
    equal(await page.evaluate(() => document.activeElement.id), 'desk-disposition', 'Alt+D');
    await page.selectOption('#desk-disposition', 'case_followed_up');
    await page.fill('#desk-note', 'Suivi : déclaration de perte à faire au commissariat');
    await page.keyboard.press('Alt+s');
    await page.waitForSelector('#desk-call-form[data-saved="case_followed_up"]');
    const call = await apiCall('GET', `/api/v1/desk/calls/${encodeURIComponent(CALL_ID)}`);
    equal(call.json.note, 'Suivi : déclaration de perte à faire au commissariat', 'the note');
    const help = await page.$$eval('#desk-shortcuts li', (li) => li.map((x) => x.textContent));
    check(help.length >= 6 && help.some((x) => x.includes('Alt+G')), `help: ${help}`);
});

await test('in Arabic the desk reads right to left, still side by side without sideways scrolling', async () => {
    await chooseLanguage('ar');
    await page.waitForSelector('html[dir="rtl"] #desk #desk-open-cases[data-count]');
    const [caller, cases, guide] = await columns();
    check(caller.left >= cases.right && cases.left >= guide.right, `right to left: ${JSON.stringify([caller, cases, guide])}`);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
    check(widths.doc <= widths.win, `no sideways scrolling: ${widths.doc} > ${widths.win}`);
    equal(await page.$$eval('.i18n-missing', (e) => e.length), 0, 'missing texts');
    equal((await page.textContent('#desk-caller-title')).trim(), texts.ar['desk.caller.title'], 'in Arabic');
    equal(await page.inputValue('#desk-disposition'), 'case_followed_up', 'the call\'s outcome is kept across the switch');
    check((await page.inputValue('#desk-note')).includes('déclaration de perte'), 'and its note');
    check(await page.isVisible('#desk-created[data-reference] .pin'), 'and the new case with its PIN');
    await page.screenshot({ path: join(SHOTS, 'desk-ar.png') });
    await chooseLanguage('fr');
});

await test('case list: the search box finds the caller\'s cases by number and the list pages with a total', async () => {
    await page.evaluate(() => { location.hash = '#/cases?status='; });
    await waitRoute('cases');
    await page.waitForSelector('#cases-table[data-loaded]');
    const total = Number(await page.getAttribute('#cases-table', 'data-total'));
    check(total > 50, `demo cases: ${total}`);
    check(await page.isEnabled('#cases-next'), 'a next page');
    await page.click('#cases-next');
    await page.waitForSelector('#cases-table[data-page="1"]');
    await page.fill('#filter-q', '+33 6 45 67 89 01');
    await page.selectOption('#filter-language', 'fr');
    await page.waitForFunction(() => JSON.parse(document.getElementById('cases-table').dataset.loaded || '{}').q === '+33 6 45 67 89 01');
    await page.waitForSelector(`#cases-table tr[data-reference="${created.reference}"]`);
    equal(Number(await page.getAttribute('#cases-table', 'data-total')), 2, 'the caller\'s two cases');
    const said = await page.textContent('#cases-count');
    check(said.includes(texts.fr['cases.list.matched_phone']), `read as a phone number: ${said}`);
    await page.selectOption('#filter-sort', 'deadline');
    await page.waitForFunction(() => JSON.parse(document.getElementById('cases-table').dataset.loaded || '{}').sort === 'deadline');
    check(page.url().includes('sort=deadline') && page.url().includes('q='), 'the filters are in the address');
    await page.screenshot({ path: join(SHOTS, 'cases-search-fr.png') });
});

await test('the citizen answers on the portal; the agent sees the reply, marked new, in the case', async () => {
    /* the agent takes the case first (its answer is a view: what it shows is read) */
    await apiCall('PATCH', `/api/v1/cases/${created.reference}`, { assignee_user: (await apiCall('GET', '/api/v1/session')).json.user.id });
    const portal = await context.newPage();
    watchErrors(portal, pageErrors);
    await portal.goto(`${BASE}/portal.html?lang=fr#track`);
    await portal.waitForSelector('#portal-track-form');
    await portal.fill('#track-reference', created.reference);
    await portal.fill('#track-pin', created.pin);
    await portal.click('[data-action="track"]');
    await portal.waitForSelector(`#track-result[data-reference="${created.reference}"] #portal-reply-form`);
    await portal.fill('#reply-body', 'J\'ai fait la déclaration de perte hier.');
    await portal.click('[data-action="reply"]');
    await portal.waitForSelector('#track-notes li[data-kind="citizen_reply"]');
    equal(await portal.$$eval('.i18n-missing', (e) => e.length), 0, 'missing texts on the portal');
    await portal.screenshot({ path: join(SHOTS, 'portal-reply-fr.png') });
    await portal.close();
    await page.evaluate((r) => { location.hash = `#/cases?q=${r}`; }, created.reference);
    await page.waitForSelector(`#cases-table tr[data-reference="${created.reference}"]`);
    await page.evaluate((r) => { location.hash = `#/cases/view?ref=${r}`; }, created.reference);
    await page.waitForSelector('#case-history li[data-kind="citizen_reply"]');
    check(await page.isVisible('#case-new-reply'), 'marked new for the assignee');
    check((await page.textContent('#case-history li[data-kind="citizen_reply"]')).includes('déclaration de perte hier'), 'the reply');
    equal(await page.$$eval('.i18n-missing', (e) => e.length), 0, 'missing texts');
});

await noScriptErrors(pageErrors);

await browser.close();
done();
