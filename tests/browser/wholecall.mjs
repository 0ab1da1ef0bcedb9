// A whole call through real SIP peers, seen from the agent's desk in Chromium:
// a SIPp caller dials France's toll-free number, goes through the demo IVR
// (French, then "an agent"), waits in the French queue and is offered to the
// demo agent, whose desk phone is baresip (registered, answering only when
// told through its ctrl_tcp socket). The desk must pop the caller with their
// open case while the phone still rings; baresip answers; the desk hangs up,
// counts the wrap-up down, saves the call's disposition and ends the wrap-up
// early with "Ready"; the event log (GET /api/v1/events?call=N) then holds
// every step, in order. Screenshots at 1366x768 in French and in Arabic.
//
// It starts its own wasl ($WASL_BINARY, else build/wasl, else build/asan/wasl)
// on a fresh demo database with the demo IVR flow and no prompt recordings
// (the prompts are silent, so the keys can come at once), the clock set to a
// Tuesday at 10:00 UTC (the center is open), sip.wrap_up 120 s. Everything it
// starts (wasl, baresip, SIPp, Chromium) is stopped by PID; a watchdog ends it
// after TIME_LIMIT_MS. Every wait is for something to happen, bounded.
// SIPp sends its keys from a raw socket (RFC 4733 pcaps): as root only;
// otherwise the caller presses nothing and the IVR's time-outs lead to the
// same queue (French is France's default, an agent the main menu's fallback).
//
//   node tests/browser/wholecall.mjs        # prints TAP; exits 1 on a failure

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apiClient, freePorts, until, waslBinary } from './telephony.mjs';
import { chromiumOptions, REPO, SHOTS } from './pages.mjs';
import { tap, timeLimit, watchErrors } from './tap.mjs';

const TIME_LIMIT_MS = 150_000;
const CALLER = '+33611223344';
const DID = '+33800100200';
const WRAP_UP_S = 120;
const ROOT = typeof process.getuid === 'function' && process.getuid() === 0;

const { test, check, note, noScriptErrors, done } = tap({ bail: true });

/* Everything started here, stopped by PID at the end (or on a bail-out). */
const children = [];
const dir = mkdtempSync(join(tmpdir(), 'wasl-wholecall-'));
function track(p) {
    children.push(p);
    return p;
}
function stopAll(signal = 'SIGTERM') {
    for (const c of [...children].reverse())
        if (c.exitCode === null && c.signalCode === null)
            try {
                c.kill(signal);
            } catch (e) {
                /* already gone */
            }
}
process.once('exit', () => stopAll('SIGKILL'));
timeLimit(TIME_LIMIT_MS, 'the whole-call test', () => stopAll('SIGKILL'));

