// Browser test of the figures' pages: an agent files a complaint linked to a
// guide article and opens their own scorecard (#/scorecard); the supervisor
// opens "where procedures hurt" (#/supervision/procedures), finds the
// article ranked with the complaint as sample case, and opens the case from
// there; the page in Arabic is right to left. Prints TAP; exits 1 on a failure.
// Screenshots go to WASL_SCREENSHOTS (default build/screenshots):
// procedures-fr.png, procedures-ar.png, scorecard-fr.png.
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/stats_pages.mjs

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, launch, SHOTS } from './pages.mjs';
import { tap } from './tap.mjs';

const SLUG = 'apostille';
const { test, check, equal, noScriptErrors, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });

const { browser, open, pageErrors } = await launch({ base: BASE });

let ref = '';
try {
    const agent = await open('agent', 'agent-demo-2026');
    await test('an agent files a complaint linked to a guide article', async () => {
        ref = await agent.evaluate(async (slug) => {
            const s = await (await fetch('/api/v1/session')).json();
            const r = await fetch('/api/v1/cases', {
                method: 'POST',
                headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token },
                body: JSON.stringify({
                    type: 'complaint', category: 'legalisation', language: 'fr', country: 'FR', subject: 'Apostille refusée',
                    description: 'Trois allers-retours', citizen: { name: 'Test Navigateur', phone: '+33 6 10 20 30 40' },
                    articles: [{ slug, lang: 'fr', version: 1 }],
                }),
            });
            return r.status === 201 ? (await r.json()).reference : `HTTP ${r.status}`;
        }, SLUG);
        check(/^[0-9A-Z-]+$/.test(ref) && !ref.startsWith('HTTP'), `a reference: ${ref}`);
    });

    await test('the agent opens their own scorecard from the navigation', async () => {
        await agent.click('#main-nav a[data-route="scorecard"]');
        await agent.waitForSelector('#scorecard dd[data-figure=handled]');
        equal(await agent.$eval('#scorecard dd[data-figure=handled]', (e) => e.textContent), '0', 'no call handled here');
        check((await agent.textContent('.page-scorecard .hint')).includes('agent'), 'their own card');
        await agent.screenshot({ path: join(SHOTS, 'scorecard-fr.png'), fullPage: true });
        const nav = await agent.$$eval('#main-nav a', (as) => as.map((a) => a.dataset.route));
        check(!nav.includes('supervision/procedures'), `no procedures page for agents: ${nav}`);
    });

    const sup = await open('supervisor', 'supervisor-demo-2026');
    await test('the supervisor sees the article ranked, with the complaint as sample case', async () => {
        await sup.click('#main-nav a[data-route="supervision/procedures"]');
        const row = `#procedures-table tr[data-kind=article][data-key="${SLUG}"]`;
        await sup.waitForSelector(row);
        const cells = await sup.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent));
        check(cells.some((c) => c.includes(ref)), `the sample case in the row: ${cells}`);
        const link = await sup.$eval(`${row} th a`, (a) => a.getAttribute('href'));
        check(link.startsWith('#/guide/article?') && link.includes(SLUG), `the article's link ${link}`);
        await sup.screenshot({ path: join(SHOTS, 'procedures-fr.png'), fullPage: true });
    });

    await test('the sample case opens from the ranking', async () => {
        await sup.click(`#procedures-table a[href*="${ref}"]`);
        await sup.waitForFunction(() => document.getElementById('main').dataset.route === 'cases/view');
        await sup.waitForFunction((r) => document.getElementById('main').textContent.includes(r), ref);
    });

    await test('in Arabic the page reads right to left', async () => {
        await sup.click('#main-nav a[data-route="supervision/procedures"]');
        await sup.waitForSelector('#procedures-table');
        await sup.selectOption('#lang-select', 'ar');
        await sup.waitForFunction(() => document.documentElement.dir === 'rtl');
        await sup.waitForSelector('#procedures-table');
        const title = await sup.textContent('.page-procedures h1');
        equal(title.trim(), 'أين تتعثر المساطر', 'the title in Arabic');
        await sup.screenshot({ path: join(SHOTS, 'procedures-ar.png'), fullPage: true });
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
}
done();
