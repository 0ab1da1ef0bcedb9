// Browser tests of the wasl web UI: playwright-core drives Debian's Chromium
// against a running server (WASL_URL) that holds a fresh demo database.
// Prints TAP and exits 1 when a test failed. Screenshots go to
// WASL_SCREENSHOTS (default build/screenshots of this repository).
//
//   WASL_URL=http://127.0.0.1:18181 node tests/browser/run.mjs

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const BASE = (process.env.WASL_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const SHOTS = process.env.WASL_SCREENSHOTS ? resolve(process.env.WASL_SCREENSHOTS) : join(repo, 'build', 'screenshots');
const TIME_LIMIT_MS = 85_000; /* the whole run must stay under 90 s */
const STEP_TIMEOUT_MS = 5_000;

const DEMO = {
    admin: 'admin-demo-2026',
    supervisor: 'supervisor-demo-2026',
    agent: 'agent-demo-2026',
    editor: 'editor-demo-2026',
    backoffice: 'backoffice-demo-2026',
};
const NAV = {
    admin: ['agent', 'supervision', 'cases', 'guide', 'admin/users', 'admin/audit'],
    supervisor: ['supervision', 'cases', 'guide'],
    agent: ['agent', 'guide'],
    editor: ['guide'],
    backoffice: ['cases'],
};
const HOME = { admin: 'admin/users', supervisor: 'supervision', agent: 'agent', editor: 'guide', backoffice: 'cases' };

const texts = {};
for (const lang of ['ar', 'fr', 'es', 'it', 'nl', 'de', 'en'])
    texts[lang] = JSON.parse(readFileSync(join(repo, 'web', 'i18n', `${lang}.json`), 'utf8'));

/* ---- TAP ------------------------------------------------------------------ */

let count = 0;
let failures = 0;
const started = Date.now();

function diag(text) {
    for (const line of String(text).split('\n'))
        console.log(`# ${line}`);
}

async function test(description, fn) {
    count += 1;
    const n = count;
    try {
        await fn();
        console.log(`ok ${n} - ${description}`);
    } catch (e) {
        failures += 1;
        console.log(`not ok ${n} - ${description}`);
        diag(e && e.stack ? e.stack.split('\n').slice(0, 4).join('\n') : String(e));
    }
}

function check(cond, message) {
    if (!cond)
        throw new Error(message);
}

function equal(got, want, what) {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    if (g !== w)
        throw new Error(`${what}: got ${g}, want ${w}`);
}

function finish() {
    console.log(`1..${count}`);
    console.log(`# took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    console.log(`# ${count - failures} passed, ${failures} failed`);
    process.exit(failures ? 1 : 0);
}

/* ---- The browser ----------------------------------------------------------- */

let chromium;
try {
    ({ chromium } = await import('playwright-core'));
} catch (e) {
    console.log('Bail out! playwright-core is not installed: run "npm ci" in tests/browser');
    process.exit(1);
}

const watchdog = setTimeout(() => {
    console.log(`Bail out! the browser tests took longer than ${TIME_LIMIT_MS / 1000} s`);
    process.exit(1);
}, TIME_LIMIT_MS);
watchdog.unref();

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'wasl-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.WASL_CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    locale: 'en-GB',
    timezoneId: 'Africa/Casablanca',
});

/* Everything the pages say on the console, and every uncaught error. A
 * failed API request the tests provoke on purpose (wrong password, lock-out,
 * disabled account, the session probe when logged out) is expected; any other
 * error, CSP violation or page error fails the last test. */
const problems = [];
const warnings = [];
let allowedNow = []; /* further expected failures, for one test */
const EXPECTED_API_ERRORS = [
    { status: /^(401|403|429)$/, url: /\/api\/v1\/session$/ }, /* probe, wrong password, disabled, locked */
    { status: /^400$/, url: /\/api\/v1\/me\/password$/ }, /* wrong current password */
];

const watched = new WeakSet();

