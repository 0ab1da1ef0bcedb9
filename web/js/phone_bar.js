/*
 * The phone bar under the header, for agents and supervisors (the roles with
 * a desk phone): whether the phone is registered (and as which SIP user),
 * the state in the queues with a running clock, and the buttons to become
 * available, pause with a reason or log out of the queues. During a call it
 * shows the call's number and a "New case" shortcut in the caller's
 * language. The state comes as live events (live.js) once the first answer
 * says there is a phone; while the stream is not live (connecting again,
 * refused) it asks the server every few seconds instead. When the telephony
 * is off or the user has no phone it says so quietly and asks far less often.
 */
import { api } from './api.js';
import { h } from './dom.js';
import { language, t, tn } from './i18n.js';
import { callerLanguage } from './guide.js';
import * as session from './session.js';
import { errorText } from './ui.js';
import { liveIndicator, liveState, onLiveState, subscribe } from './live.js';
import { showAgentState, showCaller } from './pages/desk.js';
import { PAUSE_REASONS, clock, isTelOff, languagesNode, loadPauseReasons, poller, reasonName, stateBadge, stateName } from './tel.js';

const POLL_MS = 3000;
const OFF_MS = 60_000; /* telephony off: nothing will change soon */
const NO_PHONE_MS = 30_000;
const ERROR_MS = 10_000;
const PHONE_ROLES = new Set(['agent', 'supervisor']);
const ON_CALL = new Set(['ringing', 'busy']);

let root = null; /* the <section id="phone-bar"> of index.html */
let userId = null; /* whose bar is shown */
let built = null; /* the controls, built once per language */
let data = null; /* the last answer of GET /api/v1/me/phone */
let fetchedAt = 0; /* performance.now() of that answer */
let mode = 'loading'; /* loading | on | off | no_phone | error */
let problem = null; /* the last error, for mode "error" */
let controller = null;
let ticker = null;
let announced = null; /* the state last told to screen readers */
let unsubscribe = null; /* from the agent's live events */

const poll = poller(refresh, { alive: () => userId !== null });

/* Live, the events carry the state: no asking. Not live: asking again. */
onLiveState((s) => {
    if (userId === null || !unsubscribe)
        return;
    if (s === 'live')
        poll.stop();
    else
        poll.start();
});

function onAgentEvent(d) {
    if (userId !== null && d.user_id === userId)
        accept(d);
}

function follow(on) {
    if (on && !unsubscribe)
        unsubscribe = subscribe('agent', onAgentEvent);
    else if (!on && unsubscribe) {
        unsubscribe();
        unsubscribe = null;
    }
}

/* The clock does not run for a hidden page; the next answer starts it again. */
document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
        clearInterval(ticker);
        ticker = null;
    }
});
/* The desk's "Ready" changed the state: the bar shows the answer at once. */
window.addEventListener('wasl:agent-state', (ev) => {
    if (userId !== null && ev.detail && ev.detail.user_id === userId)
        accept(ev.detail);
});
session.onSessionChange((u) => {
    if (!u)
        stopPhoneBar();
});

/* The bar follows the user: shown for agents and supervisors, on every page
 * but the login and a forced password change. */
export function updatePhoneBar(u, route) {
    if (!root)
        root = document.getElementById('phone-bar');
    if (!root)
        return;
    const wanted = Boolean(u && PHONE_ROLES.has(u.role) && !u.must_change_password && route !== 'login');
    if (!wanted) {
        stopPhoneBar();
        return;
    }
    if (userId !== u.id) {
        stopPhoneBar();
        userId = u.id;
        mode = 'loading';
    }
    if (!built || built.lang !== language())
        build();
    if (!PAUSE_REASONS.length)
        loadPauseReasons().then(() => {
            if (built && userId !== null) { /* the reasons came: the list is made again */
                build();
                draw();
            }
        }).catch(() => {});
    draw();
    root.hidden = false;
    poll.start();
}

/* Before logging out: no request of this user may reach the server after. */
export function stopPhoneBar() {
    ring(false);
    showAgentState(null);
    follow(false);
    poll.stop();
    if (controller)
        controller.abort();
    controller = null;
    clearInterval(ticker);
    ticker = null;
    userId = null;
    data = null;
    announced = null;
    mode = 'loading';
    if (root) {
        root.hidden = true;
        root.replaceChildren();
        delete root.dataset.mode;
        delete root.dataset.state;
    }
    built = null;
}

async function refresh() {
    const me = userId;
    controller = new AbortController();
    try {
        const d = await api('GET', '/api/v1/me/phone', undefined, { signal: controller.signal });
        if (me !== userId)
            return POLL_MS;
        accept(d);
    } catch (e) {
        if (e.code === 'aborted' || me !== userId)
            return POLL_MS;
        if (isTelOff(e)) {
            mode = 'off';
            data = null;
            follow(false);
        } else if (e.code === 'tel.no_phone') {
            mode = 'no_phone';
            data = null;
            follow(false);
        } else {
            mode = 'error';
            problem = e;
        }
        draw();
    } finally {
        controller = null;
    }
    if (mode === 'on' && liveState() === 'live')
        poll.stop(); /* the events take over */
    if (mode === 'off')
        return OFF_MS;
    if (mode === 'no_phone')
        return NO_PHONE_MS;
    return mode === 'error' ? ERROR_MS : POLL_MS;
}

