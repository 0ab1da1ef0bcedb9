/*
 * Shared pieces of the pages: translated error messages, alerts, labelled
 * form fields with their error slots, dialogs, the copyable secret box, and
 * the language list. Everything here builds DOM nodes; nothing parses HTML.
 */
import { ApiError } from './api.js';
import { h, uid } from './dom.js';
import { LANGUAGES, has, plural, t, tn } from './i18n.js';

/* Minutes to wait from an auth.locked error: the Retry-After header when the
 * server sent one, else the number in its message, else null. */
function lockMinutes(err) {
    if (err.retryAfter)
        return Math.max(1, Math.ceil(err.retryAfter / 60));
    const m = /(\d+)\s*minute/.exec(err.message || '');
    return m ? Math.max(1, Number(m[1])) : null;
}

/* The user-facing text of an error, in the UI language. Codes without a
 * translation get a generic sentence naming the code and request id, so the
 * user can quote them to support. */
export function errorText(err) {
    if (!(err instanceof ApiError)) {
        console.error(err);
        return t('error.unexpected');
    }
    if (err.code === 'auth.locked') {
        const minutes = lockMinutes(err);
        return minutes ? plural('error.auth.locked', minutes) : t('error.auth.locked_unknown');
    }
    const key = `error.${err.code}`;
    if (has(key))
        return t(key);
    if (err.status >= 500)
        return t('error.server', { ref: err.requestId || '-' });
    return t('error.unknown', { code: err.code, ref: err.requestId || '-' });
}

/* kind: 'error' | 'success' | 'info' | 'warning'. Errors are announced at once
 * (role=alert); the others politely (role=status). */
