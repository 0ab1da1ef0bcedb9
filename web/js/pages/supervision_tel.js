/*
 * The live telephony on the supervision page: callers waiting per language,
 * the agents and their states, the calls in progress, the latest calls with
 * their outcome, and the callback requests waiting. The live figures come
 * as events (live.js, event "status"); the call log and the callbacks are
 * read again when the calls in progress change. While the stream is not
 * live, everything is asked for every 5 seconds instead. Administrators
 * also get the emergency closure of the center (a reason, then a
 * confirmation).
 *
 * Agents are named by the status itself (display_name); "user no. N" only
 * when a name is missing.
 */
import { api, withQuery } from '../api.js';
import { h, uid } from '../dom.js';
import { loadGeo, countryName } from '../geo.js';
import { LANGUAGES, formatNumber, languageInfo, t, tn } from '../i18n.js';
import {
    alertBox, confirmDialog, errorText, field, languageName, markFieldError, messageArea, openDialog, showFieldError, whileBusy,
} from '../ui.js';
import {
    PAUSE_REASONS, callStageName, clockNode, isTelOff, loadPauseReasons, outcomeBadge, poller, reasonName, serviceName, skillsNode,
    stateBadge, whenNode,
} from '../tel.js';
import { liveIndicator, liveState, onLiveState, subscribe } from '../live.js';
import { figuresSection } from './wallboard.js';

const REFRESH_MS = 5000;
const OFF_REFRESH_MS = 30_000; /* telephony off: only the records can change */
const ERROR_REFRESH_MS = 10_000;
const LOG_LIMIT = 20;
const CALLBACK_LIMIT = 50;

let current = null; /* the poller of the section on screen */
let unfollow = null; /* its live events */
let figuresStop = null; /* the supervision figures above it */

/* Before logging out: no request of this user may reach the server after. */
export function stopTelephony() {
    if (current)
        current.stop();
    current = null;
    if (figuresStop)
        figuresStop();
    figuresStop = null;
    if (unfollow)
        unfollow();
    unfollow = null;
}

/* A table with a caption, column headers, rows of cells and a line for
 * none; cells carry their column's name for the narrow layout. */
function table({ id, caption, cols, rows, empty }) {
    const body = rows.length
        ? rows.map((r) => h('tr', { dataset: r.data || {} }, r.cells.map((c, i) => h(i === 0 ? 'th' : 'td', {
            scope: i === 0 ? 'row' : null, dataset: { label: t(cols[i]) }, class: r.wrap && r.wrap.includes(i) ? 'wrap' : null,
        }, c))))
        : [h('tr', {}, h('td', { colspan: String(cols.length), class: 'empty' }, tn(empty)))];
    return h('div', { class: 'table-wrap' },
        h('table', { class: 'data-table data-table-dense tel-table', id },
            h('caption', { class: 'visually-hidden' }, tn(caption)),
            h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
            h('tbody', {}, body)));
}

function stat(key, n, label, kind = null) {
    return h('li', { class: ['stat', kind && `stat-${kind}`], dataset: { key, n: String(n) } },
        h('span', { class: 'stat-n' }, formatNumber(n)),
        h('span', { class: 'stat-label' }, label));
}

function muted(text = '—') {
    return h('span', { class: 'muted' }, text);
}

function countryNode(geo, iso) {
    if (!iso)
        return muted();
    return h('span', { class: 'country', title: iso }, geo ? countryName(geo, iso) : iso);
}

function languageNode(code) {
    return code ? h('span', { lang: code }, languageName(code)) : muted();
}

/* IVR node names are the flow file's own words: shown as code. */
function pathNode(path) {
    const nodes = String(path || '').split(/\s+/).filter(Boolean);
    if (!nodes.length)
        return muted();
    return h('bdi', { dir: 'ltr', class: 'tel-path' }, nodes.map((n, i) => [i ? h('span', { class: 'tel-path-sep', 'aria-hidden': 'true' }, ' → ') : '', h('code', {}, n)]));
}

