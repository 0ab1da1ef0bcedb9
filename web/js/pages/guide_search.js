/*
 * Searching the consular guide, the agent's main tool during a call: one big
 * box that answers as you type (results drawn as soon as they arrive, stale
 * requests aborted), the caller's language, results with the matched words
 * marked, "did you mean", and for visa and entry questions a card with the
 * entry rule of the caller's nationality. Keyboard: Down/Up move through the
 * results, Enter opens one, Esc goes back to the box.
 *
 * Searches are logged (so the editors see what is missing) only when the
 * agent pauses, presses Enter or opens a result; the keystrokes in between are
 * not.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import {
    articleHref, callerLanguage, categoryName, countryLabel, dayNode, dirOf, guideTabs, LANG_CODES, languagePicker, loadCountries,
    otherLanguageBadge, outdatedBadge, setCallerLanguage,
} from '../guide.js';
import { language, plural, t, tf, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import * as session from '../session.js';
import { alertBox, badge, errorText, pageTitle } from '../ui.js';

const DEBOUNCE_MS = 80;
const LOG_PAUSE_MS = 1500;
const LIMIT = 10;
const SLOW_MS = 300;

/* Kept across pages, so "back" from an article finds the search as it was. */
const state = {
    query: '',
    lang: null,
    data: null, /* the last answer drawn */
    logged: new Map(), /* "lang\nquery" -> search_id (a promise until known) */
    opened: new Set(), /* search ids an opening was recorded for */
    picked: '', /* nationality chosen in the entry card */
    detected: '', /* nationality the last query named */
    from: 'guide', /* the route the search was on: "guide" or "agent" */
};

/* What one user searched is not shown to the next one on this browser. */
session.onSessionChange((u) => {
    if (u)
        return;
    Object.assign(state, { query: '', data: null, picked: '', detected: '', from: 'guide' });
    state.logged.clear();
    state.opened.clear();
});

export function searchRoute() {
    return state.from;
}

function key(q, lang) {
    return `${lang}\n${q.trim()}`;
}

/* Records the search (log=1) once per query and language; resolves to its id. */
function logSearch(q, lang) {
    const k = key(q, lang);
    if (!q.trim())
        return Promise.resolve(null);
    if (!state.logged.has(k)) {
        const p = api('GET', withQuery('/api/v1/guide/search', { q, lang, limit: LIMIT, log: 1 }))
            .then((d) => d.search_id)
            .catch(() => {
                state.logged.delete(k);
                return null;
            });
        state.logged.set(k, p);
    }
    return state.logged.get(k);
}

/* Tells the server which article a search led to (once per logged search). */
async function recordOpen(q, lang, slug) {
    const id = await logSearch(q, lang);
    if (!id || state.opened.has(id))
        return;
    state.opened.add(id);
    try {
        await api('POST', `/api/v1/guide/searches/${id}/opened`, { slug });
    } catch (e) {
        /* statistics only: never in the agent's way */
    }
}

/* ---- The entry-rules card ------------------------------------------------ */

function ruleFacts(rule) {
    const rows = [
        ['guide.entry.max_stay', rule.max_stay_days
            ? plural('guide.entry.days', rule.max_stay_days)
            : h('span', { class: 'muted' }, tn('guide.entry.unknown'))],
        ['guide.entry.passport', h('span', { lang: 'en', dir: 'ltr' }, rule.passport_validity || '—')],
        rule.notes ? ['guide.entry.notes', h('span', { lang: 'en', dir: 'ltr' }, rule.notes)] : null,
        ['guide.entry.source', h('span', {}, h('span', { lang: 'en', dir: 'ltr' }, rule.source || '—'),
            rule.as_of ? [' · ', tf('guide.entry.as_of', { date: dayNode(rule.as_of) })] : null)],
    ].filter(Boolean);
    return h('dl', { class: 'facts entry-facts' }, rows.map(([k, v]) => [h('dt', {}, tn(k)), h('dd', {}, v)]));
}

