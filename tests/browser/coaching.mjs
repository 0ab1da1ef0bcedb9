// Browser test of coaching, from planning to the agent's acknowledgement:
// the event log of the server at WASL_URL (its SQLite file in WASL_DB) gets
// two calls of the demo agent in a past week (100 + 20 s and 200 + 40 s:
// AHT 180 s); the supervisor plans a session on #/coaching with two goals
// (aht <= 200 s, aht <= 150 s), records it done with notes and a follow-up a
// week later, and the page shows the first goal met and the second not; the
// agent finds the session under Coaching, reads it and acknowledges it with a
// comment; in Arabic the session and the progress page (charts drawn) read
// right to left. Prints TAP; exits 1 on a failure. Screenshots (in
// WASL_SCREENSHOTS, default build/screenshots): coaching-session-fr.png,
// coaching-agent-fr.png, coaching-session-ar.png, coaching-progress-ar.png.
//
//   WASL_URL=http://127.0.0.1:18181 WASL_DB=/tmp/wasl-api-x/wasl.db node tests/browser/coaching.mjs

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BASE, call, chooseLanguage, launch, SHOTS } from './pages.mjs';
import { tap } from './tap.mjs';

const DB = process.env.WASL_DB;
const { test, check, equal, noScriptErrors, done } = tap({ bail: true });
mkdirSync(SHOTS, { recursive: true });
const sqlite = (sql) => execFileSync('sqlite3', ['-cmd', '.timeout 10000', DB, sql], { encoding: 'utf8' }).trim();
const US = 1000000;
const DAY = 86400 * US;
/* "2026-11-16T00:00" for a datetime-local input: Casablanca is UTC+00 since 2026-09-20 */
const local = (us) => new Date(us / 1000).toISOString().slice(0, 16);

const { browser, open, pageErrors } = await launch({ base: BASE, viewport: { width: 1366, height: 900 } });
let sessionId = 0;
let w9 = 0;
let w10 = 0;

