/*
 * Chromium for the browser scripts that log in as several users at once: one
 * browser, a context per user (French, Africa/Casablanca), and the script
 * errors of every page collected in pageErrors.
 */
export async function launch({ base, viewport = { width: 1366, height: 768 } }) {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
        executablePath: process.env.WASL_CHROMIUM || '/usr/bin/chromium',
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    const pageErrors = [];
    /* A new page logged in as login, past the login route. */
    async function open(login, password) {
        const context = await browser.newContext({ viewport, locale: 'fr-FR', timezoneId: 'Africa/Casablanca' });
        const page = await context.newPage();
        page.on('pageerror', (e) => pageErrors.push(String(e)));
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
