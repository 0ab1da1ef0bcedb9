/*
 * Supervision (#/supervision): the live telephony (supervision_tel.js), then
 * the cases past a deadline or escalated, with
 * their badges, sortable by due date (most overdue first by default), and a
 * small count of the active cases by status and of the overdue ones by
 * deadline state.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { loadGeo } from '../geo.js';
import { formatNumber, plural, t, tn } from '../i18n.js';
import { caseErrorText, statusName } from '../cases.js';
import { messageArea, pageTitle } from '../ui.js';
import { CASE_COLUMNS, LIST_LIMIT, caseRow } from './case_list.js';
import { telephonySection } from './supervision_tel.js';

const ACTIVE_LIMIT = 500; /* the server's limit */
const ACTIVE_STATUSES = ['new', 'open', 'waiting_citizen', 'waiting_consulate'];
const DEADLINE_STATES = ['breached', 'warning', 'paused', 'ok'];

let ascending = true; /* kept while the supervisor moves around */

function dueOf(c) {
    const due = c.deadline && c.deadline.due;
    return due ? Date.parse(due) : Number.POSITIVE_INFINITY;
}

/* A row of numbers: [{key, n, kind}] as a list the eye takes in at once. */
function counts(id, titleKey, items) {
    return h('section', { class: 'stat-group', id, 'aria-labelledby': `${id}-title` },
        h('h2', { id: `${id}-title`, class: 'stat-title' }, tn(titleKey)),
        h('ul', { class: 'stats' }, items.map((x) => h('li', { class: ['stat', x.kind && `stat-${x.kind}`], dataset: { key: x.key, n: String(x.n) } },
            h('span', { class: 'stat-n' }, x.capped ? `${formatNumber(x.n)}+` : formatNumber(x.n)),
            h('span', { class: 'stat-label' }, x.label)))));
}

export function render(ctx) {
    const messages = messageArea();
    const summary = h('div', { class: 'stat-row', id: 'supervision-counts' }, h('p', { class: 'loading' }, tn('common.loading')));
    const count = h('p', { class: 'list-count', role: 'status', id: 'overdue-count' });
    const sortButton = h('button', { type: 'button', class: 'sort-button', dataset: { action: 'sort-due' } });
    const dueHeader = h('th', { scope: 'col', 'aria-sort': 'ascending' }, sortButton);
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'loading' }, tn('common.loading'))));
    const table = h('table', { class: 'data-table data-table-dense cases-table', id: 'overdue-table' },
        h('caption', { class: 'visually-hidden' }, tn('supervision.caption')),
        h('thead', {}, h('tr', {}, CASE_COLUMNS.map((k) => (k === 'cases.col.deadline' ? dueHeader : h('th', { scope: 'col' }, tn(k)))))),
        tbody);
    let overdue = [];
    let geo = null;

    function drawRows() {
        const rows = [...overdue].sort((a, b) => (ascending ? dueOf(a) - dueOf(b) : dueOf(b) - dueOf(a)));
        tbody.replaceChildren(...rows.map((c) => caseRow(c, geo)));
        if (!rows.length)
            tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(CASE_COLUMNS.length), class: 'empty' }, tn('supervision.none'))));
        dueHeader.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        sortButton.replaceChildren(tn('cases.col.deadline'), ' ',
            h('span', { 'aria-hidden': 'true', class: 'sort-mark' }, ascending ? '▲' : '▼'),
            h('span', { class: 'visually-hidden' }, ` (${t(ascending ? 'supervision.sorted_oldest' : 'supervision.sorted_newest')})`));
        sortButton.title = t(ascending ? 'supervision.sort_newest' : 'supervision.sort_oldest');
        table.dataset.sort = ascending ? 'asc' : 'desc';
    }
    sortButton.addEventListener('click', () => {
        ascending = !ascending;
        drawRows();
    });
    drawRows();

    async function load() {
        try {
            const [o, a, g] = await Promise.all([
                api('GET', withQuery('/api/v1/cases', { overdue: 1, limit: LIST_LIMIT })),
                api('GET', withQuery('/api/v1/cases', { status: 'active', limit: ACTIVE_LIMIT })),
                loadGeo().catch(() => null),
            ]);
            geo = g;
            overdue = o.cases || [];
            const active = a.cases || [];
            const capped = active.length >= ACTIVE_LIMIT;
            drawRows();
            count.replaceChildren(overdue.length >= LIST_LIMIT
                ? tn('cases.list.count_capped', { n: LIST_LIMIT })
                : plural('supervision.count', overdue.length));
            const byStatus = ACTIVE_STATUSES.map((s) => ({
                key: s, label: statusName(s), n: active.filter((c) => c.status === s).length, capped,
            }));
            const byDeadline = DEADLINE_STATES.map((s) => ({
                key: s, kind: s, label: t(`cases.deadline.${s}`), n: active.filter((c) => c.deadline && c.deadline.state === s).length, capped,
            }));
            byDeadline.push({ key: 'escalated', kind: 'breached', label: t('cases.escalated'), n: active.filter((c) => c.escalated).length, capped });
            summary.replaceChildren(
                counts('count-status', 'supervision.by_status', byStatus),
                counts('count-deadline', 'supervision.by_deadline', byDeadline));
        } catch (e) {
            summary.replaceChildren();
            tbody.replaceChildren();
            messages.show('error', caseErrorText(e));
        }
    }
    load();

    return h('section', { class: 'page page-supervision' },
        h('div', { class: 'page-head' }, pageTitle('supervision.title')),
        h('p', { class: 'lead' }, tn('supervision.intro')),
        telephonySection(ctx),
        messages.el,
        summary,
        h('h2', { class: 'section-title' }, tn('supervision.overdue_title')),
        count,
        h('div', { class: 'table-wrap' }, table));
}
