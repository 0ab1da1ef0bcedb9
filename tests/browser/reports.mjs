// Browser test of the reports page (#/reports): a day of calls written to the
// event log (SQLite, as tests/api/test_stats.py does), the supervisor opens the
// page for that day, the table carries the API's figures formatted for the UI
// language, the two charts are drawn with them (Chart.js served from /vendor),
// the CSV and XLSX downloads carry them too, another slice redraws, and the
// page printed to PDF has the header, the charts and the table without the
// menus (its pages rendered as PNG with pdftoppm, to be looked at). French and
// Arabic (right to left) screenshots. Prints TAP; exits 1 on a failure.
//
//   WASL_URL=http://127.0.0.1:18181 WASL_DB=/tmp/wasl-api-x/wasl.db node tests/browser/reports.mjs

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE, chromiumOptions, REPO, SHOTS, uiTexts } from './pages.mjs';
import { checkNoErrors, tap, watchErrors } from './tap.mjs';

const DB = process.env.WASL_DB;
const fr = uiTexts('fr');
const ar = uiTexts('ar');
const arLocale = JSON.parse(readFileSync(join(REPO, 'data', 'languages.json'), 'utf8')).languages.find((l) => l.code === 'ar').locale;
const { test, check, equal, note, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });

const DAY = '2026-12-02'; /* Casablanca is at UTC+00 that day (tzdata 2026c) */
const sqlite = (sql) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', DB], { input: sql, encoding: 'utf8' }).trim();

/* A day of 36 calls from 08:00 to 15:35, one every 13 minutes, in three
 * queues and four countries: answered after waits of 0 to 44 s (talk 2 min,
 * wrap-up 20 s), abandoned after 40 s, or hung up at once (a short abandon). */
function seedDay(agent) {
    const T0 = Date.parse(`${DAY}T08:00:00Z`) * 1000;
    const at = (s) => T0 + s * 1000000;
    const rows = [[at(-300), 'agent.state', null, agent, null, { state: 'available', reason: '', by: 0 }]];
    const queues = ['fr', 'ar', 'es'];
    const countries = ['FR', 'ES', 'BE', 'IT'];
    for (let i = 0; i < 36; i++) {
        const c = 9000 + i;
        const s = i * 13 * 60;
        const q = queues[i % 3];
        const wait = (i * 7) % 45;
        rows.push([at(s), 'call.arrived', c, null, null, { did: '+33800100200', country: countries[i % 4], sip_call_id: `r${i}` }]);
        rows.push([at(s + 1), 'call.language', c, null, null, { language: q }]);
        rows.push([at(s + 2), 'queue.joined', c, null, q, { service: 'general', position: 1 }]);
        if (i % 5 === 3) {
            rows.push([at(s + 42), 'call.abandoned', c, null, q, { waited_ms: 40000, position: 1 }]);
        } else if (i % 7 === 5) {
            rows.push([at(s + 5), 'call.abandoned', c, null, q, { waited_ms: 3000, position: 1 }]);
        } else {
            rows.push([at(s + 2), 'agent.state', c, agent, null, { state: 'ringing', reason: '', by: 0 }]);
            rows.push([at(s + 2 + wait), 'call.answered', c, agent, q, { waited_ms: wait * 1000 }]);
            rows.push([at(s + 2 + wait), 'agent.state', c, agent, null, { state: 'busy', reason: '', by: 0 }]);
            rows.push([at(s + 122 + wait), 'call.ended', c, agent, null, { outcome: 'answered', path: '', waited_ms: wait * 1000, talked_ms: 120000 }]);
            rows.push([at(s + 122 + wait), 'agent.state', c, agent, null, { state: 'wrap_up', reason: '', by: 0 }]);
            rows.push([at(s + 142 + wait), 'agent.state', null, agent, null, { state: 'available', reason: '', by: 0 }]);
        }
    }
    const lit = (v) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
    sqlite(`BEGIN;\n${rows.map(([a, k, c, g, q, d]) =>
        `INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES (${a}, ${lit(k)}, ${lit(c)}, ${lit(g)}, ${lit(q)}, ${lit(JSON.stringify(d))});`).join('\n')}\nCOMMIT;`);
}

const { chromium } = await import('playwright-core');
const downloads = mkdtempSync(join(tmpdir(), 'wasl-reports-dl-'));
const browser = await chromium.launch(chromiumOptions());
const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: 'fr-FR', acceptDownloads: true });
const page = await context.newPage();
const pageErrors = [];
watchErrors(page, pageErrors);
page.setDefaultTimeout(10000);

const api = (path) => page.evaluate(async (p) => (await fetch(p, { headers: { Accept: 'application/json' } })).json(), path);
const loaded = () => page.waitForSelector('.page-reports[data-loaded="true"]');