/* ---- an offered call: ring, tell, show the caller ---- */

let popped = 0; /* the call whose caller the desk was given */
let ringer = null; /* {ctx, timer} while the phone rings */

/* A soft two-tone ring in the page while the agent's phone rings (the
 * headset may be off); stops as soon as the state changes. */
function ring(on) {
    if (!on) {
        if (ringer) {
            clearInterval(ringer.timer);
            ringer.ctx.close().catch(() => {});
            ringer = null;
        }
        return;
    }
    if (ringer || !window.AudioContext)
        return;
    const ctx = new AudioContext();
    const burst = () => {
        for (const [f, at] of [[440, 0], [480, 0]]) {
            const o = ctx.createOscillator();
            const g = ctx.createGain();
            o.frequency.value = f;
            g.gain.value = 0.04;
            o.connect(g).connect(ctx.destination);
            o.start(ctx.currentTime + at);
            o.stop(ctx.currentTime + at + 1.2);
        }
    };
    burst();
    ringer = { ctx, timer: setInterval(burst, 4000) };
}

function offered(d) {
    ring(d.state === 'ringing');
    if (!d.call || d.call === popped || !d.caller)
        return;
    popped = d.call;
    const c = d.caller;
    if (d.state === 'ringing' && window.Notification && Notification.permission === 'granted' && document.hidden) {
        const n = new Notification(t('phone.incoming_title'), {
            body: t('phone.incoming_body', { who: c.phone || t('phone.withheld'), lang: d.call_language || '' }),
            tag: `wasl-call-${d.call}`,
        });
        n.onclick = () => {
            window.focus();
            n.close();
        };
    }
    if (c.phone)
        showCaller({ phone: c.phone, language: d.call_language || '', country: d.call_country || '', waited: c.waited_seconds,
            ivrPath: c.ivr_path, reference: c.reference || '', callId: String(d.call) });
}

function accept(d) {
    data = d;
    fetchedAt = performance.now();
    mode = d.has_phone ? 'on' : 'no_phone';
    follow(mode === 'on');
    offered(d);
    showAgentState(d);
    draw();
}

/* Seconds in the current state, counting on between two answers. */
function since() {
    if (!data)
        return 0;
    return data.since_seconds + Math.floor((performance.now() - fetchedAt) / 1000);
}

async function change(button, body) {
    const me = userId;
    built.error.replaceChildren();
    built.error.hidden = true;
    for (const b of built.buttons)
        b.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
        const d = await api('PUT', '/api/v1/me/state', body);
        if (me === userId)
            accept(d);
    } catch (e) {
        if (me !== userId)
            return;
        if (isTelOff(e) || e.code === 'tel.no_phone') {
            poll.now();
            return;
        }
        built.error.replaceChildren(errorText(e));
        built.error.hidden = false;
        draw();
    } finally {
        button.removeAttribute('aria-busy');
    }
}

/* The controls, made once (redrawing them every few seconds would take the
 * focus away from an agent using the keyboard). */
