/*
 * Shared pieces of the consular guide pages: the caller's language (kept on
 * this browser), names of languages and categories, the badges (confidence,
 * other language, status), dates of the guide (calendar days in Morocco),
 * fees in an article's language, nationalities, and the guide's own tabs.
 */
import { api } from './api.js';
import { h } from './dom.js';
import { LANGUAGES, isLanguage, language, languageInfo, t, tn } from './i18n.js';
import { href } from './router.js';
import * as session from './session.js';
import { badge } from './ui.js';

export { LANGUAGE_CODES as LANG_CODES } from './i18n.js';

const CALLER_KEY = 'wasl.guide.callerLanguage';

/* The language the caller speaks: the last one chosen on this browser, else
 * the agent's own UI language. */
export function callerLanguage() {
    let saved = null;
    try {
        saved = localStorage.getItem(CALLER_KEY);
    } catch (e) {
        /* storage may be disabled */
    }
    return isLanguage(saved) ? saved : language();
}

export function setCallerLanguage(code) {
    if (!isLanguage(code))
        return;
    try {
        localStorage.setItem(CALLER_KEY, code);
    } catch (e) {
        /* the choice still holds for this page */
    }
}

export function dirOf(code) {
    return languageInfo(code).dir;
}

export function nativeName(code) {
    return languageInfo(code).name;
}

/* "in French", in the UI language. */
export function inLang(code) {
    return t(`guide.in.${code}`);
}

export function categoryName(slug) {
    return t(`guide.category.${slug}`);
}

/* A small segmented control of the center's languages (radio buttons), labelled
 * with their own names. onChange(code) is called on a change. */
export function languagePicker({ name, selected, legendKey, onChange, id = null }) {
    const group = h('fieldset', { class: 'lang-picker', id, dataset: { picker: name } },
        h('legend', {}, tn(legendKey)),
        h('div', { class: 'lang-picker-options' },
            LANGUAGES.map((l) => {
                const input = h('input', {
                    type: 'radio', name, value: l.code, id: `${name}-${l.code}`, checked: l.code === selected,
                });
                input.addEventListener('change', () => {
                    if (input.checked)
                        onChange(l.code);
                });
                return h('span', { class: 'lang-option' }, input,
                    h('label', { for: `${name}-${l.code}`, lang: l.code, dir: l.dir }, l.name));
            })));
    return group;
}

/* V verified, S single source, U unverified (shown loudly). */
export function confidenceBadge(c) {
    const code = ['V', 'S', 'U'].includes(c) ? c : 'U';
    const kind = { V: 'ok', S: 'warning', U: 'danger' }[code];
    const el = badge(kind, tn(`guide.confidence.${code}`));
    el.classList.add('badge-confidence');
    el.dataset.confidence = code;
    el.title = t(`guide.confidence.${code}.hint`);
    return el;
}

export function statusBadge(status) {
    const kind = { draft: 'muted', review: 'info', published: 'ok', rejected: 'danger' }[status] || 'muted';
    const el = badge(kind, tn(`guide.status.${status}`));
    el.dataset.status = status;
    return el;
}

/* "in French" shown on a result or a text that is not in the asked language. */
export function otherLanguageBadge(code) {
    const el = badge('info', inLang(code));
    el.lang = language();
    el.dir = dirOf(language());
    el.classList.add('badge-other-language');
    el.dataset.lang = code;
    return el;
}

export function outdatedBadge() {
    const el = badge('warning', tn('guide.outdated_badge'));
    el.lang = language();
    el.dir = dirOf(language());
    el.classList.add('badge-outdated');
    el.title = t('guide.outdated_hint');
    return el;
}

/* Today's date in Morocco (the guide's calendar), as YYYY-MM-DD. */
export function todayInMorocco() {
    const parts = new Intl.DateTimeFormat('en-CA', {
        timeZone: 'Africa/Casablanca', year: 'numeric', month: '2-digit', day: '2-digit',
    }).formatToParts(new Date());
    const get = (type) => parts.find((p) => p.type === type).value;
    return `${get('year')}-${get('month')}-${get('day')}`;
}

