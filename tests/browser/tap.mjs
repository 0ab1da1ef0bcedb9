/*
 * The TAP output of the browser scripts: `ok N - ...` / `not ok N - ...`,
 * `# ` diagnostics, and the closing plan and count that tests/run.py reads.
 * tap({ bail: true }) is for a script whose steps each need the one before:
 * after a failure the rest are reported as not run; timeLimit() bails out of
 * a script that runs too long. watchErrors() and
 * t.noScriptErrors() are the scripts' check that their pages raised no
 * script error.
 */

/* Ends the script with a TAP bail-out if it runs longer than ms (what: its
 * tests, for the message; before(): what to do first, e.g. kill children).
 * The timer does not keep the script alive; clearTimeout() it to finish. */
export function timeLimit(ms, what, before = () => {}) {
    const timer = setTimeout(() => {
        console.log(`Bail out! ${what} took longer than ${ms / 1000} s`);
        before();
        process.exit(1);
    }, ms);
    timer.unref();
    return timer;
}

/* Collects the uncaught script errors of page into errors (an array). */
export function watchErrors(page, errors) {
    page.on('pageerror', (e) => errors.push(String(e)));
}

/* Throws, naming them all on one line, when errors is not empty. */
export function checkNoErrors(errors) {
    if (errors.length)
        throw new Error(`${errors.length} error(s): ${errors.join(' | ')}`);
}

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
        /* The closing step: the pages raised no script error (errors: what
         * watchErrors() collected). */
        noScriptErrors(errors) {
            return t.test('no script error in the pages', async () => checkNoErrors(errors));
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
