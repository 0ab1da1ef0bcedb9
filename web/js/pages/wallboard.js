/*
 * The wallboard (#/wallboard): the live supervision figures in large type
 * for a screen across the room (a TV in kiosk mode, docs/supervision.md).
 * One tile per queue (languages across, services down): callers waiting
 * and the longest wait now, today's service level and abandon rate, the
 * agents who take it; a tile turns amber or red with its worst figure (the
 * levels of data/supervision/thresholds.json); under them the alerts, the
 * calls of today per country and every agent's state with the time in it.
 * Fits 1920×1080 and 1280×720 without scrolling (sizes follow the
 * viewport); updated by the event stream (event "supervision"), asked for
 * every 5 s while the stream is down and every minute regardless (which
 * also keeps the session from going idle).
 *
 * figuresSection() is the same tiles and alerts, smaller, for the
 * supervision page.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { loadGeo, countryName } from '../geo.js';
import { LANGUAGES, formatNumber, languageInfo, t, tn } from '../i18n.js';
import { clock, clockNode, isTelOff, serviceName, stateBadge } from '../tel.js';
import { errorText } from '../ui.js';
import { liveIndicator, liveState, subscribe } from '../live.js';
import { href } from '../router.js';

const FALLBACK_MS = 5000; /* the stream is down: ask */
const KEEP_MS = 60_000; /* ask anyway: the session stays active, a missed event is caught up */
const AGENTS_SHOWN = 16; /* the rest as "+N" */
const COUNTRIES_SHOWN = 8;
const ALERTS_SHOWN = 6;

function percent(x) {
    if (x === null || x === undefined)
        return '—';
    return new Intl.NumberFormat(languageInfo().locale, { style: 'percent', maximumFractionDigits: 0 }).format(x);
}

function languageLabel(code) {
    const l = LANGUAGES.find((x) => x.code === code);
    return h('span', { lang: code }, l ? l.name : code);
}

/* The queues as rows of services and columns of languages (the center's
 * order of languages, the plan's of services). */
function grid(queues) {
    const langs = LANGUAGES.map((l) => l.code).filter((c) => queues.some((q) => q.language === c));
    for (const q of queues)
        if (!langs.includes(q.language))
            langs.push(q.language);
    const services = [];
    for (const q of queues)
        if (!services.includes(q.service))
            services.push(q.service);
    return { langs, services };
}

function figure(key, value, level, big = false) {
    return h('div', { class: ['wb-fig', big && 'wb-fig-big', level && level !== 'ok' && `wb-${level}`], dataset: { figure: key, level: level || 'ok' } },
        h('span', { class: 'wb-fig-n' }, value),
        h('span', { class: 'wb-fig-label' }, tn(`wallboard.fig.${key}`)));
}

function tile(q) {
    const a = q.agents || {};
    const onCall = (a.busy || 0) + (a.ringing || 0) + (a.wrap_up || 0);
    return h('section', {
        class: ['wb-tile', `wb-level-${q.level}`],
        dataset: { queue: q.queue, level: q.level, waiting: String(q.waiting), offered: String(q.offered) },
        'aria-label': `${q.queue}`,
    },
    h('h3', { class: 'wb-tile-title' }, languageLabel(q.language), h('span', { class: 'wb-service' }, serviceName(q.service))),
    h('div', { class: 'wb-tile-main' },
        figure('waiting', formatNumber(q.waiting), q.levels.waiting, true),
        figure('longest_wait_s', h('bdi', { dir: 'ltr' }, clock(q.longest_wait_s)), q.levels.longest_wait_s, true)),
    h('p', { class: 'wb-today-caption' }, tn('wallboard.today')),
    h('div', { class: 'wb-tile-today' },
        figure('service_level', percent(q.service_level), q.levels.service_level),
        figure('abandon_rate', percent(q.abandon_rate), q.levels.abandon_rate),
        figure('offered', formatNumber(q.offered), null)),
    h('p', { class: 'wb-agents-line' },
        h('span', { class: 'wb-avail', title: t('tel.state.available') }, '● ', formatNumber(a.available || 0)), ' ',
        h('span', { class: 'wb-oncall', title: t('wallboard.on_call') }, '◆ ', formatNumber(onCall)), ' ',
        h('span', { class: 'wb-paused', title: t('tel.state.paused') }, '❚❚ ', formatNumber(a.paused || 0))));
}