/* A calendar day (YYYY-MM-DD) in the UI language: "12 March 2026". */
export function formatDay(day, locale = languageInfo().locale) {
    if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day))
        return day || '';
    const d = new Date(`${day}T12:00:00Z`);
    return new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeZone: 'UTC' }).format(d);
}

export function dayNode(day) {
    return h('time', { datetime: day, class: 'nowrap' }, formatDay(day));
}

/* A fee in the language of the article: "860 MAD", "1.234,50 EUR". */
export function formatFee(amount, currency, lang) {
    const whole = Number.isInteger(amount);
    try {
        return new Intl.NumberFormat(languageInfo(lang).locale, {
            style: 'currency',
            currency,
            currencyDisplay: 'code',
            minimumFractionDigits: whole ? 0 : 2,
            maximumFractionDigits: whole ? 0 : 2,
        }).format(amount);
    } catch (e) {
        return `${amount} ${currency}`;
    }
}

/* Text with its web addresses as links (nothing is parsed as HTML). */
export function linkify(text) {
    const out = [];
    let last = 0;
    for (const m of String(text || '').matchAll(/https?:\/\/[^\s<>"')]+[^\s<>"').,;:!?]/g)) {
        out.push(text.slice(last, m.index));
        out.push(h('a', { href: m[0], rel: 'noopener noreferrer', target: '_blank', dir: 'ltr' }, m[0]));
        last = m.index + m[0].length;
    }
    out.push(String(text || '').slice(last));
    return out;
}

/* ---- Nationalities ---------------------------------------------------------
 * Every nationality the search knows, with its names in the center's languages,
 * from /api/v1/nationalities (data/nationalities.csv on the server). */
let countriesCache = null;

export function loadCountries() {
    if (!countriesCache) {
        countriesCache = api('GET', '/api/v1/nationalities')
            .then((r) => r.nationalities || [])
            .catch(() => {
                countriesCache = null;
                return [];
            });
    }
    return countriesCache;
}

export function countryLabel(countries, iso) {
    const c = countries.find((x) => x.iso2 === iso);
    const ui = language();
    if (c && c.name && (c.name[ui] || c.name.en))
        return c.name[ui] || c.name.en;
    try {
        const name = new Intl.DisplayNames([languageInfo().locale], { type: 'region' }).of(iso);
        if (name && name !== iso)
            return name;
    } catch (e) {
        /* an old browser: the code will do */
    }
    return iso;
}

/* ---- The guide's tabs -------------------------------------------------- */

const TABS = [
    { route: 'guide', key: 'guide.tab.search' },
    { route: 'guide/edit', key: 'guide.tab.articles' },
    { route: 'guide/edit/review', key: 'guide.tab.review' },
    { route: 'guide/edit/synonyms', key: 'guide.tab.synonyms' },
    { route: 'guide/edit/gaps', key: 'guide.tab.gaps' },
];

/* The sections of the guide this user may open; none for someone who can
 * only search (an agent). current: the tab to mark. */
export function guideTabs(user, current) {
    const tabs = TABS.filter((tab) => session.mayVisit(user.role, tab.route));
    if (tabs.length < 2)
        return null;
    return h('nav', { class: 'tabs', 'aria-label': t('guide.tabs_label') },
        h('ul', {}, tabs.map((tab) => h('li', {},
            h('a', { href: href(tab.route), dataset: { tab: tab.route }, 'aria-current': tab.route === current ? 'page' : null },
                tn(tab.key))))));
}

export function isEditor(user) {
    return user && user.role === 'editor';
}

/* The route of an article for an agent. */
export function articleHref(slug, lang, at = null) {
    const q = new URLSearchParams({ slug, lang });
    if (at)
        q.set('at', at);
    return `#/guide/article?${q}`;
}