function seconds(ms) {
    return Math.round((Number(ms) || 0) / 1000);
}

/* ---- Emergency closure (administrators) --------------------------------- */

function emergencyCard() {
    const messages = messageArea();
    const body = h('div', { class: 'emergency-body' });
    const el = h('section', { class: 'card emergency-card', id: 'emergency', 'aria-labelledby': 'emergency-title' },
        h('h3', { id: 'emergency-title' }, tn('tel.emergency.title')),
        h('p', { class: 'hint' }, tn('tel.emergency.intro')),
        messages.el,
        body);
    let shown = null; /* "open" or "closed:<reason>": redrawn only when it changes */

    function drawOpen(cal) {
        const reason = h('input', { type: 'text', name: 'reason', maxlength: '190', dir: 'auto', autocomplete: 'off', id: 'emergency-reason' });
        const submit = h('button', { type: 'submit', class: 'btn btn-danger', dataset: { action: 'emergency-close' } }, tn('tel.emergency.close'));
        const form = h('form', { class: 'form emergency-form', id: 'emergency-form', novalidate: true },
            h('p', { class: 'state-line', id: 'calendar-state', dataset: { state: cal.state } },
                tn('tel.emergency.now'), ' ', h('strong', {}, tn(`tel.calendar.${cal.state}`))),
            field({ label: 'tel.emergency.reason', control: reason, name: 'reason', hint: 'tel.emergency.reason_hint', required: true }),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            messages.clear();
            const text = reason.value.trim();
            if (!text)
                return markFieldError(reason, t('tel.emergency.reason_required'));
            const yes = await confirmDialog({
                title: t('tel.emergency.close_title'),
                message: t('tel.emergency.close_confirm', { reason: text }),
                confirmLabel: t('tel.emergency.close'),
                danger: true,
            });
            if (!yes)
                return;
            try {
                await whileBusy(submit, 'common.working', () => api('PUT', '/api/v1/calendar/emergency', { closed: true, reason: text }));
                await load(); /* the closed state says it, as an alert */
            } catch (e) {
                if (!showFieldError(form, e))
                    messages.error(e);
            }
        });
        body.replaceChildren(form);
    }

    function drawClosed(cal) {
        const reopen = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'emergency-reopen' } }, tn('tel.emergency.reopen'));
        reopen.addEventListener('click', async () => {
            messages.clear();
            const yes = await confirmDialog({
                title: t('tel.emergency.reopen_title'),
                message: t('tel.emergency.reopen_confirm'),
                confirmLabel: t('tel.emergency.reopen'),
            });
            if (!yes)
                return;
            try {
                await whileBusy(reopen, 'common.working', () => api('PUT', '/api/v1/calendar/emergency', { closed: false }));
                await load();
                messages.show('success', tn('tel.emergency.reopened_done'));
            } catch (e) {
                messages.error(e);
            }
        });
        body.replaceChildren(
            alertBox('warning', h('strong', {}, tn('tel.emergency.closed_state')), ' ',
                h('span', { dir: 'auto', class: 'emergency-reason' }, (cal.emergency && cal.emergency.reason) || '')),
            h('div', { class: 'actions' }, reopen));
    }

    async function load() {
        try {
            const cal = await api('GET', '/api/v1/calendar');
            const closed = Boolean(cal.emergency && cal.emergency.closed);
            const key = closed ? `closed:${cal.emergency.reason || ''}` : `open:${cal.state}`;
            el.dataset.closed = String(closed);
            if (key === shown)
                return;
            shown = key;
            if (closed)
                drawClosed(cal);
            else
                drawOpen(cal);
        } catch (e) {
            messages.error(e);
        }
    }
    body.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
    return { el, load };
}

/* ---- The section ------------------------------------------------------------ */

