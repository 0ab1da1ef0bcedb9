/*
 * Voice messages left in the voice menu: work items to listen to and handle,
 * by calling the caller back (a callback request the dialler makes) or by
 * marking them handled with an outcome and a note. Agents see the messages
 * in the languages they take calls in, supervisors all of them (the server
 * decides). Listening is audited by the server. The first page is read
 * again every REFRESH_MS.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { LANGUAGES, formatDateTime, t, tn } from '../i18n.js';
import { user } from '../session.js';
import { alertBox, badge, confirmDialog, errorText, field, languageName, messageArea, openDialog, pageTitle, whileBusy } from '../ui.js';

const PAGE_SIZE = 50;
const REFRESH_MS = 30_000;

export function render() {
    const messages = messageArea();
    const status = h('select', { name: 'status' },
        h('option', { value: 'new' }, t('messages.status_new')),
        h('option', { value: 'handled' }, t('messages.status_handled')),
        h('option', { value: '' }, t('messages.status_all')));
    const lang = h('select', { name: 'language' },
        h('option', { value: '' }, t('messages.all_languages')),
        LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, dir: l.dir }, l.name)));
    const apply = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'filter' } }, tn('messages.apply'));
    const older = h('button', { type: 'button', class: 'btn', dataset: { action: 'older' }, hidden: true }, tn('messages.older'));
    const newest = h('button', { type: 'button', class: 'btn', dataset: { action: 'newest' }, hidden: true }, tn('messages.newest'));
    const cols = ['messages.col.left_at', 'messages.col.language', 'messages.col.country', 'messages.col.caller',
        'messages.col.length', 'messages.col.status', 'messages.col.actions'];
    const tbody = h('tbody');
    const table = h('table', { class: 'data-table', id: 'messages-table' },
        h('caption', { class: 'visually-hidden' }, tn('messages.caption')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);
    let before = 0;
    let next = null;
    let filters = { status: 'new', language: '' }; /* as last applied */

    function listenNode(m) {
        if (m.expired)
            return h('span', { class: 'muted' }, tn('messages.expired'));
        if (m.audio === 'failed' && !m.seconds)
            return h('span', { class: 'muted' }, tn('messages.no_audio'));
        const b = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'listen' }, title: t('messages.listen_audited') },
            tn('messages.listen'));
        b.addEventListener('click', () => {
            /* the server writes the listening to the audit trail first */
            const a = h('audio', { controls: true, preload: 'auto', src: `/api/v1/tel/messages/${m.id}/audio`,
                'aria-label': t('messages.player', { id: m.id }), dataset: { message: String(m.id) } });
            b.replaceWith(a);
            a.play().catch(() => { /* the browser may want a second click */ });
        });
        return b;
    }

    async function callBack(m, button) {
        const ok = await confirmDialog({
            title: t('messages.callback_title'),
            message: t('messages.callback_confirm', { phone: m.phone, language: languageName(m.language) }),
            confirmLabel: t('messages.callback'),
        });
        if (!ok)
            return;
        try {
            const r = await whileBusy(button, 'messages.working', () => api('POST', `/api/v1/tel/messages/${m.id}/callback`, {}));
            await load();
            messages.show('success', tn(r.merged ? 'messages.callback_merged' : 'messages.callback_done', { id: r.callback }));
        } catch (e) {
            messages.error(e);
        }
    }

    function markHandled(m) {
        const outcome = h('select', { name: 'outcome' },
            h('option', { value: 'resolved' }, t('messages.outcome.resolved')),
            h('option', { value: 'no_action' }, t('messages.outcome.no_action')));
        const note = h('textarea', { name: 'note', rows: '3', maxlength: '500' });
        const save = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save' } }, tn('messages.save'));
        const problem = h('div');
        const form = h('form', { class: 'form', novalidate: true },
            field({ label: 'messages.outcome', control: outcome }),
            field({ label: 'messages.note', control: note, hint: 'messages.note_hint' }),
            problem,
            h('div', { class: 'actions' }, save));
        const d = openDialog({ title: t('messages.handle_title'), content: form });
        form.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            problem.replaceChildren();
            try {
                const body = { outcome: outcome.value };
                if (note.value.trim())
                    body.note = note.value.trim();
                await whileBusy(save, 'messages.working', () => api('POST', `/api/v1/tel/messages/${m.id}/handled`, body));
                d.close();
                await load();
                messages.show('success', tn('messages.handled_done'));
            } catch (e) {
                problem.replaceChildren(alertBox('error', errorText(e)));
            }
        });
        outcome.focus();
    }

    function statusNode(m) {
        if (m.status === 'new')
            return badge('warning', tn('messages.status_new'));
        const me = user();
        const by = m.handled_by && me && m.handled_by === me.id ? t('messages.by_you')
            : m.handled_by ? t('messages.by_name', { name: m.handled_by_name || `#${m.handled_by}` }) : '';
        return h('div', {},
            badge('ok', tn(`messages.outcome.${m.outcome || 'resolved'}`)),
            h('div', { class: 'hint' }, tn('messages.handled_on', { date: formatDateTime(m.handled_at), by })),
            m.note ? h('div', { class: 'message-note' }, m.note) : null);
    }

    function actionsNode(m) {
        const out = [listenNode(m)];
        if (m.status === 'new') {
            if (m.phone) {
                const cb = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'callback' } },
                    tn('messages.callback'));
                cb.addEventListener('click', () => callBack(m, cb));
                out.push(cb);
            }
            const done = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'handled' } }, tn('messages.handled'));
            done.addEventListener('click', () => markHandled(m));
            out.push(done);
        }
        return h('div', { class: 'message-actions' }, out);
    }

    /* A message kept only in part says so: wasl stopped while it was left
     * (partial: what was said until then), or the disk failed (failed). */
    function lengthNode(m) {
        const length = tn('messages.seconds', { n: m.seconds });
        if (m.audio !== 'partial' && m.audio !== 'failed')
            return length;
        return h('div', {}, h('span', {}, length), ' ',
            h('span', { title: t(`messages.audio_hint.${m.audio}`), dataset: { audio: m.audio } },
                badge(m.audio === 'failed' ? 'danger' : 'warning', tn(`messages.audio.${m.audio}`))));
    }

    function row(m) {
        const cells = [
            h('time', { datetime: m.left_at }, formatDateTime(m.left_at)),
            m.language ? h('span', { lang: m.language }, languageName(m.language)) : h('span', { class: 'muted' }, '—'),
            h('span', {}, m.country),
            m.phone ? h('span', { dir: 'ltr', class: 'message-phone' }, m.phone) : h('span', { class: 'muted' }, tn('messages.anonymous')),
            lengthNode(m),
            statusNode(m),
            actionsNode(m),
        ];
        return h('tr', { dataset: { id: String(m.id), status: m.status } },
            cells.map((c, i) => h('td', { dataset: { label: t(cols[i]) } }, c)));
    }

    /* quiet: the periodic refresh, which leaves the notices and the rows
     * in place until the answer comes */
    async function load({ quiet = false } = {}) {
        if (!quiet) {
            messages.clear();
            tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(cols.length), class: 'loading' }, tn('common.loading'))));
        }
        try {
            const data = await api('GET', withQuery('/api/v1/tel/messages',
                { ...filters, limit: PAGE_SIZE, before: before || '' }));
            const items = data.items || [];
            tbody.replaceChildren(...(items.length ? items.map(row)
                : [h('tr', {}, h('td', { colspan: String(cols.length) }, tn('messages.none')))]));
            next = data.next_before;
            older.hidden = !next;
            newest.hidden = !before;
        } catch (e) {
            if (!quiet)
                tbody.replaceChildren();
            messages.error(e);
        }
    }

    /* New messages come in without anyone asking: the first page is read
     * again now and then, unless someone is listening to one or has a
     * dialog open; it stops once the page is left. */
    function refresh() {
        if (!table.isConnected)
            return;
        if (!before && !tbody.querySelector('audio') && !document.querySelector('dialog[open]'))
            load({ quiet: true });
        setTimeout(refresh, REFRESH_MS);
    }

    const filterForm = h('form', { class: 'form form-inline', novalidate: true, role: 'search', 'aria-label': t('messages.filter') },
        field({ label: 'messages.status', control: status }),
        field({ label: 'messages.language', control: lang }),
        h('div', { class: 'actions' }, apply));
    filterForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        filters = { status: status.value, language: lang.value };
        before = 0;
        load();
    });
    older.addEventListener('click', () => {
        before = next || 0;
        load();
    });
    newest.addEventListener('click', () => {
        before = 0;
        load();
    });
    load();
    setTimeout(refresh, REFRESH_MS);
    return h('section', { class: 'page page-messages' },
        pageTitle('messages.title'),
        h('p', { class: 'lead' }, tn('messages.intro')),
        messages.el,
        filterForm,
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'actions pager' }, newest, older));
}