function entryCard(onPick) {
    const el = h('section', { class: 'card entry-card', id: 'entry-card', 'aria-labelledby': 'entry-card-title' });
    const select = h('select', { id: 'entry-nationality', name: 'nationality' });
    const body = h('div', { class: 'entry-body', 'aria-live': 'polite' });
    const detected = h('p', { class: 'hint entry-detected' });
    let shownCode = null;
    let shownRule = null;
    let countries = [];

    function fillSelect(code) {
        const ui = language();
        const opts = countries.map((x) => ({ c: x.iso2, name: countryLabel(countries, x.iso2) }))
            .sort((a, b) => a.name.localeCompare(b.name, ui));
        select.replaceChildren(h('option', { value: '' }, t('guide.entry.choose')),
            ...opts.map((o) => h('option', { value: o.c, selected: o.c === code }, o.name)));
        select.value = code || '';
    }
    loadCountries().then((list) => {
        countries = list;
        fillSelect(shownCode);
        if (shownRule)
            update(shownCode, shownRule, detected.dataset.detected === 'true');
    });
    fillSelect('');
    select.addEventListener('change', () => onPick(select.value));

    function update(code, rule, wasDetected) {
        shownCode = code;
        shownRule = rule;
        if (select.value !== (code || ''))
            select.value = code || '';
        detected.dataset.detected = String(Boolean(wasDetected));
        detected.replaceChildren(code && wasDetected ? tn('guide.entry.detected', { country: countryLabel(countries, code) }) : '');
        detected.hidden = !(code && wasDetected);
        if (!code) {
            body.replaceChildren(h('p', { class: 'muted' }, tn('guide.entry.pick_hint')));
            el.dataset.nationality = '';
            return;
        }
        el.dataset.nationality = code;
        if (!rule) {
            body.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
            return;
        }
        body.replaceChildren(...[
            h('div', { class: 'entry-head' },
                h('h3', { class: `regime regime-${rule.regime}`, dataset: { regime: rule.regime } }, tn(`guide.regime.${rule.regime}`)),
                rule.verified ? badge('ok', tn('guide.entry.verified')) : h('span', { class: 'badge badge-danger badge-unverified' }, tn('guide.entry.unverified'))),
            ruleFacts(rule),
            rule.listed ? null : h('p', { class: 'hint' }, tn('guide.entry.not_listed')),
        ].filter(Boolean));
    }

    el.append(
        h('div', { class: 'entry-title-row' },
            h('h2', { id: 'entry-card-title' }, tn('guide.entry.title')),
            h('div', { class: 'entry-picker' },
                h('label', { for: 'entry-nationality' }, tn('guide.entry.nationality')),
                select)),
        detected,
        body);
    return { el, update };
}

/* ---- The search panel ---------------------------------------------------- */

/* The search box and its results. opts.onOpen(hit, data): a result opens
 * there (the desk's guide column) instead of on the article's page. */
