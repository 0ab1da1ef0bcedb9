/*
 * The synonym groups search uses: words callers say that mean the same thing
 * ("passeport", "جواز السفر", "paspoort"), grouped by concept, in each
 * language. Editors add and remove terms; the others read.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { dirOf, guideTabs, isEditor, LANG_CODES, nativeName } from '../guide.js';
import { plural, t, tn } from '../i18n.js';
import {
    clearFieldErrors, confirmDialog, field, markFieldError, messageArea, pageTitle, showFieldError, whileBusy,
} from '../ui.js';

let filterText = '';

export function render(ctx) {
    const editor = isEditor(ctx.user);
    const messages = messageArea();
    const count = h('p', { class: 'hint', role: 'status' });
    const groupsList = h('datalist', { id: 'synonym-groups' });
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '8', class: 'loading' }, tn('common.loading'))));
    const table = h('table', { class: 'data-table synonyms-table', id: 'synonyms-table' },
        h('caption', { class: 'visually-hidden' }, tn('guide.synonyms.caption')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, tn('guide.synonyms.group')),
            LANG_CODES.map((c) => h('th', { scope: 'col' }, h('abbr', { title: nativeName(c), lang: c }, c.toUpperCase()))))),
        tbody);
    const filter = h('input', { type: 'search', id: 'synonym-filter', value: filterText, dir: 'auto', autocomplete: 'off' });
    let all = [];

    function chip(s) {
        const term = h('span', { class: 'chip-term', lang: s.lang, dir: dirOf(s.lang) }, s.term);
        if (!editor)
            return h('span', { class: 'chip', dataset: { id: String(s.id) } }, term);
        const del = h('button', {
            type: 'button', class: 'chip-delete', dataset: { action: 'delete-synonym', id: String(s.id) },
            'aria-label': t('guide.synonyms.delete_label', { term: s.term }), title: t('guide.synonyms.delete_label', { term: s.term }),
        }, '×');
        del.addEventListener('click', async () => {
            const yes = await confirmDialog({
                title: t('guide.synonyms.delete_title'),
                message: t('guide.synonyms.delete_confirm', { term: s.term, group: s.group }),
                confirmLabel: t('guide.synonyms.delete'),
                danger: true,
            });
            if (!yes)
                return;
            messages.clear();
            try {
                await api('DELETE', `/api/v1/guide/synonyms/${s.id}`);
                messages.show('success', tn('guide.synonyms.deleted', { term: s.term }));
                await load();
            } catch (e) {
                messages.error(e);
            }
        });
        return h('span', { class: 'chip', dataset: { id: String(s.id) } }, term, del);
    }

    function draw() {
        const f = filterText.trim().toLowerCase();
        const groups = new Map();
        for (const s of all) {
            if (!groups.has(s.group))
                groups.set(s.group, []);
            groups.get(s.group).push(s);
        }
        const names = [...groups.keys()].sort();
        groupsList.replaceChildren(...names.map((g) => h('option', { value: g })));
        const shown = names.filter((g) => !f || g.includes(f) || groups.get(g).some((s) => s.term.toLowerCase().includes(f)));
        tbody.replaceChildren(...shown.map((g) => h('tr', { dataset: { group: g } },
            h('th', { scope: 'row' }, h('code', { dir: 'ltr' }, g)),
            LANG_CODES.map((c) => h('td', { class: 'wrap chips', dataset: { lang: c, label: c.toUpperCase() } },
                groups.get(g).filter((s) => s.lang === c).map(chip))))));
        if (!shown.length)
            tbody.replaceChildren(h('tr', {}, h('td', { colspan: '8' }, tn('guide.synonyms.none'))));
        count.textContent = plural('guide.synonyms.count', shown.length);
    }

    async function load() {
        try {
            all = (await api('GET', '/api/v1/guide/synonyms')).synonyms || [];
            draw();
        } catch (e) {
            tbody.replaceChildren();
            messages.error(e);
        }
    }

    filter.addEventListener('input', () => {
        filterText = filter.value;
        draw();
    });

    let addForm = null;
    if (editor) {
        const group = h('input', { type: 'text', name: 'group', list: 'synonym-groups', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', maxlength: '63' });
        const lang = h('select', { name: 'lang' }, LANG_CODES.map((c) => h('option', { value: c, lang: c }, nativeName(c))));
        const term = h('input', { type: 'text', name: 'term', dir: 'auto', autocomplete: 'off', maxlength: '120' });
        const add = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'add-synonym' } }, tn('guide.synonyms.add'));
        addForm = h('form', { class: 'form form-inline', id: 'synonym-form', novalidate: true, 'aria-label': t('guide.synonyms.add_title') },
            field({ label: 'guide.synonyms.group', control: group, name: 'group', hint: 'guide.synonyms.group_hint', required: true }),
            field({ label: 'guide.synonyms.language', control: lang, name: 'lang', required: true }),
            field({ label: 'guide.synonyms.term', control: term, name: 'term', required: true }),
            h('div', { class: 'actions' }, add));
        lang.addEventListener('change', () => {
            term.lang = lang.value;
        });
        addForm.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            clearFieldErrors(addForm);
            messages.clear();
            if (!group.value.trim())
                return markFieldError(group, t('guide.synonyms.group_required'));
            if (!term.value.trim())
                return markFieldError(term, t('guide.synonyms.term_required'));
            try {
                const s = await whileBusy(add, 'common.saving', () => api('POST', '/api/v1/guide/synonyms',
                    { group: group.value.trim(), lang: lang.value, term: term.value.trim() }));
                messages.show('success', tn('guide.synonyms.added', { term: s.term, group: s.group }));
                term.value = '';
                term.focus();
                await load();
            } catch (e) {
                if (!showFieldError(addForm, e))
                    messages.error(e);
            }
        });
    }

    load();
    return h('section', { class: 'page page-guide-synonyms' },
        pageTitle('guide.synonyms.title'),
        guideTabs(ctx.user, 'guide/edit/synonyms'),
        h('p', { class: 'lead' }, tn('guide.synonyms.intro')),
        addForm,
        messages.el,
        groupsList,
        h('div', { class: 'filter-row' },
            h('label', { for: 'synonym-filter' }, tn('guide.synonyms.filter')), filter, count),
        h('div', { class: 'table-wrap' }, table));
}