/* The table's figures as the page holds them: key -> {column: raw value}. */
const tableValues = () => page.$$eval('#report-table tbody tr[data-key]', (trs) => Object.fromEntries(trs.map((tr) =>
    [tr.dataset.key, Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.dataset.value]))])));

/* Chart.js's own view of a canvas: the chart's type and its datasets. */
const chartOf = (id) => page.evaluate(async (canvasId) => {
    const { Chart } = await import('/vendor/chart.js/chart.js');
    const c = Chart.getChart(document.getElementById(canvasId));
    if (!c)
        return null;
    /* some pixels drawn that are not the background */
    const cv = document.getElementById(canvasId);
    const px = cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data;
    let ink = 0;
    for (let i = 3; i < px.length; i += 4)
        if (px[i] > 0)
            ink++;
    return { type: c.config.type, labels: c.data.labels, data: c.data.datasets.map((d) => d.data), ink, reverse: c.options.scales.x.reverse };
}, id);

/* Clicks a download link; the path of the file saved under its suggested name. */
async function download(selector) {
    const dl = page.waitForEvent('download');
    await page.click(selector);
    const file = await dl;
    const path = join(downloads, file.suggestedFilename());
    await file.saveAs(path);
    return path;
}

/* Ticks exactly the boxes of dims (the dimensions the report is cut by),
 * waiting for each reload. */
const DIMS = ['interval', 'country', 'language', 'service', 'queue', 'agent', 'consulate'];
async function cut(...dims) {
    for (const d of DIMS) {
        const want = dims.includes(d);
        if ((await page.isChecked(`#report-by-${d}`)) !== want) {
            await page.setChecked(`#report-by-${d}`, want);
            await loaded();
        }
    }
}

function compareRows(rows, apiRows) {
    equal(Object.keys(rows).sort(), apiRows.map((r) => r.key).sort(), 'the rows of the table are the API\'s');
    for (const r of apiRows)
        for (const [col, v] of Object.entries(rows[r.key]))
            equal(v, r[col] === null ? '' : String(r[col]), `${r.key} ${col}`);
}