export function searchPanel(ctx, opts = {}) {
    const initial = routeParams().get('q');
    const fromParams = routeParams().get('lang');
    if (initial !== null) {
        state.query = initial;
        state.data = null;
    }
    state.lang = fromParams && LANG_CODES.includes(fromParams) ? fromParams : callerLanguage();

    const input = h('input', {
        type: 'search', id: 'guide-q', name: 'q', class: 'search-input', value: state.query,
        autocomplete: 'off', spellcheck: 'false', dir: 'auto', 'data-autofocus': true,
        'aria-describedby': 'guide-q-hint', 'aria-controls': 'guide-results', enterkeyhint: 'search',
    });
    const status = h('p', { class: 'search-status', id: 'search-status', role: 'status' });
    const corrected = h('p', { class: 'did-you-mean', id: 'did-you-mean', hidden: true });
    const cutNotice = h('div', { id: 'search-cut', hidden: true });
    const problem = h('div', { class: 'search-problem' });
    const list = h('ol', { class: 'hits', id: 'guide-results', 'aria-label': t('guide.search.results') });
    const card = entryCard((code) => pickNationality(code));
    card.el.hidden = true;

    let timer = null;
    let pauseTimer = null;
    let controller = null;
    let seq = 0;
    const rules = new Map(); /* nationality -> rule */

    /* Shows the rule of a nationality, fetching it when needed. */
    async function showNationality(code, detected) {
        card.update(code, rules.get(code) || null, detected);
        if (!code || rules.has(code))
            return;
        try {
            rules.set(code, await api('GET', withQuery('/api/v1/entry-rules', { nationality: code })));
        } catch (e) {
            problem.replaceChildren(alertBox('error', errorText(e)));
            return;
        }
        if (card.el.dataset.nationality === code)
            card.update(code, rules.get(code), detected);
    }

    function pickNationality(code) {
        state.picked = code;
        showNationality(code, false);
    }

    /* A nationality named in the query wins, unless the agent has since
     * picked another one for this same query. */
    function drawEntry(data) {
        card.el.hidden = !data.entry_intent;
        if (!data.entry_intent)
            return;
        if (data.nationality && data.entry_rule)
            rules.set(data.nationality, data.entry_rule);
        if (data.nationality && (data.nationality !== state.detected || !state.picked)) {
            state.detected = data.nationality;
            state.picked = '';
            showNationality(data.nationality, true);
        } else {
            if (!data.nationality)
                state.detected = '';
            showNationality(state.picked, false);
        }
    }

    function hitItem(hit, i, data) {
        const title = h('span', { class: 'hit-title' });
        title.innerHTML = hit.title_html; /* escaped by the server, <mark> around matches */
        const snippet = h('p', { class: 'hit-snippet' });
        snippet.innerHTML = hit.snippet_html;
        const link = h('a', {
            class: 'hit-link', href: articleHref(hit.slug, data.lang), id: `hit-${i}`,
            dataset: { slug: hit.slug, index: String(i) },
        }, title);
        link.addEventListener('click', (ev) => {
            clearTimeout(pauseTimer);
            recordOpen(data.query, data.lang, hit.slug);
            if (opts.onOpen) {
                ev.preventDefault();
                opts.onOpen(hit, data);
            }
        });
        /* the card reads in the text's direction; its labels stay in the UI language */
        const ui = { lang: language(), dir: dirOf(language()) };
        return h('li', { class: 'hit', lang: hit.lang, dir: dirOf(hit.lang), dataset: { slug: hit.slug, lang: hit.lang, other: String(hit.other_language) } },
            link,
            h('div', { class: 'hit-meta' },
                h('span', { class: 'hit-category', ...ui }, categoryName(hit.category)),
                hit.other_language || hit.lang !== data.lang ? otherLanguageBadge(hit.lang) : null,
                hit.outdated ? outdatedBadge() : null),
            snippet);
    }

    function draw(data) {
        state.data = data;
        problem.replaceChildren();
        const hits = data.hits || [];
        list.replaceChildren(...hits.map((hit, i) => hitItem(hit, i, data)));
        list.dataset.query = data.query;
        if (data.corrected_query) {
            const again = h('a', { href: '#', class: 'did-you-mean-link', dir: 'auto' }, data.corrected_query);
            again.addEventListener('click', (ev) => {
                ev.preventDefault();
                input.value = data.corrected_query;
                state.query = input.value;
                input.focus();
                run(false);
            });
            corrected.replaceChildren(tf('guide.search.did_you_mean', { query: again }));
            corrected.hidden = false;
        } else {
            corrected.hidden = true;
            corrected.replaceChildren();
        }
        cutNotice.hidden = !data.cut;
        cutNotice.replaceChildren(data.cut ? alertBox('warning', tn('guide.search.cut')) : '');
        if (!hits.length)
            status.replaceChildren(h('span', { class: 'no-hits' }, tf('guide.search.none', { query: h('q', { dir: 'auto' }, data.query) })));
        else
            status.replaceChildren(plural('guide.search.count', hits.length));
        drawEntry(data);
    }

    function clear() {
        state.data = null;
        list.replaceChildren();
        status.replaceChildren();
        corrected.hidden = true;
        cutNotice.hidden = true;
        card.el.hidden = true;
        problem.replaceChildren();
    }

    async function run(log) {
        const q = input.value;
        const lang = state.lang;
        clearTimeout(timer);
        if (controller)
            controller.abort();
        if (!q.trim()) {
            clear();
            return;
        }
        controller = new AbortController();
        const mine = ++seq;
        /* no spinner for the usual answer; a word only when one is slow */
        const slow = setTimeout(() => {
            if (mine === seq) {
                status.replaceChildren(tn('guide.search.searching'));
                list.setAttribute('aria-busy', 'true');
            }
        }, SLOW_MS);
        try {
            const data = await api('GET', withQuery('/api/v1/guide/search', { q, lang, limit: LIMIT, log: log ? 1 : 0 }),
                undefined, { signal: controller.signal });
            clearTimeout(slow);
            if (mine !== seq)
                return;
            list.removeAttribute('aria-busy');
            if (log && data.search_id)
                state.logged.set(key(q, lang), Promise.resolve(data.search_id));
            draw(data);
        } catch (e) {
            clearTimeout(slow);
            if (e.code === 'aborted' || mine !== seq)
                return;
            list.removeAttribute('aria-busy');
            status.replaceChildren();
            problem.replaceChildren(alertBox('error', errorText(e)));
        }
    }

    function schedule() {
        clearTimeout(timer);
        clearTimeout(pauseTimer);
        state.query = input.value;
        if (!input.value.trim()) {
            if (controller)
                controller.abort();
            seq++;
            clear();
            return;
        }
        timer = setTimeout(() => run(false), DEBOUNCE_MS);
        const q = input.value;
        const lang = state.lang;
        pauseTimer = setTimeout(() => {
            if (input.isConnected && input.value === q && state.lang === lang)
                logSearch(q, lang);
        }, LOG_PAUSE_MS);
    }

    input.addEventListener('input', schedule);
    input.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') {
            ev.preventDefault();
            clearTimeout(pauseTimer);
            if (state.logged.has(key(input.value, state.lang)))
                run(false);
            else
                run(true);
        } else if (ev.key === 'ArrowDown') {
            const first = list.querySelector('.hit-link');
            if (first) {
                ev.preventDefault();
                first.focus();
            }
        }
    });
    list.addEventListener('keydown', (ev) => {
        const links = [...list.querySelectorAll('.hit-link')];
        const i = links.indexOf(document.activeElement);
        if (i < 0)
            return;
        if (ev.key === 'ArrowDown') {
            ev.preventDefault();
            links[Math.min(i + 1, links.length - 1)].focus();
        } else if (ev.key === 'ArrowUp') {
            ev.preventDefault();
            if (i === 0)
                input.focus();
            else
                links[i - 1].focus();
        } else if (ev.key === 'Escape') {
            ev.preventDefault();
            input.focus();
            input.select();
        } else if (ev.key === 'Home') {
            ev.preventDefault();
            links[0].focus();
        } else if (ev.key === 'End') {
            ev.preventDefault();
            links[links.length - 1].focus();
        }
    });

    const picker = languagePicker({
        name: 'caller-lang',
        selected: state.lang,
        legendKey: 'guide.search.caller_language',
        onChange: (code) => {
            state.lang = code;
            setCallerLanguage(code);
            clearTimeout(pauseTimer);
            run(false);
        },
    });

    const form = h('form', { class: 'search-form', role: 'search', 'aria-label': t('guide.search.label') },
        h('label', { for: 'guide-q', class: 'search-label' }, tn('guide.search.label')),
        input,
        h('p', { class: 'hint', id: 'guide-q-hint' }, tn('guide.search.hint')),
        picker);
    form.addEventListener('submit', (ev) => ev.preventDefault());

    /* Back from an article: the same results at once; a query from the
     * address (gaps page) is searched now. */
    if (state.data && state.data.query === state.query && state.data.lang === state.lang)
        draw(state.data);
    else if (state.query.trim())
        queueMicrotask(() => run(false));

    return h('div', { class: 'guide-search' },
        form,
        problem,
        cutNotice,
        corrected,
        card.el,
        status,
        list);
}

/* #/guide: the guide's search (with the editors' tabs). */
export function render(ctx) {
    state.from = 'guide';
    return h('section', { class: 'page page-guide-search' },
        h('div', { class: 'page-head' }, pageTitle('guide.title')),
        guideTabs(ctx.user, 'guide'),
        searchPanel(ctx));
}
