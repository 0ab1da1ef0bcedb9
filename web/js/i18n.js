/*
 * UI text in the center's languages: loads the list of languages from the
 * server (GET /api/v1/languages, i.e. data/languages.json) and
 * web/i18n/<lang>.json, looks keys up, fills {placeholders}, picks plural
 * forms, formats dates and numbers, and sets <html lang dir>. A missing key
 * is never hidden: it shows as ⟦key⟧ (class i18n-missing) and is reported
 * with console.warn.
 */

/* { code, name, dir, locale } in menu order, filled by loadLanguages()
 * before anything is drawn; LANGUAGE_CODES holds the codes alone. Filled in
 * place, so modules may keep a reference. */
export const LANGUAGES = [];
export const LANGUAGE_CODES = [];
let FALLBACK = 'en'; /* until the server names its fallback language */

/* Asks the server for its languages (once). Pages call it before their
 * first setLanguage(). */
export async function loadLanguages() {
    if (LANGUAGES.length)
        return LANGUAGES;
    const res = await fetch('/api/v1/languages', { headers: { Accept: 'application/json' } });
    if (!res.ok)
        throw new Error(`cannot load /api/v1/languages: HTTP ${res.status}`);
    const data = await res.json();
    for (const l of data.languages)
        LANGUAGES.push({ code: l.code, name: l.name, dir: l.dir, locale: l.locale });
    LANGUAGE_CODES.push(...LANGUAGES.map((l) => l.code));
    FALLBACK = data.fallback;
    return LANGUAGES;
}

const STORAGE_KEY = 'wasl.language';

const loaded = new Map(); /* code -> messages, so switching back is instant */
const warned = new Set();
const listeners = new Set();
let current = FALLBACK;
let messages = {};

export function isLanguage(code) {
    return LANGUAGES.some((l) => l.code === code);
}

export function language() {
    return current;
}

export function languageInfo(code = current) {
    return LANGUAGES.find((l) => l.code === code) || LANGUAGES.find((l) => l.code === FALLBACK);
}

/* The language to show before anyone logs in: the last one chosen on this
 * browser, else the browser's own preference when we have it, else English. */
export function preferredLanguage() {
    let saved = null;
    try {
        saved = localStorage.getItem(STORAGE_KEY);
    } catch (e) {
        /* storage may be disabled; the browser's preference will do */
    }
    if (isLanguage(saved))
        return saved;
    for (const tag of navigator.languages || [navigator.language || '']) {
        const code = String(tag).split('-')[0].toLowerCase();
        if (isLanguage(code))
            return code;
    }
    return FALLBACK;
}

export function rememberLanguage(code) {
    try {
        localStorage.setItem(STORAGE_KEY, code);
    } catch (e) {
        /* not fatal: the choice still holds for this page */
    }
}

async function fetchMessages(code) {
    if (loaded.has(code))
        return loaded.get(code);
    const res = await fetch(`/i18n/${code}.json`, { headers: { Accept: 'application/json' } });
    if (!res.ok)
        throw new Error(`cannot load /i18n/${code}.json: HTTP ${res.status}`);
    const data = await res.json();
    loaded.set(code, data);
    return data;
}

/* The messages of another language (for text copied in the language of an
 * article): a lookup function key -> text, with {placeholders} filled. */
export async function messagesIn(code) {
    if (!isLanguage(code))
        code = FALLBACK;
    const data = await fetchMessages(code);
    return (key, vars) => (typeof data[key] === 'string' && data[key] !== '' ? fill(data[key], vars) : `⟦${key}⟧`);
}

/* Switches the UI language: loads its messages, sets <html lang dir>,
 * remembers it on this browser and, unless silent, tells the listeners (who
 * re-render). */