function tiles(data, cls) {
    const queues = data.queues || [];
    const { langs, services } = grid(queues);
    const byName = new Map(queues.map((q) => [`${q.language}/${q.service}`, q]));
    const cells = [];
    for (const s of services)
        for (const l of langs) {
            const q = byName.get(`${l}/${s}`);
            cells.push(q ? tile(q) : h('div', { class: 'wb-tile wb-empty' }));
        }
    const el = h('div', { class: ['wb-tiles', cls], id: 'wb-tiles' }, cells);
    el.style.setProperty('--wb-cols', String(Math.max(1, langs.length)));
    el.style.setProperty('--wb-rows', String(Math.max(1, services.length)));
    return el;
}

function alertText(a) {
    const value = a.figure === 'service_level' || a.figure === 'abandon_rate' ? percent(a.value)
        : a.figure === 'longest_wait_s' ? clock(a.value) : formatNumber(a.value);
    const limit = a.figure === 'service_level' || a.figure === 'abandon_rate' ? percent(a.limit)
        : a.figure === 'longest_wait_s' ? clock(a.limit) : formatNumber(a.limit);
    return t(`wallboard.alert.${a.figure}`, { value, limit });
}

function alertsList(data, limit) {
    const alerts = [...(data.alerts || [])].sort((x, y) => (x.level === y.level ? 0 : x.level === 'red' ? -1 : 1));
    if (!alerts.length)
        return h('p', { class: 'wb-none', id: 'wb-no-alerts' }, tn('wallboard.no_alerts'));
    const shown = alerts.slice(0, limit);
    return h('ul', { class: 'wb-alerts', id: 'wb-alerts' },
        shown.map((a) => {
            const q = (data.queues || []).find((x) => x.queue === a.queue) || { language: a.queue, service: '' };
            return h('li', { class: `wb-alert wb-${a.level}`, dataset: { queue: a.queue, figure: a.figure, level: a.level } },
                h('span', { class: 'wb-alert-level' }, tn(`wallboard.level.${a.level}`)), ' ',
                h('strong', {}, languageLabel(q.language), ' · ', serviceName(q.service)), ' ',
                h('span', {}, alertText(a)));
        }),
        alerts.length > limit ? h('li', { class: 'wb-more' }, t('wallboard.more', { n: formatNumber(alerts.length - limit) })) : null);
}

function countriesList(data, geo, limit) {
    const rows = [...(data.countries || [])].sort((a, b) => b.calls - a.calls);
    if (!rows.length)
        return h('p', { class: 'wb-none' }, tn('wallboard.no_calls_today'));
    return h('ol', { class: 'wb-countries', id: 'wb-countries' },
        rows.slice(0, limit).map((c) => h('li', { dataset: { country: c.country || '', calls: String(c.calls) } },
            h('span', { class: 'wb-country' }, c.country ? (geo ? countryName(geo, c.country) : c.country) : t('wallboard.no_country')),
            h('span', { class: 'wb-count' }, formatNumber(c.calls)))),
        rows.length > limit ? h('li', { class: 'wb-more' }, t('wallboard.more', { n: formatNumber(rows.length - limit) })) : null);
}

const STATE_ORDER = { ringing: 0, busy: 1, wrap_up: 2, available: 3, paused: 4, offline: 5 };