function watch(page) {
    if (watched.has(page))
        return;
    watched.add(page);
    page.on('console', (msg) => {
        const text = msg.text();
        const where = msg.location() && msg.location().url;
        if (msg.type() === 'warning')
            warnings.push(text);
        if (msg.type() !== 'error')
            return;
        const failed = /^Failed to load resource: the server responded with a status of (\d+)/.exec(text);
        if (failed && [...EXPECTED_API_ERRORS, ...allowedNow].some((x) => x.status.test(failed[1]) && x.url.test(where || '')))
            return;
        problems.push(`console error on ${page.url()}: ${text} (${where || '?'})`);
    });
    page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
}
context.on('page', watch);
/* Reports CSP violations from inside the page too (the console line is the
 * browser's; this one names the directive). */
await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`);
    });
});

const page = context.pages()[0] || await context.newPage();
watch(page);
page.setDefaultTimeout(STEP_TIMEOUT_MS);

/* ---- Helpers --------------------------------------------------------------- */

async function lang() {
    return page.evaluate(() => ({ lang: document.documentElement.lang, dir: document.documentElement.dir }));
}

async function route() {
    return page.evaluate(() => document.getElementById('main').dataset.route || '');
}

async function waitRoute(r) {
    await page.waitForFunction((want) => document.getElementById('main').dataset.route === want, r);
}

async function gotoLogin() {
    if (!page.url().startsWith(BASE))
        await page.goto(`${BASE}/#/login`);
    await waitRoute('login');
    await page.waitForSelector('input[name=login]');
}

async function fillLogin(login, password) {
    await gotoLogin();
    await page.fill('input[name=login]', login);
    await page.fill('input[name=password]', password);
    await page.click('form button[type=submit]');
}

async function login(login, password, home) {
    await fillLogin(login, password);
    await waitRoute(home);
}

async function loginError() {
    const el = await page.waitForSelector('#login-error .alert-error');
    return (await el.textContent()).trim();
}

async function logout() {
    await page.click('#logout-button');
    await waitRoute('login');
}

async function navRoutes() {
    return page.$$eval('#main-nav a', (as) => as.map((a) => a.dataset.route));
}

/* Picks a language in the header; when logged in, waits until the server has it. */
async function chooseLanguage(code, { loggedIn = true } = {}) {
    const saved = loggedIn
        ? page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH')
        : null;
    await page.selectOption('#lang-select', code);
    await page.waitForFunction((c) => document.documentElement.lang === c, code);
    if (saved) {
        const res = await saved;
        check(res.ok(), `PATCH /api/v1/me answered ${res.status()}`);
    }
}

async function missingTexts() {
    return page.$$eval('.i18n-missing', (els) => els.map((e) => e.textContent));
}

async function screenshot(name) {
    const file = join(SHOTS, name);
    await page.screenshot({ path: file, fullPage: true });
    const head = readFileSync(file).subarray(0, 8).toString('hex');
    check(head === '89504e470d0a1a0a', `${file} is not a PNG`);
    check(statSync(file).size > 5000, `${file} is suspiciously small`);
    return file;
}

function pattern(text) {
    /* a translated sentence with {n} standing for any number */
    const esc = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{n\\\}/g, '\\d+');
    return new RegExp(`^${esc}$`);
}

async function userRow(loginName) {
    return page.waitForSelector(`#users-table tr[data-login="${loginName}"]`);
}

async function rowState(loginName) {
    return page.$eval(`#users-table tr[data-login="${loginName}"]`, (tr) => tr.dataset.state);
}

async function openEdit(loginName) {
    await page.click(`#users-table tr[data-login="${loginName}"] [data-action=edit]`);
    await page.waitForSelector('dialog[open] #edit-user-form');
}

async function closeDialogs() {
    while (await page.$('dialog[open]'))
        await page.keyboard.press('Escape');
}

/* ---- The tests ------------------------------------------------------------- */

console.log('TAP version 13');
diag(`server ${BASE}, screenshots in ${SHOTS}`);

