/*
 * Shared pieces of the case pages and of the citizens' portal: the declared
 * case types (loaded once per page), the names of types, statuses,
 * priorities, channels, categories and declared fields in the UI language,
 * the deadline and status badges, references spelled in groups, the
 * workflow's next statuses, and error texts that name the field. Nothing
 * here needs a session, so the portal uses it too.
 */
import { ApiError, api } from './api.js';
import { h } from './dom.js';
import { formatDateTime, has, languageInfo, plural, t, tf, tn } from './i18n.js';
import { badge, errorText, markFieldError } from './ui.js';

const typeCache = new Map(); /* path -> promise */

/* The types with their declared fields, categories, priorities and statuses:
 * /api/v1/cases/types for the staff, /api/v1/portal/form for the portal. */
export function loadCaseTypes(path = '/api/v1/cases/types') {
    if (!typeCache.has(path)) {
        typeCache.set(path, api('GET', path).catch((e) => {
            typeCache.delete(path);
            throw e;
        }));
    }
    return typeCache.get(path);
}

export function findType(types, name) {
    return (types.types || []).find((x) => x.name === name) || null;
}

/* ---- Names ------------------------------------------------------------------
 * A value the server adds later and this UI does not know yet shows as
 * ⟦key⟧ (i18n.js), never as an empty cell. */

export const typeName = (name) => t(`cases.type.${name}`);
export const statusName = (s) => t(`cases.status.${s}`);
export const priorityName = (p) => t(`cases.priority.${p}`);
export const channelName = (c) => t(`cases.channel.${c}`);
export const categoryName = (slug) => t(`guide.category.${slug}`);
export const fieldLabel = (name) => t(`cases.field.${name}`);

/* The name of a value of a declared enum field: cases.value.<field>[<value>]
 * (brackets, so a value like "other" is never taken for a plural form). */
export function enumText(field, value) {
    return t(`cases.value.${field}[${value}]`);
}

/* A declared field's value as shown: enum values translated, dates in the
 * UI language, anything else as typed. */
export function fieldValueText(f, value) {
    if (value === null || value === undefined || value === '')
        return '';
    if (f && f.type === 'enum')
        return enumText(f.name, value);
    if (f && f.type === 'date' && /^\d{4}-\d{2}-\d{2}$/.test(value))
        return formatDate(value);
    return String(value);
}

/* A calendar day "2026-12-04" or an API time as a long date in the UI language. */
export function formatDate(value) {
    if (!value)
        return '';
    const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const d = new Date(day ? `${value}T12:00:00Z` : value);
    if (Number.isNaN(d.getTime()))
        return String(value);
    return new Intl.DateTimeFormat(languageInfo().locale, {
        dateStyle: 'long', ...(day ? { timeZone: 'UTC' } : {}),
    }).format(d);
}

/* <time> of an API time, date and hour in the UI language. */
export function timeNode(iso, { dateOnly = false } = {}) {
    if (!iso)
        return h('span', { class: 'muted' }, '—');
    return h('time', { datetime: iso, class: 'nowrap' }, dateOnly ? formatDate(iso) : formatDateTime(iso));
}

/* ---- Badges ---------------------------------------------------------------- */

const DEADLINE_KIND = { ok: 'ok', warning: 'warning', breached: 'danger', paused: 'info', done: 'muted' };
const DEADLINE_MARK = { ok: '✓', warning: '⚠', breached: '✖', paused: '‖', done: '✓' };

/* Where a case stands against its deadline: colour, a mark and words (never
 * colour alone), with the due date in the UI language. */
export function deadlineBadge(deadline) {
    const state = (deadline && deadline.state) || 'ok';
    const due = deadline && deadline.due;
    const date = due && state !== 'done'
        ? [h('span', { class: 'deadline-sep' }, ' · '), h('span', { class: 'deadline-date' }, tf(`cases.deadline.${state}_due`, { date: timeNode(due) }))]
        : null;
    const el = badge(DEADLINE_KIND[state] || 'muted', [
        h('span', { class: 'badge-mark', 'aria-hidden': 'true' }, DEADLINE_MARK[state] || '•'), ' ',
        h('span', { class: 'deadline-state' }, tn(`cases.deadline.${state}`)), date]);
    el.classList.add('badge-deadline');
    el.dataset.deadline = state;
    return el;
}

const STATUS_KIND = {
    new: 'info', open: 'info', waiting_citizen: 'neutral', waiting_consulate: 'neutral', resolved: 'ok', closed: 'muted', merged: 'muted',
};

export function statusBadge(status) {
    const el = badge(STATUS_KIND[status] || 'muted', statusName(status));
    el.classList.add('badge-status');
    el.dataset.status = status;
    return el;
}