function agentsList(data, limit) {
    const agents = [...(data.agents || [])].filter((a) => a.state !== 'offline')
        .sort((a, b) => (STATE_ORDER[a.state] ?? 9) - (STATE_ORDER[b.state] ?? 9) || b.since_seconds - a.since_seconds);
    if (!agents.length)
        return h('p', { class: 'wb-none' }, tn('wallboard.no_agents'));
    return h('ul', { class: 'wb-agent-list', id: 'wb-agent-list' },
        agents.slice(0, limit).map((a) => h('li', { class: 'wb-agent', dataset: { user: String(a.user_id), state: a.state } },
            h('span', { class: 'wb-agent-name', dir: 'auto' }, a.display_name || t('cases.event.user', { id: a.user_id })),
            stateBadge(a.state), ' ', clockNode(a.since_seconds))),
        agents.length > limit ? h('li', { class: 'wb-more' }, t('wallboard.more', { n: formatNumber(agents.length - limit) })) : null);
}

function totals(data) {
    const qs = data.queues || [];
    const sum = (f) => qs.reduce((n, q) => n + (f(q) || 0), 0);
    const longest = qs.reduce((m, q) => Math.max(m, q.waiting ? q.longest_wait_s : 0), 0);
    const avail = (data.agents || []).filter((a) => a.state === 'available').length;
    const loggedIn = (data.agents || []).filter((a) => a.state !== 'offline').length;
    return h('ul', { class: 'wb-totals', id: 'wb-totals' },
        h('li', { dataset: { key: 'waiting', n: String(sum((q) => q.waiting)) } }, h('span', { class: 'wb-total-n' }, formatNumber(sum((q) => q.waiting))), h('span', {}, tn('wallboard.total.waiting'))),
        h('li', { dataset: { key: 'longest' } }, h('span', { class: 'wb-total-n' }, h('bdi', { dir: 'ltr' }, clock(longest))), h('span', {}, tn('wallboard.total.longest'))),
        h('li', { dataset: { key: 'offered', n: String(sum((q) => q.offered)) } }, h('span', { class: 'wb-total-n' }, formatNumber(sum((q) => q.offered))), h('span', {}, tn('wallboard.total.offered'))),
        h('li', { dataset: { key: 'available', n: String(avail) } }, h('span', { class: 'wb-total-n' }, `${formatNumber(avail)}/${formatNumber(loggedIn)}`), h('span', {}, tn('wallboard.total.available'))));
}

/* Follows the figures: the stream's events, and asks while it is down and
 * every minute; stops when el leaves the page. draw(data) | fail(err). */
function follow(el, draw, fail) {
    let last = 0;
    let stopped = false;
    let timer = null;
    let seenOnce = false;
    const unsubscribe = subscribe('supervision', (d) => {
        if (!el.isConnected && seenOnce)
            return stop();
        last = Date.now();
        draw(d);
    });
    function stop() {
        stopped = true;
        clearTimeout(timer);
        unsubscribe();
    }
    async function tick() {
        if (stopped)
            return;
        if (el.isConnected)
            seenOnce = true;
        else if (seenOnce)
            return stop();
        const since = Date.now() - last;
        if (!document.hidden && (since >= KEEP_MS || (liveState() !== 'live' && since >= FALLBACK_MS))) {
            try {
                const d = await api('GET', '/api/v1/supervision/live');
                last = Date.now();
                if (!stopped)
                    draw(d);
            } catch (e) {
                last = Date.now();
                if (!stopped)
                    fail(e);
            }
        }
        timer = setTimeout(tick, 1000);
    }
    timer = setTimeout(tick, 0);
    return stop;
}

let stopCurrent = null;