await test('the login page loads in English for an English browser, with no missing text', async () => {
    await page.goto(`${BASE}/`);
    await waitRoute('login');
    equal(await lang(), { lang: 'en', dir: 'ltr' }, 'html lang/dir');
    equal((await page.textContent('h1')).trim(), texts.en['login.title'], 'title');
    equal(await missingTexts(), [], 'missing texts');
    await screenshot('login-en.png');
});

await test('keyboard: the skip link comes first and moves the focus to the page', async () => {
    /* the login field has the focus; walking back must reach the skip link */
    const seen = [];
    for (let i = 0; i < 5; i++) {
        await page.keyboard.press('Shift+Tab');
        const id = await page.evaluate(() => document.activeElement.id || document.activeElement.tagName);
        seen.push(id);
        if (id === 'skip-link')
            break;
    }
    equal(seen[seen.length - 1], 'skip-link', `Shift+Tab went through ${seen.join(' > ')}`);
    const box = await page.$eval('#skip-link', (a) => a.getBoundingClientRect().top);
    check(box >= 0, 'the focused skip link is off screen');
    await page.keyboard.press('Enter');
    equal(await page.evaluate(() => document.activeElement.tagName), 'H1', 'focus after the skip link');
    /* changing the language from the keyboard keeps the focus on the switcher */
    await page.focus('#lang-select');
    await page.keyboard.press('ArrowUp');
    await page.waitForFunction(() => document.documentElement.lang === 'de');
    equal(await page.evaluate(() => document.activeElement.id), 'lang-select', 'focus after a language change');
    equal((await page.textContent('h1')).trim(), texts.de['login.title'], 'title in German');
});

await test('wrong password shows the error in the chosen language (Spanish)', async () => {
    await chooseLanguage('es', { loggedIn: false });
    await fillLogin('admin', 'not-the-password');
    equal(await loginError(), texts.es['error.auth.bad_credentials'], 'error text');
    equal(await route(), 'login', 'still on the login page');
});

await test('the language chosen before login is remembered by the browser', async () => {
    await page.reload();
    await waitRoute('login');
    equal(await lang(), { lang: 'es', dir: 'ltr' }, 'html lang/dir after reload');
    equal((await page.textContent('h1')).trim(), texts.es['login.title'], 'title');
});