/* Normal and low priorities are plain words; high and urgent stand out. */
export function priorityNode(p) {
    if (p === 'urgent' || p === 'high') {
        const el = badge(p === 'urgent' ? 'danger' : 'warning', priorityName(p));
        el.dataset.priority = p;
        return el;
    }
    return h('span', { class: 'priority', dataset: { priority: p } }, priorityName(p));
}

/* ---- References and PINs -----------------------------------------------------
 * "ABC-DEF-GHJ" is read out in its three groups; screen readers get the
 * characters one by one. */

function spelled(text) {
    return String(text).split('-').map((g) => g.split('').join(' ')).join(', ');
}

export function referenceNode(ref, { big = false } = {}) {
    const groups = String(ref || '').split('-');
    return h('span', { class: ['reference', big && 'reference-big'], dir: 'ltr', translate: 'no', dataset: { reference: ref } },
        h('span', { class: 'visually-hidden' }, spelled(ref)),
        h('span', { 'aria-hidden': 'true', class: 'reference-groups' },
            groups.map((g, i) => [i ? h('span', { class: 'reference-sep' }, '-') : null, h('span', { class: 'reference-group' }, g)])));
}

export function pinNode(pin, { big = false } = {}) {
    const s = String(pin || '');
    const groups = s.length === 6 ? [s.slice(0, 3), s.slice(3)] : [s];
    return h('span', { class: ['pin', big && 'pin-big'], dir: 'ltr', translate: 'no', dataset: { pin: s } },
        h('span', { class: 'visually-hidden' }, s.split('').join(' ')),
        h('span', { 'aria-hidden': 'true', class: 'reference-groups' },
            groups.map((g) => h('span', { class: 'reference-group' }, g))));
}

/* ---- The workflow -----------------------------------------------------------
 * The statuses a case may move to (src/cases/workflow.c); reopening a closed
 * case is for the supervision team. */
const NEXT = {
    new: ['open', 'waiting_citizen', 'waiting_consulate', 'resolved', 'closed'],
    open: ['waiting_citizen', 'waiting_consulate', 'resolved'],
    waiting_citizen: ['open', 'waiting_consulate', 'resolved'],
    waiting_consulate: ['open', 'waiting_citizen', 'resolved'],
    resolved: ['closed', 'open'],
    closed: ['open'],
    merged: [],
};

export function nextStatuses(status, role) {
    const next = NEXT[status] || [];
    if (status === 'closed' && role !== 'supervisor' && role !== 'admin')
        return [];
    return next;
}

/* ---- Errors ------------------------------------------------------------------ */

/* The text of an error in the UI language: error.<code>.<field> when there
 * is one (the server's "this is not an e-mail address"), else error.<code>;
 * a lock-out or rate limit says how many minutes to wait. */
export function caseErrorText(err) {
    if (err instanceof ApiError) {
        if (err.field && has(`error.${err.code}.${err.field}`))
            return t(`error.${err.code}.${err.field}`);
        if (err.code === 'cases.too_many_attempts' || err.code === 'rate_limited') {
            const minutes = err.retryAfter ? Math.max(1, Math.ceil(err.retryAfter / 60)) : 0;
            return minutes ? plural('error.cases.too_many_attempts', minutes) : t('error.cases.too_many_attempts_unknown');
        }
    }
    return errorText(err);
}

/* Marks the control of form whose data-field is the error's field with the
 * error's text. Returns true when there was one. */
export function showCaseFieldError(form, err) {
    if (!(err instanceof ApiError) || !err.field)
        return false;
    /* the visible one, when a hidden control has the same name */
    const controls = [...form.querySelectorAll(`[data-field="${CSS.escape(err.field)}"]`)];
    const control = controls.find((c) => !c.closest('[hidden]')) || null;
    if (!control)
        return false;
    markFieldError(control, caseErrorText(err));
    control.closest('.field')?.scrollIntoView({ block: 'center' });
    return true;
}

/* A masked citizen of a list row: "S. B. · +336******19". */
export function maskedCitizen(c) {
    /* a masked number has no letter to take a direction from: it is always left to right */
    const parts = [
        c && c.name ? h('bdi', {}, c.name) : null,
        c && c.phone ? h('bdi', { dir: 'ltr' }, c.phone) : null,
        c && !c.phone && c.email ? h('bdi', { dir: 'ltr' }, c.email) : null,
    ].filter(Boolean);
    if (!parts.length)
        return h('span', { class: 'muted' }, '—');
    return h('span', { class: 'masked' }, parts.map((p, i) => [i ? ' · ' : '', p]));
}