/* Resolves when a child exits; never rejects. */
function exited(p) {
    return new Promise((res) => {
        if (p.exitCode !== null || p.signalCode !== null)
            res(p.exitCode);
        else
            p.once('exit', (code) => res(code));
    });
}
function within(promise, ms, what) {
    let timer;
    return Promise.race([promise, new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: not within ${ms} ms`)), ms);
    })]).finally(() => clearTimeout(timer));
}

/* A free TCP port on loopback (for baresip's control socket). */
function freeTcp() {
    return new Promise((res, rej) => {
        const s = net.createServer();
        s.once('error', rej);
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => res(port));
        });
    });
}

/* ---- wasl ---- */

async function startWasl(binary, ports) {
    const db = join(dir, 'wasl.db');
    const prompts = join(dir, 'no-prompts');
    mkdirSync(prompts);
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
    const init = track(spawn(binary, ['--db', db, 'init', '--demo'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] }));
    let initErr = '';
    init.stderr.on('data', (d) => {
        initErr = (initErr + d).slice(-800);
    });
    const code = await within(exited(init), 60_000, 'wasl init --demo');
    check(code === 0, `wasl init --demo failed (${code}): ${initErr}`);
    const settings = {
        'http.port': 0, 'http.listen': '127.0.0.1', 'clock.start': '2026-12-01T10:00:00Z',
        'sip.enabled': 'true', 'sip.tcp': 'false', 'sip.port': ports.sip, 'sip.rtp_min': ports.rtpMin, 'sip.rtp_max': ports.rtpMax,
        'sip.prompts_dir': prompts, 'sip.ring_timeout': '60s', 'sip.wrap_up': `${WRAP_UP_S}s`, 'sip.realtime_priority': '0',
        'log.level': 'warn',
    };
    const args = ['--db', db, ...Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]), 'serve'];
    const server = track(spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let log = '';
    server.stderr.on('data', (d) => {
        log = (log + d).slice(-4000);
    });
    const url = await within(new Promise((res, rej) => {
        let out = '';
        server.stdout.on('data', (d) => {
            out += d;
            const m = /web UI and API: (http:\/\/[^\s/]+)\//.exec(out);
            if (m && /SIP \(trunks/.test(out))
                res(m[1]);
        });
        server.once('exit', (c) => rej(new Error(`wasl serve exited (${c}): ${log}`)));
    }), 60_000, 'wasl serve');
    return { url, server, sipPort: ports.sip, log: () => log };
}

/* ---- baresip: the agent's desk phone, answering when told ---- */

const BARESIP_CONFIG = (p) => `# written by tests/browser/wholecall.mjs: a headless agent phone on loopback
poll_method\t\tepoll
sip_listen\t\t127.0.0.1:${p.sip}
net_interface\t\t127.0.0.1
dns_server\t\t127.0.0.1:53
call_local_timeout\t120
call_max_calls\t\t4
audio_player\t\taubridge,waslweb
audio_source\t\tausine,600
audio_alert\t\taubridge,waslweb
audio_level\t\tno
ausrc_srate\t\t48000
auplay_srate\t\t8000
ausrc_channels\t\t2
auplay_channels\t\t1
rtp_ports\t\t${p.rtpMin}-${p.rtpMin + 99}
rtp_timeout\t\t0
rtcp_mux\t\tno
jitter_buffer_delay\t5-10
rtp_stats\t\tno
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\tausine.so
module\t\t\taubridge.so
module_tmp\t\taccount.so
module_app\t\tmenu.so
module_app\t\tctrl_tcp.so
ctrl_tcp_listen\t\t127.0.0.1:${p.ctrl}
`;

/* baresip's ctrl_tcp: JSON in netstrings both ways; events and answers. */
function baresipCtrl(port) {
    const sock = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const seen = [];
    const waiters = [];
    sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
            const colon = buf.indexOf(':');
            if (colon < 0)
                break;
            const len = Number(buf.subarray(0, colon).toString());
            if (buf.length < colon + 1 + len + 1)
                break;
            let msg = null;
            try {
                msg = JSON.parse(buf.subarray(colon + 1, colon + 1 + len).toString());
            } catch (e) {
                msg = { unparsed: true };
            }
            buf = buf.subarray(colon + 1 + len + 1);
            seen.push(msg);
            for (const w of [...waiters])
                if (w.want(msg)) {
                    waiters.splice(waiters.indexOf(w), 1);
                    w.res(msg);
                }
        }
    });
    sock.on('error', () => {});
    const connected = new Promise((res, rej) => {
        sock.once('connect', res);
        sock.once('error', rej);
    });
    return {
        connected,
        wait(want, ms, what) {
            const old = seen.find(want);
            if (old)
                return Promise.resolve(old);
            return within(new Promise((res) => waiters.push({ want, res })), ms, what);
        },
        command(command, params = '') {
            const token = `t${Math.random().toString(36).slice(2)}`;
            const body = Buffer.from(JSON.stringify({ command, params, token }));
            sock.write(`${body.length}:${body},`);
            return this.wait((m) => m.response && m.token === token, 5000, `baresip ${command}`);
        },
        close: () => sock.destroy(),
    };
}

/* ---- the test ---- */

const binary = waslBinary();
const { chromium } = await import('playwright-core');
mkdirSync(SHOTS, { recursive: true });
let wasl = null;
let base = null;
let baresip = null;
let ctrl = null;
let sipp = null;
let sippDone = null;
let browser = null;
let page = null;
let sup = null;
let supId = null;
let callId = null;
let caseRef = null;
let articleVersion = null;
const pageErrors = [];

async function columns() {
    return page.evaluate(() => ['.desk-col-caller', '.desk-col-cases', '.desk-col-guide'].map((s) => {
        const r = document.querySelector(s).getBoundingClientRect();
        return { left: Math.round(r.left), right: Math.round(r.right), top: Math.round(r.top) };
    }));
}
async function chooseLanguage(code) {
    await page.selectOption('#lang-select', code);
    await page.waitForFunction((c) => document.documentElement.lang === c, code);
}
async function phoneState(state) {
    await page.waitForSelector(`#phone-bar[data-state="${state}"]`, { timeout: 20_000 });
}

try {
    await test('wasl, baresip as the agent\'s phone and Chromium start; baresip registers', async () => {
        check(binary, 'no wasl program (make, or $WASL_BINARY)');
        const ports = await freePorts();
        let other = await freePorts();
        while (Math.abs(other.rtpMin - ports.rtpMin) < 300 || other.sip === ports.sip)
            other = await freePorts();
        wasl = await startWasl(binary, ports);
        base = wasl.url;
        const bdir = join(dir, 'baresip');
        mkdirSync(bdir);
        const ctrlPort = await freeTcp();
        writeFileSync(join(bdir, 'config'), BARESIP_CONFIG({ sip: other.sip, rtpMin: other.rtpMin, ctrl: ctrlPort }));
        writeFileSync(join(bdir, 'accounts'), `<sip:agent@127.0.0.1:${ports.sip};transport=udp>;auth_pass=agent-phone-2026;`
            + 'regint=120;answermode=manual;audio_codecs=pcmu\n');
        baresip = track(spawn('baresip', ['-f', bdir], { cwd: bdir, stdio: ['ignore', 'ignore', 'ignore'] }));
        const agentApi = await apiClient(base, 'agent', 'agent-demo-2026');
        const me = await until(async () => {
            const r = await agentApi('GET', '/api/v1/me/phone');
            return r.json.registered && (r.json.contact || '').includes(`:${other.sip}`) ? r.json : null;
        }, 20_000, 'baresip registered as the agent\'s phone');
        note(`the agent's phone: ${me.contact}`);
        ctrl = baresipCtrl(ctrlPort);
        await within(ctrl.connected, 5000, 'baresip\'s control socket');
        sup = await apiClient(base, 'supervisor', 'supervisor-demo-2026');
        /* a second baresip: the supervisor's phone, answering by itself (the colleague the agent consults) */
        let third = await freePorts();
        while ([ports, other].some((x) => Math.abs(third.rtpMin - x.rtpMin) < 300 || third.sip === x.sip))
            third = await freePorts();
        const sdir2 = join(dir, 'baresip-supervisor');
        mkdirSync(sdir2);
        writeFileSync(join(sdir2, 'config'), BARESIP_CONFIG({ sip: third.sip, rtpMin: third.rtpMin, ctrl: await freeTcp() }));
        writeFileSync(join(sdir2, 'accounts'), `<sip:supervisor@127.0.0.1:${ports.sip};transport=udp>;auth_pass=supervisor-phone-2026;`
            + 'regint=120;answermode=auto;audio_codecs=pcmu\n');
        track(spawn('baresip', ['-f', sdir2], { cwd: sdir2, stdio: ['ignore', 'ignore', 'ignore'] }));
        const sp = await until(async () => {
            const r = await sup('GET', '/api/v1/me/phone');
            return r.json.registered && (r.json.contact || '').includes(`:${third.sip}`) ? r.json : null;
        }, 20_000, 'baresip registered as the supervisor\'s phone');
        supId = sp.user_id;
        /* the caller's open case, filed before the call (the screen pop finds it by the number's blind index) */
        const made = await agentApi('POST', '/api/v1/cases', {
            type: 'dossier', category: 'passport', language: 'fr', country: 'FR', channel: 'phone',
            subject: 'Passeport perdu à Lyon, attend un rendez-vous', fields: { procedure: 'passport', consulate: 'FR-LYO' },
            citizen: { phone: CALLER, name: 'Yassine Test' },
        });
        check(made.status === 201, `the caller's case: ${made.status} ${JSON.stringify(made.json)}`);
        caseRef = made.json.reference;
        browser = await chromium.launch(chromiumOptions());
        const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'fr-FR', timezoneId: 'Africa/Casablanca' });
        page = await context.newPage();
        watchErrors(page, pageErrors);
        page.setDefaultTimeout(10_000);
    });

    await test('the agent logs in and goes available from the phone bar', async () => {
        await page.goto(`${base}/#/login`);
        await page.fill('input[name=login]', 'agent');
        await page.fill('input[name=password]', 'agent-demo-2026');
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => document.getElementById('main').dataset.route === 'agent');
        await chooseLanguage('fr');
        await page.waitForSelector('#phone-bar[data-registered="true"]');
        await page.click('[data-action="phone-available"]');
        await phoneState('available');
        await page.waitForSelector('#desk-today[data-answered]');
        check(await page.$eval('#desk-today', (e) => e.dataset.answered) === '0', 'no call answered yet today');
    });

    await test('SIPp calls the toll-free number, keys French then "an agent": baresip rings and the desk pops the caller with their open case before the answer', async () => {
        const xml = join(dir, 'caller.xml');
        /* silent prompts: the language menu and the main menu listen at once */
        const steps = ROOT ? '1500:1,1000:1' : '0';
        const gen = spawnSync('python3', [join(REPO, 'tests', 'sip', 'sippgen.py'), '--steps', steps, '--wait-bye', '--wait-bye-ms', '90000',
            '--caller', CALLER, '--name', 'wholecall'], { encoding: 'utf8' });
        check(gen.status === 0, `sippgen: ${gen.stderr}`);
        writeFileSync(xml, gen.stdout);
        if (!ROOT)
            note('not root: SIPp cannot send its keys; the IVR\'s time-outs choose French and an agent');
        const sp = await freePorts();
        const sdir = join(dir, 'sipp');
        mkdirSync(sdir);
        sipp = track(spawn('sipp', [`127.0.0.1:${wasl.sipPort}`, '-sf', xml, '-s', DID, '-i', '127.0.0.1', '-p', String(sp.sip),
            '-mi', '127.0.0.1', '-mp', String(sp.rtpMin), '-m', '1', '-l', '1', '-nostdin', '-timeout', '120s', '-timeout_error',
            '-trace_err', '-error_file', 'err.log', '-rtp_echo', '-cid_str', 'wholecall-%u-%p@%s'],
        { cwd: sdir, stdio: ['ignore', 'ignore', 'ignore'] }));
        sippDone = exited(sipp);
        await phoneState('ringing');
        callId = await page.$eval('#phone-call', (e) => e.dataset.call);
        check(/^\d+$/.test(callId || ''), `the phone bar shows the call's number: ${callId}`);
        await page.waitForSelector(`#desk-open-cases li[data-reference="${caseRef}"]`);
        const pop = await page.evaluate(() => ({
            phone: document.getElementById('desk-caller-phone')?.textContent || '',
            lang: document.getElementById('desk-caller-lang')?.textContent || '',
            facts: document.getElementById('desk-caller').textContent,
            state: document.getElementById('phone-bar').dataset.state,
        }));
        note(`screen pop: ${pop.facts.replace(/\s+/g, ' ').slice(0, 200)}`);
        check(pop.state === 'ringing', `still ringing when the pop is checked: ${pop.state}`);
        check(pop.lang === 'Français', `the language chosen in the IVR: ${pop.lang}`);
        check(pop.phone.includes('44') && !pop.phone.replace(/\s/g, '').includes(CALLER), `the number masked for an agent: ${pop.phone}`);
        check(/welcome/.test(pop.facts) && /main_menu/.test(pop.facts), 'the IVR path');
        check(/France/.test(pop.facts), 'the country of the toll-free number');
        await page.waitForSelector('#desk-controls:not([hidden]) [data-action="call-answer"]:not([hidden])');
        check(await page.isHidden('[data-action="call-hold"]'), 'ringing: "Answer", not hold');
        await page.screenshot({ path: join(SHOTS, 'wholecall-pop-fr.png') });
    });

    await test('baresip answers (ctrl_tcp "accept"): the desk shows the call in conversation with its controls', async () => {
        await ctrl.wait((m) => m.event && m.type === 'CALL_INCOMING', 5000, 'baresip\'s incoming call');
        const r = await ctrl.command('accept');
        check(r.ok !== false, `baresip accept: ${JSON.stringify(r)}`);
        await phoneState('busy');
        await page.waitForSelector('#desk-controls:not([hidden]) [data-action="call-hangup"]');
        await page.waitForSelector('[data-action="call-answer"]', { state: 'hidden' });
        check(await page.$eval('#desk-wrapup', (e) => e.hidden), 'no wrap-up during the call');
    });

    await test('the agent consults the supervisor from the desk: the caller waits, the three talk in conference, then the agent goes back to the caller', async () => {
        await page.focus('#desk-transfer-queue'); /* the colleagues are listed when the list is opened */
        await page.waitForSelector(`#desk-transfer-queue option[value="agent:${supId}"]`, { state: 'attached' });
        await page.selectOption('#desk-transfer-queue', `agent:${supId}`);
        check(await page.isDisabled('[data-action="call-transfer"]'), 'a colleague outside the queues cannot be given the call blind');
        check(!(await page.isDisabled('[data-action="call-consult"]')), 'but can be consulted');
        await page.click('[data-action="call-consult"]');
        await page.waitForSelector('#desk-consult-state[data-stage="talking"]', { timeout: 15_000 });
        check(await page.isHidden('[data-action="call-hold"]'), 'the usual buttons give way to the consultation\'s');
        check(await page.isDisabled('[data-action="consult-complete"]') === false, 'the call can be handed over');
        const said = await page.textContent('#desk-consult-state');
        note(`consultation: ${said}`);
        const supName = (await sup('GET', '/api/v1/session')).json.user.display_name;
        check(supName && said.includes(supName), `the desk names the colleague (${supName}): ${said}`);
        await page.screenshot({ path: join(SHOTS, 'wholecall-consult-fr.png') });
        await page.click('[data-action="consult-conference"]');
        await page.waitForSelector('#desk-consult-state[data-stage="conference"]');
        await page.click('[data-action="consult-cancel"]');
        await page.waitForSelector('#desk-consulting', { state: 'hidden' });
        await page.waitForSelector('#desk-controls:not([hidden]) [data-action="call-hold"]');
        const ev = await until(async () => {
            const r = await sup('GET', `/api/v1/events?call=${callId}&limit=1000`);
            const st = r.json.items.filter((e) => e.kind === 'call.consulted').map((e) => e.data.stage);
            return st.includes('cancelled') ? st : null;
        }, 5000, 'the consultation in the event log');
        check(ev.join(' ') === 'ringing talking conference cancelled', `call.consulted stages: ${ev.join(' ')}`);
    });

    await test('during the call the agent reads the guide (Alt+G): the article is listed as consulted, with its version', async () => {
        await page.keyboard.press('Alt+g');
        await page.keyboard.type('passeport perdu');
        await page.keyboard.press('Enter');
        await page.click('#guide-results a.hit-link[data-slug="passport-lost"]');
        await page.waitForSelector('#desk-article[data-slug="passport-lost"]:not([hidden])');
        articleVersion = Number(await page.getAttribute('#desk-article', 'data-version'));
        await page.waitForSelector(`#desk-consulted li[data-slug="passport-lost"][data-version="${articleVersion}"]`);
    });

    await test('the desk hangs up: SIPp gets wasl\'s BYE; the wrap-up counts down from the server\'s length', async () => {
        await page.click('[data-action="call-hangup"]');
        await phoneState('wrap_up');
        const code = await within(sippDone, 10_000, 'SIPp ends');
        check(code === 0, `SIPp's call ended cleanly (exit ${code}; ${join(dir, 'sipp', 'err.log')})`);
        await page.waitForSelector('#desk-wrapup:not([hidden]) #desk-wrapup-left[data-seconds]');
        const first = Number(await page.$eval('#desk-wrapup-left', (e) => e.dataset.seconds));
        check(first <= WRAP_UP_S && first > WRAP_UP_S - 20, `time left ${first} s of ${WRAP_UP_S}`);
        await page.waitForFunction((f) => Number(document.getElementById('desk-wrapup-left').dataset.seconds) < f, first, { timeout: 3000 });
        note(`wrap-up left: ${first} s, then counting down`);
    });

    await test('the disposition is saved from the desk during the wrap-up; "?" lists the shortcuts, "Ready" among them', async () => {
        await page.evaluate(() => document.activeElement && document.activeElement.blur());
        await page.keyboard.press('?');
        check(await page.$eval('#desk-shortcuts', (e) => e.open), '"?" opens the shortcuts');
        const keys = await page.$eval('#desk-shortcuts', (e) => e.textContent);
        check(keys.includes('Alt+R') && /post-appel/i.test(keys), `the list names Alt+R: ${keys}`);
        await page.keyboard.press('?');
        check(!(await page.$eval('#desk-shortcuts', (e) => e.open)), '"?" closes them');
        await page.keyboard.press('Alt+d');
        check(await page.evaluate(() => document.activeElement.id) === 'desk-disposition', 'Alt+D goes to the outcome');
        await page.selectOption('#desk-disposition', 'information_given');
        await page.fill('#desk-note', 'Rendez-vous confirmé par téléphone.');
        await page.click('[data-action="desk-save-call"]');
        await page.waitForSelector('#desk-call-form[data-saved="information_given"]');
        const saved = await sup('GET', `/api/v1/desk/calls/${callId}`);
        check(saved.status === 200 && saved.json.disposition === 'information_given', `the record: ${JSON.stringify(saved.json)}`);
        check(JSON.stringify(saved.json.articles) === JSON.stringify([{ slug: 'passport-lost', lang: 'fr', version: articleVersion }]),
            `the article consulted, with its version: ${JSON.stringify(saved.json.articles)}`);
    });

    await test('in Arabic at 1366x768 the desk reads right to left: caller, cases and guide side by side, wrap-up shown', async () => {
        await chooseLanguage('ar');
        await page.waitForSelector('#desk-wrapup:not([hidden])');
        check(await page.evaluate(() => document.documentElement.dir) === 'rtl', 'dir=rtl');
        const cols = await columns();
        check(cols[0].top === cols[1].top && cols[1].top === cols[2].top, `one row: ${JSON.stringify(cols)}`);
        check(cols[0].left > cols[1].left && cols[1].left > cols[2].left, `right to left: ${JSON.stringify(cols)}`);
        check(Math.max(...cols.map((c) => c.right)) <= 1366 && Math.min(...cols.map((c) => c.left)) >= 0, 'inside the window');
        check(await page.$(`#desk-open-cases li[data-reference="${caseRef}"]`), 'the open case is still shown');
        check(await page.$eval('#desk-controls', (e) => e.hidden), 'no call controls once the call is over');
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: join(SHOTS, 'wholecall-wrapup-ar.png') });
        await chooseLanguage('fr');
    });

    await test('"Ready" ends the wrap-up early: the agent is available; the day\'s figures count the call', async () => {
        await page.waitForSelector('#desk-wrapup:not([hidden])');
        await page.click('[data-action="desk-ready"]');
        await phoneState('available');
        await page.waitForSelector('#desk-wrapup[hidden]', { state: 'attached' });
        await page.waitForSelector('#desk-today[data-answered="1"]');
        const fig = await page.$eval('#desk-today', (e) => e.textContent.replace(/\s+/g, ' '));
        note(`figures: ${fig}`);
        await page.screenshot({ path: join(SHOTS, 'wholecall-ready-fr.png') });
    });

    await test('the event log holds every step of the call, in order', async () => {
        const want = ['call.arrived', 'call.ivr', 'call.language', 'queue.joined', 'call.offered', 'call.answered', 'call.ended',
            'call.disposition'];
        let got = [];
        const events = await until(async () => {
            const r = await sup('GET', `/api/v1/events?call=${callId}&limit=200`);
            got = r.json.items || [];
            const kinds = got.map((e) => e.kind);
            return want.every((k) => kinds.includes(k)) && got.some((e) => e.kind === 'agent.state' && e.data.state === 'wrap_up')
                ? got : null;
        }, 5000, 'every kind in GET /api/v1/events?call=N').catch((e) => {
            throw new Error(`${e.message}; the log has: ${got.map((x) => x.kind).join(' ')}`);
        });
        note(events.map((e) => e.kind + (e.data.state ? `(${e.data.state})` : e.data.node ? `(${e.data.node})` : '')).join(' → '));
        const at = (pred) => events.findIndex(pred);
        const step = {
            arrived: at((e) => e.kind === 'call.arrived'),
            language_menu: at((e) => e.kind === 'call.ivr' && e.data.node === 'language'),
            french: at((e) => e.kind === 'call.language' && e.data.language === 'fr'),
            main_menu: at((e) => e.kind === 'call.ivr' && e.data.node === 'main_menu'),
            queued: at((e) => e.kind === 'queue.joined'),
            ringing: at((e) => e.kind === 'agent.state' && e.data.state === 'ringing'),
            offered: at((e) => e.kind === 'call.offered'),
            answered: at((e) => e.kind === 'call.answered'),
            busy: at((e) => e.kind === 'agent.state' && e.data.state === 'busy'),
            ended: at((e) => e.kind === 'call.ended' && e.data.outcome === 'answered'),
            wrap_up: at((e) => e.kind === 'agent.state' && e.data.state === 'wrap_up'),
            disposition: at((e) => e.kind === 'call.disposition' && e.data.disposition === 'information_given'),
        };
        const missing = Object.entries(step).filter(([, i]) => i < 0).map(([k]) => k);
        check(!missing.length, `missing steps: ${missing.join(', ')}`);
        /* what must come before what (the telephony may log two facts of one instant in either order) */
        const before = [['arrived', 'language_menu'], ['language_menu', 'main_menu'], ['main_menu', 'queued'], ['queued', 'ringing'],
            ['queued', 'offered'], ['offered', 'answered'], ['ringing', 'busy'], ['answered', 'ended'], ['busy', 'wrap_up'],
            ['ended', 'disposition'], ['wrap_up', 'disposition']];
        const wrong = before.filter(([x, y]) => step[x] > step[y]).map(([x, y]) => `${x} after ${y}`);
        check(!wrong.length, `out of order: ${wrong.join(', ')}`);
        check(events.filter((e) => e.kind === 'call.disposition').length === 1, 'one disposition');
        if (ROOT) {
            const menu = events.find((e) => e.kind === 'call.ivr' && e.data.node === 'main_menu');
            check(menu && menu.data.keys === '1', `French keyed in the language menu: ${JSON.stringify(menu)}`);
        }
        const agentId = events[step.offered].agent;
        const wrapId = events[step.wrap_up].id;
        /* "Ready": the agent's next state, right after the wrap-up, is available (no call column: not in ?call=) */
        const after = await until(async () => {
            const r = await sup('GET', `/api/v1/events?agent=${agentId}&after=${wrapId}&limit=50`);
            return (r.json.items || []).find((e) => e.kind === 'agent.state') || null;
        }, 5000, 'the agent\'s state after the wrap-up');
        check(after.data.state === 'available', `after the wrap-up: ${JSON.stringify(after.data)}`);
        const gap = (Date.parse(after.at) - Date.parse(events[step.wrap_up].at)) / 1000;
        check(gap < WRAP_UP_S - 5, `ended early (after ${gap.toFixed(1)} s of ${WRAP_UP_S})`);
    });

    await noScriptErrors(pageErrors);
} finally {
    if (ctrl)
        ctrl.close();
    if (browser)
        await browser.close().catch(() => {});
    stopAll();
    await Promise.all(children.map((c) => within(exited(c), 10_000, 'a child stops').catch(() => c.kill('SIGKILL'))));
    rmSync(dir, { recursive: true, force: true });
}
done();