for (const role of ['admin', 'supervisor', 'agent', 'editor', 'backoffice']) {
    await test(`${role}: logs in and lands on #/${HOME[role]} in the account's language (fr)`, async () => {
        await login(role, DEMO[role], HOME[role]);
        equal(await lang(), { lang: 'fr', dir: 'ltr' }, 'html lang/dir');
        equal(await page.textContent('#user-role'), texts.fr[`role.${role}`], 'role shown in the header');
    });

    await test(`${role}: sees exactly its navigation (${NAV[role].join(', ')})`, async () => {
        equal(await navRoutes(), NAV[role], 'navigation entries');
        const labels = (await page.$$eval('#main-nav a', (as) => as.map((a) => a.textContent.trim())));
        equal(labels, NAV[role].map((r) => texts.fr[`nav.${r.replace('/', '_')}`]), 'navigation labels');
    });

    await test(`${role}: every page of its navigation opens, titled, with no missing text`, async () => {
        for (const r of NAV[role]) {
            await page.click(`#main-nav a[data-route="${r}"]`);
            await waitRoute(r);
            const current = await page.$eval(`#main-nav a[data-route="${r}"]`, (a) => a.getAttribute('aria-current'));
            equal(current, 'page', `aria-current on ${r}`);
            const title = (await page.textContent('#main h1')).trim();
            check(title.length > 0, `#/${r} has no title`);
            equal(await missingTexts(), [], `missing texts on #/${r}`);
        }
        await page.click('#account-link');
        await waitRoute('account');
        equal(await missingTexts(), [], 'missing texts on #/account');
    });

    if (role !== 'admin') {
        await test(`${role}: the users page is refused (not in its role)`, async () => {
            await page.evaluate(() => { location.hash = '#/admin/users'; });
            await waitRoute('admin/users');
            equal((await page.textContent('#main h1')).trim(), texts.fr['app.forbidden_title'], 'title');
            equal(await page.$('#users-table'), null, 'users table shown');
        });
    }

    await test(`${role}: switching to Arabic sets <html lang="ar" dir="rtl"> and mirrors the layout`, async () => {
        await page.click(`#main-nav a[data-route="${HOME[role]}"]`);
        await waitRoute(HOME[role]);
        await chooseLanguage('ar');
        equal(await lang(), { lang: 'ar', dir: 'rtl' }, 'html lang/dir');
        equal(await page.textContent('#user-role'), texts.ar[`role.${role}`], 'role in Arabic');
        /* mirrored: the brand is at the right, the first navigation entry right of the last */
        const brand = await page.$eval('.brand', (e) => e.getBoundingClientRect().left);
        check(brand > 640, `the brand should sit on the right in Arabic (left=${brand})`);
        const xs = await page.$$eval('#main-nav a', (as) => as.map((a) => a.getBoundingClientRect().left));
        check(xs.length < 2 || xs[0] > xs[xs.length - 1], 'navigation runs right to left');
        if (role === 'admin')
            await userRow('admin');
        if (role === 'backoffice') {
            const scope = await page.waitForSelector('#main .scope .consulate');
            const text = await scope.textContent();
            check(text.includes('باريس') && text.includes('(FR-PAR)'), `consulate shown as "${text}"`);
        }
        equal(await missingTexts(), [], 'missing texts');
    });

    await test(`${role}: screenshot in Arabic`, async () => {
        const file = await screenshot(`${role}-ar.png`);
        diag(file);
    });

    await test(`${role}: logs out`, async () => {
        await logout();
        check(await page.isVisible('input[name=login]'), 'login form not shown');
        check(await page.isHidden('#main-nav'), 'navigation still shown');
        const probe = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
        equal(probe, 401, 'GET /api/v1/session after logout');
    });
}

await test('the language choice survives a new login (the server keeps it)', async () => {
    await chooseLanguage('en', { loggedIn: false });
    equal((await lang()).lang, 'en', 'login page language');
    await login('agent', DEMO.agent, 'agent');
    equal(await lang(), { lang: 'ar', dir: 'rtl' }, 'html lang/dir after login');
    await chooseLanguage('en');
    await logout();
});

/* The administrator's work on an account, in English. */
let temp1 = '';
let temp2 = '';
const NEWUSER = 'bo.test';
const NEWPASS = 'Lyon-backoffice-2026';

await test('admin creates a back-office user: the consulate is asked only for back office, and required', async () => {
    await login('admin', DEMO.admin, 'admin/users');
    await chooseLanguage('en');
    await userRow('admin');
    await page.click('[data-action=new-user]');
    await page.waitForSelector('dialog[open] #create-user-form');
    const consulate = 'dialog[open] select[name=consulate]';
    check(await page.isHidden(consulate), 'consulate shown for an agent');
    await page.fill('dialog[open] [data-field=login]', NEWUSER);
    await page.fill('dialog[open] [data-field=display_name]', 'Test Back-office (Lyon)');
    await page.selectOption('dialog[open] select[name=role]', 'backoffice');
    check(await page.isVisible(consulate), 'consulate hidden for back office');
    await page.click('dialog[open] [data-action=create-submit]');
    const err = await page.waitForSelector('dialog[open] .field-error:not([hidden])');
    equal((await err.textContent()).trim(), texts.en['error.auth.consulate_required'], 'error without a consulate');
    const options = await page.$$eval(`${consulate} option`, (os) => os.length);
    check(options > 40, `only ${options} consulates offered`);
    await page.selectOption(consulate, 'FR-LYO');
    await page.click('dialog[open] [data-action=create-submit]');
    const secret = await page.waitForSelector('dialog[open] [data-secret]');
    temp1 = await secret.inputValue();
    check(temp1.length >= 10, `temporary password "${temp1}" too short`);
    equal(await secret.getAttribute('readonly'), '', 'the temporary password is read-only');
    await screenshot('admin-created-user.png');
    await page.click('dialog[open] .actions .btn-primary');
    await page.waitForSelector('dialog[open]', { state: 'detached' });
    const row = await userRow(NEWUSER);
    const text = await row.textContent();
    check(text.includes('FR-LYO') && text.includes('Lyon'), `row shows no consulate: ${text}`);
    check(text.includes(texts.en['users.state.temporary_password']), 'row does not say the password is temporary');
});

