/*
 * The audit trail: newest entries first, a page at a time ("older"), filtered
 * by actor and object, and a check of the hash chain that says whether the
 * trail is intact or names the first entry that is not.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime, formatNumber, t, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import { alertBox, field, messageArea, pageTitle, whileBusy } from '../ui.js';

const PAGE_SIZE = 50;
const PAGE_MAX = 500; /* the server's limit */

function detailText(detail) {
    if (detail === null || detail === undefined || detail === '')
        return '';
    if (typeof detail === 'object')
        return Object.keys(detail).length ? JSON.stringify(detail) : '';
    return String(detail);
}

/* #/admin/audit?limit=N shows N entries a page (1..500). */
function pageSize() {
    const n = Number.parseInt(routeParams().get('limit') || '', 10);
    return Number.isFinite(n) && n >= 1 && n <= PAGE_MAX ? n : PAGE_SIZE;
}

export function render() {
    const size = pageSize();
    const messages = messageArea();
    const verifyResult = h('div', { class: 'verify-result', id: 'verify-result' });
    const actorInput = h('input', { type: 'text', name: 'actor', dir: 'ltr', autocomplete: 'off', spellcheck: 'false' });
    const objectInput = h('input', { type: 'text', name: 'object', dir: 'ltr', autocomplete: 'off', spellcheck: 'false' });
    const apply = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'filter' } }, tn('audit.apply'));
    const clear = h('button', { type: 'button', class: 'btn', dataset: { action: 'clear' } }, tn('audit.clear'));
    const verify = h('button', { type: 'button', class: 'btn', dataset: { action: 'verify' } }, tn('audit.verify'));
    const older = h('button', { type: 'button', class: 'btn', dataset: { action: 'older' }, hidden: true }, tn('audit.older'));
    const newest = h('button', { type: 'button', class: 'btn', dataset: { action: 'newest' }, hidden: true }, tn('audit.newest'));
    const position = h('p', { class: 'hint', role: 'status' });
    const cols = ['audit.seq', 'audit.at', 'audit.actor', 'audit.action', 'audit.object', 'audit.detail', 'audit.ip', 'audit.request_id'];
    const tbody = h('tbody');
    const table = h('table', { class: 'data-table data-table-dense', id: 'audit-table' },
        h('caption', { class: 'visually-hidden' }, tn('audit.caption')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);

    let filters = { actor: '', object: '' };
    let before = 0; /* 0: the newest page */

    async function load() {
        messages.clear();
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(cols.length), class: 'loading' }, tn('common.loading'))));
        try {
            const data = await api('GET', withQuery('/api/v1/audit', { limit: size, before: before || '', ...filters }));
            const entries = data.entries || [];
            tbody.replaceChildren(...entries.map((e) => {
                const cells = [
                    formatNumber(e.seq),
                    h('time', { datetime: e.at }, formatDateTime(e.at, { seconds: true })),
                    h('code', { dir: 'ltr' }, e.actor),
                    h('code', { dir: 'ltr' }, e.action),
                    h('code', { dir: 'ltr' }, e.object),
                    h('code', { dir: 'ltr', class: 'detail' }, detailText(e.detail)),
                    h('span', { dir: 'ltr' }, e.ip),
                    h('code', { dir: 'ltr', class: 'muted' }, e.request_id),
                ];
                return h('tr', { dataset: { seq: String(e.seq), action: e.action } },
                    cells.map((c, i) => h('td', { class: i === 5 ? 'wrap' : null, dataset: { label: t(cols[i]) } }, c)));
            }));
            if (!entries.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(cols.length) }, tn('audit.none'))));
            older.hidden = entries.length < size;
            older.dataset.before = entries.length ? String(entries[entries.length - 1].seq) : '';
            newest.hidden = !before;
            position.replaceChildren(entries.length
                ? tn('audit.showing', { from: entries[entries.length - 1].seq, to: entries[0].seq })
                : '');
        } catch (e) {
            tbody.replaceChildren();
            messages.error(e);
        }
    }

    const filterForm = h('form', { class: 'form form-inline', novalidate: true, role: 'search', 'aria-label': t('audit.filter') },
        field({ label: 'audit.actor', control: actorInput, hint: 'audit.actor_hint' }),
        field({ label: 'audit.object', control: objectInput, hint: 'audit.object_hint' }),
        h('div', { class: 'actions' }, apply, clear));
    filterForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        filters = { actor: actorInput.value.trim(), object: objectInput.value.trim() };
        before = 0;
        load();
    });
    clear.addEventListener('click', () => {
        actorInput.value = '';
        objectInput.value = '';
        filters = { actor: '', object: '' };
        before = 0;
        load();
    });
    older.addEventListener('click', () => {
        before = Number(older.dataset.before) || 0;
        load().then(() => table.scrollIntoView({ block: 'start' }));
    });
    newest.addEventListener('click', () => {
        before = 0;
        load();
    });
    verify.addEventListener('click', async () => {
        verifyResult.replaceChildren();
        try {
            const r = await whileBusy(verify, 'audit.verifying', () => api('GET', '/api/v1/audit/verify'));
            // Each problem: its kind in the user's language, the server's
            // precise text (English, left to right) beside it.
            const problems = (r.problems || []).map((p) => h('li', { 'data-kind': p.kind },
                h('strong', {}, tn(`audit.kind.${p.kind}`)), ' ',
                h('span', { dir: 'ltr', lang: 'en', class: 'problem' }, p.text)));
            verifyResult.replaceChildren(r.intact
                ? alertBox('success', tn('audit.intact', { checked: r.checked }))
                : alertBox('error',
                    h('strong', {}, r.first_bad_entry
                        ? tn('audit.broken', { seq: r.first_bad_entry, checked: r.checked })
                        : tn('audit.not_verified')),
                    h('br'),
                    tn('audit.problem_count', { count: r.problem_count }),
                    h('ul', { class: 'problems' }, ...problems)));
            verifyResult.dataset.intact = String(Boolean(r.intact));
        } catch (e) {
            verifyResult.replaceChildren(alertBox('error', tn('audit.verify_failed')));
            messages.error(e);
        }
    });

    load();

    return h('section', { class: 'page page-audit' },
        h('div', { class: 'page-head' }, pageTitle('audit.title'), verify),
        h('p', { class: 'lead' }, tn('audit.intro')),
        verifyResult,
        messages.el,
        filterForm,
        position,
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'actions pager' }, newest, older));
}
