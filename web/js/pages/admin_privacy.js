/*
 * Data protection (#/admin/privacy), for the administrator: everything held
 * about a citizen, found by phone number or e-mail address, downloaded as a
 * JSON document (a subject-access request); and the erasure of that
 * citizen's personal data, after a look at the cases it concerns and a
 * confirmation. The cases themselves stay, anonymous, for the statistics.
 * Both requests are recorded in the audit trail by the server.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { plural, t, tf, tn } from '../i18n.js';
import { caseErrorText, showCaseFieldError, statusBadge, timeNode, typeName } from '../cases.js';
import { alertBox, clearFieldErrors, confirmDialog, field, markFieldError, messageArea, pageTitle, whileBusy } from '../ui.js';
import { caseLink } from './case_list.js';

const FIND_LIMIT = 500;

/* Saves text as a file through a temporary blob: link. */
function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    const a = h('a', { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function stamp() {
    return new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
}

export function render() {
    const messages = messageArea();
    const result = h('div', { class: 'privacy-result', id: 'privacy-result', 'aria-live': 'polite' });
    const byPhone = h('input', { type: 'radio', name: 'subject-kind', id: 'kind-phone', value: 'phone', checked: true });
    const byEmail = h('input', { type: 'radio', name: 'subject-kind', id: 'kind-email', value: 'email' });
    const value = h('input', { type: 'text', name: 'subject', id: 'privacy-subject', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', 'data-autofocus': true, maxlength: '254' });
    const exportButton = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'export' } }, tn('privacy.export'));
    const findButton = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'find-erase' } }, tn('privacy.erase_start'));
    const hint = h('p', { class: 'hint', id: 'privacy-subject-kind-hint' });

    const form = h('form', { class: 'form card privacy-form', id: 'privacy-form', novalidate: true },
        h('fieldset', { class: 'choices' },
            h('legend', {}, tn('privacy.find_by')),
            h('div', { class: 'choice' }, byPhone, h('label', { for: 'kind-phone' }, tn('cases.field.phone'))),
            h('div', { class: 'choice' }, byEmail, h('label', { for: 'kind-email' }, tn('cases.field.email')))),
        field({ label: 'privacy.subject', control: value, name: 'subject', required: true }),
        hint,
        messages.el,
        h('div', { class: 'actions' }, exportButton, findButton));

    function kind() {
        return byEmail.checked ? 'email' : 'phone';
    }
    function syncKind() {
        value.type = kind() === 'email' ? 'email' : 'tel';
        value.dataset.field = kind();
        value.placeholder = kind() === 'email' ? 'name@example.org' : '+33 6 12 34 56 78';
        hint.replaceChildren(tn(kind() === 'email' ? 'privacy.email_hint' : 'privacy.phone_hint'));
    }
    byPhone.addEventListener('change', syncKind);
    byEmail.addEventListener('change', syncKind);
    syncKind();

    /* {phone} or {email}, or null after marking the empty field. */
    function subject() {
        clearFieldErrors(form);
        messages.clear();
        const v = value.value.trim();
        if (!v) {
            markFieldError(value, t('privacy.subject_missing'));
            return null;
        }
        return { [kind()]: v };
    }

    function failed(e) {
        if (!showCaseFieldError(form, e))
            messages.show('error', caseErrorText(e));
    }

    form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        exportButton.click();
    });

    exportButton.addEventListener('click', async () => {
        const body = subject();
        if (!body)
            return;
        result.replaceChildren();
        try {
            const doc = await whileBusy(exportButton, 'common.working', () => api('POST', '/api/v1/privacy/export', body));
            const n = (doc && doc.cases ? doc.cases.length : 0);
            const name = `subject-access-${kind()}-${stamp()}.json`;
            download(name, `${JSON.stringify(doc, null, 2)}\n`);
            result.replaceChildren(alertBox(n ? 'success' : 'info',
                n ? tf('privacy.exported', { file: h('code', { dir: 'ltr' }, name), count: plural('privacy.case_count', n) }) : tn('privacy.exported_none')));
            result.dataset.exported = String(n);
        } catch (e) {
            failed(e);
        }
    });

    /* Erasure: first the cases it concerns (masked), then a confirmation. */
    findButton.addEventListener('click', async () => {
        const body = subject();
        if (!body)
            return;
        result.replaceChildren();
        let list;
        try {
            list = (await whileBusy(findButton, 'common.working', () => api('GET', withQuery('/api/v1/cases', { ...body, limit: FIND_LIMIT })))).cases || [];
        } catch (e) {
            failed(e);
            return;
        }
        const who = Object.values(body)[0];
        if (!list.length) {
            result.replaceChildren(alertBox('info', tn('privacy.nothing', { subject: who })));
            return;
        }
        const live = list.filter((c) => !c.anonymized);
        const erase = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'erase' } }, tn('privacy.erase'));
        const cancel = h('button', { type: 'button', class: 'btn', dataset: { action: 'erase-cancel' } }, tn('common.cancel'));
        result.replaceChildren(h('section', { class: 'card erase-review', id: 'erase-review', 'aria-labelledby': 'erase-review-title' },
            h('h2', { id: 'erase-review-title', tabindex: '-1' }, tn('privacy.review_title')),
            h('p', {}, plural('privacy.review', list.length, { subject: who })),
            h('ul', { class: 'erase-list' }, list.map((c) => h('li', { dataset: { reference: c.reference } },
                caseLink(c), ' ', typeName(c.type), ' ', statusBadge(c.status), ' ', timeNode(c.created_at, { dateOnly: true }),
                c.anonymized ? [' ', h('span', { class: 'badge badge-muted' }, tn('privacy.already_erased'))] : null))),
            alertBox('warning', tn('privacy.erase_warning')),
            h('div', { class: 'actions' }, erase, cancel)));
        result.querySelector('h2').focus();
        cancel.addEventListener('click', () => {
            result.replaceChildren();
            value.focus();
        });
        erase.disabled = !live.length;
        erase.addEventListener('click', async () => {
            const yes = await confirmDialog({
                title: t('privacy.confirm_title'),
                message: plural('privacy.confirm', live.length, { subject: who }),
                confirmLabel: t('privacy.erase'),
                danger: true,
            });
            if (!yes)
                return;
            try {
                const r = await whileBusy(erase, 'common.working', () => api('POST', '/api/v1/privacy/erase', body));
                result.replaceChildren(alertBox('success', plural('privacy.erased', r.erased_cases || 0, { subject: who })));
                result.dataset.erased = String(r.erased_cases || 0);
                value.value = '';
                value.focus();
            } catch (e) {
                failed(e);
            }
        });
    });

    return h('section', { class: 'page page-privacy' },
        h('div', { class: 'page-head' }, pageTitle('privacy.title')),
        h('p', { class: 'lead' }, tn('privacy.intro')),
        form,
        result);
}
