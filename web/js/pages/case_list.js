/*
 * The work list (#/cases): the cases this user may see, newest first,
 * filtered by status ("active" by default), type, "mine" and "overdue", with
 * each case's deadline badge. The filters live in the address
 * (#/cases?status=open&type=dossier&mine=1&overdue=1) so the list can be
 * bookmarked and comes back as it was. A back-office user sees the cases of
 * their consulate (the server decides). A reference read out by a caller
 * opens directly from the box at the top.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { consulateName, consulateNode, loadGeo } from '../geo.js';
import { language, plural, t, tf, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import {
    caseErrorText, deadlineBadge, loadCaseTypes, maskedCitizen, priorityNode, referenceNode, statusBadge, statusName, typeName,
} from '../cases.js';
import { field, markFieldError, messageArea, pageTitle } from '../ui.js';

export const LIST_LIMIT = 200; /* no paging: the API pages by an id it does not return */
const CASE_CREATORS = ['agent', 'supervisor', 'backoffice', 'admin'];

/* A case's consulate in a table: the one it is assigned to, else the one it
 * concerns, as its city and code ("Paris (FR-PAR)"); the full name is the
 * tooltip. */
export function caseConsulate(geo, c) {
    const code = (c.assignee && c.assignee.consulate) || c.consulate;
    if (!code)
        return h('span', { class: 'muted' }, '—');
    const post = geo && geo.consulates.find((x) => x.code === code);
    if (!post)
        return h('bdi', { dir: 'ltr', class: 'nowrap' }, code);
    const city = language() === 'ar' && post.city_ar ? post.city_ar : post.city;
    return h('span', { class: 'consulate', title: consulateName(geo, code) }, `${city} `, h('bdi', { dir: 'ltr', class: 'nowrap' }, `(${code})`));
}

export function caseLink(c) {
    return h('a', { href: `#/cases/view?ref=${encodeURIComponent(c.reference)}`, class: 'case-link' }, referenceNode(c.reference));
}

/* A row of a case table: reference, subject, type, status, priority,
 * deadline, consulate, citizen (masked). */
export const CASE_COLUMNS = ['cases.col.reference', 'cases.col.subject', 'cases.col.type', 'cases.col.status', 'cases.col.priority',
    'cases.col.deadline', 'cases.col.consulate', 'cases.col.citizen'];

export function caseRow(c, geo, cols = CASE_COLUMNS) {
    const cells = [
        caseLink(c),
        h('span', { class: 'case-subject' }, c.subject),
        typeName(c.type),
        [statusBadge(c.status), c.escalated ? escalatedBadge() : null],
        priorityNode(c.priority),
        deadlineBadge(c.deadline),
        caseConsulate(geo, c),
        maskedCitizen(c.citizen),
    ];
    return h('tr', { dataset: { reference: c.reference, status: c.status, deadline: (c.deadline && c.deadline.state) || '' } },
        cells.map((cell, i) => h(i === 0 ? 'th' : 'td', {
            scope: i === 0 ? 'row' : null, class: [1, 3, 5, 6, 7].includes(i) ? 'wrap' : null, dataset: { label: t(cols[i]) },
        }, cell)));
}

export function escalatedBadge() {
    const el = h('span', { class: 'badge badge-danger badge-escalated' }, tn('cases.escalated'));
    el.dataset.escalated = 'true';
    return el;
}

function filtersFromAddress() {
    const p = routeParams();
    return {
        status: p.has('status') ? p.get('status') : 'active',
        type: p.get('type') || '',
        mine: p.get('mine') === '1',
        overdue: p.get('overdue') === '1',
    };
}

/* Puts the filters in the address without a new render (replaceState fires
 * no hashchange), so Back and a reload find the same list. */
function filtersToAddress(f) {
    const q = new URLSearchParams();
    if (f.status !== 'active')
        q.set('status', f.status);
    if (f.type)
        q.set('type', f.type);
    if (f.mine)
        q.set('mine', '1');
    if (f.overdue)
        q.set('overdue', '1');
    const s = q.toString();
    history.replaceState(null, '', `#/cases${s ? `?${s}` : ''}`);
}

/* The box to open a case by the reference a caller reads out. */
function openByReference(ctx) {
    const input = h('input', {
        type: 'text', name: 'ref', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters',
        placeholder: 'ABC-DEF-GHJ', maxlength: '20', class: 'reference-input',
    });
    const form = h('form', { class: 'form-inline open-ref', id: 'open-ref-form', novalidate: true },
        field({ label: 'cases.list.open_ref', control: input, name: 'ref', hint: 'cases.list.open_ref_hint' }),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn' }, tn('cases.list.open'))));
    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const ref = input.value.trim().toUpperCase().replace(/[\s.]+/g, '');
        if (!ref)
            return markFieldError(input, t('cases.list.open_ref_missing'));
        ctx.navigate(`cases/view?ref=${encodeURIComponent(ref)}`);
        return null;
    });
    return form;
}

