/*
 * #/agent, the agent's desk: three columns side by side at 1366x768, the
 * caller (the screen pop: number masked, country, language, wait, IVR path,
 * reference keyed, earlier calls; then the call's disposition and note), the
 * caller's cases (and the new case, pre-filled from the caller and the open
 * guide article), and the guide (search and the article read). The telephony
 * pushes an offered call through desk.showCaller(); until then the agent
 * enters the number. After the call, the wrap-up counts down (the
 * phone bar passes the agent's state through desk.showAgentState()) and
 * "Ready" ends it early. The head shows one's own figures for the day.
 * Frequent actions have keyboard shortcuts (Alt+key, "?" opens the list),
 * listed in the help under the title.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { consulateSelect, countryName, loadGeo } from '../geo.js';
import { callerLanguage, categoryName, dirOf, setCallerLanguage } from '../guide.js';
import { LANGUAGES, language, t, tf, tn } from '../i18n.js';
import {
    caseErrorText, enumText, loadCaseTypes, pinNode, referenceNode, showCaseFieldError, statusBadge, typeName,
} from '../cases.js';
import { alertBox, clearFieldErrors, field, messageArea, pageTitle, whileBusy } from '../ui.js';
import { clock, clockNode } from '../tel.js';
import { caseLink } from './case_list.js';
import { searchPanel } from './guide_search.js';
import { deskBriefings } from '../briefings.js';

/* The procedure a dossier follows, from the guide article's category. */
const PROCEDURE_OF = {
    passport: 'passport', 'identity-card': 'cnie', 'civil-status': 'civil-status-act', legalisation: 'legalisation',
    'death-repatriation': 'remains-repatriation', registration: 'consular-registration',
};
const QUICK_TYPES = ['information', 'dossier', 'complaint'];

/* Pending briefings are read again this often while the desk is open (and
 * after each call), so an amendment published meanwhile shows up. */
const BRIEFINGS_REFRESH_MS = 120_000;

/* Shortcuts: Alt + key, so that typing in a field never triggers one. */
const SHORTCUTS = [
    ['c', 'desk.key.caller'], ['g', 'desk.key.guide'], ['n', 'desk.key.new_case'], ['d', 'desk.key.disposition'],
    ['s', 'desk.key.save'], ['k', 'desk.key.cases'], ['h', 'desk.key.hold'], ['r', 'desk.key.ready'],
];

/* What the desk holds for the current call; survives a re-render (the
 * language switch) but not a log-out (the page is drawn anew then). */
const desk = {
    caller: null, /* {phone, language, country, waited, ivrPath, reference, callId} */
    pop: null, /* the screen pop's answer */
    article: null, /* {slug, lang, version, title, category} open in the guide column */
    consulted: [], /* every article opened during the call */
    lastCase: null, /* the case created during the call, with its PIN */
    form: { for: null, disposition: '', note: '', saved: '' }, /* the call's form, kept across a language switch */
};
let view = null; /* the drawn page's update functions */

/* The agent's state as the phone bar last had it (GET /api/v1/me/phone or
 * the live event), and when it came: the wrap-up's countdown runs from it. */
let agent = null;

/* Called by the phone bar with each state it gets. */
export function showAgentState(d) {
    agent = d ? { ...d, at: performance.now() } : null;
    if (view)
        view.agent();
}

/* Whether the call shown is still on (ringing or in conversation): its
 * controls are shown only then. Without a state from the phone bar (the
 * telephony is off, the caller was looked up by hand) the call id decides. */
function callLive(c) {
    if (!c || !c.callId)
        return false;
    if (!agent)
        return true;
    return (agent.state === 'ringing' || agent.state === 'busy') && String(agent.call) === c.callId;
}

/* Seconds of wrap-up left, or null when the agent is not in wrap-up. */
function wrapUpLeft() {
    if (!agent || agent.state !== 'wrap_up' || !agent.wrap_up_seconds)
        return null;
    const elapsed = agent.since_seconds + (performance.now() - agent.at) / 1000;
    return Math.max(0, Math.ceil(agent.wrap_up_seconds - elapsed));
}

/* Entry point for the telephony (and the agent's own look-up): shows a
 * caller. Fields: phone (required), language, country (ISO), waited
 * (seconds), ivrPath (text or list), reference (keyed in the IVR), callId
 * (the telephony's call id, to save the disposition against). */
export function showCaller(c) {
    if (!c || !c.phone)
        return;
    const changed = !desk.caller || desk.caller.callId !== c.callId || desk.caller.phone !== c.phone;
    desk.caller = { ...c };
    if (changed) {
        desk.consulted = [];
        desk.lastCase = null;
        desk.pop = null;
    }
    if (c.language)
        setCallerLanguage(c.language);
    if (view)
        view.caller();
}
window.desk = Object.assign(window.desk || {}, { showCaller, showAgentState });