export function alertBox(kind, ...content) {
    return h('div', { class: `alert alert-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...content);
}

/* A region that announces what is put in it; show(kind, text) / clear(). */
export function messageArea() {
    const el = h('div', { class: 'message-area' });
    return {
        el,
        show(kind, ...content) {
            el.replaceChildren(alertBox(kind, ...content));
        },
        error(err) {
            el.replaceChildren(alertBox('error', errorText(err)));
        },
        clear() {
            el.replaceChildren();
        },
    };
}

export function pageTitle(key, vars) {
    return h('h1', { class: 'page-title', tabindex: '-1' }, tn(key, vars));
}

/* A labelled control: field({label: 'users.login', control: h('input', ...), hint: 'key'}).
 * The control gets an id, aria-describedby for the hint and the error slot,
 * and data-field = name for server field errors. */
export function field({ label, control, hint = null, name = null, required = false }) {
    const id = control.id || uid('f');
    control.id = id;
    if (name)
        control.dataset.field = name;
    if (required)
        control.required = true;
    const hintId = `${id}-hint`;
    const errId = `${id}-error`;
    control.setAttribute('aria-describedby', hint ? `${hintId} ${errId}` : errId);
    return h('div', { class: 'field', dataset: { fieldFor: name || id } },
        h('label', { for: id }, tn(label), required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null),
        hint ? h('p', { class: 'hint', id: hintId }, tn(hint)) : null,
        control,
        h('p', { class: 'field-error', id: errId, hidden: true }));
}

export function clearFieldErrors(form) {
    for (const el of form.querySelectorAll('[aria-invalid="true"]'))
        el.removeAttribute('aria-invalid');
    for (const el of form.querySelectorAll('.field-error')) {
        el.textContent = '';
        el.hidden = true;
    }
}

/* Shows text as the error of a control made by field(), and focuses it;
 * the error goes away as soon as the user changes the value. */
export function markFieldError(control, text) {
    control.setAttribute('aria-invalid', 'true');
    const slot = document.getElementById(`${control.id}-error`);
    if (slot) {
        slot.textContent = text;
        slot.hidden = false;
    }
    control.addEventListener('input', () => {
        control.removeAttribute('aria-invalid');
        if (slot) {
            slot.textContent = '';
            slot.hidden = true;
        }
    }, { once: true });
    control.focus();
}

/* Marks the control whose data-field is err.field, when there is one in the
 * form. Returns true when it did. */
export function showFieldError(form, err) {
    if (!(err instanceof ApiError) || !err.field)
        return false;
    const control = form.querySelector(`[data-field="${CSS.escape(err.field)}"]`);
    if (!control)
        return false;
    markFieldError(control, errorText(err));
    return true;
}

/* Disables a submit button while its request runs, with a busy label. */
export async function whileBusy(button, labelKey, fn) {
    const old = Array.from(button.childNodes);
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    button.replaceChildren(tn(labelKey));
    try {
        return await fn();
    } finally {
        if (button.isConnected) {
            button.disabled = false;
            button.removeAttribute('aria-busy');
            button.replaceChildren(...old);
        }
    }
}

export function languageOptions(selected) {
    return LANGUAGES.map((l) => h('option', { value: l.code, lang: l.code, dir: l.dir, selected: l.code === selected }, l.name));
}

export function languageName(code) {
    const l = LANGUAGES.find((x) => x.code === code);
    return l ? l.name : code;
}

export const ROLES = ['agent', 'supervisor', 'editor', 'backoffice', 'admin'];

export function roleOptions(selected) {
    return ROLES.map((r) => h('option', { value: r, selected: r === selected }, t(`role.${r}`)));
}

/* A modal <dialog> with a title, a body and a close button. Returns
 * {dialog, body, close}; the dialog removes itself when closed and gives the
 * focus back to what had it. */
export function openDialog({ title, content, wide = false, onClose = null }) {
    const titleId = uid('dlg');
    const previous = document.activeElement;
    const body = h('div', { class: 'dialog-body' }, content);
    const dialog = h('dialog', { class: ['dialog', wide && 'dialog-wide'], 'aria-labelledby': titleId },
        h('div', { class: 'dialog-head' },
            h('h2', { id: titleId }, title),
            h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('common.close'), onclick: () => dialog.close() }, '×')),
        body);
    dialog.addEventListener('close', () => {
        dialog.remove();
        if (onClose)
            onClose();
        if (previous && previous.isConnected && typeof previous.focus === 'function')
            previous.focus();
    });
    document.body.append(dialog);
    dialog.showModal();
    return { dialog, body, close: () => dialog.close() };
}

/* Asks a yes/no question in a modal dialog; resolves true for yes. */
export function confirmDialog({ title, message, confirmLabel, danger = false }) {
    return new Promise((resolve) => {
        let answer = false;
        const yes = h('button', { type: 'button', class: ['btn', danger ? 'btn-danger' : 'btn-primary'], dataset: { confirm: 'yes' } }, confirmLabel);
        const no = h('button', { type: 'button', class: 'btn', dataset: { confirm: 'no' } }, t('common.cancel'));
        const d = openDialog({
            title,
            content: [h('p', {}, message), h('div', { class: 'actions' }, yes, no)],
            onClose: () => resolve(answer),
        });
        yes.addEventListener('click', () => {
            answer = true;
            d.close();
        });
        no.addEventListener('click', () => d.close());
        no.focus();
    });
}

/* A secret shown once (a temporary password): a read-only field the user can
 * select, a copy button, and a note that it will not be shown again. */
export function secretBox({ label, value, note }) {
    const input = h('input', { type: 'text', readonly: true, value, class: 'secret', spellcheck: 'false', autocomplete: 'off', dataset: { secret: '' } });
    const status = h('span', { class: 'copy-status', role: 'status' });
    const copy = h('button', { type: 'button', class: 'btn' }, tn('common.copy'));
    copy.addEventListener('click', async () => {
        input.focus();
        input.select();
        let ok = false;
        try {
            await navigator.clipboard.writeText(value);
            ok = true;
        } catch (e) {
            ok = document.execCommand && document.execCommand('copy');
        }
        status.textContent = ok ? t('common.copied') : t('common.copy_manually');
    });
    input.addEventListener('focus', () => input.select());
    return h('div', { class: 'secret-box' },
        field({ label, control: input }),
        h('div', { class: 'secret-actions' }, copy, status),
        note ? h('p', { class: 'hint' }, note) : null);
}

export function badge(kind, content) {
    return h('span', { class: `badge badge-${kind}` }, content);
}
