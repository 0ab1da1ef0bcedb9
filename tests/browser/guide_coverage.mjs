// Browser test of the editors' coverage panel (#/guide/edit): a "missing in
// Dutch" count filters the article list to the one article published in
// French alone, the Dutch translation queue lists it with a link that opens
// its Dutch translation in the editor, and a [[slug]] cross-reference in an
// article read in Dutch opens the other article in Dutch. Screenshots in
// French and Arabic. Prints TAP; exits 1 on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/guide_coverage.mjs

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, call, chooseLanguage, launch, REPO, SHOTS } from './pages.mjs';
import { tap } from './tap.mjs';

const SLUG = 'browser-coverage-fr';
const { test, check, equal, noScriptErrors, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });

const titleOf = (slug, lang) => readFileSync(join(REPO, 'data', 'guide', slug, `${lang}.md`), 'utf8').match(/^title: (.*)$/m)[1].trim();

const { browser, open, pageErrors } = await launch({ base: BASE, viewport: { width: 1366, height: 900 } });

const route = (page, r) => page.waitForFunction((x) => document.getElementById('main').dataset.route === x, r);

try {
    const editor = await open('editor', 'editor-demo-2026');
    const supervisor = await open('supervisor', 'supervisor-demo-2026');
    await chooseLanguage(editor, 'fr');

    await test('an article published in French alone (through the API)', async () => {
        const r = await call(editor, 'POST', '/api/v1/guide/articles', {
            slug: SLUG, category: 'general', audience: 'both', source_language: 'fr', keywords: { fr: ['couverture'] },
            version: { title: 'Article de couverture', summary: 'Test.', body: 'Voir [[passport-lost]].', documents: [], fees: [], confidence: 'U' },
        });
        equal(r.status, 201, `created: ${JSON.stringify(r.json)}`);
        equal((await call(editor, 'POST', `/api/v1/guide/versions/${r.json.id}/submit`)).status, 200, 'submitted');
        equal((await call(supervisor, 'POST', `/api/v1/guide/versions/${r.json.id}/approve`, {})).status, 200, 'approved');
    });

    await test('"missing in Dutch" in the coverage panel filters the list to that article', async () => {
        await editor.goto(`${BASE}/#/guide/edit`);
        const link = '#coverage-table tr[data-lang="nl"] td[data-count="missing"] a';
        await editor.waitForSelector(link);
        equal(await editor.textContent(link), '1', 'one article missing in Dutch');
        check(!(await editor.$('#coverage-table tr[data-lang="fr"] td[data-count="missing"] a')), 'nothing missing in French: no link');
        await editor.click(link);
        await editor.waitForSelector('#coverage-filter');
        await editor.waitForFunction(() => document.querySelectorAll('#articles-table tr[data-slug]').length === 1);
        equal(await editor.$$eval('#articles-table tr[data-slug]', (trs) => trs.map((tr) => tr.dataset.slug)), [SLUG], 'the filtered list');
        equal(await editor.$eval('#articles-table tr[data-slug] td[data-lang="nl"]', (td) => td.dataset.state), 'missing', 'its Dutch cell');
        check((await editor.textContent('#coverage-filter')).includes('néerlandais'), 'the filter is named in French');
    });

    await test('the Dutch translation queue lists it, and its link opens the Dutch translation in the editor', async () => {
        equal(await editor.$eval('#queue-lang', (s) => s.value), 'nl', 'the queue follows the filter\'s language');
        await editor.waitForSelector(`#translation-queue li[data-slug="${SLUG}"]`);
        const items = await editor.$$eval('#translation-queue li', (lis) => lis.map((li) => [li.dataset.slug, li.dataset.state]));
        equal(items, [[SLUG, 'missing']], 'the queue');
        await editor.screenshot({ path: join(SHOTS, 'guide-coverage-fr.png'), fullPage: true });
        await editor.click(`#translation-queue li[data-slug="${SLUG}"] a.queue-edit`);
        await route(editor, 'guide/edit/article');
        const q = new URLSearchParams(editor.url().split('?')[1]);
        equal([q.get('slug'), q.get('lang')], [SLUG, 'nl'], 'the editor of the Dutch translation');
    });

    await test('in Arabic the panel reads right to left', async () => {
        await chooseLanguage(editor, 'ar');
        await editor.goto(`${BASE}/#/guide/edit?state=missing&lang=nl`);
        await editor.waitForSelector(`#translation-queue li[data-slug="${SLUG}"]`);
        await editor.waitForSelector('#coverage-table tr[data-lang="ar"]');
        equal(await editor.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        await editor.screenshot({ path: join(SHOTS, 'guide-coverage-ar.png'), fullPage: true });
        await chooseLanguage(editor, 'fr');
    });

    await test('a cross-reference in an article read in Dutch opens the other article in Dutch', async () => {
        await editor.goto(`${BASE}/#/guide/article?slug=passport-lost&lang=nl`);
        const link = '#guide-article .article-body a[href*="slug=cnie-renewal-loss"]';
        await editor.waitForSelector(link);
        equal(await editor.textContent(link), titleOf('cnie-renewal-loss', 'nl'), 'the link reads as the Dutch title');
        await editor.click(link);
        await editor.waitForSelector('#guide-article[data-slug="cnie-renewal-loss"]');
        equal(await editor.$eval('#guide-article', (a) => a.dataset.lang), 'nl', 'opened in Dutch');
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
}
done();
