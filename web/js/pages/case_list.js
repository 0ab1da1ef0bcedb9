/*
 * The work list (#/cases): the cases this user may see, with one search box
 * (a reference, a phone number, an e-mail address, a name or words of the
 * subject: the server tells which it took it for), sorted by creation, last
 * change, deadline or priority, filtered by status ("active" by default),
 * type, language, consulate, "mine" and "overdue", a page at a time with the
 * total. The filters live in the address (#/cases?q=...&sort=deadline&...)
 * so the list can be bookmarked and comes back as it was. A back-office user
 * sees the cases of their consulate (the server decides). A reference read
 * out by a caller opens directly from the box at the top.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { consulateName, consulateNode, consulateSelect, loadGeo } from '../geo.js';
import { LANGUAGES, language, plural, t, tf, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import {
    caseErrorText, deadlineBadge, loadCaseTypes, maskedCitizen, priorityNode, referenceNode, statusBadge, statusName, typeName,
} from '../cases.js';
import { field, markFieldError, messageArea, pageTitle } from '../ui.js';

export const LIST_LIMIT = 200; /* supervision's overdue list: one page */
const PAGE = 50;
const SORTS = ['created', 'updated', 'deadline', 'priority'];
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
        q: p.get('q') || '',
        status: p.has('status') ? p.get('status') : 'active',
        type: p.get('type') || '',
        language: p.get('language') || '',
        consulate: p.get('consulate') || '',
        sort: SORTS.includes(p.get('sort')) ? p.get('sort') : 'created',
        mine: p.get('mine') === '1',
        overdue: p.get('overdue') === '1',
    };
}

/* Puts the filters in the address without a new render (replaceState fires
 * no hashchange), so Back and a reload find the same list. */
