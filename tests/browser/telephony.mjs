// A second wasl server with the telephony on, for the browser tests of the
// live parts (the agent's phone bar, the supervision's telephony): its own
// fresh demo database, SIP and RTP ports found free on loopback, a two-line
// IVR flow (an emergency closure offers a callback; otherwise straight to
// the agents' queue) and no prompt recordings (loading them takes half a
// minute under ASan). Its web UI listens on 127.0.0.2, so its session
// cookie never meets the main server's (127.0.0.1) in the same browser.
//
// The phone and the caller are tests/browser/sip_phone.py (tests/sip/sipua.py
// underneath). Everything started here is stopped by stop(), by PID.

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromiumOptions, REPO } from './pages.mjs';
import { watchErrors } from './tap.mjs';

export const HTTP_ADDRESS = '127.0.0.2';

/* The wasl program: $WASL_BINARY, else the plain build (tests/run.py makes it
 * with the ASan one, which the SIP suite exercises; this server only has to
 * feed the pages, beside the main one, and the plain build is far lighter). */
export function waslBinary() {
    for (const p of [process.env.WASL_BINARY, join(REPO, 'build', 'wasl'), join(REPO, 'build', 'asan', 'wasl')])
        if (p && existsSync(p))
            return p;
    return null;
}

function portsInUse() {
    const used = new Set();
    for (const f of ['/proc/net/udp', '/proc/net/udp6', '/proc/net/tcp', '/proc/net/tcp6']) {
        try {
            for (const line of readFileSync(f, 'utf8').split('\n').slice(1)) {
                const local = line.trim().split(/\s+/)[1];
                if (local)
                    used.add(Number.parseInt(local.split(':').pop(), 16));
            }
        } catch (e) {
            /* no such table here */
        }
    }
    return used;
}

async function udpFree(port) {
    const s = dgram.createSocket('udp4');
    try {
        await new Promise((resolve, reject) => {
            s.once('error', reject);
            s.bind(port, '127.0.0.1', resolve);
        });
        return true;
    } catch (e) {
        return false;
    } finally {
        try {
            s.close();
        } catch (e) {
            /* not bound */
        }
    }
}

/* A free UDP port for SIP, and a free block for RTP below the ephemeral range. */
export async function freePorts(rtpSize = 200) {
    const used = portsInUse();
    let sip = 0;
    for (let i = 0; i < 500 && !sip; i++) {
        const p = 33000 + 2 * Math.floor(Math.random() * 13000);
        if (!used.has(p) && await udpFree(p))
            sip = p;
    }
    let rtp = 0;
    for (let i = 0; i < 200 && !rtp; i++) {
        const b = 10000 + 500 * Math.floor(Math.random() * 40);
        let clash = false;
        for (const q of used)
            if (q >= b && q < b + rtpSize)
                clash = true;
        if (!clash)
            rtp = b;
    }
    if (!sip || !rtp)
        throw new Error('no free SIP port or RTP block on loopback');
    return { sip, rtpMin: rtp, rtpMax: rtp + rtpSize - 1 };
}

const FLOW = {
    comment: 'Browser tests: an emergency closure offers a callback; otherwise straight to the Arabic queue.',
    start: 'hours',
    nodes: {
        hours: { type: 'hours', open: 'arabic', closed: 'arabic', holiday: 'arabic', emergency: 'callback' },
        arabic: { type: 'set_language', language: 'ar', next: 'agent' },
        callback: { type: 'callback', next: 'hangup', on_fail: 'hangup' },
        agent: { type: 'enqueue', on_timeout: 'callback' },
        hangup: { type: 'hangup' },
    },
};

/* Starts the server (flow: another IVR flow than FLOW; prompts: the few
 * recordings it needs, ["ar/please_hold", ...], copied from build/prompts;
 * settings: more --set name=value); resolves to {url, sipPort, dir, stop(), close(),
 * phone: {send(cmd)}}. */