await test('admin resets the password and sees a new temporary password once', async () => {
    await openEdit(NEWUSER);
    await page.click('dialog[open] [data-action=reset-password]');
    await page.click('dialog[open] [data-confirm=yes]');
    const secret = await page.waitForSelector('dialog[open] .action-result [data-secret]');
    temp2 = await secret.inputValue();
    check(temp2.length >= 10 && temp2 !== temp1, 'no new temporary password');
    await screenshot('admin-reset-password.png');
    await closeDialogs();
});

await test('the new user must change the temporary password before anything else', async () => {
    await logout();
    await fillLogin(NEWUSER, temp1);
    equal(await loginError(), texts.en['error.auth.bad_credentials'], 'the first temporary password no longer works');
    await login(NEWUSER, temp2, 'account');
    await page.waitForSelector('#password-form');
    check(await page.isHidden('#main-nav'), 'navigation shown before the password is changed');
    await screenshot('account-must-change.png');
    await page.evaluate(() => { location.hash = '#/cases'; });
    await waitRoute('account');
    await page.fill('#password-form [data-field=current_password]', temp2);
    await page.fill('#password-form [data-field=password]', NEWPASS);
    await page.fill('#password-form [data-field=again]', `${NEWPASS}x`);
    await page.click('#password-form button[type=submit]');
    const err = await page.waitForSelector('#password-form .field-error:not([hidden])');
    equal((await err.textContent()).trim(), texts.en['account.passwords_differ'], 'mismatch message');
    await page.fill('#password-form [data-field=again]', NEWPASS);
    await page.click('#password-form button[type=submit]');
    await waitRoute('cases');
    equal(await navRoutes(), ['cases'], 'navigation after the change');
    const notice = (await page.textContent('#main .alert-success')).trim();
    equal(notice, texts.en['account.password_changed'], 'notice');
    await logout();
});

await test('too many wrong passwords lock the account, with the minutes to wait', async () => {
    for (let i = 0; i < 4; i++) {
        await fillLogin(NEWUSER, `wrong-password-${i}`);
        equal(await loginError(), texts.en['error.auth.bad_credentials'], `attempt ${i + 1}`);
    }
    // The fifth failure locks the account and says so at once.
    await fillLogin(NEWUSER, 'wrong-password-4');
    const msg = await loginError();
    await fillLogin(NEWUSER, NEWPASS);
    check(pattern(texts.en['error.auth.locked.other']).test(await loginError()), 'still locked with the right password');
    check(pattern(texts.en['error.auth.locked.other']).test(msg), `lock-out message: ${msg}`);
    check(/\b15\b/.test(msg), `expected 15 minutes (auth.lockout default): ${msg}`);
    await screenshot('login-locked.png');
});

await test('admin sees the account locked and unlocks it', async () => {
    await login('admin', DEMO.admin, 'admin/users');
    await userRow(NEWUSER);
    equal(await rowState(NEWUSER), 'locked', 'state before');
    await openEdit(NEWUSER);
    await page.click('dialog[open] [data-action=unlock]');
    await page.waitForSelector('dialog[open] .action-result .alert-success');
    await closeDialogs();
    await page.waitForFunction((l) => document.querySelector(`#users-table tr[data-login="${l}"]`)?.dataset.state === 'active', NEWUSER);
});