try {
    const sup = await open('supervisor', 'supervisor-demo-2026');
    const agent = await open('agent', 'agent-demo-2026');
    const agentId = (await call(agent, 'GET', '/api/v1/session')).json.user.id;

    await test('two calls of the agent in a past week, in the event log', async () => {
        check(DB, 'WASL_DB names the SQLite file of the server at WASL_URL');
        const weeks = (await call(sup, 'GET', `/api/v1/coaching/agents/${agentId}/progress`)).json.weeks;
        w9 = Date.parse(weeks[9].from) * 1000;
        w10 = Date.parse(weeks[10].from) * 1000;
        const rows = [];
        let id = 700;
        for (const [t0, talk, wrap] of [[w9 + 2 * DAY, 100, 20], [w9 + 2 * DAY + 3600 * US, 200, 40]]) {
            const c = ++id;
            const ev = (at, kind, agentCol, queue, data) => rows.push(`(${at}, '${kind}', ${c}, ${agentCol ?? 'NULL'}, ${queue ? `'${queue}'` : 'NULL'}, '${JSON.stringify(data)}')`);
            ev(t0, 'call.arrived', null, null, { did: '+33800100200', country: 'FR', sip_call_id: `b${c}` });
            ev(t0 + US, 'queue.joined', null, 'fr', { service: 'general', position: 1 });
            ev(t0 + 5 * US, 'call.answered', agentId, 'fr', { waited_ms: 4000 });
            ev(t0 + 5 * US, 'agent.state', agentId, null, { state: 'busy', reason: '', by: 0 });
            ev(t0 + (5 + talk) * US, 'call.ended', agentId, null, { outcome: 'answered', path: '', waited_ms: 4000, talked_ms: talk * 1000 });
            ev(t0 + (5 + talk) * US, 'agent.state', agentId, null, { state: 'wrap_up', reason: '', by: 0 });
            ev(t0 + (5 + talk + wrap) * US, 'agent.state', agentId, null, { state: 'available', reason: '', by: 0 });
        }
        sqlite(`INSERT INTO events (at, kind, call_id, agent, queue, data) VALUES ${rows.join(', ')};`);
        const p = (await call(sup, 'GET', `/api/v1/coaching/agents/${agentId}/progress`)).json;
        equal(p.weeks[9].aht_s, 180, 'the week\'s AHT');
    });

    await test('the supervisor plans a session with two goals', async () => {
        await sup.click('#main-nav a[data-route="coaching"]');
        await sup.waitForSelector('form [name=topic]');
        await sup.waitForSelector(`select[name=agent] option[value="${agentId}"]`, { state: 'attached' });
        await sup.selectOption('select[name=agent]', String(agentId));
        await sup.fill('input[name=planned_at]', local(w9 + DAY));
        await sup.fill('input[name=topic]', 'Durée des appels');
        await sup.fill('.coaching-goal-row:nth-child(1) input[name=goal_text]', 'Conclure plus vite');
        await sup.fill('.coaching-goal-row:nth-child(1) input[name=goal_target]', 'aht <= 200 s');
        await sup.click('[data-action="add-goal"]');
        await sup.fill('.coaching-goal-row:nth-child(2) input[name=goal_target]', 'aht <= 150 s');
        await sup.click('[data-action="plan"]');
        await sup.waitForSelector('#coaching-session article[data-state="planned"]');
        sessionId = Number(await sup.$eval('#coaching-session article', (e) => e.dataset.session));
        check(sessionId > 0, `session ${sessionId}`);
    });

    await test('recorded done with a follow-up a week later: one goal met, the other not', async () => {
        await sup.fill('textarea[name=notes]', 'Bonne écoute ; résumer la démarche avant de conclure.');
        await sup.fill('textarea[name=private_notes]', 'Fatigué cette semaine.');
        await sup.fill('input[name=follow_up_at]', local(w10 + DAY));
        await sup.click('[data-action="done"]');
        await sup.waitForSelector('#coaching-session article[data-state="done"]');
        const met = await sup.$$eval('.coaching-goal-list li', (ls) => ls.map((l) => l.dataset.met));
        equal(met, ['true', 'false'], 'aht 180 s: <= 200 met, <= 150 not');
        const text = await sup.textContent('.coaching-goal-list');
        check(text.includes('180') && text.includes('Atteint') && text.includes('Non atteint'), `said on the page: ${text}`);
        check((await sup.textContent('#coaching-session')).includes('Fatigué'), 'the supervisor reads the private notes');
        await sup.screenshot({ path: join(SHOTS, 'coaching-session-fr.png'), fullPage: true });
    });

    await test('the agent finds the session, reads it and acknowledges it', async () => {
        await agent.click('#main-nav a[data-route="coaching"]');
        await agent.click(`#coaching-list tr[data-session="${sessionId}"] a`);
        await agent.waitForSelector('#coaching-session article[data-state="done"]');
        const text = await agent.textContent('#coaching-session');
        check(text.includes('résumer la démarche'), 'the notes');
        check(!text.includes('Fatigué'), 'not the private notes');
        equal(await agent.$$eval('.coaching-goal-list li', (ls) => ls.map((l) => l.dataset.met)), ['true', 'false'], 'the goals');
        await agent.fill('textarea[name=comment]', 'Merci, je résumerai avant de conclure.');
        await agent.click('[data-action="acknowledge"]');
        await agent.waitForSelector('.coaching-acknowledged');
        check((await agent.textContent('.coaching-acknowledged')).includes('je résumerai'), 'the comment shown');
        await agent.screenshot({ path: join(SHOTS, 'coaching-agent-fr.png'), fullPage: true });
        const audit = (await call(agent, 'GET', `/api/v1/coaching/sessions/${sessionId}`)).json;
        check(audit.acknowledged_at, 'stored');
    });

    await test('in Arabic the session and the progress read right to left', async () => {
        await chooseLanguage(agent, 'ar');
        await agent.waitForSelector('.coaching-acknowledged');
        equal(await agent.evaluate(() => document.documentElement.dir), 'rtl', 'dir');
        check((await agent.textContent('h1')).includes('جلسة مواكبة'), 'the title in Arabic');
        const box = await agent.$eval('.coaching-goal-list li', (el) => {
            const r = el.firstElementChild.getBoundingClientRect();
            return { right: r.right, width: document.documentElement.clientWidth };
        });
        check(box.right > box.width * 0.75, `the goals start on the right: ${JSON.stringify(box)}`);
        await agent.screenshot({ path: join(SHOTS, 'coaching-session-ar.png'), fullPage: true });
        await agent.goto(`${BASE}/#/coaching/progress?agent=${agentId}`);
        await agent.waitForSelector('.coaching-charts[data-drawn="true"]');
        const cell = await agent.$eval('#coaching-progress tbody tr:nth-child(10) td[data-metric="aht"]', (e) => e.textContent);
        check(cell.includes('١٨٠') || cell.includes('180'), `week 10 of 12: AHT 180 (${cell})`);
        await agent.screenshot({ path: join(SHOTS, 'coaching-progress-ar.png'), fullPage: true });
        await chooseLanguage(agent, 'fr');
    });

    await noScriptErrors(pageErrors);
} finally {
    await browser.close();
}

done();
