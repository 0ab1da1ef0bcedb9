/*
 * One case (#/cases/view?ref=ABC-DEF-GHJ): its details and declared fields,
 * the citizen's data in clear (the server records the read in the audit
 * trail), the deadline with the "waiting for the citizen pauses the clock"
 * rule, the history (newest first), and the actions: change the status (only
 * to the statuses the workflow allows next), priority and category, assign
 * to oneself or to a consulate, add an internal or a public note, and merge
 * a duplicate into another case.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { consulateLabel, consulateNode, consulateSelect, countryName, loadGeo } from '../geo.js';
import { articleHref } from '../guide.js';
import { languageInfo, t, tf, tn } from '../i18n.js';
import { href, routeParams } from '../router.js';
import {
    caseErrorText, categoryName, channelName, deadlineBadge, fieldValueText, findType, loadCaseTypes, nextStatuses, priorityName,
    priorityNode, referenceNode, showCaseFieldError, statusBadge, statusName, timeNode, typeName,
} from '../cases.js';
import { alertBox, clearFieldErrors, confirmDialog, field, languageName, markFieldError, messageArea, whileBusy } from '../ui.js';
import { escalatedBadge } from './case_list.js';

const MERGERS = ['agent', 'supervisor', 'admin']; /* POST /cases/{ref}/merge */

function caseHref(ref) {
    return `#/cases/view?ref=${encodeURIComponent(ref)}`;
}

function refLink(ref) {
    return ref ? h('a', { href: caseHref(ref), class: 'case-link' }, referenceNode(ref)) : h('span', { class: 'muted' }, '—');
}

function dash() {
    return h('span', { class: 'muted' }, '—');
}

function facts(rows) {
    return h('dl', { class: 'facts case-facts' },
        rows.filter(Boolean).map(([k, v, key]) => [h('dt', {}, tn(k)), h('dd', { dataset: { fact: key || k.split('.').pop() } }, v)]));
}

/* ---- The history --------------------------------------------------------------- */

function who(actor, me) {
    if (actor === 'system')
        return t('cases.actor.system');
    if (actor === 'citizen')
        return t('cases.actor.citizen');
    if (actor === me.login)
        return t('cases.actor.you', { login: actor });
    return actor;
}

function changeLines(d, geo, me) {
    const lines = [];
    const pair = (v, fmt) => v.map((x) => (x === '' || x === null || x === 0 ? t('cases.event.nobody') : fmt(x)));
    if (Array.isArray(d.status)) {
        const [a, b] = pair(d.status, statusName);
        lines.push(tn('cases.event.status', { from: a, to: b }));
    }
    if (Array.isArray(d.priority)) {
        const [a, b] = pair(d.priority, priorityName);
        lines.push(tn('cases.event.priority', { from: a, to: b }));
    }
    if (Array.isArray(d.category)) {
        const [a, b] = pair(d.category, categoryName);
        lines.push(tn('cases.event.category', { from: a, to: b }));
    }
    if (Array.isArray(d.assignee_user)) {
        /* the history has user ids; the names of others are not given to this page */
        const [a, b] = pair(d.assignee_user, (id) => (id === me.id ? t('cases.actor.you', { login: me.login }) : t('cases.event.user', { id })));
        lines.push(tn('cases.event.assignee_user', { from: a, to: b }));
    }
    if (Array.isArray(d.assignee_consulate)) {
        const [a, b] = pair(d.assignee_consulate, (code) => consulateLabel(geo, code));
        lines.push(tn('cases.event.assignee_consulate', { from: a, to: b }));
    }
    if (d.fields)
        lines.push(tn('cases.event.fields'));
    return lines;
}

const KNOWN_EVENTS = ['created', 'assigned', 'changed', 'note', 'acknowledgement', 'escalated', 'warned', 'merged', 'merged_from', 'rated',
    'citizen_reply'];

