/*
 * The server's live events (GET /api/v1/stream, server-sent events): one
 * EventSource for the page, shared by the phone bar and the supervision's
 * live section, open while someone listens. The browser reconnects by itself
 * after a cut (sending Last-Event-ID, so nothing is missed); a refused
 * stream (telephony off, session gone, too many streams) is tried again
 * with a growing delay. While the stream is not live, the pages fall back to
 * asking the server themselves (onLiveState).
 */
import { h } from './dom.js';
import { tn } from './i18n.js';

const URL_STREAM = '/api/v1/stream';
const RETRY_MS = [3000, 10_000, 30_000, 60_000]; /* after a refusal, growing */

let source = null;
let state = 'off'; /* off | connecting | live | reconnecting */
let failures = 0;
let retryTimer = null;
const listeners = new Map(); /* event name -> Set of handlers */
const stateListeners = new Set();
const indicators = new Set();

function setState(s) {
    if (s === state)
        return;
    state = s;
    for (const el of indicators)
        drawIndicator(el);
    for (const fn of [...stateListeners])
        fn(s);
}

function wanted() {
    for (const set of listeners.values())
        if (set.size)
            return true;
    return false;
}

function dispatch(name, ev) {
    let data;
    try {
        data = JSON.parse(ev.data);
    } catch (e) {
        console.error('live: an event that is not JSON', name, ev.data);
        return;
    }
    for (const fn of [...(listeners.get(name) || [])])
        fn(data);
}

function open() {
    clearTimeout(retryTimer);
    retryTimer = null;
    /* without EventSource the pages go on asking (their fallback) */
    if (source || !wanted() || typeof EventSource === 'undefined')
        return;
    setState(state === 'off' ? 'connecting' : 'reconnecting');
    /* the wallboard's figures come only to a page that listens for them */
    const es = new EventSource(listeners.has('supervision') ? `${URL_STREAM}?topics=supervision` : URL_STREAM);
    source = es;
    for (const name of listeners.keys())
        es.addEventListener(name, (ev) => dispatch(name, ev));
    es.onopen = () => {
        failures = 0;
        setState('live');
    };
    es.onerror = () => {
        if (source !== es)
            return;
        if (es.readyState === EventSource.CONNECTING) {
            /* a cut: the browser reconnects by itself */
            setState('reconnecting');
            return;
        }
        /* refused: the browser gave up; so many tries later, another */
        es.close();
        source = null;
        setState('reconnecting');
        const wait = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)];
        failures += 1;
        retryTimer = setTimeout(open, wait);
    };
}

function close() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (source)
        source.close();
    source = null;
    failures = 0;
    setState('off');
}

/* Calls fn(data) for every event of this name; returns the unsubscribe. A
 * new event name takes a new connection (the stream starts again from the
 * current state, which each listener then gets). */
export function subscribe(name, fn) {
    let set = listeners.get(name);
    const fresh = !set;
    if (!set)
        listeners.set(name, (set = new Set()));
    set.add(fn);
    if (fresh && source) {
        source.close();
        source = null;
    }
    open();
    return () => {
        set.delete(fn);
        if (!set.size && listeners.get(name) === set)
            listeners.delete(name);
        if (!wanted())
            close();
    };
}

/* fn(state) at every change: connecting, live, reconnecting, off. */
export function onLiveState(fn) {
    stateListeners.add(fn);
    return () => stateListeners.delete(fn);
}

export function liveState() {
    return state;
}

function drawIndicator(el) {
    /* an indicator that was on the page and left it is forgotten */
    if (el.isConnected)
        el.dataset.seen = '1';
    else if (el.dataset.seen)
        indicators.delete(el);
    el.dataset.live = state;
    el.hidden = state === 'off';
    const key = state === 'live' ? 'live.on' : state === 'connecting' ? 'live.connecting' : 'live.reconnecting';
    el.replaceChildren(h('span', { class: 'live-dot', 'aria-hidden': 'true' }), tn(key));
}

/* A small "live / reconnecting" badge that follows the stream (forgotten
 * at the first change after it left the page). */
export function liveIndicator(attrs = {}) {
    const el = h('span', { class: 'live-indicator', role: 'status', ...attrs });
    indicators.add(el);
    drawIndicator(el);
    return el;
}

/* At logout: no request of this user may reach the server after. */
export function stopLive() {
    listeners.clear();
    close();
}