export async function startTelephony({
    binary = waslBinary(), timeoutMs = 30_000, flow: flowNodes = FLOW, prompts: wanted = [], settings: more = {},
} = {}) {
    if (!binary)
        throw new Error('no wasl program (build/asan/wasl or $WASL_BINARY)');
    const dir = mkdtempSync(join(tmpdir(), 'wasl-browser-tel-'));
    const prompts = join(dir, 'no-prompts');
    mkdirSync(prompts);
    for (const id of wanted) {
        mkdirSync(join(prompts, dirname(id)), { recursive: true });
        copyFileSync(join(REPO, 'build', 'prompts', `${id}.wav`), join(prompts, `${id}.wav`));
    }
    const flow = join(dir, 'flow.json');
    writeFileSync(flow, JSON.stringify(flowNodes, null, 2));
    const db = join(dir, 'wasl.db');
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
    const children = [];
    let stopped = false;

    function stop() {
        if (stopped)
            return;
        stopped = true;
        for (const c of children.reverse()) {
            if (c.exitCode === null && c.signalCode === null) {
                try {
                    c.kill('SIGTERM');
                } catch (e) {
                    /* already gone */
                }
            }
        }
        rmSync(dir, { recursive: true, force: true });
    }
    /* a bail-out (process.exit) must not leave them running */
    process.once('exit', () => {
        for (const c of children)
            if (c.exitCode === null && c.signalCode === null)
                try {
                    c.kill('SIGKILL');
                } catch (e) {
                    /* already gone */
                }
    });

    try {
        /* not spawnSync: the other tests go on meanwhile */
        const init = spawn(binary, ['--db', db, '--set', 'cases.demo_cases=20', 'init', '--demo'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
        children.push(init);
        let initErr = '';
        init.stderr.on('data', (d) => {
            initErr = (initErr + d).slice(-800);
        });
        const status = await new Promise((resolve) => {
            const timer = setTimeout(() => {
                init.kill('SIGKILL');
                resolve('timeout');
            }, timeoutMs);
            init.once('exit', (code) => {
                clearTimeout(timer);
                resolve(code);
            });
        });
        if (status !== 0)
            throw new Error(`wasl init --demo failed (${status}): ${initErr}`);
        const ports = await freePorts();
        const settings = {
            'http.port': 0, 'http.listen': HTTP_ADDRESS,
            'sip.enabled': 'true', 'sip.tcp': 'false', 'sip.port': ports.sip, 'sip.rtp_min': ports.rtpMin, 'sip.rtp_max': ports.rtpMax,
            'sip.ring_timeout': '120s', 'sip.flow': flow, 'sip.prompts_dir': prompts, 'log.level': 'warn',
            'sip.recording': 'true', 'sip.recording_dir': join(dir, 'rec'),
            ...(typeof more === 'function' ? more(dir) : more),
        };
        const args = ['--db', db, ...Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]), 'serve'];
        const server = spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
        children.push(server);
        let log = '';
        server.stderr.on('data', (d) => {
            log = (log + d).slice(-4000);
        });
        const url = await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`wasl serve did not start in ${timeoutMs} ms: ${log}`)), timeoutMs);
            let out = '';
            server.stdout.on('data', (d) => {
                out += d;
                const m = /web UI and API: (http:\/\/[^\s/]+)\//.exec(out);
                if (m && /SIP \(trunks/.test(out)) {
                    clearTimeout(timer);
                    resolve(m[1]);
                }
            });
            server.once('exit', (code) => {
                clearTimeout(timer);
                reject(new Error(`wasl serve exited (${code}): ${log}`));
            });
        });

        const py = spawn('python3', [join(REPO, 'tests', 'browser', 'sip_phone.py'), '--port', String(ports.sip)], { stdio: ['pipe', 'pipe', 'pipe'] });
        children.push(py);
        let pyErr = '';
        py.stderr.on('data', (d) => {
            pyErr = (pyErr + d).slice(-2000);
        });
        const lines = createInterface({ input: py.stdout });
        const waiting = [];
        const early = [];
        lines.on('line', (line) => {
            let msg;
            try {
                msg = JSON.parse(line);
            } catch (e) {
                msg = { ok: false, error: `not JSON: ${line}` };
            }
            const w = waiting.shift();
            if (w)
                w(msg);
            else
                early.push(msg);
        });
        const next = (ms) => new Promise((resolve, reject) => {
            if (early.length) {
                resolve(early.shift());
                return;
            }
            const timer = setTimeout(() => reject(new Error(`the phone did not answer in ${ms} ms ${pyErr}`)), ms);
            waiting.push((m) => {
                clearTimeout(timer);
                resolve(m);
            });
        });
        const ready = await next(10_000);
        if (!ready.ready)
            throw new Error(`the phone did not start: ${JSON.stringify(ready)} ${pyErr}`);
        /* one command at a time: each answer belongs to the last command */
        let chain = Promise.resolve();
        const phone = {
            send(cmd, ms = 15_000) {
                const p = chain.then(() => {
                    py.stdin.write(`${JSON.stringify(cmd)}\n`);
                    return next(ms);
                });
                chain = p.catch(() => null);
                return p;
            },
        };
        /* the end of a test: the phone says goodbye (3 s at most), then everything stops */
        const close = async () => {
            await phone.send({ cmd: 'quit' }, 3000).catch(() => null);
            stop();
        };
        return { url, sipPort: ports.sip, dir, phone, stop, close, log: () => log };
    } catch (e) {
        stop();
        throw e;
    }
}

