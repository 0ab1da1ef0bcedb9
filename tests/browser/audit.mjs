// Browser test of the audit page's "verify the chain" (#/admin/audit): an entry
// rewritten in the database file with the sqlite3 shell, as an intruder would,
// is listed with its kind in the administrator's language (French here) and
// the server's precise text; restored, the trail is intact again. Prints TAP;
// exits 1 on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 WASL_DB=/tmp/wasl-api-x/wasl.db node tests/browser/audit.mjs

import { execFileSync } from 'node:child_process';
import { BASE, uiTexts } from './pages.mjs';
import { checkNoErrors, tap } from './tap.mjs';
import { openBrowser } from './telephony.mjs';

const DB = process.env.WASL_DB;
const fr = uiTexts('fr');
const { test, check, equal, done } = tap({ bail: true });

const sqlite = (sql) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', DB, sql], { encoding: 'utf8' }).trim();

const browser = await openBrowser('wasl-audit-', { timezoneId: null });
const { page, pageErrors } = browser;
page.setDefaultTimeout(8000);

async function verify() {
    await page.evaluate(() => { delete document.getElementById('verify-result').dataset.intact; });
    await page.click('[data-action=verify]');
    await page.waitForSelector('#verify-result[data-intact]');
    return page.$eval('#verify-result', (e) => e.dataset.intact === 'true');
}

let seq = 0;
let actor = '';
try {
    await test('the administrator opens the audit page and the trail is intact', async () => {
        check(DB, 'WASL_DB names the SQLite file of the server at WASL_URL');
        await page.goto(`${BASE}/#/login`);
        await page.waitForSelector('input[name=login]');
        await page.fill('input[name=login]', 'admin');
        await page.fill('input[name=password]', 'admin-demo-2026');
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('main').dataset.route !== 'login');
        await page.click('#main-nav a[data-route="admin/audit"]');
        await page.waitForSelector('#audit-table tr[data-seq]');
        check(await verify(), 'intact before the edit');
    });

    await test('an entry rewritten in the database file is listed with its kind, in French', async () => {
        seq = Number(sqlite('SELECT seq FROM audit_log ORDER BY seq LIMIT 1 OFFSET 4'));
        actor = sqlite(`SELECT actor FROM audit_log WHERE seq = ${seq}`);
        sqlite(`UPDATE audit_log SET actor = 'quelqu''un' WHERE seq = ${seq}`);
        check(!(await verify()), 'not intact after the edit');
        const items = await page.$$eval('#verify-result li[data-kind]', (lis) => lis.map((li) => ({
            kind: li.dataset.kind, label: li.querySelector('strong').textContent, text: li.querySelector('.problem').textContent,
        })));
        const hit = items.find((x) => x.kind === 'rewritten');
        check(hit, `a rewritten entry listed: ${JSON.stringify(items)}`);
        equal(hit.label, fr['audit.kind.rewritten'], 'the kind in the user\'s language');
        check(hit.text.includes(`entry ${seq} was altered`), `the server's text names the entry: ${hit.text}`);
        const head = await page.textContent('#verify-result strong');
        equal(head, fr['audit.broken'].replace('{seq}', String(seq)), 'the first entry at fault');
    });

    await test('restored, the trail is intact again, and the page raised no error', async () => {
        sqlite(`UPDATE audit_log SET actor = '${actor.replace(/'/g, "''")}' WHERE seq = ${seq}`);
        check(await verify(), 'intact after the restore');
        checkNoErrors(pageErrors);
    });
} finally {
    if (seq && actor)
        sqlite(`UPDATE audit_log SET actor = '${actor.replace(/'/g, "''")}' WHERE seq = ${seq}`);
    await browser.close();
}
done();