let byQueue = null;
try {
    await test('a day of calls is in the event log and the supervisor opens the reports from the menu', async () => {
        check(DB, 'WASL_DB names the SQLite file of the server at WASL_URL');
        seedDay(Number(sqlite("SELECT id FROM users WHERE login = 'agent'")));
        await page.goto(`${BASE}/#/login`);
        await page.waitForSelector('input[name=login]');
        await page.fill('input[name=login]', 'supervisor');
        await page.fill('input[name=password]', 'supervisor-demo-2026');
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('main').dataset.route !== 'login');
        /* the supervisor's language for the rest: French */
        await page.selectOption('#lang-select', 'fr');
        await page.waitForFunction(() => document.documentElement.lang === 'fr');
        await page.click('#main-nav a[data-route="reports"]');
        await loaded();
        equal((await page.textContent('h1')).trim(), fr['reports.title'], 'the title in French');
    });

    await test('the chosen day (other days, in the form) gives the API\'s figures by queue, formatted in French', async () => {
        await page.selectOption('#report-period', 'custom');
        await loaded();
        await page.fill('#report-from', DAY);
        await page.fill('#report-to', DAY);
        await page.dispatchEvent('#report-to', 'change');
        await page.waitForFunction((d) => location.hash.includes(`from=${d}`) && location.hash.includes(`to=${d}`), DAY);
        await loaded();
        byQueue = await api(`/api/v1/stats?from=${DAY}&to=2026-12-03&by=queue`);
        equal(byQueue.from, `${DAY}T00:00:00.000Z`, 'the day starts at local midnight');
        equal(byQueue.rows.reduce((n, r) => n + r.offered, 0), 36, 'the 36 calls seeded');
        compareRows(await tableValues(), byQueue.rows);
        const fr1 = byQueue.rows.find((r) => r.key === 'fr');
        const slText = await page.textContent('#report-table tr[data-key="fr"] td[data-col="service_level_offered"]');
        equal(slText, new Intl.NumberFormat('fr-FR', { style: 'percent', maximumFractionDigits: 1 }).format(fr1.service_level_offered),
            'the service level as a French percentage');
        const heading = await page.textContent('#report-period-title');
        check(heading.includes('2 décembre 2026') && heading.includes(fr['reports.by.queue']), `the period and slice in the header: ${heading}`);
        const title = await page.getAttribute('#report-table th[data-col="service_level_offered"] a', 'title');
        equal(title, fr['reports.d.service_level_offered'], 'the metric explained on hover');
        await page.click('#report-table th[data-col="aht_s"] a');
        await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'def-aht_s');
        check(await page.isVisible('#def-aht_s'), 'the link opens the definition');
    });

    await test('the charts are drawn with the figures: calls by fate and the service level per queue', async () => {
        const calls = await chartOf('chart-calls');
        check(calls, 'a Chart.js chart on the calls canvas');
        equal(calls.type, 'bar', 'bars per queue');
        equal(calls.data, [byQueue.rows.map((r) => r.offered), byQueue.rows.map((r) => r.answered), byQueue.rows.map((r) => r.abandoned)],
            'offered, answered, abandoned');
        check(calls.ink > 1000, `the canvas has ink (${calls.ink} pixels)`);
        const sl = await chartOf('chart-sl');
        equal(sl.data[0], byQueue.rows.map((r) => r.service_level_offered), 'the service level per queue');
        check(sl.ink > 1000, 'the service level canvas has ink');
        /* the table back to its start (clicking a column's name scrolled it), the page to the top */
        await page.$eval('#report-table', (tb) => { tb.parentElement.scrollLeft = 0; window.scrollTo(0, 0); });
        await page.screenshot({ path: join(SHOTS, 'reports-fr.png'), fullPage: true });
    });

    await test('the CSV download carries the table\'s figures', async () => {
        const path = await download('#download-csv');
        check(/wasl-figures-queue-2026-12-02\.csv$/.test(path), `the file's name: ${path}`);
        const [head, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/).map((l) => l.split(','));
        const col = (name) => head.indexOf(name);
        check(col('offered') > 0, `an offered column: ${head}`);
        for (const r of byQueue.rows) {
            const line = lines.find((l) => l[0] === r.key);
            check(line, `a line for ${r.key}`);
            equal(Number(line[col('offered')]), r.offered, `${r.key} offered in the CSV`);
            equal(Number(line[col('abandoned')]), r.abandoned, `${r.key} abandoned in the CSV`);
        }
    });

    await test('the XLSX download opens with a spreadsheet library and carries them too', async () => {
        const path = await download('#download-xlsx');
        /* Debian's python3 with python3-openpyxl (scripts/deps.sh), whatever python3 is first on PATH */
        const read = execFileSync('/usr/bin/python3', ['-c', `
import json, sys, openpyxl
ws = openpyxl.load_workbook(sys.argv[1], read_only=True)["figures"]
rows = [list(r) for r in ws.iter_rows(values_only=True)]
head = rows[0]
print(json.dumps({r[0]: r[head.index("offered")] for r in rows[1:]}))`, path], { encoding: 'utf8' });
        equal(JSON.parse(read), Object.fromEntries(byQueue.rows.map((r) => [r.key, r.offered])), 'offered per queue in the workbook');
    });

    await test('by hour: one row per hour of the API, drawn as lines', async () => {
        await cut('interval');
        await page.waitForSelector('#report-interval', { state: 'visible' });
        await loaded();
        await page.selectOption('#report-interval', '1h');
        await loaded();
        const byHour = await api(`/api/v1/stats?from=${DAY}&to=2026-12-03&by=interval&interval=1h`);
        compareRows(await tableValues(), byHour.rows);
        const calls = await chartOf('chart-calls');
        equal(calls.type, 'line', 'lines over time');
        equal(calls.data[0], byHour.rows.map((r) => r.offered), 'offered per hour');
        equal(byHour.rows.reduce((n, r) => n + r.offered, 0), 36, 'all calls in the hours');
    });

    await test('by agent: the agent is named, not numbered', async () => {
        await cut('agent');
        const byAgent = await api(`/api/v1/stats?from=${DAY}&to=2026-12-03&by=agent`);
        compareRows(await tableValues(), byAgent.rows);
        const row = byAgent.rows.find((r) => r.answered > 0);
        check(row && row.name, `the API names the agent: ${JSON.stringify(row)}`);
        equal((await page.textContent(`#report-table tr[data-key="${row.key}"] th`)).trim(), row.name, 'the name in the table');
    });

    await test('cut by country and language at once: a column per dimension, the API\'s cross, bars', async () => {
        await cut('country', 'language');
        equal(await page.evaluate(() => location.hash.includes('by=country%2Clanguage')), true, 'the choice in the address');
        const cross = await api(`/api/v1/stats?from=${DAY}&to=2026-12-03&by=country,language`);
        compareRows(await tableValues(), cross.rows);
        equal(cross.rows.reduce((n, r) => n + r.offered, 0), 36, 'the cross adds up to the day');
        const heads = await page.$$eval('#report-table thead th[data-dim]', (ths) => ths.map((th) => th.textContent.trim()));
        equal(heads, [fr['reports.slice.country'], fr['reports.slice.language']], 'one column per dimension');
        const r = cross.rows.find((x) => x.country === 'BE' && x.language === 'ar');
        check(r, `a row for Belgium and Arabic: ${JSON.stringify(cross.rows.map((x) => x.key))}`);
        const cells = await page.$$eval(`#report-table tr[data-key="${r.key}"] th`, (ths) => ths.map((th) => th.textContent.trim()));
        equal(cells, [new Intl.DisplayNames(['fr'], { type: 'region' }).of('BE'), new Intl.DisplayNames(['fr'], { type: 'language' }).of('ar')],
            'the values named in French');
        const heading = await page.textContent('#report-period-title');
        check(heading.includes(`${fr['reports.slice.country']} × ${fr['reports.slice.language']}`), `the cross in the header: ${heading}`);
        equal((await chartOf('chart-calls')).type, 'bar', 'bars for a cross');
        await page.screenshot({ path: join(SHOTS, 'reports-cross-fr.png'), fullPage: true });
        const path = await download('#download-csv');
        check(/wasl-figures-country\+language-2026-12-02\.csv$/.test(path), `the file's name: ${path}`);
        const [head] = readFileSync(path, 'utf8').split(/\r?\n/);
        check(head.startsWith('key,country,language,offered'), `the dimensions' columns in the CSV: ${head}`);
        /* by consulate: no call was recorded with a case: one row, named so */
        await cut('consulate');
        equal((await page.textContent('#report-table tbody tr th')).trim(), fr['reports.no_consulate'], 'calls without a case');
        await cut('interval');
    });

    await test('printed to PDF: landscape pages with the header, the charts and the table, no menus', async () => {
        const pdf = join(SHOTS, 'reports.pdf');
        await page.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
        for (const f of readdirSync(SHOTS).filter((f) => /^reports-pdf-\d+\.png$/.test(f)))
            rmSync(join(SHOTS, f));
        execFileSync('pdftoppm', ['-png', '-r', '70', pdf, join(SHOTS, 'reports-pdf')]);
        const pages = readdirSync(SHOTS).filter((f) => /^reports-pdf-\d+\.png$/.test(f));
        check(pages.length >= 1 && pages.length <= 3, `one to three pages: ${pages.length}`);
        const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
        const size = /Page size:\s+([\d.]+) x ([\d.]+)/.exec(info);
        check(size && Number(size[1]) > Number(size[2]), `landscape pages: ${size && size[0]}`);
        const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
        check(text.includes(fr['reports.title']) && text.includes('2 décembre 2026'), 'the title and the period printed');
        check(text.includes(fr['reports.chart_sl']) && text.includes(fr['reports.m.offered']), 'the charts\' and the table\'s headings printed');
        for (const hidden of [fr['nav.supervision'], fr['reports.download_csv'], fr['reports.definitions'], fr['app.logout']])
            check(!text.includes(hidden), `not printed: ${hidden}`);
        note(`PDF pages as images: ${pages.map((p) => join(SHOTS, p)).join(' ')}`);
    });

    await test('in Arabic the page is right to left, charts included', async () => {
        await page.selectOption('#lang-select', 'ar');
        await page.waitForFunction(() => document.documentElement.dir === 'rtl');
        await loaded();
        equal((await page.textContent('h1')).trim(), ar['reports.title'], 'the title in Arabic');
        const calls = await chartOf('chart-calls');
        equal(calls.reverse, true, 'time runs right to left');
        const byHour = await api(`/api/v1/stats?from=${DAY}&to=2026-12-03&by=interval&interval=1h`);
        const first = byHour.rows.find((r) => r.offered > 0);
        const text = await page.textContent(`#report-table tr[data-key="${first.key}"] td[data-col="offered"]`);
        equal(text, new Intl.NumberFormat(arLocale).format(first.offered), 'numbers in the Arabic locale');
        await page.screenshot({ path: join(SHOTS, 'reports-ar.png'), fullPage: true });
        await page.selectOption('#lang-select', 'fr'); /* the supervisor as found */
        await page.waitForFunction(() => document.documentElement.dir === 'ltr');
    });

    await test('a period the API refuses is said in the user\'s language, and the page raised no error', async () => {
        await page.goto(`${BASE}/#/reports?period=custom&from=2026-01-01&to=2026-12-31&by=queue`);
        await page.waitForSelector('.page-reports[data-loaded="error"]');
        equal((await page.textContent('.page-reports .alert-error')).trim(), fr['error.stats.period_too_long'], 'the refusal in French');
        checkNoErrors(pageErrors);
    });
} finally {
    await browser.close();
    rmSync(downloads, { recursive: true, force: true });
    if (!existsSync(SHOTS))
        note('no screenshots folder');
}
done();