function durationText(s) {
    if (!Number.isFinite(Number(s)))
        return null;
    const n = Math.round(Number(s));
    return n < 60 ? tf('desk.caller.waited_s', { n }) : tf('desk.caller.waited_min', { m: Math.floor(n / 60), s: n % 60 });
}

function fact(labelKey, value, attrs = {}) {
    if (value === null || value === undefined || value === '')
        return null;
    return [h('dt', {}, tn(labelKey)), h('dd', attrs, value)];
}

function caseItem(c) {
    return h('li', { class: 'desk-case', dataset: { reference: c.reference, status: c.status } },
        caseLink(c), ' ', statusBadge(c.status), c.new_reply ? h('span', { class: 'badge badge-info' }, tn('desk.cases.new_reply')) : null,
        h('div', { class: 'desk-case-subject', dir: 'auto' }, c.subject),
        h('div', { class: 'muted small' }, typeName(c.type), ' · ', categoryName(c.category)));
}

/* ---- the columns ---- */

function callerColumn(ctx, geo, dispositions, messages) {
    const phone = h('input', { type: 'tel', id: 'desk-phone', name: 'phone', dir: 'ltr', autocomplete: 'off', maxlength: '40' });
    const country = h('select', { id: 'desk-country', name: 'country' },
        h('option', { value: '' }, t('desk.caller.country_any')),
        (geo ? geo.countries : []).map((c) => h('option', { value: c.iso2 }, countryName(geo, c.iso2))));
    const lookup = h('form', { class: 'desk-lookup', id: 'desk-lookup', novalidate: true },
        field({ label: 'desk.caller.number', control: phone, name: 'phone' }),
        field({ label: 'desk.caller.country', control: country, name: 'country' }),
        h('button', { type: 'submit', class: 'btn btn-small', dataset: { action: 'desk-lookup' } }, tn('desk.caller.look_up')));
    lookup.addEventListener('submit', (ev) => {
        ev.preventDefault();
        if (!phone.value.trim())
            return;
        const number = phone.value.trim();
        /* the same caller keeps what the telephony said of the call; another number is a look-up of its own */
        const same = desk.caller && desk.caller.phone === number;
        showCaller({ ...(same ? desk.caller : {}), phone: number, country: country.value || (same && desk.caller.country) || '' });
    });

    const facts = h('dl', { class: 'desk-facts', id: 'desk-caller' });

    /* The call in conversation, driven from here: hold, resume, transfer
     * (blind) to another language's queue or to a colleague, consult a
     * colleague while the caller waits (then hand the call over, bring the
     * caller in, or go back to them), hang up (the agent on the call; the
     * phone need not be touched). */
    const answer = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'call-answer' }, hidden: true }, tn('desk.control.answer'));
    const hold = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'call-hold' } }, tn('desk.control.hold'));
    const resume = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'call-resume' }, hidden: true }, tn('desk.control.resume'));
    const queues = h('optgroup', { label: t('desk.control.queues') },
        LANGUAGES.map((l) => h('option', { value: `queue:${l.code}` }, l.name)));
    const colleagues = h('optgroup', { label: t('desk.control.colleagues') });
    const target = h('select', { id: 'desk-transfer-queue', 'aria-label': t('desk.control.transfer_to') }, queues, colleagues);
    const transfer = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'call-transfer' } }, tn('desk.control.transfer'));
    const consult = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'call-consult' }, disabled: true }, tn('desk.control.consult'));
    const hangup = h('button', { type: 'button', class: 'btn btn-small btn-danger', dataset: { action: 'call-hangup' } }, tn('desk.control.hangup'));
    /* a callback that reached a voicemail: wasl's recorded message, and the agent is free */
    const leaveMessage = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'call-message' }, hidden: true }, tn('desk.control.message'));
    const consultState = h('span', { class: 'desk-consult-state', id: 'desk-consult-state', role: 'status' });
    const complete = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'consult-complete' } }, tn('desk.consult.complete'));
    const conference = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'consult-conference' } }, tn('desk.consult.conference_btn'));
    const cancel = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'consult-cancel' } }, tn('desk.consult.cancel'));
    const consulting = h('div', { class: 'desk-consulting', id: 'desk-consulting', hidden: true }, consultState, complete, conference, cancel);
    const controls = h('div', { class: 'desk-controls', id: 'desk-controls', hidden: true, role: 'group', 'aria-label': t('desk.control.label') },
        answer, hold, resume, target, transfer, consult, leaveMessage, hangup, consulting);
    let known = []; /* the colleagues as last listed */
    const nameOf = (id) => (known.find((k) => k.user_id === id) || {}).name || tf('desk.consult.user', { id });
    async function listColleagues() {
        try {
            const d = await api('GET', '/api/v1/tel/colleagues');
            known = d.items;
            const keep = target.value;
            colleagues.replaceChildren(...known.filter((k) => k.transfer || k.consult).map((k) => h('option', {
                value: `agent:${k.user_id}`, dataset: { transfer: String(k.transfer), consult: String(k.consult) },
            }, `${k.name || k.user_id} · ${t(`tel.state.${k.state}`)}`)));
            if ([...target.options].some((o) => o.value === keep))
                target.value = keep;
        } catch (e) {
            colleagues.replaceChildren();
        }
        pickTarget();
    }
    function pickTarget() {
        const o = target.selectedOptions[0];
        const agent = o && o.value.startsWith('agent:');
        transfer.disabled = Boolean(agent && o.dataset.transfer !== 'true');
        consult.disabled = !agent || o.dataset.consult !== 'true';
    }
    target.addEventListener('focus', listColleagues);
    target.addEventListener('change', pickTarget);
    /* The consultation's stage, from the agent's live state. */
    function drawConsult() {
        const cs = agent && agent.consultation;
        const on = Boolean(cs && !cs.consulted);
        /* ringing: only "Answer" (the phone is asked to answer by itself) */
        const ringing = Boolean(agent && agent.state === 'ringing' && desk.caller && String(agent.call) === desk.caller.callId);
        answer.hidden = !ringing;
        leaveMessage.hidden = ringing || on || !(agent && agent.state === 'busy' && agent.caller && agent.caller.callback);
        consulting.hidden = !on;
        for (const b of [hold, resume, target, transfer, consult, hangup])
            b.classList.toggle('is-hidden-consult', on || ringing);
        hangup.classList.toggle('is-hidden-consult', ringing);
        if (!on)
            return;
        consultState.dataset.stage = cs.stage;
        consultState.replaceChildren(tf(`desk.consult.${cs.stage}`, { name: nameOf(cs.with) }));
        complete.disabled = cs.stage === 'ringing';
        conference.disabled = cs.stage !== 'talking';
    }
    async function control(path, body, button) {
        const c = desk.caller;
        if (!c || !c.callId)
            return;
        messages.clear();
        try {
            await whileBusy(button, 'common.working', () => api('POST', `/api/v1/tel/calls/${encodeURIComponent(c.callId)}/${path}`, body));
            if (path === 'control' && body.action !== 'hangup') {
                hold.hidden = body.action === 'hold';
                resume.hidden = body.action !== 'hold';
            }
            controls.dataset.last = body.action || 'transfer';
        } catch (e) {
            messages.show('error', caseErrorText(e));
        }
    }
    hold.addEventListener('click', () => control('control', { action: 'hold' }, hold));
    resume.addEventListener('click', () => control('control', { action: 'resume' }, resume));
    hangup.addEventListener('click', () => control('control', { action: 'hangup' }, hangup));
    answer.addEventListener('click', () => control('control', { action: 'answer' }, answer));
    leaveMessage.addEventListener('click', () => control('control', { action: 'message' }, leaveMessage));
    transfer.addEventListener('click', () => {
        const [kind, v] = target.value.split(':');
        control('transfer', kind === 'agent' ? { agent: Number(v) } : { queue: v }, transfer);
    });
    consult.addEventListener('click', () => control('consultation', { action: 'start', agent: Number(target.value.split(':')[1]) }, consult));
    for (const [b, action] of [[complete, 'complete'], [conference, 'conference'], [cancel, 'cancel']])
        b.addEventListener('click', () => control('consultation', { action }, b));

    /* After the call: the wrap-up's time left, and "Ready" to take the next
     * call at once (PUT /api/v1/me/state available ends a wrap-up early). */
    const wrapLeft = h('span', { id: 'desk-wrapup-left', role: 'timer' });
    const ready = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'desk-ready' } }, tn('desk.wrapup.ready'));
    const wrapUp = h('div', { class: 'desk-wrapup', id: 'desk-wrapup', hidden: true },
        h('span', {}, tn('desk.wrapup.left'), ' ', wrapLeft), ready);
    let wrapTicker = null;
    function drawWrapUp() {
        controls.hidden = !callLive(desk.caller);
        const left = wrapUpLeft();
        wrapUp.hidden = left === null;
        clearInterval(wrapTicker);
        wrapTicker = null;
        if (left === null)
            return;
        const tick = () => {
            const l = wrapUpLeft();
            if (l === null || !wrapUp.isConnected) {
                clearInterval(wrapTicker);
                return;
            }
            wrapLeft.replaceChildren(clockNode(l));
            wrapLeft.dataset.seconds = String(l);
        };
        tick();
        wrapTicker = setInterval(tick, 1000);
    }
    async function goReady() {
        if (wrapUpLeft() === null)
            return;
        messages.clear();
        try {
            const d = await whileBusy(ready, 'common.working', () => api('PUT', '/api/v1/me/state', { state: 'available' }));
            window.dispatchEvent(new CustomEvent('wasl:agent-state', { detail: d }));
        } catch (e) {
            messages.show('error', caseErrorText(e));
        }
    }
    ready.addEventListener('click', goReady);
    function toggleHold() {
        if (controls.hidden)
            return;
        (hold.hidden ? resume : hold).click();
    }
    const calls = h('ul', { class: 'desk-calls', id: 'desk-calls' });

    const disposition = h('select', { id: 'desk-disposition', name: 'disposition' },
        h('option', { value: '' }, t('desk.call.choose')),
        dispositions.map((d) => h('option', { value: d.code }, d.name)));
    const note = h('textarea', { id: 'desk-note', name: 'note', rows: '3', maxlength: '4000', dir: 'auto' });
    const consulted = h('ul', { class: 'desk-consulted', id: 'desk-consulted' });
    const saved = h('p', { class: 'muted small', id: 'desk-call-saved', role: 'status' });
    const save = h('button', { type: 'submit', class: 'btn btn-small btn-primary', dataset: { action: 'desk-save-call' } }, tn('desk.call.save'));
    const callForm = h('form', { class: 'desk-call', id: 'desk-call-form', novalidate: true },
        h('h3', {}, tn('desk.call.title')),
        field({ label: 'desk.call.disposition', control: disposition, name: 'disposition' }),
        field({ label: 'desk.call.note', control: note, name: 'note' }),
        h('p', { class: 'small' }, tn('desk.call.consulted')), consulted,
        save, saved);
    callForm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(callForm);
        const c = desk.caller;
        if (!c || !c.callId) {
            messages.show('warning', t('desk.call.no_call'));
            return;
        }
        if (!disposition.value) {
            messages.show('warning', t('desk.call.choose_first'));
            disposition.focus();
            return;
        }
        await whileBusy(save, 'common.saving', async () => {
            try {
                await saveCall(disposition.value, note.value);
                refreshToday();
                desk.form.saved = disposition.value;
                saved.replaceChildren(tn('desk.call.saved'));
                callForm.dataset.saved = disposition.value;
            } catch (e) {
                if (!showCaseFieldError(callForm, e))
                    messages.show('error', caseErrorText(e));
            }
        });
    });

    disposition.addEventListener('change', () => { desk.form.disposition = disposition.value; });
    note.addEventListener('input', () => { desk.form.note = note.value; });
    function draw() {
        const c = desk.caller;
        phone.value = c ? c.phone : '';
        if (c && c.country)
            country.value = c.country;
        facts.replaceChildren();
        calls.replaceChildren();
        callForm.hidden = !c;
        const key = c ? `${c.callId || ''}\n${c.phone}` : null;
        if (key !== desk.form.for)
            desk.form = { for: key, disposition: '', note: '', saved: '' };
        disposition.value = desk.form.disposition;
        note.value = desk.form.note;
        saved.replaceChildren(desk.form.saved ? tn('desk.call.saved') : '');
        if (desk.form.saved)
            callForm.dataset.saved = desk.form.saved;
        else
            delete callForm.dataset.saved;
        if (!c) {
            controls.hidden = true;
            facts.append(h('p', { class: 'muted' }, tn('desk.caller.none')));
            return;
        }
        controls.hidden = !callLive(c);
        hold.hidden = false;
        resume.hidden = true;
        target.value = c.language && c.language !== 'fr' ? 'fr' : 'ar';
        const path = Array.isArray(c.ivrPath) ? c.ivrPath.join(' › ') : c.ivrPath;
        facts.dataset.phone = c.phone;
        facts.append(...[
            fact('desk.caller.number', (desk.pop && desk.pop.phone) || '…', { dir: 'ltr', id: 'desk-caller-phone' }),
            fact('desk.caller.country', c.country && geo ? countryName(geo, c.country) : c.country),
            fact('desk.caller.language', c.language ? LANGUAGES.find((l) => l.code === c.language)?.name : null, { id: 'desk-caller-lang' }),
            fact('desk.caller.waited', c.waited !== undefined ? durationText(c.waited) : null),
            fact('desk.caller.ivr', path, { dir: 'auto' }),
            fact('desk.caller.reference', c.reference ? h('a', { href: `#/cases/view?ref=${encodeURIComponent(c.reference)}` }, referenceNode(c.reference)) : null),
        ].flat().filter(Boolean));
        const list = (desk.pop && desk.pop.calls) || [];
        const names = new Map(dispositions.map((d) => [d.code, d.name]));
        calls.replaceChildren(...list.map((x) => h('li', { dataset: { call: x.call_id } },
            h('time', { datetime: x.created_at }, new Date(x.created_at).toLocaleDateString(language())), ' · ',
            names.get(x.disposition) || x.disposition, x.reference ? [' · ', h('bdi', { dir: 'ltr', class: 'nowrap' }, x.reference)] : null,
            x.logged ? h('div', { class: 'muted small' }, tf('desk.caller.call_times', {
                waited: durationText(x.logged.waited_ms / 1000), talked: durationText(x.logged.talked_ms / 1000),
            })) : null)));
        if (desk.pop && !list.length)
            calls.append(h('li', { class: 'muted' }, tn('desk.caller.no_calls')));
        drawConsulted();
    }

    function drawConsulted() {
        consulted.replaceChildren(...desk.consulted.map((a) => h('li', { dataset: { slug: a.slug, version: String(a.version) } },
            h('span', { dir: 'auto' }, a.title), ' ', h('span', { class: 'muted small' }, tf('desk.call.version', { n: a.version, lang: a.lang })))));
        if (!desk.consulted.length)
            consulted.append(h('li', { class: 'muted' }, tn('desk.call.consulted_none')));
    }

    const el = h('section', { class: 'desk-col desk-col-caller', 'aria-labelledby': 'desk-caller-title' },
        h('h2', { id: 'desk-caller-title' }, tn('desk.caller.title')),
        lookup, facts, controls, wrapUp,
        h('h3', {}, tn('desk.caller.calls')), calls,
        callForm);
    return {
        el, draw, drawConsulted, drawWrapUp, drawConsult, toggleHold, ready: goReady,
        focusPhone: () => phone.focus(), focusDisposition: () => disposition.focus(), save: () => callForm.requestSubmit(),
    };
}

