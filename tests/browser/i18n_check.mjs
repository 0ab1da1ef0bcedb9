// Checks the UI translations without a browser: every key of en.json is in
// the file of every language of data/languages.json with a non-empty text, the {placeholders} match English,
// plural keys have every form the language needs for counts 0..100, and no
// file has keys English does not (typos, leftovers). Prints TAP; exits 1 on
// any failure.
//
//   node tests/browser/i18n_check.mjs [dir [languages.json]]
//   (default: web/i18n and data/languages.json of this repo)

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dir = resolve(process.argv[2] || join(here, '..', '..', 'web', 'i18n'));
const languagesFile = resolve(process.argv[3] || join(here, '..', '..', 'data', 'languages.json'));
const LANGS = JSON.parse(readFileSync(languagesFile, 'utf8')).languages.map((l) => l.code);
const CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'];

let n = 0;
let failed = 0;
function report(ok, description, problems = []) {
    n += 1;
    if (!ok)
        failed += 1;
    console.log(`${ok ? 'ok' : 'not ok'} ${n} - ${description}`);
    for (const p of problems.slice(0, 20))
        console.log(`# ${p}`);
    if (problems.length > 20)
        console.log(`# ... and ${problems.length - 20} more`);
}

function load(lang) {
    try {
        const data = JSON.parse(readFileSync(join(dir, `${lang}.json`), 'utf8'));
        if (!data || typeof data !== 'object' || Array.isArray(data))
            return { error: 'not a JSON object' };
        return { data };
    } catch (e) {
        return { error: e.message };
    }
}

function placeholders(text) {
    return new Set([...String(text).matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
}

/* "error.auth.locked.one" -> "error.auth.locked" when the base has an .other form. */
function pluralBase(key, keys) {
    const m = /^(.*)\.(zero|one|two|few|many|other)$/.exec(key);
    return m && keys.has(`${m[1]}.other`) ? m[1] : null;
}

/* The plural categories a language uses for the counts 0..100 (CLDR via Intl). */
function neededCategories(lang) {
    const rules = new Intl.PluralRules(lang);
    const out = new Set();
    for (let i = 0; i <= 100; i++)
        out.add(rules.select(i));
    return out;
}

console.log('TAP version 13');
const files = {};
for (const lang of LANGS) {
    const { data, error } = load(lang);
    report(!error, `${lang}.json is a JSON object of strings`, error ? [error] : []);
    files[lang] = data || {};
}

const en = files.en;
const enKeys = new Set(Object.keys(en));
const bases = new Set([...enKeys].map((k) => pluralBase(k, enKeys)).filter(Boolean));
const isPluralForm = (k) => {
    const m = /^(.*)\.(zero|one|two|few|many|other)$/.exec(k);
    return Boolean(m && bases.has(m[1]));
};

for (const lang of LANGS) {
    const t = files[lang];
    const keys = new Set(Object.keys(t));

    const missing = [...enKeys].filter((k) => !isPluralForm(k) && !keys.has(k));
    report(missing.length === 0, `${lang}: every key of en.json is present`, missing.map((k) => `missing: ${k}`));

    const empty = Object.entries(t).filter(([, v]) => typeof v !== 'string' || v.trim() === '').map(([k]) => k);
    report(empty.length === 0, `${lang}: no empty or non-text value`, empty.map((k) => `empty: ${k}`));

    const extra = [...keys].filter((k) => !enKeys.has(k) && !isPluralForm(k));
    report(extra.length === 0, `${lang}: no key unknown to en.json`, extra.map((k) => `unknown: ${k}`));

    const badVars = [];
    for (const k of enKeys) {
        if (isPluralForm(k) || typeof t[k] !== 'string')
            continue;
        const want = [...placeholders(en[k])].sort().join(',');
        const got = [...placeholders(t[k])].sort().join(',');
        if (want !== got)
            badVars.push(`${k}: English has {${want}}, ${lang} has {${got}}`);
    }
    report(badVars.length === 0, `${lang}: placeholders match English`, badVars);

    const pluralProblems = [];
    const needed = neededCategories(lang);
    for (const base of bases) {
        const allowed = new Set();
        for (const k of Object.keys(en))
            if (k.startsWith(`${base}.`))
                for (const v of placeholders(en[k]))
                    allowed.add(v);
        for (const cat of needed)
            if (!keys.has(`${base}.${cat}`))
                pluralProblems.push(`${base}.${cat} missing (${lang} uses "${cat}" for some count 0..100)`);
        for (const cat of CATEGORIES) {
            const k = `${base}.${cat}`;
            if (!keys.has(k))
                continue;
            for (const v of placeholders(t[k]))
                if (!allowed.has(v))
                    pluralProblems.push(`${k}: unknown placeholder {${v}}`);
        }
    }
    report(pluralProblems.length === 0, `${lang}: plural forms complete`, pluralProblems);
}

console.log(`1..${n}`);
console.log(`# ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
