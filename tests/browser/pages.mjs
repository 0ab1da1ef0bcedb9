/*
 * What the browser scripts share: where the checkout, the server and the
 * screenshots are, the UI's texts, how Chromium is started, and for the
 * scripts that log in as several users at once one browser with a context
 * per user (French, Africa/Casablanca), the script errors of every page
 * collected in pageErrors.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchErrors } from './tap.mjs';

/* The checkout; the server a script tests (WASL_URL, else the demo's
 * address); where screenshots go (WASL_SCREENSHOTS, else build/screenshots). */
export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BASE = (process.env.WASL_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
export const SHOTS = process.env.WASL_SCREENSHOTS ? resolve(process.env.WASL_SCREENSHOTS) : join(REPO, 'build', 'screenshots');

/* The UI's texts in lang, as web/i18n/<lang>.json has them. */
export function uiTexts(lang) {
    return JSON.parse(readFileSync(join(REPO, 'web', 'i18n', `${lang}.json`), 'utf8'));
}

/* How every browser script starts Chromium: WASL_CHROMIUM, else Debian's;
 * headless, without the sandbox (the tests run as root in CI), nothing
 * fetched in the background; more: further command-line switches. */
export function chromiumOptions(...more) {
    return {
        executablePath: process.env.WASL_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', ...more],
    };
}

export async function launch({ base, viewport = { width: 1366, height: 768 } }) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch(chromiumOptions());
    const pageErrors = [];
    /* A new page logged in as login, past the login route. */
    async function open(login, password) {
        const context = await browser.newContext({ viewport, locale: 'fr-FR', timezoneId: 'Africa/Casablanca' });
        const page = await context.newPage();
        watchErrors(page, pageErrors);
        page.setDefaultTimeout(10_000);
        await page.goto(`${base}/#/login`);
        await page.waitForSelector('input[name=login]');
        await page.fill('input[name=login]', login);
        await page.fill('input[name=password]', password);
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('main').dataset.route !== 'login');
        return page;
    }
    return { browser, open, pageErrors };
}

/* The API as the logged-in user of page (their session cookie and CSRF
 * token): {status, json} (json null for 204). */
export async function call(page, method, path, body) {
    return page.evaluate(async ([m, p, b]) => {
        const s = await (await fetch('/api/v1/session')).json();
        const r = await fetch(p, {
            method: m, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf_token }, body: b ? JSON.stringify(b) : undefined,
        });
        return { status: r.status, json: r.status === 204 ? null : await r.json() };
    }, [method, path, body]);
}

/* Switches the UI language with the header's selector. */
export async function chooseLanguage(page, code) {
    await page.selectOption('#lang-select', code);
    await page.waitForFunction((c) => document.documentElement.lang === c, code);
}