await test('admin disables the user, who can no longer sign in', async () => {
    await openEdit(NEWUSER);
    await page.click('dialog[open] [data-action=disable]');
    await page.click('dialog[open] [data-confirm=yes]');
    await page.waitForSelector('dialog[open] [data-action=enable]');
    await closeDialogs();
    await page.waitForFunction((l) => document.querySelector(`#users-table tr[data-login="${l}"]`)?.dataset.state === 'disabled', NEWUSER);
    await logout();
    await fillLogin(NEWUSER, NEWPASS);
    equal(await loginError(), texts.en['error.auth.account_disabled'], 'message');
});

await test('admin edits a name and role; only the change is saved', async () => {
    await login('admin', DEMO.admin, 'admin/users');
    await openEdit('editor');
    await page.fill('dialog[open] [data-field=display_name]', 'Demo Guide Editor (renamed)');
    await page.click('dialog[open] [data-action=save]');
    await page.waitForSelector('dialog[open] .alert-success');
    await closeDialogs();
    await page.waitForFunction(() => document.querySelector('#users-table tr[data-login="editor"]')?.textContent.includes('(renamed)'));
});

await test('admin cannot disable or reset their own account from the users page', async () => {
    await openEdit('admin');
    check(await page.$('dialog[open] [data-action=disable]') === null, 'disable offered for oneself');
    check(await page.$('dialog[open] [data-action=reset-password]') === null, 'reset offered for oneself');
    check(await page.isVisible('dialog[open] a[href="#/account"]'), 'no way to one\'s account page');
    await closeDialogs();
});

await test('when the session ends, the next request leads to the login page and back after login', async () => {
    allowedNow = [{ status: /^401$/, url: /\/api\/v1\/audit\?/ }];
    try {
        await context.clearCookies();
        await page.click('#main-nav a[data-route="admin/audit"]');
        await waitRoute('login');
        equal((await page.textContent('#main > .flash')).trim(), texts.en['login.session_ended'], 'notice');
        await login('admin', DEMO.admin, 'admin/audit');
        await page.waitForSelector('#audit-table tr[data-seq]');
        await page.click('#main-nav a[data-route="admin/users"]');
        await userRow('admin');
    } finally {
        allowedNow = [];
    }
});

await test('the audit page lists the login events, newest first, with paging', async () => {
    await page.click('#main-nav a[data-route="admin/audit"]');
    await waitRoute('admin/audit');
    await page.waitForSelector('#audit-table tr[data-seq]');
    const rows = await page.$$eval('#audit-table tr[data-seq]', (trs) => trs.map((tr) => ({ seq: Number(tr.dataset.seq), action: tr.dataset.action, text: tr.textContent })));
    const logins = rows.filter((r) => r.action === 'login.success');
    for (const who of Object.keys(DEMO))
        check(logins.some((r) => r.text.includes(who)), `no login.success for ${who}`);
    check(rows.some((r) => r.action === 'logout'), 'no logout entry');
    check(rows.every((r, i) => i === 0 || r.seq < rows[i - 1].seq), 'not newest first');
    await page.evaluate(() => { location.hash = '#/admin/audit?limit=10'; });
    await page.waitForFunction(() => document.querySelectorAll('#audit-table tr[data-seq]').length === 10);
    const last = await page.$eval('#audit-table tr[data-seq]:last-child', (tr) => Number(tr.dataset.seq));
    await page.click('[data-action=older]');
    await page.waitForFunction((s) => Number(document.querySelector('#audit-table tr[data-seq]')?.dataset.seq) === s - 1, last);
    check(await page.isVisible('[data-action=newest]'), 'no way back to the newest entries');
});

