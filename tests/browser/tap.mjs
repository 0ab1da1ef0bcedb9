/*
 * The TAP output of the browser scripts: `ok N - ...` / `not ok N - ...`,
 * `# ` diagnostics, and the closing plan and count that tests/run.py reads.
 * tap({ bail: true }) is for a script whose steps each need the one before:
 * after a failure the rest are reported as not run.
 */
export function tap({ bail = false } = {}) {
    let n = 0;
    let failures = 0;
    let bailed = false;
    const t = {
        async test(description, fn) {
            n += 1;
            if (bailed) {
                failures += 1;
                console.log(`not ok ${n} - ${description}`);
                console.log('# not run: an earlier step failed');
                return;
            }
            const t0 = Date.now();
            try {
                await fn();
                console.log(`ok ${n} - ${description}`);
            } catch (e) {
                failures += 1;
                bailed = bail;
                console.log(`not ok ${n} - ${description}`);
                console.log(`# ${(e && e.stack ? e.stack.split('\n').slice(0, 5).join('\n# ') : String(e))}`);
            }
            if (process.env.WASL_TEST_TIMES)
                console.log(`# took ${Date.now() - t0} ms`);
        },
        check(cond, message) {
            if (!cond)
                throw new Error(message);
        },
        equal(got, want, what) {
            t.check(JSON.stringify(got) === JSON.stringify(want), `${what}: got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
        },
        note(s) {
            console.log(`# ${s}`);
        },
        /* The plan and the count; exits 1 when a test failed. */
        done() {
            console.log(`1..${n}`);
            console.log(`# ${n - failures} passed, ${failures} failed`);
            process.exit(failures ? 1 : 0);
        },
    };
    return t;
}