export async function render(ctx) {
    const u = ctx.user;
    const f = filtersFromAddress();
    const messages = messageArea();
    let types = null;
    try {
        types = await loadCaseTypes();
    } catch (e) {
        messages.show('error', caseErrorText(e));
    }
    const statuses = (types && types.statuses) || [];
    const status = h('select', { name: 'status', id: 'filter-status' },
        h('option', { value: 'active', selected: f.status === 'active' }, t('cases.list.status_active')),
        h('option', { value: '', selected: f.status === '' }, t('cases.list.status_all')),
        statuses.map((s) => h('option', { value: s, selected: s === f.status }, statusName(s))));
    const type = h('select', { name: 'type', id: 'filter-type' },
        h('option', { value: '' }, t('cases.list.type_all')),
        ((types && types.types) || []).map((x) => h('option', { value: x.name, selected: x.name === f.type }, typeName(x.name))));
    const mine = h('input', { type: 'checkbox', name: 'mine', id: 'filter-mine', checked: f.mine });
    const overdue = h('input', { type: 'checkbox', name: 'overdue', id: 'filter-overdue', checked: f.overdue });
    const count = h('p', { class: 'list-count', id: 'cases-count', role: 'status' });
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'loading' }, tn('common.loading'))));
    const table = h('table', { class: 'data-table data-table-dense cases-table', id: 'cases-table' },
        h('caption', { class: 'visually-hidden' }, tn('cases.list.caption')),
        h('thead', {}, h('tr', {}, CASE_COLUMNS.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);

    let seq = 0;
    async function load() {
        const mineSeq = ++seq;
        const cur = { status: status.value, type: type.value, mine: mine.checked, overdue: overdue.checked };
        filtersToAddress(cur);
        table.setAttribute('aria-busy', 'true');
        messages.clear();
        try {
            const [data, geo] = await Promise.all([
                api('GET', withQuery('/api/v1/cases', {
                    status: cur.status, type: cur.type, assignee: cur.mine ? 'me' : '', overdue: cur.overdue ? 1 : '', limit: LIST_LIMIT,
                })),
                loadGeo().catch(() => null),
            ]);
            if (mineSeq !== seq)
                return;
            const list = data.cases || [];
            tbody.replaceChildren(...list.map((c) => caseRow(c, geo)));
            if (!list.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'empty' }, tn('cases.list.none'))));
            count.replaceChildren(list.length >= LIST_LIMIT
                ? tn('cases.list.count_capped', { n: LIST_LIMIT })
                : plural('cases.list.count', list.length));
            table.dataset.loaded = JSON.stringify(cur);
        } catch (e) {
            if (mineSeq !== seq)
                return;
            tbody.replaceChildren();
            count.replaceChildren();
            messages.show('error', caseErrorText(e));
        } finally {
            if (mineSeq === seq)
                table.removeAttribute('aria-busy');
        }
    }
    for (const el of [status, type, mine, overdue])
        el.addEventListener('change', load);

    let scope = null;
    if (u.consulate) {
        scope = h('p', { class: 'scope' }, tf('cases.scope', { consulate: h('bdi', { dir: 'ltr' }, u.consulate) }));
        loadGeo().then((geo) => scope.replaceChildren(tf('cases.scope', { consulate: consulateNode(geo, u.consulate) })))
            .catch(() => null); /* the code alone is still right */
    }

    const filters = h('form', { class: 'filter-row case-filters', id: 'case-filters', role: 'search', 'aria-label': t('cases.list.filters') },
        h('label', { for: 'filter-status' }, tn('cases.col.status')), status,
        h('label', { for: 'filter-type' }, tn('cases.col.type')), type,
        h('span', { class: 'check' }, mine, h('label', { for: 'filter-mine' }, tn('cases.list.mine'))),
        h('span', { class: 'check' }, overdue, h('label', { for: 'filter-overdue' }, tn('cases.list.overdue'))));
    filters.addEventListener('submit', (ev) => ev.preventDefault());

    load();

    const newCase = CASE_CREATORS.includes(u.role)
        ? h('a', { class: 'btn btn-primary', href: '#/cases/new', dataset: { action: 'new-case' } }, tn('cases.new.title'))
        : null;
    return h('section', { class: 'page page-cases' },
        h('div', { class: 'page-head' }, pageTitle('cases.title'), newCase),
        scope,
        openByReference(ctx),
        filters,
        messages.el,
        count,
        h('div', { class: 'table-wrap' }, table));
}