function filtersToAddress(f) {
    const q = new URLSearchParams();
    for (const k of ['q', 'type', 'language', 'consulate'])
        if (f[k])
            q.set(k, f[k]);
    if (f.sort !== 'created')
        q.set('sort', f.sort);
    if (f.status !== 'active')
        q.set('status', f.status);
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
    const search = h('input', {
        type: 'search', name: 'q', id: 'filter-q', value: f.q, dir: 'auto', autocomplete: 'off', spellcheck: 'false', maxlength: '200',
        'aria-describedby': 'filter-q-hint',
    });
    const lang = h('select', { name: 'language', id: 'filter-language' },
        h('option', { value: '' }, t('cases.list.language_all')),
        LANGUAGES.map((l) => h('option', { value: l.code, selected: l.code === f.language }, l.name)));
    const geo0 = await loadGeo().catch(() => null);
    const consulate = geo0
        ? consulateSelect(geo0, { selected: f.consulate, emptyLabel: t('cases.list.consulate_all'), id: 'filter-consulate' })
        : h('select', { name: 'consulate', id: 'filter-consulate' }, h('option', { value: '' }, t('cases.list.consulate_all')));
    const sort = h('select', { name: 'sort', id: 'filter-sort' },
        SORTS.map((x) => h('option', { value: x, selected: x === f.sort }, t(`cases.list.sort_${x}`))));
    const prev = h('button', { type: 'button', class: 'btn btn-small', id: 'cases-prev', dataset: { action: 'cases-prev' } }, tn('cases.list.prev'));
    const next = h('button', { type: 'button', class: 'btn btn-small', id: 'cases-next', dataset: { action: 'cases-next' } }, tn('cases.list.next'));
    const mine = h('input', { type: 'checkbox', name: 'mine', id: 'filter-mine', checked: f.mine });
    const overdue = h('input', { type: 'checkbox', name: 'overdue', id: 'filter-overdue', checked: f.overdue });
    const count = h('p', { class: 'list-count', id: 'cases-count', role: 'status' });
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'loading' }, tn('common.loading'))));
    const table = h('table', { class: 'data-table data-table-dense cases-table', id: 'cases-table' },
        h('caption', { class: 'visually-hidden' }, tn('cases.list.caption')),
        h('thead', {}, h('tr', {}, CASE_COLUMNS.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);

    let seq = 0;
    let cursors = ['']; /* the cursor of each page seen: Back goes to the one before */
    async function load(page = 0) {
        const mineSeq = ++seq;
        const cur = {
            q: search.value.trim(), status: status.value, type: type.value, language: lang.value, consulate: consulate.value,
            sort: sort.value, mine: mine.checked, overdue: overdue.checked,
        };
        if (page === 0)
            cursors = [''];
        filtersToAddress(cur);
        table.setAttribute('aria-busy', 'true');
        messages.clear();
        try {
            const [data, geo] = await Promise.all([
                api('GET', withQuery('/api/v1/cases', {
                    q: cur.q, status: cur.status, type: cur.type, language: cur.language, consulate: cur.consulate, sort: cur.sort,
                    assignee: cur.mine ? 'me' : '', overdue: cur.overdue ? 1 : '', limit: PAGE, cursor: cursors[page],
                })),
                loadGeo().catch(() => null),
            ]);
            if (mineSeq !== seq)
                return;
            const list = data.cases || [];
            tbody.replaceChildren(...list.map((c) => caseRow(c, geo)));
            if (!list.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'empty' }, tn('cases.list.none'))));
            cursors.length = page + 1;
            if (data.next_cursor)
                cursors.push(data.next_cursor);
            prev.disabled = page === 0;
            next.disabled = !data.next_cursor;
            prev.onclick = () => load(page - 1);
            next.onclick = () => load(page + 1);
            count.replaceChildren(...[plural('cases.list.count', data.total),
                data.total > list.length ? [' ', tn('cases.list.page_range', { from: page * PAGE + 1, to: page * PAGE + list.length })] : null,
                data.matched_by && cur.q ? [' ', tn(`cases.list.matched_${data.matched_by}`)] : null].flat().filter(Boolean));
            table.dataset.loaded = JSON.stringify(cur);
            table.dataset.total = String(data.total);
            table.dataset.page = String(page);
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
    for (const el of [status, type, lang, consulate, sort, mine, overdue])
        el.addEventListener('change', () => load(0));
    let typing = null;
    search.addEventListener('input', () => {
        clearTimeout(typing);
        typing = setTimeout(() => load(0), 250);
    });

    let scope = null;
    if (u.consulate) {
        scope = h('p', { class: 'scope' }, tf('cases.scope', { consulate: h('bdi', { dir: 'ltr' }, u.consulate) }));
        loadGeo().then((geo) => scope.replaceChildren(tf('cases.scope', { consulate: consulateNode(geo, u.consulate) })))
            .catch(() => null); /* the code alone is still right */
    }

    const item = (id, label, control) => h('span', { class: 'filter-item' }, h('label', { for: id }, tn(label)), control);
    const filters = h('form', { class: 'filter-row case-filters', id: 'case-filters', role: 'search', 'aria-label': t('cases.list.filters') },
        h('span', { class: 'filter-item filter-search' }, h('label', { for: 'filter-q' }, tn('cases.list.search')), search,
            h('span', { class: 'hint', id: 'filter-q-hint' }, tn('cases.list.search_hint'))),
        item('filter-sort', 'cases.list.sort', sort),
        item('filter-status', 'cases.col.status', status),
        item('filter-type', 'cases.col.type', type),
        item('filter-language', 'cases.list.language', lang),
        item('filter-consulate', 'cases.col.consulate', consulate),
        h('span', { class: 'check' }, mine, h('label', { for: 'filter-mine' }, tn('cases.list.mine'))),
        h('span', { class: 'check' }, overdue, h('label', { for: 'filter-overdue' }, tn('cases.list.overdue'))));
    filters.addEventListener('submit', (ev) => {
        ev.preventDefault();
        clearTimeout(typing);
        load(0);
    });

    load(0);

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
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'pager' }, prev, next));
}
