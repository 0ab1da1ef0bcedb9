/*
 * The login page: login and password, errors in the UI language (wrong
 * credentials, lock-out with the minutes to wait, disabled account).
 */
import { h } from '../dom.js';
import { tn } from '../i18n.js';
import * as session from '../session.js';
import { field, messageArea, pageTitle, whileBusy } from '../ui.js';

/* Kept across re-renders (a language switch redraws the page). */
let typedLogin = '';

export function render(ctx) {
    const loginInput = h('input', {
        type: 'text', name: 'login', autocomplete: 'username', autocapitalize: 'none',
        spellcheck: 'false', value: typedLogin, 'data-autofocus': !typedLogin, dir: 'ltr',
    });
    const passwordInput = h('input', { type: 'password', name: 'password', autocomplete: 'current-password', 'data-autofocus': Boolean(typedLogin), dir: 'ltr' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-block' }, tn('login.submit'));
    const messages = messageArea();
    messages.el.id = 'login-error';

    loginInput.addEventListener('input', () => {
        typedLogin = loginInput.value;
    });

    const form = h('form', { class: 'form', novalidate: true, 'aria-describedby': 'login-error' },
        field({ label: 'login.login', control: loginInput, required: true }),
        field({ label: 'login.password', control: passwordInput, required: true }),
        messages.el,
        submit);

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        messages.clear();
        for (const old of document.querySelectorAll('#main > .flash'))
            old.remove();
        const loginName = loginInput.value.trim();
        if (!loginName || !passwordInput.value) {
            messages.show('error', tn('login.missing_fields'));
            (loginName ? passwordInput : loginInput).focus();
            return;
        }
        try {
            const u = await whileBusy(submit, 'login.submitting', () => session.login(loginName, passwordInput.value));
            passwordInput.value = '';
            await ctx.loggedIn(u);
        } catch (e) {
            passwordInput.value = '';
            messages.error(e);
            passwordInput.focus();
            messages.el.dataset.code = e.code || '';
        }
    });

    return h('section', { class: 'page page-login' },
        h('div', { class: 'card login-card' },
            pageTitle('login.title'),
            h('p', { class: 'lead' }, tn('login.intro')),
            form),
        h('p', { class: 'login-help' }, tn('login.help')));
}
