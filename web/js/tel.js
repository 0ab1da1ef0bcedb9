/*
 * Shared pieces of the telephony screens (the agent's phone bar, the
 * supervision's live view): names of agent states, pause reasons, call
 * stages and outcomes, durations as a clock (1:05, 1:02:03), and a poller
 * that runs only while the page is visible.
 */
import { api } from './api.js';
import { h } from './dom.js';
import { has, language, languageInfo, t } from './i18n.js';
import { badge, languageName } from './ui.js';

export const AGENT_STATES = ['offline', 'available', 'ringing', 'busy', 'wrap_up', 'paused'];
/* The reasons an agent picks for a pause, as the server lists them
 * (data/tel/pause_reasons.json, named in every language); filled in place by
 * loadPauseReasons(). The server adds its own (no_answer, phone_offline,
 * logged_in), named by the UI's texts. */
export const PAUSE_REASONS = [];
const reasonNames = new Map(); /* code -> {lang: name} */
let reasonsLoading = null;
export function loadPauseReasons() {
    if (!reasonsLoading) {
        reasonsLoading = api('GET', '/api/v1/tel/pause-reasons').then((d) => {
            PAUSE_REASONS.splice(0, PAUSE_REASONS.length, ...d.items.map((r) => r.code));
            for (const r of d.items)
                reasonNames.set(r.code, r.names);
            return PAUSE_REASONS;
        }).catch((e) => {
            reasonsLoading = null; /* asked again next time */
            throw e;
        });
    }
    return reasonsLoading;
}

/* A server value without a translation is shown as it came: the server may
 * know states and reasons this page does not. */
function named(prefix, value) {
    return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : String(value);
}

export const stateName = (s) => named('tel.state', s);
export const reasonName = (r) => (reasonNames.get(r) || {})[language()] || named('tel.reason', r);
export const callStageName = (s) => named('tel.call_state', s);
export const outcomeName = (o) => named('tel.outcome', o);

const STATE_KIND = {
    offline: 'muted', available: 'ok', ringing: 'warning', busy: 'info', wrap_up: 'neutral', paused: 'warning',
};

/* The agent's state as a coloured badge (data-state for the tests and CSS). */
export function stateBadge(state) {
    const b = badge(STATE_KIND[state] || 'muted', stateName(state));
    b.classList.add('tel-state');
    b.dataset.state = state;
    return b;
}

const OUTCOME_KIND = {
    answered: 'ok', completed: 'ok', caller_hangup: 'muted', abandoned: 'warning', rtp_timeout: 'warning', no_ack: 'warning', error: 'danger', shutdown: 'muted',
};

export function outcomeBadge(outcome) {
    const b = badge(OUTCOME_KIND[outcome] || 'muted', outcomeName(outcome));
    b.classList.add('tel-outcome');
    b.dataset.outcome = outcome;
    return b;
}

/* Seconds as a clock in the UI language's digits: 0:07, 12:30, 1:02:03. */
export function clock(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    const locale = languageInfo().locale;
    const two = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2, useGrouping: false });
    const one = new Intl.NumberFormat(locale, { useGrouping: false });
    const hours = Math.floor(s / 3600);
    const minutes = Math.floor((s % 3600) / 60);
    const rest = s % 60;
    return hours ? `${one.format(hours)}:${two.format(minutes)}:${two.format(rest)}` : `${one.format(minutes)}:${two.format(rest)}`;
}

/* A clock kept left to right inside Arabic text. */
export function clockNode(seconds, attrs = {}) {
    return h('bdi', { dir: 'ltr', class: 'clock', ...attrs }, clock(seconds));
}

/* "fr ar en" as the languages' own names, each marked with its language,
 * with the UI language's comma ("العربية، Français"). */
export function languagesNode(codes) {
    const list = String(codes || '').split(/[\s,]+/).filter(Boolean);
    if (!list.length)
        return h('span', { class: 'muted' }, '—');
    const comma = language() === 'ar' ? '، ' : ', ';
    return h('span', { class: 'tel-langs' }, list.map((c, i) => [i ? comma : '', h('span', { lang: c }, languageName(c))]));
}

/* A service's name in the UI language; a service the texts do not know
 * (added to the queues plan since) shows its own name. */
export function serviceName(code) {
    return has(`tel.service.${code}`) ? t(`tel.service.${code}`) : code;
}

/* An agent's languages with their proficiency ("Français 5, العربية 3"),
 * strongest first, and the services they take, from the status' skills. */
export function skillsNode(skills) {
    const prof = (skills && skills.proficiency) || {};
    const codes = Object.keys(prof).sort((a, b) => prof[b] - prof[a]);
    if (!codes.length)
        return h('span', { class: 'muted' }, '—');
    const comma = language() === 'ar' ? '، ' : ', ';
    const services = (skills.services || []).map(serviceName).join(comma);
    return h('span', { class: 'tel-skills', title: services ? t('tel.skills.services', { services }) : null },
        codes.map((c, i) => [i ? comma : '',
            h('span', { class: 'tel-skill', dataset: { lang: c, level: String(prof[c]) } },
                h('span', { lang: c }, languageName(c)), ' ',
                h('span', { class: 'tel-level', title: t('tel.skills.level', { n: prof[c] }) }, String(prof[c])))]));
}

export function isTelOff(err) {
    return Boolean(err && err.code === 'tel.not_running');
}

/* Runs fn() now and again after the delay (ms) it returns, only while the
 * page is visible: hidden, it stops; visible again, it runs at once.
 * alive() false stops it for good (the page it draws into is gone). */
export function poller(fn, { alive = () => true } = {}) {
    let timer = null;
    let running = false;
    let stopped = true;

    async function tick() {
        timer = null;
        if (stopped)
            return;
        if (!alive()) {
            stop();
            return;
        }
        if (document.hidden || running)
            return;
        running = true;
        let next = 5000;
        try {
            next = await fn();
        } catch (e) {
            console.error(e);
        } finally {
            running = false;
        }
        if (!stopped && !timer && !document.hidden)
            timer = setTimeout(tick, next);
    }

    function onVisibility() {
        if (stopped)
            return;
        if (document.hidden) {
            clearTimeout(timer);
            timer = null;
        } else if (!timer && !running) {
            tick();
        }
    }

    function start() {
        if (!stopped)
            return;
        stopped = false;
        document.addEventListener('visibilitychange', onVisibility);
        tick();
    }

    function stop() {
        stopped = true;
        clearTimeout(timer);
        timer = null;
        document.removeEventListener('visibilitychange', onVisibility);
    }

    /* Runs again now (after a change the user made). */
    function now() {
        if (stopped)
            return;
        clearTimeout(timer);
        timer = null;
        tick();
    }

    return { start, stop, now, get active() { return !stopped; } };
}

/* When a call started: the hour for today's calls, else the date too. */
export function whenNode(iso) {
    if (!iso)
        return h('span', { class: 'muted' }, '—');
    const d = new Date(iso);
    if (Number.isNaN(d.getTime()))
        return h('span', {}, String(iso));
    const locale = languageInfo().locale;
    const today = new Date().toDateString() === d.toDateString();
    const text = new Intl.DateTimeFormat(locale, today
        ? { timeStyle: 'medium' }
        : { dateStyle: 'short', timeStyle: 'short' }).format(d);
    return h('time', { datetime: iso, class: 'nowrap' }, text);
}