await test('the audit page filters by actor and by object', async () => {
    const onlyRows = (col, value) => page.waitForFunction(([c, v]) => {
        const cells = [...document.querySelectorAll(`#audit-table tr[data-seq] td:nth-child(${c})`)];
        return cells.length > 0 && cells.every((td) => td.textContent.trim() === v);
    }, [col, value]);
    const actions = () => page.$$eval('#audit-table tr[data-seq]', (trs) => trs.map((tr) => tr.dataset.action));
    await page.fill('input[name=actor]', NEWUSER);
    await page.click('[data-action=filter]');
    await onlyRows(3, NEWUSER);
    let seen = await actions();
    for (const a of ['login.success', 'user.password_change', 'logout'])
        check(seen.includes(a), `actor ${NEWUSER}: no ${a} among ${seen.join(', ')}`);
    // Everything about one account is under its user:<id>, failed logins included.
    const id = await page.evaluate(async (l) => {
        const r = await fetch('/api/v1/users');
        return (await r.json()).users.find((u) => u.login === l).id;
    }, NEWUSER);
    await page.fill('input[name=actor]', '');
    await page.fill('input[name=object]', `user:${id}`);
    await page.click('[data-action=filter]');
    await onlyRows(5, `user:${id}`);
    seen = await actions();
    for (const a of ['login.failure', 'login.account_locked', 'user.unlock', 'user.disable'])
        check(seen.includes(a), `object user:${id}: no ${a} among ${seen.join(', ')}`);
    await page.click('[data-action=clear]');
});

await test('"verify the chain" says the audit trail is intact', async () => {
    await page.click('[data-action=verify]');
    await page.waitForSelector('#verify-result[data-intact]');
    equal(await page.$eval('#verify-result', (e) => e.dataset.intact), 'true', 'intact');
    const msg = (await page.textContent('#verify-result')).trim();
    check(/^The audit trail is intact\. Entries checked: [\d,]+\.$/.test(msg), `message: ${msg}`);
    await screenshot('admin-audit-en.png');
});

await test('a missing translation key is visible as ⟦key⟧ with class i18n-missing and a warning', async () => {
    const got = await page.evaluate(async () => {
        const i18n = await import('/js/i18n.js');
        const node = i18n.tn('test.deliberately_missing_key');
        const holder = document.createElement('p');
        holder.id = 'missing-key-probe';
        holder.append(node);
        document.getElementById('main').append(holder);
        return {
            text: holder.textContent,
            cls: node.className,
            visible: node.getBoundingClientRect().width > 0,
            str: i18n.t('test.other_missing_key'),
            known: i18n.t('audit.title'),
        };
    });
    equal(got.text, '⟦test.deliberately_missing_key⟧', 'node text');
    equal(got.cls, 'i18n-missing', 'node class');
    check(got.visible, 'the missing key is not visible');
    equal(got.str, '⟦test.other_missing_key⟧', 't() of a missing key');
    equal(got.known, texts.en['audit.title'], 't() of a known key');
    check(warnings.some((w) => w.includes('test.deliberately_missing_key')), 'no console.warn for the missing key');
    await page.evaluate(() => document.getElementById('missing-key-probe').remove());
});

await test('plural forms follow each language (Arabic: 1, 2, 3-10, 11-99, 100+ minutes)', async () => {
    const got = await page.evaluate(async () => {
        const i18n = await import('/js/i18n.js');
        const before = i18n.language();
        const out = {};
        for (const code of ['ar', 'en']) {
            await i18n.setLanguage(code, { silent: true, remember: false });
            out[code] = [1, 2, 5, 15, 100].map((n) => i18n.plural('error.auth.locked', n));
        }
        await i18n.setLanguage(before, { silent: true, remember: false });
        return out;
    });
    const ar = texts.ar;
    equal(got.ar, [ar['error.auth.locked.one'], ar['error.auth.locked.two'], ar['error.auth.locked.few'].replace('{n}', '5'),
        ar['error.auth.locked.many'].replace('{n}', '15'), ar['error.auth.locked.other'].replace('{n}', '100')], 'Arabic');
    equal(got.en, [texts.en['error.auth.locked.one'].replace('{n}', '1'), ...[2, 5, 15, 100].map((n) => texts.en['error.auth.locked.other'].replace('{n}', String(n)))], 'English');
});