export function render(ctx) {
    if (stopCurrent)
        stopCurrent();
    let geo = null;
    loadGeo().then((g) => { geo = g; }).catch(() => null);
    const clockEl = h('span', { class: 'wb-clock', id: 'wb-clock' });
    const totalsEl = h('div', { class: 'wb-totals-wrap' });
    const body = h('div', { class: 'wb-body', id: 'wb-body' }, h('p', { class: 'wb-loading' }, tn('common.loading')));
    const problem = h('p', { class: 'wb-problem', id: 'wb-problem', role: 'status', hidden: true });
    const el = h('div', { class: 'wallboard', id: 'wallboard', dataset: { state: 'loading' } },
        h('header', { class: 'wb-head' },
            h('h1', { class: 'wb-title', tabindex: '-1' }, tn('wallboard.title')),
            totalsEl,
            h('div', { class: 'wb-head-side' },
                clockEl, liveIndicator({ id: 'wb-live' }),
                h('a', { class: 'wb-exit', href: href('supervision') }, tn('wallboard.exit')))),
        problem,
        body);

    function draw(d) {
        el.dataset.state = 'on';
        el.dataset.at = d.at || '';
        problem.hidden = true;
        const when = new Intl.DateTimeFormat(languageInfo().locale, { timeStyle: 'short' }).format(new Date());
        clockEl.replaceChildren(h('bdi', {}, when));
        totalsEl.replaceChildren(totals(d));
        body.replaceChildren(
            tiles(d, 'wb-tiles-board'),
            h('div', { class: 'wb-bottom' },
                h('section', { class: 'wb-panel wb-panel-alerts', 'aria-labelledby': 'wb-alerts-title' },
                    h('h2', { id: 'wb-alerts-title' }, tn('wallboard.alerts'), ' ',
                        h('span', { class: 'wb-badge', id: 'wb-alert-count' }, formatNumber((d.alerts || []).length))),
                    alertsList(d, ALERTS_SHOWN)),
                h('section', { class: 'wb-panel', 'aria-labelledby': 'wb-countries-title' },
                    h('h2', { id: 'wb-countries-title' }, tn('wallboard.countries')), countriesList(d, geo, COUNTRIES_SHOWN)),
                h('section', { class: 'wb-panel wb-panel-agents', 'aria-labelledby': 'wb-agents-title' },
                    h('h2', { id: 'wb-agents-title' }, tn('wallboard.agents')), agentsList(d, AGENTS_SHOWN))));
    }
    function fail(e) {
        problem.hidden = false;
        el.dataset.state = isTelOff(e) ? 'off' : 'error';
        problem.replaceChildren(isTelOff(e) ? tn('tel.sup.off') : errorText(e));
    }
    stopCurrent = follow(el, draw, fail);
    return el;
}

/* The tiles and the alerts on the supervision page; onData(d) sees each
 * update too. */
export function figuresSection(onData = () => {}) {
    const body = h('div', { class: 'wb-section-body' }, h('p', { class: 'loading' }, tn('common.loading')));
    const el = h('section', { class: 'tel-part wb-section', id: 'tel-figures', 'aria-labelledby': 'tel-figures-title' },
        h('div', { class: 'wb-section-head' },
            h('h3', { id: 'tel-figures-title' }, tn('wallboard.figures')),
            h('a', { class: 'btn btn-small', href: href('wallboard'), id: 'open-wallboard' }, tn('wallboard.open'))),
        body);
    /* followed only once the caller knows the telephony runs: with it off
     * the figures' route and stream topic answer 409, which is no error */
    let stopFollowing = null;
    const start = () => {
        stopFollowing = stopFollowing || follow(el, (d) => {
            onData(d);
            el.dataset.state = 'on';
            body.replaceChildren(tiles(d, 'wb-tiles-compact'),
                h('div', { class: 'wb-section-alerts' }, h('h4', {}, tn('wallboard.alerts')), alertsList(d, 20)));
        }, (e) => {
            body.replaceChildren(h('p', { class: 'muted' }, isTelOff(e) ? tn('tel.sup.off') : errorText(e)));
        });
    };
    const stop = () => {
        if (stopFollowing)
            stopFollowing();
        stopFollowing = null;
    };
    return { el, start, stop };
}
