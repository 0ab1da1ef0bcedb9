// Browser test of the voice messages page (#/messages): a server of its own
// with the telephony on (telephony.mjs) and a flow that takes a message in
// Arabic; two callers leave one each (the caller's phone sends its 600 Hz
// tone; the prompt before it is the one recording the server loads). The agent (fr ar en) sees them with the numbers masked, plays one in
// the page's player, has one caller called back (a callback request) and
// marks the other handled with a note; the supervisor sees them handled; the
// page in Arabic is right to left. A third caller meets a full disk: the
// supervisor sees the message marked "recording failed", with no audio.
// Prints TAP; exits 1 on a failure.
// Screenshots go to WASL_SCREENSHOTS (default build/screenshots):
// messages-fr.png, messages-player-fr.png, messages-handled-fr.png, messages-failed-fr.png, messages-ar.png,
// messages-failed-ar.png.
//
//   node tests/browser/messages.mjs

import { existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { call, SHOTS } from './pages.mjs';
import { openBrowser, pageSteps, startTelephony } from './telephony.mjs';
import { tap, timeLimit } from './tap.mjs';

const TIME_LIMIT_MS = 120_000;
const FLOW = {
    start: 'arabic',
    nodes: {
        arabic: { type: 'set_language', language: 'ar', next: 'message' },
        message: { type: 'record', prompts: 'please_hold', max_seconds: 2, next: 'hangup' },
        hangup: { type: 'hangup' },
    },
};
const CALLERS = ['+33612345678', '+33612345699'];

const { test, check, equal, noScriptErrors, done } = tap();

timeLimit(TIME_LIMIT_MS, 'the voice messages tests');
mkdirSync(SHOTS, { recursive: true });

/* no prompt recordings at all: the record node's message starts at once */
const tel = await startTelephony({ flow: FLOW });
const browser = await openBrowser('wasl-messages-');
const { page, pageErrors } = browser;
const { waitRoute, login, chooseLanguage } = pageSteps(page, tel.url);

const apiCall = (method, path, body) => call(page, method, path, body);

async function logout() {
    await apiCall('DELETE', '/api/v1/session');
}

/* The messages listed as the logged-in user, once there are `count` of them
 * (the row is written by the event log a moment after the call). */
async function messagesListed(count, query = '', ms = 10_000) {
    const end = Date.now() + ms;
    for (;;) {
        const r = await apiCall('GET', `/api/v1/tel/messages${query}`);
        const items = (r.json && r.json.items) || [];
        if (items.length >= count || Date.now() > end)
            return items;
        await page.waitForTimeout(200);
    }
}

let messages = [];

try {
    await test('two callers leave a voice message each in the Arabic flow', async () => {
        await login('agent', 'agent-demo-2026');
        await chooseLanguage('fr');
        /* One after the other: the second caller rings once the first
         * message is listed, so the second is the newer (the answer to
         * call_wait comes at the 200, and two messages recorded side by
         * side may end in either order). */
        for (const [i, caller] of CALLERS.entries()) {
            const r = await tel.phone.send({ cmd: 'call_wait', caller, timeout: 10 }, 15_000);
            check(r.ok && r.code === 200, `the IVR answers ${caller}: ${JSON.stringify(r)}`);
            messages = await messagesListed(i + 1, '?status=new');
        }
        equal(messages.length, 2, `two new messages for the agent (who takes Arabic); server log: ${tel.log().slice(-1500)}`);
        equal(messages.map((m) => m.language), ['ar', 'ar'], 'in the callers\' language');
    });

    await test('the agent\'s list: masked numbers, language, length, actions', async () => {
        await page.click('#main-nav-list a[data-route="messages"]');
        await waitRoute('messages');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"]`);
        const rows = await page.$$eval('#messages-table tbody tr[data-status="new"]', (trs) => trs.map((tr) => tr.textContent));
        equal(rows.length, 2, 'two rows under "New"');
        check(rows.every((t) => !t.includes('612345678') && !t.includes('612345699')), `numbers masked: ${rows}`);
        check(rows[0].includes('+336******99') && rows[1].includes('+336******78'), `newest first, last digits shown: ${rows}`);
        check(rows.every((t) => t.includes('العربية')), 'the language named in itself');
        equal(await page.$$eval('#messages-table [data-action="callback"]', (b) => b.length), 2, 'a "Call back" button each');
        await page.screenshot({ path: join(SHOTS, 'messages-fr.png'), fullPage: true });
    });

    await test('Listen plays the message in the page (the audio is the WAV the caller left)', async () => {
        const row = `#messages-table tr[data-id="${messages[1].id}"]`;
        await page.click(`${row} [data-action="listen"]`);
        const audio = `${row} audio[data-message="${messages[1].id}"]`;
        await page.waitForSelector(audio);
        await page.waitForFunction((sel) => {
            const a = document.querySelector(sel);
            return a && a.readyState >= 1 && Number.isFinite(a.duration);
        }, audio);
        const duration = await page.$eval(audio, (a) => a.duration);
        check(duration > 1.5 && duration < 2.5, `about max_seconds (2 s): ${duration}`);
        await page.screenshot({ path: join(SHOTS, 'messages-player-fr.png'), fullPage: true });
    });

    await test('"Call back" makes a callback request and marks the message handled', async () => {
        const row = `#messages-table tr[data-id="${messages[1].id}"]`;
        await page.click(`${row} [data-action="callback"]`);
        await page.click('dialog [data-confirm="yes"]');
        await page.waitForSelector('.message-area .alert-success');
        await page.waitForSelector(row, { state: 'detached' });
        const m = (await messagesListed(1, '?status=handled'))[0];
        check(m && m.id === messages[1].id && m.outcome === 'callback' && m.callback > 0, `handled by a callback: ${JSON.stringify(m)}`);
        check((await page.textContent('.message-area')).includes(String(m.callback)), 'the request\'s number is said');
    });

    await test('"Handled" with an outcome and a note', async () => {
        const row = `#messages-table tr[data-id="${messages[0].id}"]`;
        await page.click(`${row} [data-action="handled"]`);
        await page.selectOption('dialog select[name=outcome]', 'no_action');
        await page.fill('dialog textarea[name=note]', 'Rappelé depuis le poste : rendez-vous pris.');
        await page.click('dialog [data-action="save"]');
        await page.waitForSelector(row, { state: 'detached' });
        await page.selectOption('select[name=status]', 'handled');
        await page.click('[data-action="filter"]');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"][data-status="handled"]`);
        const text = await page.textContent(`#messages-table tr[data-id="${messages[0].id}"]`);
        check(text.includes('Aucune suite nécessaire') && text.includes('rendez-vous pris') && text.includes('par vous'),
            `outcome, note and who: ${text}`);
        check((await page.textContent(`#messages-table tr[data-id="${messages[1].id}"]`)).includes('Rappelé'), 'the other: called back');
        await page.screenshot({ path: join(SHOTS, 'messages-handled-fr.png'), fullPage: true });
    });

    await test('the supervisor sees both handled, and the callback request waiting', async () => {
        await logout();
        await login('supervisor', 'supervisor-demo-2026');
        const handled = await messagesListed(2, '?status=handled');
        equal(handled.map((m) => m.outcome).sort(), ['callback', 'no_action'], 'outcomes');
        const cbs = (await apiCall('GET', '/api/v1/tel/callbacks')).json.items;
        const cb = handled.find((m) => m.outcome === 'callback').callback;
        check(cbs.some((c) => c.id === cb && c.language === 'ar'), `callback ${cb} waits, in Arabic: ${JSON.stringify(cbs)}`);
    });

    await test('a message left on a full disk is marked "recording failed", with no audio to play', async () => {
        /* the next calls' message files are /dev/full */
        const streaming = join(tel.dir, 'rec', '.streaming');
        mkdirSync(streaming, { recursive: true });
        const next = Math.max(...messages.map((m) => m.call)) + 1;
        const links = [0, 1, 2].map((i) => join(streaming, `message-${next + i}.wav.part`));
        links.forEach((l) => symlinkSync('/dev/full', l));
        try {
            const r = await tel.phone.send({ cmd: 'call_wait', caller: '+33612345611', timeout: 10 }, 15_000);
            check(r.ok && r.code === 200, `the IVR answers the third caller: ${JSON.stringify(r)}`);
            const failed = (await messagesListed(1, '?status=new')).find((m) => m.audio === 'failed');
            check(failed && failed.seconds === 0, `a new message marked failed: ${JSON.stringify(failed)}`);
            await page.goto(`${tel.url}/#/messages`);
            await waitRoute('messages');
            const row = `#messages-table tr[data-id="${failed && failed.id}"]`;
            await page.waitForSelector(`${row} [data-audio="failed"]`);
            const text = await page.textContent(row);
            check(text.includes('Enregistrement échoué') && text.includes('Aucun son conservé'), `marked, no player: ${text}`);
            equal(await page.$$eval(`${row} [data-action="listen"]`, (b) => b.length), 0, 'nothing to listen to');
            equal(await page.$$eval(`${row} [data-action="callback"]`, (b) => b.length), 1, 'the caller can be called back');
            await page.screenshot({ path: join(SHOTS, 'messages-failed-fr.png'), fullPage: true });
        } finally {
            links.filter((l) => existsSync(l)).forEach((l) => rmSync(l));
        }
    });

    await test('in Arabic the page reads right to left', async () => {
        await page.goto(`${tel.url}/#/messages`);
        await waitRoute('messages');
        await chooseLanguage('ar');
        await page.selectOption('select[name=status]', 'handled');
        await page.click('[data-action="filter"]');
        await page.waitForSelector(`#messages-table tr[data-id="${messages[0].id}"][data-status="handled"]`);
        equal(await page.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        check((await page.textContent('h1')).includes('الرسائل الصوتية'), 'the title in Arabic');
        const box = await page.$eval('#messages-table th', (th) => {
            const r = th.getBoundingClientRect();
            return { left: r.left, right: r.right, width: document.documentElement.clientWidth };
        });
        check(box.right > box.width / 2, `the first column is on the right: ${JSON.stringify(box)}`);
        const phone = await page.$eval('#messages-table .message-phone', (el) => {
            const cs = getComputedStyle(el);
            return { direction: cs.direction, bidi: cs.unicodeBidi, text: el.textContent };
        });
        check(phone.direction === 'ltr' && phone.bidi === 'isolate' && phone.text.startsWith('+336'),
            `the number stays left to right inside the Arabic text: ${JSON.stringify(phone)}`);
        const by = await page.textContent(`#messages-table tr[data-id="${messages[0].id}"]`);
        check(by.includes('Demo Agent'), `who handled it, by name: ${by}`);
        await page.screenshot({ path: join(SHOTS, 'messages-ar.png'), fullPage: true });
        await page.selectOption('select[name=status]', 'new');
        await page.click('[data-action="filter"]');
        await page.waitForSelector('#messages-table [data-audio="failed"]');
        check((await page.textContent('#messages-table [data-audio="failed"]')).includes('فشل التسجيل'), 'the failed mark in Arabic');
        await page.screenshot({ path: join(SHOTS, 'messages-failed-ar.png'), fullPage: true });
        await chooseLanguage('fr');
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
    await tel.close();
}

done();
