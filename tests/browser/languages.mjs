// Browser check of a language added as data only (tests/lang: zgh), against
// a wasl started on tests/lang/overlay.py's copy of data/ and web/: the
// staff UI's and the portal's language menus come from GET /api/v1/languages
// and offer it under its own name; choosing it sets <html lang dir>, shows
// its own strings and the untranslated ones as ⟦key⟧. Prints TAP; exits 1
// on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/languages.mjs

import { BASE, chromiumOptions } from './pages.mjs';
import { tap, timeLimit } from './tap.mjs';

const TIME_LIMIT_MS = 30_000;

const { test, equal, done } = tap();

const { chromium } = await import('playwright-core');
timeLimit(TIME_LIMIT_MS, 'the language checks');
const browser = await chromium.launch(chromiumOptions());
const page = await browser.newPage({ locale: 'fr-FR' });
page.setDefaultTimeout(8000);
const served = (await (await fetch(`${BASE}/api/v1/languages`)).json()).languages;

await test('the staff UI menu lists the served languages, the added one under its own name', async () => {
    await page.goto(`${BASE}/`);
    await page.waitForSelector('#lang-select option[value="zgh"]', { state: 'attached' });
    const options = await page.$$eval('#lang-select option', (os) => os.map((o) => [o.value, o.textContent]));
    equal(options, served.map((l) => [l.code, l.name]), 'options');
    equal(options[options.length - 1], ['zgh', 'ⵜⴰⵎⴰⵣⵉⵖⵜ'], 'the eighth');
});

await test('choosing it: <html lang dir>, its own strings, the others marked missing', async () => {
    await page.selectOption('#lang-select', 'zgh');
    await page.waitForFunction(() => document.documentElement.lang === 'zgh');
    equal(await page.evaluate(() => document.documentElement.dir), 'ltr', 'dir');
    await page.waitForFunction(() => document.body.textContent.includes('ⵜⵉⵏⵏⵓⵜ (test)'));
    equal(await page.locator('.i18n-missing').count() > 0, true, 'untranslated keys shown as ⟦key⟧');
    await page.selectOption('#lang-select', 'ar');
    await page.waitForFunction(() => document.documentElement.lang === 'ar');
    equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'Arabic still right to left');
});

await test('the portal offers it, and ?lang=zgh picks it', async () => {
    await page.goto(`${BASE}/portal.html?lang=zgh`);
    await page.waitForFunction(() => document.documentElement.lang === 'zgh');
    const langs = await page.$$eval('.portal-lang', (bs) => bs.map((b) => b.dataset.lang));
    equal(langs, served.map((l) => l.code), 'portal languages');
    equal(await page.getAttribute('.portal-lang[data-lang="zgh"]', 'aria-pressed'), 'true', 'pressed');
});

await browser.close();
done();