function eventBody(e, geo, me) {
    const d = e.detail || {};
    switch (e.kind) {
    case 'created':
        return h('p', {}, tn('cases.event.created_detail', { type: typeName(d.type), channel: channelName(d.channel), priority: priorityName(d.priority) }));
    case 'assigned':
        return h('p', {}, d.consulate ? tf('cases.event.assigned_consulate', { consulate: consulateNode(geo, d.consulate) }) : tn('cases.event.assigned'));
    case 'changed':
        return h('ul', { class: 'change-lines' }, changeLines(d, geo, me).map((l) => h('li', {}, l)));
    case 'escalated':
    case 'warned':
        return h('p', {}, tn(`cases.event.${e.kind}_detail`, { target: t(`cases.target.${d.target}`) }));
    case 'merged':
        return h('p', {}, tf('cases.event.merged_detail', { reference: refLink(d.into) }));
    case 'merged_from':
        return h('p', {}, tf('cases.event.merged_from_detail', { reference: refLink(d.from) }));
    case 'rated':
        return h('p', {}, tn('cases.event.rated_detail', { rating: d.rating }));
    default:
        return KNOWN_EVENTS.includes(e.kind) ? null
            : h('p', {}, h('code', { dir: 'ltr' }, e.kind), ' ', h('code', { dir: 'ltr', class: 'detail' }, JSON.stringify(d)));
    }
}

function historyList(events, geo, me) {
    const items = [...(events || [])].reverse().map((e) => {
        const kindKey = KNOWN_EVENTS.includes(e.kind) ? `cases.event.kind.${e.kind}` : 'cases.event.kind_unknown';
        return h('li', { class: ['event', `event-${e.kind}`, e.public && 'event-public'], dataset: { kind: e.kind, public: String(Boolean(e.public)) } },
            h('div', { class: 'event-head' },
                h('strong', { class: 'event-kind' }, tn(kindKey)),
                e.kind === 'note' || e.kind === 'acknowledgement'
                    ? h('span', { class: ['badge', e.public ? 'badge-info' : 'badge-muted'] }, tn(e.public ? 'cases.note.public_badge' : 'cases.note.internal_badge'))
                    : null,
                h('span', { class: 'event-meta' }, timeNode(e.at), ' · ', h('bdi', {}, who(e.actor, me)))),
            eventBody(e, geo, me),
            e.body ? h('p', { class: 'event-text', dir: 'auto' }, e.body) : null);
    });
    if (!items.length)
        items.push(h('li', { class: 'empty' }, tn('cases.view.no_history')));
    return h('ol', { class: 'timeline', id: 'case-history' }, items);
}

/* ---- The page -------------------------------------------------------------- */

