/*
 * "My account": who I am, the UI language I want (kept on the server), and
 * changing my password. When an administrator set a temporary password, this
 * is the only page the user can reach until it is changed.
 */
import { api } from '../api.js';
import { h, uid } from '../dom.js';
import { consulateNode, loadGeo } from '../geo.js';
import { LANGUAGES, formatDateTime, language, t, tn } from '../i18n.js';
import {
    alertBox, clearFieldErrors, field, markFieldError, messageArea, pageTitle, showFieldError, whileBusy,
} from '../ui.js';

let focusLanguageNext = false;

/* The consulate's code at once, its name when the list has loaded. */
function consulate(code) {
    const el = h('span', {}, h('bdi', { dir: 'ltr' }, code));
    loadGeo().then((geo) => el.replaceChildren(consulateNode(geo, code))).catch(() => null);
    return el;
}

function profile(u) {
    const rows = [
        ['account.login', h('code', { dir: 'ltr' }, u.login)],
        ['account.name', h('span', { dir: 'auto' }, u.display_name)],
        ['account.role', t(`role.${u.role}`)],
        u.consulate ? ['account.consulate', consulate(u.consulate)] : null,
        ['account.last_login', formatDateTime(u.last_login_at) || t('common.never')],
        ['account.created', formatDateTime(u.created_at)],
    ].filter(Boolean);
    return h('section', { class: 'card', 'aria-labelledby': 'account-profile' },
        h('h2', { id: 'account-profile' }, tn('account.profile')),
        h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', {}, tn(k)), h('dd', {}, v)])));
}

function languageChooser(ctx) {
    const name = uid('lang');
    const radios = LANGUAGES.map((l) => {
        const id = `${name}-${l.code}`;
        const input = h('input', { type: 'radio', name, id, value: l.code, checked: l.code === language() });
        if (focusLanguageNext && l.code === language())
            input.setAttribute('data-autofocus', '');
        input.addEventListener('change', () => {
            focusLanguageNext = true;
            ctx.chooseLanguage(l.code);
        });
        return h('div', { class: 'choice' }, input, h('label', { for: id, lang: l.code, dir: l.dir }, l.name));
    });
    focusLanguageNext = false;
    return h('section', { class: 'card', 'aria-labelledby': 'account-language' },
        h('h2', { id: 'account-language' }, tn('account.language')),
        h('fieldset', { class: 'choices' },
            h('legend', {}, tn('account.language_legend')),
            radios),
        h('p', { class: 'hint' }, tn('account.language_hint')));
}

function passwordForm(ctx, forced) {
    const current = h('input', { type: 'password', autocomplete: 'current-password', dir: 'ltr', 'data-autofocus': forced });
    const next = h('input', { type: 'password', autocomplete: 'new-password', dir: 'ltr' });
    const again = h('input', { type: 'password', autocomplete: 'new-password', dir: 'ltr' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, tn('account.change_password'));
    const messages = messageArea();
    const form = h('form', { class: 'form', novalidate: true, id: 'password-form' },
        field({ label: forced ? 'account.temporary_password' : 'account.current_password', control: current, name: 'current_password', required: true }),
        field({ label: 'account.new_password', control: next, name: 'password', hint: 'account.password_rules', required: true }),
        field({ label: 'account.new_password_again', control: again, name: 'again', required: true }),
        messages.el,
        h('div', { class: 'actions' }, submit));

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        if (!current.value || !next.value) {
            messages.show('error', tn('account.fill_all'));
            (current.value ? next : current).focus();
            return;
        }
        if (next.value !== again.value) {
            markFieldError(again, t('account.passwords_differ'));
            return;
        }
        try {
            await whileBusy(submit, 'common.saving', () =>
                api('POST', '/api/v1/me/password', { current_password: current.value, new_password: next.value }));
            form.reset();
            if (forced) {
                await ctx.passwordChanged();
                return;
            }
            messages.show('success', tn('account.password_changed'));
        } catch (e) {
            /* the policy check names the field "password"; the body calls it new_password */
            if (e.field === 'new_password')
                e.field = 'password';
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });

    return h('section', { class: 'card', 'aria-labelledby': 'account-password' },
        h('h2', { id: 'account-password' }, tn(forced ? 'account.choose_password' : 'account.password')),
        form);
}

export function render(ctx) {
    const u = ctx.user;
    const forced = Boolean(u.must_change_password);
    return h('section', { class: 'page page-account' },
        pageTitle('account.title'),
        forced ? alertBox('warning', tn('account.must_change')) : null,
        h('div', { class: 'columns' },
            h('div', { class: 'column' },
                forced ? passwordForm(ctx, true) : profile(u),
                forced ? null : passwordForm(ctx, false)),
            h('div', { class: 'column' }, languageChooser(ctx))));
}