function build() {
    const reason = h('select', { id: 'phone-reason', name: 'reason', class: 'phone-reason' },
        PAUSE_REASONS.map((r) => h('option', { value: r }, reasonName(r))));
    const available = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'phone-available' } }, tn('tel.bar.available'));
    const pause = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'phone-pause' } }, tn('tel.bar.pause'));
    const offline = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'phone-offline' } }, tn('tel.bar.logout'));
    available.addEventListener('click', () => {
        /* asked on a click (browsers allow it only then): a call offered while
         * the page is hidden is announced by the system */
        if (window.Notification && Notification.permission === 'default')
            Notification.requestPermission().catch(() => {});
        change(available, { state: 'available' });
    });
    pause.addEventListener('click', () => change(pause, { state: 'paused', reason: reason.value }));
    offline.addEventListener('click', () => change(offline, { state: 'offline' }));

    const newCase = h('a', { class: 'btn btn-small btn-primary', href: '#/cases/new', dataset: { action: 'phone-new-case' } }, tn('cases.new.title'));
    newCase.addEventListener('click', () => {
        newCase.href = newCaseHref();
    });

    const b = {
        lang: language(),
        reg: h('span', { class: 'phone-reg', id: 'phone-reg' }),
        state: h('span', { class: 'phone-state', id: 'phone-state' }),
        timer: h('span', { class: 'phone-timer', id: 'phone-timer', role: 'timer', 'aria-label': t('tel.bar.timer') }),
        call: h('span', { class: 'phone-call', id: 'phone-call', hidden: true }),
        callText: h('strong', { class: 'phone-call-no' }),
        newCase,
        langs: h('span', { class: 'phone-langs', id: 'phone-langs' }),
        live: liveIndicator({ id: 'phone-live-state' }),
        actions: h('div', { class: 'phone-actions', role: 'group', 'aria-label': t('tel.bar.actions') },
            available,
            h('span', { class: 'phone-pause' },
                h('label', { for: 'phone-reason', class: 'visually-hidden' }, tn('tel.bar.reason')),
                reason,
                pause),
            offline),
        buttons: [available, pause, offline],
        available, pause, offline, reason,
        note: h('p', { class: 'phone-note', id: 'phone-note' }),
        error: h('p', { class: 'phone-error', id: 'phone-error', role: 'alert', hidden: true }),
        said: h('span', { class: 'visually-hidden', 'aria-live': 'polite', id: 'phone-live' }),
    };
    b.call.append(b.callText, ' ', newCase);
    b.main = h('div', { class: 'phone-main' },
        h('span', { class: 'phone-icon', 'aria-hidden': 'true' }, '☎'),
        b.reg,
        h('span', { class: 'phone-status' }, b.state, ' ', b.timer),
        b.call,
        b.langs,
        b.live);
    built = b;
    root.setAttribute('aria-label', t('tel.bar.label'));
    root.replaceChildren(h('div', { class: 'phone-bar-inner' }, b.main, b.note, b.actions, b.error), b.said);
}

function newCaseHref() {
    /* the language the caller chose in the IVR, else the desk's choice */
    const q = new URLSearchParams({ language: (data && data.call_language) || callerLanguage() });
    if (data && data.call_country)
        q.set('country', data.call_country);
    if (data && data.call)
        q.set('call', String(data.call));
    return `#/cases/new?${q}`;
}

function tick() {
    if (built && data)
        built.timer.textContent = clock(since());
}

function draw() {
    if (!built || !root)
        return;
    const b = built;
    root.dataset.mode = mode;
    const on = mode === 'on' && data;
    b.main.hidden = !on;
    b.actions.hidden = !on;
    b.note.hidden = on;
    clearInterval(ticker);
    ticker = null;
    if (!on) {
        delete root.dataset.state;
        b.error.hidden = true;
        const key = { off: 'tel.bar.off', no_phone: 'tel.bar.no_phone', loading: 'common.loading' }[mode];
        b.note.replaceChildren(h('span', { class: 'phone-icon', 'aria-hidden': 'true' }, '☎'), ' ',
            key ? tn(key) : errorText(problem));
        b.note.className = `phone-note phone-note-${mode}`;
        return;
    }
    const d = data;
    root.dataset.state = d.state;
    root.dataset.registered = String(Boolean(d.registered));
    b.reg.replaceChildren(
        h('span', { class: ['phone-dot', d.registered ? 'phone-dot-ok' : 'phone-dot-off'], 'aria-hidden': 'true' }),
        tn(d.registered ? 'tel.bar.registered' : 'tel.bar.not_registered'), ' ',
        h('bdi', { dir: 'ltr', class: 'phone-sip-user' }, d.sip_user || ''));
    b.reg.dataset.registered = String(Boolean(d.registered));
    if (d.registered && d.contact)
        b.reg.title = d.contact;
    else
        b.reg.removeAttribute('title');
    b.state.replaceChildren(stateBadge(d.state));
    if (d.reason)
        b.state.append(' ', h('span', { class: 'phone-reason-text', dataset: { reason: d.reason } }, reasonName(d.reason)));
    b.timer.textContent = clock(since());
    b.timer.hidden = d.state === 'offline'; /* the server counts no time logged out */
    const onCall = ON_CALL.has(d.state) && d.call;
    b.call.hidden = !onCall;
    if (onCall) {
        b.callText.replaceChildren(tn('tel.bar.call', { id: d.call }));
        b.call.dataset.call = String(d.call);
        b.newCase.href = newCaseHref();
    }
    b.langs.replaceChildren(tn('tel.bar.languages'), ' ', languagesNode(d.languages));
    const busy = ON_CALL.has(d.state);
    b.available.disabled = busy || d.state === 'available';
    b.pause.disabled = busy;
    b.reason.disabled = busy;
    b.offline.disabled = busy || d.state === 'offline';
    if (d.state === 'paused' && d.reason && [...b.reason.options].some((o) => o.value === d.reason) && document.activeElement !== b.reason)
        b.reason.value = d.reason;
    /* tell screen readers when the state changes, not at every answer */
    const said = `${d.state}:${d.call || ''}`;
    if (announced !== null && announced !== said)
        b.said.textContent = onCall ? `${stateName(d.state)} · ${t('tel.bar.call', { id: d.call })}` : stateName(d.state);
    announced = said;
    if (!document.hidden)
        ticker = setInterval(tick, 1000);
}