export async function render(ctx) {
    const me = ctx.user;
    const ref = (routeParams().get('ref') || '').trim();
    const messages = messageArea();
    const page = h('section', { class: 'page page-case', id: 'case-page' });
    const back = h('a', { href: href('cases'), class: 'back-link' }, tn('cases.back_to_list'));
    let types = { types: [], categories: [], priorities: [] };
    let geo = { consulates: [], countries: [] };
    let c;
    try {
        [types, geo, c] = await Promise.all([loadCaseTypes(), loadGeo(), api('GET', `/api/v1/cases/${encodeURIComponent(ref)}`)]);
    } catch (e) {
        page.append(h('div', { class: 'page-head' }, h('h1', { class: 'page-title', tabindex: '-1' }, tn('cases.view.title_plain')), back),
            alertBox('error', e.code === 'cases.not_found' ? t('cases.view.not_found', { reference: ref }) : caseErrorText(e)));
        return page;
    }

    /* Redraws the page with the case the server answered; the control that
     * was used gets the focus back when it is still there. */
    function draw(next, { focus = null } = {}) {
        c = next;
        page.dataset.reference = c.reference;
        page.dataset.status = c.status;
        page.replaceChildren(...content());
        const again = focus && page.querySelector(`[data-action="${focus}"]`);
        if (again && !again.disabled)
            again.focus();
        else if (focus)
            page.querySelector('.message-area')?.focus();
    }

    /* Runs an action: its request, then the redraw and a success notice. */
    async function act(button, request, successKey, vars) {
        messages.clear();
        try {
            const next = await whileBusy(button, 'common.working', request);
            messages.show('success', tn(successKey, vars ? vars(next) : undefined));
            draw(next, { focus: button.dataset.action });
            return true;
        } catch (e) {
            const form = button.closest('form');
            if (!(form && showCaseFieldError(form, e)))
                messages.show('error', caseErrorText(e));
            return false;
        }
    }

    function patch(body) {
        return () => api('PATCH', `/api/v1/cases/${encodeURIComponent(c.reference)}`, body);
    }

    /* ---- details ---- */

    function head() {
        const title = h('h1', { class: 'page-title', tabindex: '-1' }, tf('cases.view.title', { reference: referenceNode(c.reference) }));
        return [
            h('div', { class: 'page-head' }, title, back),
            h('div', { class: 'case-summary' },
                h('p', { class: 'case-subject-line' }, c.subject),
                h('div', { class: 'case-badges' },
                    statusBadge(c.status), c.escalated ? escalatedBadge() : null, priorityNode(c.priority),
                    c.new_reply ? h('span', { class: 'badge badge-info', id: 'case-new-reply' }, tn('desk.cases.new_reply')) : null,
                    h('span', { class: 'badge badge-neutral' }, typeName(c.type)))),
        ];
    }

    function deadlineCard() {
        const d = c.deadline || {};
        const paused = d.state === 'paused';
        return h('section', { class: ['card', 'deadline-card', `deadline-${d.state}`], id: 'case-deadline', 'aria-labelledby': 'deadline-title', dataset: { deadline: d.state || '' } },
            h('h2', { id: 'deadline-title' }, tn('cases.view.deadline')),
            h('p', { class: 'deadline-line' }, deadlineBadge(d)),
            facts([
                ['cases.view.first_response_due', c.first_response_at
                    ? tf('cases.view.answered_at', { date: timeNode(c.first_response_at) })
                    : timeNode(c.first_response_due), 'first_response'],
                ['cases.view.resolution_due', timeNode(c.resolution_due), 'resolution'],
                c.resolved_at ? ['cases.view.resolved_at', timeNode(c.resolved_at)] : null,
                c.closed_at ? ['cases.view.closed_at', timeNode(c.closed_at)] : null,
            ]),
            h('p', { class: ['hint', 'pause-hint', paused && 'pause-now'] },
                h('span', { 'aria-hidden': 'true', class: 'pause-mark' }, '‖ '), tn(paused ? 'cases.view.paused_now' : 'cases.view.pause_rule')));
    }

    function detailsCard() {
        const tp = findType(types, c.type);
        const declared = ((tp && tp.fields) || []).filter((f) => c.fields && c.fields[f.name]);
        const extra = Object.keys(c.fields || {}).filter((k) => !declared.some((f) => f.name === k));
        const assignee = c.assignee || {};
        return h('section', { class: 'card', 'aria-labelledby': 'details-title', id: 'case-details' },
            h('h2', { id: 'details-title' }, tn('cases.view.details')),
            facts([
                ['cases.field.type', typeName(c.type)],
                ['cases.field.category', categoryName(c.category)],
                ['cases.field.channel', channelName(c.channel)],
                ['cases.field.language', h('span', { lang: c.language }, languageName(c.language))],
                ['cases.field.country', c.country ? countryName(geo, c.country) : dash()],
                ['cases.field.consulate', c.consulate ? consulateNode(geo, c.consulate) : dash()],
                ['cases.view.assigned_to', [
                    assignee.login ? h('bdi', { class: 'assignee-user' }, assignee.user_id === me.id ? t('cases.actor.you', { login: assignee.login }) : assignee.login) : null,
                    assignee.login && assignee.consulate ? ' · ' : null,
                    assignee.consulate ? consulateNode(geo, assignee.consulate) : null,
                    !assignee.login && !assignee.consulate ? tn('cases.view.unassigned') : null,
                ], 'assignee'],
                ['cases.view.created', tf('cases.view.created_by', { date: timeNode(c.created_at), who: h('bdi', {}, who(c.created_by, me)) })],
                ['cases.view.updated', timeNode(c.updated_at)],
                c.merged_into ? ['cases.view.merged_into', refLink(c.merged_into)] : null,
                c.rating ? ['cases.view.rating', [tn('cases.view.rating_value', { rating: c.rating }),
                    c.rating_comment ? h('q', { dir: 'auto', class: 'rating-comment' }, c.rating_comment) : null]] : null,
                ...declared.map((f) => [`cases.field.${f.name}`,
                    f.type === 'consulate' ? consulateNode(geo, c.fields[f.name]) : h('span', { dir: 'auto' }, fieldValueText(f, c.fields[f.name])), f.name]),
                ...extra.map((k) => [`cases.field.${k}`, h('span', { dir: 'auto' }, c.fields[k]), k]),
            ]),
            c.description
                ? [h('h3', {}, tn('cases.field.description')), h('p', { class: 'case-description', dir: 'auto' }, c.description)]
                : null,
            c.articles && c.articles.length
                ? [h('h3', {}, tn('cases.view.articles')),
                    h('ul', { class: 'case-articles' }, c.articles.map((a) => h('li', {},
                        h('a', { href: articleHref(a.slug, a.lang), lang: a.lang, dir: languageInfo(a.lang).dir }, a.slug),
                        ' ', h('span', { class: 'muted' }, `(${languageName(a.lang)}, v${a.version})`))))]
                : null);
    }

    function citizenCard() {
        const ci = c.citizen || {};
        const rows = [['name', 'auto'], ['phone', 'ltr'], ['email', 'ltr'], ['id_number', 'ltr'], ['passport', 'ltr']]
            .map(([k, dir]) => [`cases.field.${k}`, ci[k] ? h('bdi', { dir }, ci[k]) : dash(), k]);
        return h('section', { class: 'card', 'aria-labelledby': 'citizen-title', id: 'case-citizen' },
            h('h2', { id: 'citizen-title' }, tn('cases.view.citizen')),
            c.anonymized ? alertBox('info', tn('cases.view.anonymized')) : facts(rows),
            h('p', { class: 'hint' }, tn('cases.view.audited')));
    }

    /* ---- actions ---- */

    function statusForm() {
        const next = nextStatuses(c.status, me.role);
        const id = 'status-select';
        const form = h('form', { class: 'form action-form', id: 'status-form', novalidate: true },
            h('h3', {}, tn('cases.action.status')));
        if (!next.length) {
            form.append(h('p', { class: 'muted', id: 'no-next-status' },
                tn(c.status === 'closed' ? 'cases.action.closed_reopen' : c.status === 'merged' ? 'cases.action.merged_frozen' : 'cases.action.no_next')));
            return form;
        }
        const select = h('select', { id, name: 'status' },
            h('option', { value: '' }, t('cases.form.choose')),
            next.map((s) => h('option', { value: s }, statusName(s))));
        const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'change-status' } }, tn('cases.action.change_status'));
        form.append(
            h('p', { class: 'state-line' }, tn('cases.action.current'), ' ', statusBadge(c.status)),
            field({ label: 'cases.action.new_status', control: select, name: 'status' }),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            clearFieldErrors(form);
            if (!select.value)
                return markFieldError(select, t('cases.action.choose_status'));
            const to = select.value;
            return act(submit, patch({ status: to }), 'cases.action.status_changed', () => ({ status: statusName(to) }));
        });
        return form;
    }

    function noteForm() {
        const body = h('textarea', { id: 'note-body', name: 'body', rows: '4', maxlength: '10000', dir: 'auto' });
        const internal = h('input', { type: 'radio', name: 'note-visibility', id: 'note-internal', value: 'internal', checked: true });
        const pub = h('input', { type: 'radio', name: 'note-visibility', id: 'note-public', value: 'public' });
        const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'add-note' } }, tn('cases.note.add'));
        const form = h('form', { class: 'form action-form', id: 'note-form', novalidate: true },
            h('h3', {}, tn('cases.action.note')),
            field({ label: 'cases.note.text', control: body, name: 'body' }),
            h('fieldset', { class: 'note-visibility' },
                h('legend', {}, tn('cases.note.visibility')),
                h('div', { class: 'choice' }, internal, h('label', { for: 'note-internal' }, tn('cases.note.internal'))),
                h('div', { class: 'choice' }, pub, h('label', { for: 'note-public' }, tn('cases.note.public'))),
                h('p', { class: 'hint' }, tn('cases.note.public_hint'))),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            clearFieldErrors(form);
            const text = body.value.trim();
            if (!text)
                return markFieldError(body, t('cases.note.empty'));
            const isPublic = pub.checked;
            return act(submit, () => api('POST', `/api/v1/cases/${encodeURIComponent(c.reference)}/notes`, { body: text, public: isPublic }),
                isPublic ? 'cases.note.added_public' : 'cases.note.added');
        });
        return form;
    }

    function assignForm() {
        const a = c.assignee || {};
        const mine = a.user_id === me.id;
        const self = h('button', { type: 'button', class: 'btn', dataset: { action: mine ? 'unassign-me' : 'assign-me' } },
            tn(mine ? 'cases.action.unassign_me' : 'cases.action.assign_me'));
        self.addEventListener('click', () => act(self, patch({ assignee_user: mine ? null : me.id }),
            mine ? 'cases.action.unassigned_me' : 'cases.action.assigned_me'));
        const form = h('form', { class: 'form action-form', id: 'assign-form', novalidate: true },
            h('h3', {}, tn('cases.action.assign')),
            h('div', { class: 'actions' }, self));
        if (me.role === 'backoffice') {
            form.append(h('p', { class: 'hint' }, tn('cases.action.backoffice_consulate')));
            return form;
        }
        const select = consulateSelect(geo, { selected: a.consulate || '', first: c.country || '', emptyLabel: t('cases.action.no_consulate'), name: 'assignee_consulate', id: 'assign-consulate' });
        const submit = h('button', { type: 'submit', class: 'btn', dataset: { action: 'assign-consulate' } }, tn('cases.action.assign_consulate'));
        form.append(
            field({ label: 'cases.action.consulate', control: select, name: 'assignee_consulate' }),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            clearFieldErrors(form);
            if ((select.value || '') === (a.consulate || ''))
                return markFieldError(select, t('cases.action.same_consulate'));
            const code = select.value || null;
            return act(submit, patch({ assignee_consulate: code }),
                code ? 'cases.action.consulate_assigned' : 'cases.action.consulate_removed',
                () => ({ consulate: code ? consulateLabel(geo, code) : '' }));
        });
        return form;
    }

    function classifyForm() {
        const priority = h('select', { id: 'priority-select', name: 'priority' },
            (types.priorities || []).map((p) => h('option', { value: p, selected: p === c.priority }, priorityName(p))));
        const category = h('select', { id: 'category-select', name: 'category' },
            (types.categories || []).map((x) => h('option', { value: x, selected: x === c.category }, categoryName(x))));
        const submit = h('button', { type: 'submit', class: 'btn', dataset: { action: 'classify' } }, tn('common.save'));
        const form = h('form', { class: 'form action-form', id: 'classify-form', novalidate: true },
            h('h3', {}, tn('cases.action.classify')),
            field({ label: 'cases.field.priority', control: priority, name: 'priority', hint: 'cases.action.priority_hint' }),
            field({ label: 'cases.field.category', control: category, name: 'category' }),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', (ev) => {
            ev.preventDefault();
            const body = {};
            if (priority.value !== c.priority)
                body.priority = priority.value;
            if (category.value !== c.category)
                body.category = category.value;
            if (!Object.keys(body).length) {
                messages.show('info', tn('cases.action.no_changes'));
                return null;
            }
            return act(submit, patch(body), 'cases.action.saved');
        });
        return form;
    }

    function mergeForm() {
        const input = h('input', {
            type: 'text', id: 'merge-into', name: 'into', dir: 'ltr', autocomplete: 'off', spellcheck: 'false',
            autocapitalize: 'characters', placeholder: 'ABC-DEF-GHJ', maxlength: '20', class: 'reference-input',
        });
        const submit = h('button', { type: 'submit', class: 'btn btn-danger', dataset: { action: 'merge' } }, tn('cases.action.merge'));
        const form = h('form', { class: 'form action-form', id: 'merge-form', novalidate: true },
            h('h3', {}, tn('cases.action.merge_title')),
            field({ label: 'cases.action.merge_into', control: input, name: 'into', hint: 'cases.action.merge_hint' }),
            h('div', { class: 'actions' }, submit));
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            clearFieldErrors(form);
            const into = input.value.trim().toUpperCase();
            if (!into)
                return markFieldError(input, t('cases.action.merge_missing'));
            const yes = await confirmDialog({
                title: t('cases.action.merge_confirm_title'),
                message: t('cases.action.merge_confirm', { from: c.reference, into }),
                confirmLabel: t('cases.action.merge'),
                danger: true,
            });
            if (!yes)
                return null;
            return act(submit, () => api('POST', `/api/v1/cases/${encodeURIComponent(c.reference)}/merge`, { into }),
                'cases.action.merged', (next) => ({ reference: next.merged_into || into }));
        });
        return form;
    }

    function actionsCard() {
        const frozen = c.status === 'merged';
        const forms = frozen
            ? [alertBox('info', tf('cases.view.merged_notice', { reference: refLink(c.merged_into) }))]
            : [statusForm(), noteForm(), assignForm(), classifyForm(), MERGERS.includes(me.role) ? mergeForm() : null];
        return h('section', { class: 'card case-actions', id: 'case-actions', 'aria-labelledby': 'actions-title' },
            h('h2', { id: 'actions-title' }, tn('cases.view.actions')),
            forms);
    }

    function content() {
        messages.el.tabIndex = -1;
        return [
            ...head(),
            messages.el,
            h('div', { class: 'case-layout' },
                h('div', { class: 'case-main' },
                    deadlineCard(),
                    detailsCard(),
                    citizenCard(),
                    h('section', { class: 'card', 'aria-labelledby': 'history-title' },
                        h('h2', { id: 'history-title' }, tn('cases.view.history')),
                        historyList(c.events, geo, me))),
                h('div', { class: 'case-side' }, actionsCard())),
        ];
    }

    draw(c);
    return page;
}