/* Saves the disposition of the call shown, with the articles consulted. */
async function saveCall(code, note, reference = null) {
    const c = desk.caller;
    const body = {
        disposition: code, note: note || null, phone: c.phone, country: c.country || null, language: c.language || null,
        articles: desk.consulted.map(({ slug, lang, version }) => ({ slug, lang, version })),
        reference: reference || (desk.lastCase && desk.lastCase.reference) || c.reference || null,
    };
    return api('PUT', `/api/v1/desk/calls/${encodeURIComponent(c.callId)}`, body);
}

function casesColumn(ctx, geo, types, dispositions, messages) {
    const open = h('ul', { class: 'desk-cases', id: 'desk-open-cases' });
    const recent = h('ul', { class: 'desk-cases', id: 'desk-recent-cases' });
    const created = h('div', { id: 'desk-created' });
    const formSlot = h('div', { id: 'desk-new-slot' });
    const newButton = h('button', { type: 'button', class: 'btn btn-primary btn-small', dataset: { action: 'desk-new-case' } }, tn('desk.new.button'));
    newButton.addEventListener('click', () => openForm());

    function drawCreated() {
        const made = desk.lastCase;
        if (!made) {
            created.replaceChildren();
            delete created.dataset.reference;
            return;
        }
        created.replaceChildren(alertBox('success',
            h('p', {}, tn('desk.new.created'), ' ', h('a', { href: `#/cases/view?ref=${encodeURIComponent(made.reference)}`, class: 'desk-created-ref' }, referenceNode(made.reference))),
            h('p', {}, tn('desk.new.pin'), ' ', pinNode(made.pin, { big: true }))));
        created.dataset.reference = made.reference;
    }

    function draw() {
        drawCreated();
        const pop = desk.pop;
        open.replaceChildren(...((pop && pop.open_cases) || []).map(caseItem));
        recent.replaceChildren(...((pop && pop.recent_cases) || []).map(caseItem));
        if (pop) {
            if (!pop.open_cases.length)
                open.append(h('li', { class: 'muted' }, tn('desk.cases.none_open')));
            if (!pop.recent_cases.length)
                recent.append(h('li', { class: 'muted' }, tn('desk.cases.none_recent')));
            open.dataset.count = String(pop.open_cases.length);
        } else {
            open.append(h('li', { class: 'muted' }, tn('desk.cases.no_caller')));
            delete open.dataset.count;
        }
    }

    function openForm() {
        const c = desk.caller || {};
        const a = desk.article;
        const category = (a && a.category) || '';
        const typeName0 = category === 'complaints' ? 'complaint' : PROCEDURE_OF[category] ? 'dossier' : 'information';
        const type = h('select', { name: 'type', id: 'desk-new-type' }, QUICK_TYPES.map((x) => h('option', { value: x, selected: x === typeName0 }, typeName(x))));
        const cat = h('select', { name: 'category', id: 'desk-new-category' },
            h('option', { value: '' }, t('desk.new.choose')),
            ((types && types.categories) || []).map((x) => h('option', { value: x, selected: x === category }, categoryName(x))));
        const dossier = types && types.types.find((x) => x.name === 'dossier');
        const procField = dossier && dossier.fields.find((f) => f.name === 'procedure');
        const procedure = h('select', { name: 'procedure', id: 'desk-new-procedure' },
            ((procField && procField.values) || []).map((v) => h('option', { value: v, selected: v === (PROCEDURE_OF[category] || 'other') }, enumText('procedure', v))));
        /* the first post of the caller's country: the agent confirms it with the caller */
        const firstPost = geo && c.country ? (geo.consulates.find((x) => x.country === c.country) || {}).code || '' : '';
        const consulate = geo ? consulateSelect(geo, { selected: firstPost, first: c.country || '', emptyLabel: t('desk.new.choose'), id: 'desk-new-consulate' }) : h('select', { name: 'consulate' });
        const subject = h('input', { type: 'text', name: 'subject', id: 'desk-new-subject', maxlength: '200', dir: 'auto', value: a ? a.title : '' });
        const name = h('input', { type: 'text', name: 'name', id: 'desk-new-name', maxlength: '200', dir: 'auto', autocomplete: 'off' });
        const email = h('input', { type: 'email', name: 'email', id: 'desk-new-email', maxlength: '254', dir: 'ltr', autocomplete: 'off' });
        const lang = h('select', { name: 'language', id: 'desk-new-language' },
            LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === (c.language || callerLanguage()) }, l.name)));
        const dossierFields = h('div', { class: 'desk-dossier desk-grid2' },
            field({ label: 'cases.field.procedure', control: procedure, name: 'procedure' }),
            field({ label: 'cases.field.consulate', control: consulate, name: 'consulate' }));
        const syncType = () => { dossierFields.hidden = type.value !== 'dossier'; };
        type.addEventListener('change', syncType);
        syncType();
        const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'desk-create-case' } }, tn('desk.new.create'));
        const cancel = h('button', { type: 'button', class: 'btn btn-small' }, tn('common.cancel'));
        const form = h('form', { class: 'desk-new', id: 'desk-new-form', novalidate: true, dataset: { type: typeName0 } },
            h('h3', {}, tn('desk.new.title')),
            a ? h('p', { class: 'small muted' }, tf('desk.new.from_article', { title: h('bdi', {}, a.title) })) : null,
            h('div', { class: 'desk-grid2' },
                field({ label: 'cases.col.type', control: type, name: 'type' }),
                field({ label: 'desk.new.category', control: cat, name: 'category' })),
            dossierFields,
            field({ label: 'cases.col.subject', control: subject, name: 'subject' }),
            h('div', { class: 'desk-grid2' },
                field({ label: 'desk.new.name', control: name, name: 'name' }),
                field({ label: 'desk.new.language', control: lang, name: 'language' })),
            field({ label: 'desk.new.email', control: email, name: 'email', hint: 'desk.new.email_hint' }),
            c.phone ? h('p', { class: 'small' }, tn('desk.new.phone'), ' ', h('bdi', { dir: 'ltr' }, (desk.pop && desk.pop.phone) || c.phone)) : null,
            h('div', { class: 'actions' }, submit, cancel));
        cancel.addEventListener('click', () => formSlot.replaceChildren());
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            clearFieldErrors(form);
            const body = {
                type: type.value, category: cat.value, language: lang.value, channel: 'phone', subject: subject.value.trim(),
                country: c.country || null,
                citizen: { phone: c.phone || null, name: name.value.trim() || null, email: email.value.trim() || null },
                articles: desk.consulted.map(({ slug, lang: l, version }) => ({ slug, lang: l, version })),
            };
            if (type.value === 'dossier')
                body.fields = { procedure: procedure.value, consulate: consulate.value };
            await whileBusy(submit, 'common.saving', async () => {
                try {
                    const made = await api('POST', '/api/v1/cases', body);
                    desk.lastCase = made;
                    formSlot.replaceChildren();
                    drawCreated();
                    /* the call is recorded with the case at once: as the agent's outcome when they chose one, else
                     * "case opened" ("complaint recorded" for a complaint); they may change it */
                    const known = (code) => dispositions.some((d) => d.code === code);
                    const code = desk.form.disposition
                        || (made.type === 'complaint' && known('complaint_recorded') ? 'complaint_recorded' : 'case_opened');
                    if (desk.caller && desk.caller.callId && known(code))
                        await saveCall(code, desk.form.note, made.reference).then(() => view && view.markSaved(code))
                            .catch((e) => messages.show('error', caseErrorText(e)));
                    await refreshPop();
                    refreshToday();
                } catch (e) {
                    if (!showCaseFieldError(form, e))
                        messages.show('error', caseErrorText(e));
                }
            });
        });
        formSlot.replaceChildren(form);
        (a ? subject : type).focus();
    }

    const el = h('section', { class: 'desk-col desk-col-cases', 'aria-labelledby': 'desk-cases-title' },
        h('div', { class: 'desk-col-head' }, h('h2', { id: 'desk-cases-title' }, tn('desk.cases.title')), newButton),
        created, formSlot,
        h('h3', {}, tn('desk.cases.open')), open,
        h('h3', {}, tn('desk.cases.recent')), recent);
    return { el, draw, openForm, focus: () => (open.querySelector('a') || newButton).focus() };
}

