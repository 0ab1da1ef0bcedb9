// Browser test of HTTPS served by wasl itself: a throwaway CA and a server
// certificate for 127.0.0.1 (openssl), a wasl of its own with http.tls_cert
// and http.tls_key, and Chromium trusting exactly that certificate's key
// (--ignore-certificate-errors-spki-list: any other certificate is still
// refused). The admin logs in over HTTPS; the session cookie is Secure and
// HttpOnly, the page came with HSTS. Prints TAP; exits 1 on a failure.
//
//   node tests/browser/https.mjs        (WASL_BINARY: default build/asan/wasl)

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumOptions, REPO } from './pages.mjs';
import { tap, timeLimit } from './tap.mjs';

const TIME_LIMIT_MS = 90_000;
const { test, check, equal, note, done } = tap({ bail: true });

timeLimit(TIME_LIMIT_MS, 'the HTTPS browser test');

const dir = mkdtempSync(join(tmpdir(), 'wasl-https-'));
const at = (name) => join(dir, name);
let server = null;
let context = null;

function openssl(args, input) {
    const r = spawnSync('openssl', args, { input, cwd: dir });
    check(r.status === 0, `openssl ${args[0]}: ${r.stderr}`);
    return r.stdout;
}

/* The CA, the server's pair signed by it, and the base64 SHA-256 of the
 * server key's SubjectPublicKeyInfo (what Chromium pins). */
function makePki() {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-subj', '/CN=wasl test CA', '-days', '2']);
    writeFileSync(at('ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n');
    openssl(['req', '-new', ...ec, '-keyout', at('srv.key'), '-out', at('srv.csr'), '-subj', '/CN=127.0.0.1']);
    openssl(['x509', '-req', '-in', at('srv.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-set_serial', '4097', '-days', '2',
        '-out', at('srv.pem'), '-extfile', at('ext')]);
    const pub = openssl(['x509', '-in', at('srv.pem'), '-pubkey', '-noout']);
    const der = openssl(['pkey', '-pubin', '-outform', 'der'], pub);
    return openssl(['dgst', '-sha256', '-binary'], der).toString('base64');
}

async function startWasl() {
    const binary = process.env.WASL_BINARY || join(REPO, 'build', 'asan', 'wasl');
    check(existsSync(binary), `no wasl at ${binary} (make asan)`);
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' };
    const db = at('wasl.db');
    const init = spawnSync(binary, ['--db', db, 'init', '--demo'], { cwd: dir, env });
    check(init.status === 0, `wasl init --demo: ${init.stderr}`);
    const settings = {
        'http.port': 0, 'http.listen': '127.0.0.1', 'sip.enabled': 'false', 'log.level': 'warn',
        'http.tls_cert': at('srv.pem'), 'http.tls_key': at('srv.key'),
    };
    const args = ['--db', db, ...Object.entries(settings).flatMap(([k, v]) => ['--set', `${k}=${v}`]), 'serve'];
    server = spawn(binary, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stderr.on('data', (d) => {
        log = (log + d).slice(-4000);
    });
    return new Promise((res, rej) => {
        let out = '';
        server.stdout.on('data', (d) => {
            out += d;
            const m = /web UI and API: (https?:\/\/[^\s/]+)\//.exec(out);
            if (m)
                res(m[1]);
        });
        server.once('exit', (c) => rej(new Error(`wasl serve exited (${c}): ${log}`)));
    });
}

try {
    let url = null;
    let spki = null;
    await test('wasl serves HTTPS with a certificate of a throwaway CA', async () => {
        spki = makePki();
        url = await startWasl();
        check(url.startsWith('https://127.0.0.1:'), `wasl says it serves HTTPS: ${url}`);
    });

    await test('Chromium, trusting only that key, logs in over HTTPS; the session cookie is Secure', async () => {
        const { chromium } = await import('playwright-core');
        context = await chromium.launchPersistentContext(at('profile'), {
            ...chromiumOptions(`--ignore-certificate-errors-spki-list=${spki}`),
            viewport: { width: 1280, height: 720 }, locale: 'en-GB',
        });
        const page = context.pages()[0] || await context.newPage();
        page.setDefaultTimeout(15_000);
        const resp = await page.goto(`${url}/#/login`);
        equal(resp.status(), 200, 'the login page');
        const hsts = (await resp.allHeaders())['strict-transport-security'];
        equal(hsts, 'max-age=31536000', 'HSTS header');
        equal(await page.evaluate(() => window.isSecureContext && location.protocol), 'https:', 'a secure context');
        await page.fill('input[name=login]', 'admin');
        await page.fill('input[name=password]', 'admin-demo-2026');
        await page.click('form button[type=submit]');
        await page.waitForFunction(() => !['login', ''].includes(document.getElementById('main').dataset.route));
        const cookies = await context.cookies(url);
        const session = cookies.find((c) => c.name === 'wasl_session');
        check(session, `a session cookie: ${JSON.stringify(cookies)}`);
        equal([session.secure, session.httpOnly, session.sameSite], [true, true, 'Strict'], 'the session cookie\'s flags');
        const me = await page.evaluate(async () => (await fetch('/api/v1/session')).status);
        equal(me, 200, 'the session works over HTTPS');
        note(`logged in over ${url}, cookie Secure, HSTS ${hsts}`);
    });
} finally {
    if (context)
        await context.close().catch(() => {});
    if (server && server.exitCode === null) {
        server.kill('SIGTERM');
        await new Promise((r) => {
            server.once('exit', r);
            setTimeout(r, 10_000).unref();
        });
    }
    rmSync(dir, { recursive: true, force: true });
}
done();