export function telephonySection(ctx) {
    stopTelephony();
    const me = ctx.user;
    const isAdmin = me.role === 'admin';
    const messages = messageArea();
    const off = h('div', { id: 'tel-off', hidden: true });
    const stats = h('ul', { class: 'stats', id: 'tel-stats' });
    const queues = h('div', { id: 'tel-queues-body' }, h('p', { class: 'loading' }, tn('common.loading')));
    const agents = h('div', { id: 'tel-agents-body' });
    const calls = h('div', { id: 'tel-calls-body' });
    const log = h('div', { id: 'tel-log-body' }, h('p', { class: 'loading' }, tn('common.loading')));
    const callbacks = h('div', { id: 'tel-callbacks-body' }, h('p', { class: 'loading' }, tn('common.loading')));
    const updated = h('span', { class: 'tel-updated', id: 'tel-updated' });
    const every = h('span', { class: 'tel-every' }, tn('tel.sup.refresh_note'));
    const emergency = isAdmin ? emergencyCard() : null;

    const sub = (id, titleKey, content) => {
        const titleId = uid('tel');
        return h('section', { class: 'tel-part', id, 'aria-labelledby': titleId },
            h('h3', { id: titleId }, tn(titleKey)), content);
    };
    const figures = figuresSection((d) => {
        queueNames = d.queues || [];
        /* the calls drawn before the queues were known show their names now */
        for (const el of calls.querySelectorAll('.tel-queue[data-queue]'))
            el.replaceWith(queueNode(el.dataset.queue));
    });
    figuresStop = figures.stop;
    const live = h('div', { class: 'tel-live', id: 'tel-live' },
        h('div', { class: 'stat-row' }, stats),
        figures.el,
        sub('tel-queues', 'tel.sup.queues', queues),
        sub('tel-agents', 'tel.sup.agents', agents),
        sub('tel-calls', 'tel.sup.calls', calls));
    const logPart = sub('tel-log', 'tel.sup.log', log);
    const callbacksPart = sub('tel-callbacks', 'tel.sup.callbacks', callbacks);
    const el = h('section', { class: 'tel-section', id: 'telephony', 'aria-labelledby': 'telephony-title', dataset: { state: 'loading' } },
        h('div', { class: 'tel-head' },
            h('h2', { class: 'section-title', id: 'telephony-title' }, tn('tel.sup.title')),
            h('p', { class: 'hint tel-refresh' }, liveIndicator({ id: 'tel-live-state' }), ' ', every, ' ', updated)),
        emergency ? emergency.el : null,
        messages.el,
        off,
        live,
        logPart,
        callbacksPart);

    let geo = null;
    let names = null; /* user id -> display name (administrators) */

    function agentName(id, name) {
        if (id === null || id === undefined)
            return muted();
        if (name)
            return h('span', { dir: 'auto' }, name);
        if (id === me.id)
            return h('span', { dir: 'auto' }, me.display_name);
        if (names && names.has(id))
            return h('span', { dir: 'auto' }, names.get(id));
        return h('span', { class: 'tel-user-id' }, t('cases.event.user', { id }));
    }

    function drawStatus(s) {
        const waiting = Object.values(s.queues || {}).reduce((n, q) => n + (q.waiting || 0), 0);
        const free = (s.agents || []).filter((a) => a.state === 'available').length;
        stats.replaceChildren(
            stat('calls_active', s.calls_active || 0, t('tel.sup.stat.calls')),
            stat('waiting', waiting, t('tel.sup.stat.waiting'), waiting ? 'warning' : null),
            stat('available', free, t('tel.sup.stat.available'), 'ok'),
            stat('phones', s.phones_registered || 0, t('tel.sup.stat.phones')));
        /* one column per language: the languages' queues side by side */
        const q = (code) => (s.queues || {})[code] || { waiting: 0, oldest_seconds: 0 };
        queues.replaceChildren(h('div', { class: 'table-wrap' },
            h('table', { class: 'data-table data-table-dense tel-table tel-queues', id: 'tel-queues-table' },
                h('caption', { class: 'visually-hidden' }, tn('tel.sup.queues_caption')),
                h('thead', {}, h('tr', {}, h('td', {}), LANGUAGES.map((l) => h('th', { scope: 'col', lang: l.code, dataset: { lang: l.code } }, l.name)))),
                h('tbody', {},
                    h('tr', { dataset: { row: 'waiting' } }, h('th', { scope: 'row' }, tn('tel.col.waiting')),
                        LANGUAGES.map((l) => h('td', { dataset: { label: l.name, lang: l.code, waiting: String(q(l.code).waiting) } },
                            h('span', { class: q(l.code).waiting ? 'tel-waiting' : 'muted' }, formatNumber(q(l.code).waiting))))),
                    h('tr', { dataset: { row: 'oldest' } }, h('th', { scope: 'row' }, tn('tel.col.oldest')),
                        LANGUAGES.map((l) => h('td', { dataset: { label: l.name, lang: l.code } },
                            q(l.code).waiting ? clockNode(q(l.code).oldest_seconds) : muted())))))));
        agents.replaceChildren(table({
            id: 'tel-agents-table',
            caption: 'tel.sup.agents_caption',
            cols: ['tel.col.agent', 'tel.col.state', 'tel.col.reason', 'tel.col.languages', 'tel.col.since', 'tel.col.phone', 'tel.col.actions'],
            empty: 'tel.sup.no_agents',
            rows: (s.agents || []).map((a) => ({
                data: { user: String(a.user_id), state: a.state, registered: String(Boolean(a.registered)) },
                wrap: [0, 3],
                cells: [
                    agentName(a.user_id, a.display_name),
                    [stateBadge(a.state), a.call ? [' ', h('span', { class: 'tel-agent-call' }, t('tel.bar.call', { id: a.call }))] : null],
                    a.reason ? h('span', { dataset: { reason: a.reason } }, reasonName(a.reason)) : muted(),
                    skillsNode(a.skills),
                    clockNode(a.since_seconds),
                    a.registered
                        ? h('span', { class: 'badge badge-ok' }, tn('tel.sup.registered'))
                        : h('span', { class: 'badge badge-warning' }, tn('tel.sup.not_registered')),
                    a.state !== 'offline' ? agentActions(a) : muted(),
                ],
            })),
        }));
        calls.replaceChildren(table({
            id: 'tel-calls-table',
            caption: 'tel.sup.calls_caption',
            cols: ['tel.col.call', 'tel.col.country', 'tel.col.language', 'tel.col.stage', 'tel.col.queue', 'tel.col.node', 'tel.col.duration', 'tel.col.actions'],
            empty: 'tel.sup.no_calls',
            rows: (s.calls || []).map((c) => ({
                data: { call: String(c.id), state: c.state, queue: c.queue || '' },
                cells: [
                    h('span', { class: 'nowrap' }, t('tel.bar.call', { id: c.id })),
                    countryNode(geo, c.country),
                    languageNode(c.language),
                    h('span', { class: `tel-stage tel-stage-${c.state}` }, callStageName(c.state)),
                    c.queue ? queueNode(c.queue) : muted(),
                    c.node ? h('code', { dir: 'ltr' }, c.node) : muted(),
                    clockNode(c.seconds),
                    c.state === 'bridged' && c.agent && c.agent !== me.id ? callActions(c)
                        : c.state === 'queued' && c.queue ? waitingActions(c) : muted(),
                ],
            })),
        }));
    }

    /* ---- the supervisor's actions (the API audits each) ---- */
    let queueNames = []; /* for "move to another queue", from the figures */
    function done(key, r) {
        messages.show('success', t(r && r.applied === false ? 'tel.act.accepted' : key));
    }
    async function act(button, fn, key) {
        try {
            button.disabled = true;
            done(key, await fn());
        } catch (e) {
            messages.show('error', errorText(e));
        } finally {
            button.disabled = false;
        }
    }
    function agentActions(a) {
        const b = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'agent', user: String(a.user_id) } }, tn('tel.act.agent'));
        b.addEventListener('click', async () => {
            await loadPauseReasons().catch(() => null);
            const reason = h('select', { id: uid('reason'), dataset: { field: 'reason' } },
                PAUSE_REASONS.map((r) => h('option', { value: r }, reasonName(r))));
            const pause = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'pause' } }, tn('tel.act.pause'));
            const logout = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'logout' } }, tn('tel.act.logout'));
            const d = openDialog({
                title: t('tel.act.agent_title', { name: a.display_name || t('cases.event.user', { id: a.user_id }) }),
                content: [field({ label: 'tel.col.reason', control: reason }), h('p', { class: 'hint' }, tn('tel.act.on_call_note')),
                    h('div', { class: 'actions' }, pause, logout)],
            });
            const put = (body) => api('PUT', `/api/v1/tel/agents/${a.user_id}/state`, body);
            pause.addEventListener('click', () => act(pause, () => put({ state: 'paused', reason: reason.value }), 'tel.act.paused').then(d.close));
            logout.addEventListener('click', () => act(logout, () => put({ state: 'offline' }), 'tel.act.logged_out').then(d.close));
        });
        return b;
    }
    /* A queue by its language and service, as the figures name them. */
    function queueLabel(q) {
        return `${languageName(q.language)} · ${serviceName(q.service)}`;
    }
    function queueNode(name) {
        const q = queueNames.find((x) => x.queue === name);
        return h('span', { class: 'tel-queue', dataset: { queue: name } }, q ? queueLabel(q) : h('code', { dir: 'ltr' }, name));
    }
    /* A waiting caller (or one whose agent's phone rings) to another queue:
     * they keep their place by arrival (POST .../move, audited). */
    function waitingActions(c) {
        const move = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'move-waiting', call: String(c.id) } }, tn('tel.act.move'));
        move.addEventListener('click', () => {
            const targets = queueNames.filter((q) => q.queue !== c.queue);
            const select = h('select', { id: uid('queue'), dataset: { field: 'queue' } },
                targets.map((q) => h('option', { value: q.queue }, queueLabel(q))));
            const go = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'move-waiting-go' }, disabled: !targets.length }, tn('tel.act.move_go'));
            const d = openDialog({
                title: t('tel.act.move_waiting_title', { id: c.id }),
                content: [h('p', {}, tn('tel.act.move_waiting_from'), ' ', queueNode(c.queue)),
                    field({ label: 'tel.act.queue', control: select }), h('p', { class: 'hint' }, tn('tel.act.move_waiting_note')),
                    h('div', { class: 'actions' }, go)],
            });
            go.addEventListener('click', () => act(go, () => api('POST', `/api/v1/tel/calls/${c.id}/move`, { queue: select.value }), 'tel.act.moved_waiting').then(d.close));
        });
        return h('span', { class: 'tel-actions' }, move);
    }
    function callActions(c) {
        const mode = (m) => {
            const b = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: m, call: String(c.id) }, title: t('tel.act.from_phone') }, tn(`tel.act.${m}`));
            b.addEventListener('click', () => act(b, () => api('PUT', `/api/v1/tel/calls/${c.id}/supervision`, { mode: m }), `tel.act.${m}_done`));
            return b;
        };
        const move = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'move', call: String(c.id) } }, tn('tel.act.move'));
        move.addEventListener('click', () => {
            const select = h('select', { id: uid('queue'), dataset: { field: 'queue' } },
                queueNames.map((q) => h('option', { value: q.queue }, queueLabel(q))));
            const go = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'move-go' } }, tn('tel.act.move'));
            const d = openDialog({
                title: t('tel.act.move_title', { id: c.id }),
                content: [field({ label: 'tel.act.queue', control: select }), h('p', { class: 'hint' }, tn('tel.act.move_note')),
                    h('div', { class: 'actions' }, go)],
            });
            go.addEventListener('click', () => act(go, () => api('POST', `/api/v1/tel/calls/${c.id}/transfer`, { queue: select.value }), 'tel.act.moved').then(d.close));
        });
        return h('span', { class: 'tel-actions' }, mode('listen'), ' ', mode('whisper'), ' ', mode('barge'), ' ', mode('off'), ' ', move);
    }

    /* Recordings being listened to survive the 5-second redraws. */
    const players = new Map();
    function listenNode(c) {
        if (!c.recorded)
            return null;
        if (players.has(c.id))
            return players.get(c.id);
        const b = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'listen', call: String(c.id) },
            title: t('tel.sup.listen_audited') }, tn('tel.sup.listen'));
        b.addEventListener('click', () => {
            /* the server writes the listening to the audit trail */
            const a = h('audio', { controls: true, preload: 'auto', src: `/api/v1/tel/calls/${c.id}/recording`,
                dataset: { call: String(c.id) } });
            players.set(c.id, a);
            b.replaceWith(a);
            a.play().catch(() => { /* the browser may want a second click */ });
        });
        return b;
    }

    function drawLog(items) {
        log.replaceChildren(table({
            id: 'tel-log-table',
            caption: 'tel.sup.log_caption',
            cols: ['tel.col.started', 'tel.col.country', 'tel.col.language', 'tel.col.outcome', 'tel.col.path', 'tel.col.agent', 'tel.col.waited', 'tel.col.talked'],
            empty: 'tel.sup.no_log',
            rows: items.map((c) => ({
                data: { id: String(c.id), outcome: c.outcome },
                wrap: [4, 5],
                cells: [
                    whenNode(c.started_at),
                    countryNode(geo, c.country),
                    languageNode(c.language),
                    [outcomeBadge(c.outcome), c.recorded ? [' ', h('span', { class: 'badge badge-info' }, tn('tel.sup.recorded')), ' ', listenNode(c)] : null],
                    pathNode(c.path),
                    agentName(c.agent_user),
                    clockNode(seconds(c.waited_ms)),
                    c.talked_ms ? clockNode(seconds(c.talked_ms)) : muted(),
                ],
            })),
        }));
    }

    function drawCallbacks(items) {
        callbacks.replaceChildren(table({
            id: 'tel-callbacks-table',
            caption: 'tel.sup.callbacks_caption',
            cols: ['tel.col.requested', 'tel.col.country', 'tel.col.language', 'tel.col.did', 'tel.col.status'],
            empty: 'tel.sup.no_callbacks',
            rows: items.map((c) => ({
                data: { id: String(c.id), status: c.status },
                cells: [
                    whenNode(c.created_at),
                    countryNode(geo, c.country),
                    languageNode(c.language),
                    h('bdi', { dir: 'ltr' }, c.did || '—'),
                    h('span', { class: 'badge badge-warning' }, c.status === 'pending' ? tn('tel.sup.callback_pending') : c.status),
                ],
            })),
        }));
    }

    async function loadRecords() {
        const [calls_, cbs] = await Promise.allSettled([
            api('GET', withQuery('/api/v1/tel/calls', { limit: LOG_LIMIT })),
            api('GET', withQuery('/api/v1/tel/callbacks', { limit: CALLBACK_LIMIT })),
        ]);
        if (calls_.status === 'fulfilled')
            drawLog(calls_.value.items || []);
        if (cbs.status === 'fulfilled')
            drawCallbacks(cbs.value.items || []);
    }

    function stamp(key) {
        every.replaceChildren(tn(key));
        updated.replaceChildren(tn('tel.sup.updated', { time: new Intl.DateTimeFormat(languageInfo().locale, { timeStyle: 'medium' }).format(new Date()) }));
    }

    /* The records stored (call rows, callback requests): when the count
     * changes, the call log and the callbacks have changed. */
    let records = null;
    let mine = null; /* this section's poller */
    function onStatus(s) {
        if (seen && !el.isConnected) {
            stopTelephony();
            return;
        }
        for (const a of s.agents || [])
            if (a.display_name)
                (names = names || new Map()).set(a.user_id, a.display_name);
        el.dataset.state = 'on';
        off.hidden = true;
        live.hidden = false;
        drawStatus(s);
        if (records !== null && s.records !== records)
            loadRecords();
        records = s.records;
        stamp('tel.sup.live_note');
    }

    async function refresh() {
        if (!geo)
            geo = await loadGeo().catch(() => null);
        if (isAdmin && !names) {
            try {
                names = new Map(((await api('GET', '/api/v1/users')).users || []).map((u) => [u.id, u.display_name]));
            } catch (e) {
                names = new Map();
            }
        }
        const [status, calls_, cbs] = await Promise.allSettled([
            api('GET', '/api/v1/tel/status'),
            api('GET', withQuery('/api/v1/tel/calls', { limit: LOG_LIMIT })),
            api('GET', withQuery('/api/v1/tel/callbacks', { limit: CALLBACK_LIMIT })),
            emergency ? emergency.load() : null,
        ]);
        if (!el.isConnected && seen)
            return REFRESH_MS;
        messages.clear();
        let next = REFRESH_MS;
        const problems = [];
        if (status.status === 'fulfilled') {
            /* the status names the agents: the call log can use them too */
            for (const a of status.value.agents || [])
                if (a.display_name)
                    (names = names || new Map()).set(a.user_id, a.display_name);
            el.dataset.state = 'on';
            off.hidden = true;
            live.hidden = false;
            figures.start();
            drawStatus(status.value);
        } else if (isTelOff(status.reason)) {
            figures.stop();
            el.dataset.state = 'off';
            off.replaceChildren(alertBox('info', tn('tel.sup.off')));
            off.hidden = false;
            live.hidden = true;
            next = OFF_REFRESH_MS;
        } else {
            problems.push(status.reason);
        }
        /* with the telephony off, empty records are not worth a table */
        const quiet = el.dataset.state === 'off';
        if (calls_.status === 'fulfilled') {
            drawLog(calls_.value.items || []);
            logPart.hidden = quiet && !(calls_.value.items || []).length;
        } else {
            problems.push(calls_.reason);
        }
        if (cbs.status === 'fulfilled') {
            drawCallbacks(cbs.value.items || []);
            callbacksPart.hidden = quiet && !(cbs.value.items || []).length;
        } else {
            problems.push(cbs.reason);
        }
        if (problems.length) {
            messages.show('error', errorText(problems[0]));
            next = ERROR_REFRESH_MS;
        }
        stamp(next === OFF_REFRESH_MS ? 'tel.sup.refresh_off' : 'tel.sup.refresh_note');
        if (status.status === 'fulfilled') {
            records = status.value.records;
            /* the telephony runs: its events take over from here */
            if (!unfollow)
                unfollow = subscribe('status', onStatus);
            if (liveState() === 'live' && mine)
                mine.stop();
        }
        return next;
    }

    /* The section is drawn before the app puts it on the page: the poller
     * lives while it is there (or for its first seconds). */
    const born = Date.now();
    let seen = false;
    current = poller(refresh, {
        alive: () => {
            if (el.isConnected)
                seen = true;
            return el.isConnected || (!seen && Date.now() - born < 15_000);
        },
    });
    const poll = current;
    mine = poll;
    const stopWatching = onLiveState((st) => {
        if (current !== poll || (seen && !el.isConnected)) {
            stopWatching();
            return;
        }
        if (st === 'live')
            poll.stop();
        else if (unfollow)
            poll.start(); /* not live: ask, until it is again */
    });
    current.start();
    return el;
}