function guideColumn(ctx, onArticle) {
    const reader = h('article', { class: 'desk-article', id: 'desk-article', hidden: true });
    let panel = null;
    const slot = h('div', { class: 'desk-search' });

    function drawSearch() {
        panel = searchPanel(ctx, { onOpen: (hit, data) => openArticle(hit.slug, data.lang) });
        slot.replaceChildren(panel);
    }

    async function openArticle(slug, lang) {
        reader.hidden = false;
        reader.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
        try {
            const d = await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(slug)}`, { lang }));
            const txt = d.text;
            const body = h('div', { class: 'article-body', lang: txt.lang, dir: dirOf(txt.lang) });
            body.innerHTML = txt.body_html; /* rendered by the server in safe mode */
            const back = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'desk-back' } }, tn('desk.guide.back'));
            back.addEventListener('click', () => {
                reader.hidden = true;
                slot.hidden = false;
                slot.querySelector('#guide-q')?.focus();
            });
            const newCase = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'desk-article-new-case' } }, tn('desk.new.button'));
            newCase.addEventListener('click', () => view && view.newCase());
            reader.dataset.slug = slug;
            reader.dataset.version = String(txt.version);
            reader.replaceChildren(
                h('div', { class: 'desk-article-tools' }, back, newCase),
                h('h3', { lang: txt.lang, dir: dirOf(txt.lang) }, txt.title),
                h('p', { class: 'muted small' }, categoryName(d.article.category), ' · ', tf('desk.call.version', { n: txt.version, lang: txt.lang })),
                body);
            slot.hidden = true;
            onArticle({ slug, lang: txt.lang, version: txt.version, title: txt.title, category: d.article.category });
        } catch (e) {
            reader.replaceChildren(alertBox('error', caseErrorText(e)));
        }
    }

    drawSearch();
    const el = h('section', { class: 'desk-col desk-col-guide', 'aria-labelledby': 'desk-guide-title' },
        h('h2', { id: 'desk-guide-title' }, tn('desk.guide.title')), slot, reader);
    return {
        el,
        focus: () => {
            reader.hidden = true;
            slot.hidden = false;
            slot.querySelector('#guide-q')?.focus();
        },
        relang: drawSearch,
    };
}

async function refreshPop() {
    const c = desk.caller;
    if (!c)
        return;
    const mine = c;
    const pop = await api('GET', withQuery('/api/v1/desk/caller', { phone: c.phone, country: c.country || '' }));
    if (desk.caller === mine) {
        desk.pop = pop;
        if (view)
            view.drawPop();
    }
}

/* One's own figures for the day, in the page head (computed by the server
 * from the event log and the calls recorded); refreshed after each save
 * and each end of a call. */
const today = h('dl', { class: 'desk-today small', id: 'desk-today' });
let todaySeq = 0;
function minutesText(s) {
    return h('bdi', { dir: 'ltr' }, clock(s));
}
async function refreshToday() {
    const mine = ++todaySeq;
    try {
        const d = await api('GET', '/api/v1/desk/today');
        if (mine !== todaySeq)
            return; /* a later refresh is on its way */
        const item = (key, value, name) => [h('dt', {}, tn(key)), h('dd', { dataset: { figure: name } }, value)];
        today.setAttribute('aria-label', t('desk.today.title'));
        today.replaceChildren(
            ...item('desk.today.answered', String(d.calls_answered), 'answered'),
            ...item('desk.today.avg_talk', minutesText(d.average_talk_seconds), 'avg_talk'),
            ...item('desk.today.wrap_up', minutesText(d.wrap_up_seconds), 'wrap_up'),
            ...item('desk.today.pauses', [String(d.pauses), ' (', minutesText(d.pause_seconds), ')'], 'pauses'),
            ...item('desk.today.recorded', String(d.calls_recorded), 'recorded'),
            ...item('desk.today.cases', String(d.cases_opened), 'cases'));
        Object.assign(today.dataset, {
            calls: String(d.calls_recorded), cases: String(d.cases_opened), answered: String(d.calls_answered),
        });
    } catch (e) {
        today.replaceChildren(); /* figures are a convenience: the desk works without them */
    }
}

function shortcutsHelp() {
    return h('details', { class: 'desk-help', id: 'desk-shortcuts' },
        h('summary', {}, tn('desk.key.title')),
        h('ul', {}, SHORTCUTS.map(([k, label]) => h('li', {}, h('kbd', {}, 'Alt'), '+', h('kbd', {}, k.toUpperCase()), ' ', tn(label))),
            h('li', {}, h('kbd', {}, '?'), ' ', tn('desk.key.help'))));
}

export async function render(ctx) {
    const messages = messageArea();
    const [geo, types, disp] = await Promise.all([
        loadGeo().catch(() => null),
        loadCaseTypes().catch(() => null),
        api('GET', withQuery('/api/v1/desk/dispositions', { lang: language() })).catch((e) => {
            messages.show('error', caseErrorText(e));
            return { dispositions: [] };
        }),
    ]);
    const dispositions = disp.dispositions || [];
    const briefings = deskBriefings();
    const briefingsTimer = setInterval(briefings.refresh, BRIEFINGS_REFRESH_MS);
    const caller = callerColumn(ctx, geo, dispositions, messages);
    const cases = casesColumn(ctx, geo, types, dispositions, messages);
    const guide = guideColumn(ctx, (a) => {
        desk.article = a;
        if (!desk.consulted.some((x) => x.slug === a.slug && x.lang === a.lang && x.version === a.version))
            desk.consulted.push(a);
        caller.drawConsulted();
    });

    view = {
        caller: () => {
            caller.draw();
            cases.draw();
            guide.relang();
            messages.clear();
            refreshToday();
            refreshPop().catch((e) => messages.show('error', caseErrorText(e)));
        },
        drawPop: () => {
            caller.draw();
            cases.draw();
        },
        newCase: () => cases.openForm(),
        agent: () => {
            const was = view.lastState;
            view.lastState = agent && agent.state;
            caller.drawWrapUp();
            caller.drawConsult();
            /* a call ended or an answer came: the day's figures moved */
            if (was !== view.lastState && (view.lastState === 'wrap_up' || view.lastState === 'busy' || was === 'wrap_up'))
                refreshToday();
            if (was !== view.lastState && view.lastState === 'wrap_up')
                briefings.refresh();
        },
        lastState: agent && agent.state,
        markSaved: (code) => {
            Object.assign(desk.form, { disposition: code, saved: code });
            caller.draw();
        },
    };

    const actions = {
        c: caller.focusPhone, g: guide.focus, n: cases.openForm, d: caller.focusDisposition, s: caller.save, k: cases.focus,
        h: caller.toggleHold, r: caller.ready,
    };
    const help = shortcutsHelp();
    const onKey = (ev) => {
        /* "?" outside a field opens (or closes) the list of shortcuts */
        if (ev.key === '?' && !ev.altKey && !ev.ctrlKey && !ev.metaKey && document.getElementById('desk')
            && !ev.target.closest?.('input, textarea, select, [contenteditable="true"]')) {
            ev.preventDefault();
            help.open = !help.open;
            return;
        }
        if (!ev.altKey || ev.ctrlKey || ev.metaKey)
            return;
        const fn = actions[ev.key.toLowerCase()] || actions[(ev.code || '').replace(/^Key/, '').toLowerCase()];
        if (!fn || !document.getElementById('desk'))
            return;
        ev.preventDefault();
        fn();
    };
    document.addEventListener('keydown', onKey);
    const page = h('section', { class: 'page page-agent page-desk', id: 'desk' },
        h('div', { class: 'page-head desk-head' }, pageTitle('agent.title'), today, help, briefings.button,
            h('a', { class: 'btn btn-small', href: '#/cases/new', dataset: { action: 'new-case' } }, tn('desk.new.full_form')),
            /* practice: wasl calls the agent with a pretend caller (docs/practice.md) */
            h('a', { class: 'btn btn-small', href: '#/practice', dataset: { action: 'practice' } }, tn('practice.desk_link'))),
        messages.el,
        briefings.panel,
        h('div', { class: 'desk-grid' }, caller.el, cases.el, guide.el));
    /* the listener goes with the page */
    const gone = new MutationObserver(() => {
        if (!page.isConnected) {
            document.removeEventListener('keydown', onKey);
            clearInterval(briefingsTimer);
            gone.disconnect();
            if (view && !document.getElementById('desk'))
                view = null;
        }
    });
    queueMicrotask(() => gone.observe(document.getElementById('main') || document.body, { childList: true }));
    caller.draw();
    cases.draw();
    caller.drawWrapUp();
    caller.drawConsult();
    refreshToday();
    briefings.refresh();
    if (desk.caller)
        refreshPop().catch((e) => messages.show('error', caseErrorText(e)));
    return page;
}