await test('every page, in every language, has no missing text', async () => {
    const routes = ['admin/users', 'admin/audit', 'agent', 'supervision', 'cases', 'guide', 'account'];
    for (const code of ['ar', 'fr', 'es', 'it', 'nl', 'de', 'en']) {
        await chooseLanguage(code);
        for (const r of routes) {
            await page.evaluate((h) => { location.hash = h; }, `#/${r}`);
            await waitRoute(r);
            if (r === 'admin/users')
                await userRow('admin');
            if (r === 'admin/audit')
                await page.waitForSelector('#audit-table tr[data-seq]');
            const missing = await missingTexts();
            check(missing.length === 0, `${code} #/${r}: ${missing.join(' ')}`);
        }
    }
});

await test('narrow window (390 px) in Arabic: the users page fits without sideways scrolling', async () => {
    await chooseLanguage('ar');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => { location.hash = '#/admin/users'; });
    await waitRoute('admin/users');
    await userRow(NEWUSER);
    const widths = await page.evaluate(() => ({ doc: document.documentElement.scrollWidth, win: window.innerWidth }));
    check(widths.doc <= widths.win, `page is ${widths.doc} px wide in a ${widths.win} px window`);
    await screenshot('admin-users-narrow-ar.png');
    await openEdit(NEWUSER);
    await page.screenshot({ path: join(SHOTS, 'admin-edit-narrow-ar.png') });
    await closeDialogs();
    await page.setViewportSize({ width: 1280, height: 800 });
    await chooseLanguage('en');
});

await test('my account: change language and password (then the old password is refused)', async () => {
    await page.click('#account-link');
    await waitRoute('account');
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/v1/me') && r.request().method() === 'PATCH');
    await page.check('input[type=radio][value=de]');
    await page.waitForFunction(() => document.documentElement.lang === 'de');
    check((await saved).ok(), 'language not saved');
    await page.fill('#password-form [data-field=current_password]', 'wrong-current-password');
    await page.fill('#password-form [data-field=password]', 'Admin-new-2026!');
    await page.fill('#password-form [data-field=again]', 'Admin-new-2026!');
    await page.click('#password-form button[type=submit]');
    const err = await page.waitForSelector('#password-form .field-error:not([hidden])');
    equal((await err.textContent()).trim(), texts.de['error.auth.wrong_password'], 'wrong current password');
    await page.fill('#password-form [data-field=current_password]', DEMO.admin);
    await page.fill('#password-form [data-field=password]', 'Admin-new-2026!');
    await page.fill('#password-form [data-field=again]', 'Admin-new-2026!');
    await page.click('#password-form button[type=submit]');
    await page.waitForSelector('#password-form .alert-success');
    await screenshot('admin-account-de.png');
    await logout();
    await fillLogin('admin', DEMO.admin);
    equal(await loginError(), texts.de['error.auth.bad_credentials'], 'old password');
    await login('admin', 'Admin-new-2026!', 'admin/users');
    equal((await lang()).lang, 'de', 'language kept');
    await logout();
});

await test('the CSP blocks inline script, and these tests notice it', async () => {
    const probe = await context.newPage();
    const before = problems.length;
    await probe.goto(`${BASE}/#/login`);
    await probe.waitForSelector('input[name=login]');
    await probe.evaluate(() => {
        const s = document.createElement('script');
        s.textContent = 'window.__inlineRan = true;';
        document.head.append(s);
    });
    await probe.waitForTimeout(200);
    const ran = await probe.evaluate(() => Boolean(window.__inlineRan));
    const seen = problems.slice(before);
    problems.length = before; /* provoked on purpose: not a finding */
    await probe.close();
    equal(ran, false, 'inline script ran');
    check(seen.some((p) => /Content Security Policy|CSP violation/i.test(p)), 'the violation was not reported');
});

await test('no console errors, page errors or CSP violations on any page', async () => {
    check(problems.length === 0, `${problems.length} problem(s):\n${problems.join('\n')}`);
});

clearTimeout(watchdog);
await context.close();
rmSync(profile, { recursive: true, force: true });
finish();