export async function setLanguage(code, { remember = true, silent = false } = {}) {
    await loadLanguages();
    if (!isLanguage(code))
        code = FALLBACK;
    const data = await fetchMessages(code);
    current = code;
    messages = data;
    const info = languageInfo(code);
    document.documentElement.lang = code;
    document.documentElement.dir = info.dir;
    if (remember)
        rememberLanguage(code);
    if (!silent)
        for (const fn of listeners)
            fn(code);
}

export function onLanguageChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}

export function has(key) {
    return typeof messages[key] === 'string' && messages[key] !== '';
}

function missing(key) {
    const id = `${current}:${key}`;
    if (!warned.has(id)) {
        warned.add(id);
        console.warn(`wasl i18n: missing key "${key}" in ${current}.json`);
    }
    return `⟦${key}⟧`;
}

function fill(text, vars) {
    if (!vars)
        return text;
    return text.replace(/\{(\w+)\}/g, (whole, name) =>
        Object.prototype.hasOwnProperty.call(vars, name) ? formatValue(vars[name]) : whole);
}

function formatValue(v) {
    return typeof v === 'number' ? formatNumber(v) : String(v);
}

/* The text of a key as a string (for attributes, titles, alerts). */
export function t(key, vars) {
    return has(key) ? fill(messages[key], vars) : missing(key);
}

/* The text of a key as a DOM node: a Text node, or a visible
 * <span class="i18n-missing">⟦key⟧</span> when the key is missing. */
export function tn(key, vars) {
    if (has(key))
        return document.createTextNode(fill(messages[key], vars));
    const span = document.createElement('span');
    span.className = 'i18n-missing';
    span.textContent = missing(key);
    return span;
}

/* Like tn(), but the values of vars may be DOM nodes (a link, a <bdi>):
 * returns a DocumentFragment. */
export function tf(key, vars = {}) {
    if (!has(key))
        return tn(key);
    const text = messages[key];
    const frag = document.createDocumentFragment();
    let last = 0;
    for (const m of text.matchAll(/\{(\w+)\}/g)) {
        frag.append(text.slice(last, m.index));
        const v = Object.prototype.hasOwnProperty.call(vars, m[1]) ? vars[m[1]] : m[0];
        frag.append(v instanceof Node ? v : formatValue(v));
        last = m.index + m[0].length;
    }
    frag.append(text.slice(last));
    return frag;
}

/* The plural form of key for count n: key.<category> (CLDR category of the
 * current language: zero, one, two, few, many, other), else key.other.
 * {n} in the text is the formatted count. */
function pluralKey(key, n) {
    const cat = new Intl.PluralRules(languageInfo().locale).select(n);
    return has(`${key}.${cat}`) ? `${key}.${cat}` : `${key}.other`;
}

export function plural(key, n, vars = {}) {
    return t(pluralKey(key, n), { n, ...vars });
}

export function pluralNode(key, n, vars = {}) {
    return tn(pluralKey(key, n), { n, ...vars });
}

export function formatNumber(n) {
    return new Intl.NumberFormat(languageInfo().locale).format(n);
}

/* An ISO 8601 time from the API in the user's locale and time zone; '' for none. */
export function formatDateTime(iso, { seconds = false } = {}) {
    if (!iso)
        return '';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime()))
        return String(iso);
    return new Intl.DateTimeFormat(languageInfo().locale, {
        dateStyle: 'medium',
        timeStyle: seconds ? 'medium' : 'short',
    }).format(d);
}

/* Fills every [data-i18n] element under root with its text, and every
 * [data-i18n-attr="attr:key attr2:key2"] attribute. Used for index.html. */
export function translateTree(root) {
    for (const el of root.querySelectorAll('[data-i18n]'))
        el.replaceChildren(tn(el.dataset.i18n));
    for (const el of root.querySelectorAll('[data-i18n-attr]')) {
        for (const pair of el.dataset.i18nAttr.split(/\s+/).filter(Boolean)) {
            const [attr, key] = pair.split(':');
            el.setAttribute(attr, t(key));
        }
    }
}