/* A logged-in API client (Node's fetch with the session cookie):
 * (method, path, body) -> {status, json}. */
export async function apiClient(base, login, password) {
    const r = await fetch(`${base}/api/v1/session`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ login, password }),
    });
    if (r.status !== 201)
        throw new Error(`login as ${login}: ${r.status}`);
    const cookie = r.headers.get('set-cookie').split(';')[0];
    const { csrf_token: csrf } = await r.json();
    return async (method, path, body) => {
        const res = await fetch(`${base}${path}`, {
            method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, ...(body ? { 'Content-Type': 'application/json' } : {}) },
            body: body ? JSON.stringify(body) : undefined,
        });
        return { status: res.status, json: res.status === 204 ? null : await res.json() };
    };
}

/* Asks fn until it gives something (every 100 ms, at most ms). */
export async function until(fn, ms, what) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v)
            return v;
        if (Date.now() > end)
            throw new Error(`${what}: not within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/* A headless Chromium (chromiumOptions) with a profile of its own, in the
 * French locale and Casablanca's time unless told (timezoneId null: the
 * machine's), its first page with the page's script errors collected;
 * close() ends it and deletes the profile. */
export async function openBrowser(prefix, { viewport = { width: 1366, height: 768 }, locale = 'fr-FR', timezoneId = 'Africa/Casablanca' } = {}) {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(tmpdir(), prefix));
    const context = await chromium.launchPersistentContext(profile, {
        ...chromiumOptions('--autoplay-policy=no-user-gesture-required'),
        viewport, locale, timezoneId: timezoneId || undefined,
    });
    const page = context.pages()[0] || await context.newPage();
    const pageErrors = [];
    watchErrors(page, pageErrors);
    page.setDefaultTimeout(10_000);
    return {
        context, page, pageErrors,
        async close() {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
        },
    };
}

/* What a page test does over and over on the server at url: wait for a
 * route to be drawn, log in through the form, choose the UI language. */
export function pageSteps(page, url) {
    const waitRoute = (r) => page.waitForFunction((want) => document.getElementById('main').dataset.route === want, r);
    return {
        waitRoute,
        async login(who, password) {
            await page.goto(`${url}/#/login`);
            await page.fill('input[name=login]', who);
            await page.fill('input[name=password]', password);
            await page.click('form button[type=submit]');
            await page.waitForFunction(() => !['login', ''].includes(document.getElementById('main').dataset.route));
        },
        async chooseLanguage(code) {
            await page.selectOption('#lang-select', code);
            await page.waitForFunction((c) => document.documentElement.lang === c, code);
        },
        /* Ends the session from inside the page (then login() as someone else). */
        async logout() {
            await page.evaluate(async () => {
                const s = await (await fetch('/api/v1/session')).json();
                await fetch('/api/v1/session', { method: 'DELETE', headers: { 'X-CSRF-Token': s.csrf_token } });
            });
        },
    };
}
