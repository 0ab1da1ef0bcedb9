/*
 * Administration of user accounts: the list with each account's state,
 * creating an account (temporary password shown once), editing name, role,
 * consulate and language, disabling and enabling, resetting the password and
 * lifting a lock-out, and giving a user a SIP account for their desk phone.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { consulateLabel, consulateNode, countryName, loadGeo } from '../geo.js';
import { LANGUAGES, formatDateTime, language, t, tn } from '../i18n.js';
import {
    alertBox, badge, clearFieldErrors, confirmDialog, field, languageName, languageOptions,
    markFieldError, messageArea, openDialog, pageTitle, roleOptions, secretBox, showFieldError, whileBusy,
} from '../ui.js';
import { serviceName } from '../tel.js';

/* A <select> of the consular posts grouped by country, names in the UI language. */
function consulateSelect(geo, selected) {
    const byCountry = new Map();
    for (const c of geo.consulates) {
        if (!byCountry.has(c.country))
            byCountry.set(c.country, []);
        byCountry.get(c.country).push(c);
    }
    const groups = [...byCountry.keys()]
        .sort((a, b) => countryName(geo, a).localeCompare(countryName(geo, b), language()))
        .map((iso) => h('optgroup', { label: countryName(geo, iso) },
            byCountry.get(iso).map((c) => h('option', { value: c.code, selected: c.code === selected }, consulateLabel(geo, c.code)))));
    return h('select', { name: 'consulate' },
        h('option', { value: '', selected: !selected }, t('users.choose_consulate')), groups);
}

function stateBadges(u) {
    const out = [];
    if (u.disabled)
        out.push(badge('muted', tn('users.state.disabled')));
    else if (u.locked)
        out.push(badge('warning', tn('users.state.locked')));
    else
        out.push(badge('ok', tn('users.state.active')));
    if (u.must_change_password && !u.disabled)
        out.push(badge('info', tn('users.state.temporary_password')));
    return out;
}

function stateCode(u) {
    return u.disabled ? 'disabled' : u.locked ? 'locked' : 'active';
}

/* The role, consulate and language controls, shared by "create" and "edit".
 * The consulate field is shown, and required, only for back-office accounts. */
function roleFields(geo, u) {
    const role = h('select', { name: 'role' }, roleOptions(u.role || 'agent'));
    const consulate = consulateSelect(geo, u.consulate || '');
    const lang = h('select', { name: 'language' }, languageOptions(u.language || language()));
    const consulateField = field({ label: 'users.consulate', control: consulate, name: 'consulate', hint: 'users.consulate_hint', required: true });
    const sync = () => {
        const needed = role.value === 'backoffice';
        consulateField.hidden = !needed;
        consulate.required = needed;
    };
    role.addEventListener('change', sync);
    sync();
    return {
        role, consulate, lang,
        nodes: [
            field({ label: 'users.role', control: role, name: 'role', required: true }),
            consulateField,
            field({ label: 'users.language', control: lang, name: 'language' }),
        ],
    };
}

function createDialog(geo, reload) {
    const loginInput = h('input', { type: 'text', autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off', dir: 'ltr', autofocus: true, maxlength: '64' });
    const nameInput = h('input', { type: 'text', autocomplete: 'off', maxlength: '128', dir: 'auto' });
    const rf = roleFields(geo, {});
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'create-submit' } }, tn('users.create'));
    const cancel = h('button', { type: 'button', class: 'btn' }, tn('common.cancel'));
    const messages = messageArea();
    const form = h('form', { class: 'form', novalidate: true, id: 'create-user-form' },
        field({ label: 'users.login', control: loginInput, name: 'login', hint: 'users.login_rules', required: true }),
        field({ label: 'users.name', control: nameInput, name: 'display_name', required: true }),
        rf.nodes,
        h('p', { class: 'hint' }, tn('users.temporary_explained')),
        messages.el,
        h('div', { class: 'actions' }, submit, cancel));
    const d = openDialog({ title: t('users.create_title'), content: form, wide: true });
    cancel.addEventListener('click', () => d.close());

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const body = {
            login: loginInput.value.trim(),
            display_name: nameInput.value.trim(),
            role: rf.role.value,
            language: rf.lang.value,
        };
        if (!body.login)
            return markFieldError(loginInput, t('users.login_required'));
        if (!body.display_name)
            return markFieldError(nameInput, t('users.name_required'));
        if (body.role === 'backoffice') {
            if (!rf.consulate.value)
                return markFieldError(rf.consulate, t('error.auth.consulate_required'));
            body.consulate = rf.consulate.value;
        }
        try {
            const u = await whileBusy(submit, 'common.saving', () => api('POST', '/api/v1/users', body));
            reload();
            d.body.replaceChildren(
                alertBox('success', tn('users.created', { login: u.login })),
                secretBox({ label: 'users.temporary_password', value: u.temporary_password, note: t('users.temporary_once', { login: u.login }) }),
                h('div', { class: 'actions' },
                    h('button', { type: 'button', class: 'btn btn-primary', onclick: () => d.close() }, tn('common.done'))));
            d.body.querySelector('[data-secret]').focus();
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
}

const SIP_USER_RE = /^[a-z0-9._-]{1,32}$/;

/* A SIP user name to suggest: the login, when it is a valid one. */
function suggestedSipUser(u) {
    const s = String(u.login || '').toLowerCase();
    return SIP_USER_RE.test(s) ? s : '';
}

const PROFICIENCY_DEFAULT = 3; /* the server's, for a language given without one */

/* The user's SIP account: name, password and the skills the calls are
 * routed by: each language with a proficiency 1-5, and the services taken
 * (all of them, or some). The API does not say whether a user already has
 * one, so the form sets it: an existing account keeps its password when the
 * field is left empty (the same SIP user name must then be given). */
function sipSection(u) {
    const sipUser = h('input', {
        type: 'text', name: 'sip_user', autocapitalize: 'none', spellcheck: 'false', autocomplete: 'off', dir: 'ltr',
        maxlength: '32', placeholder: suggestedSipUser(u) || null, id: 'sip-user',
    });
    const password = h('input', { type: 'password', name: 'sip_password', autocomplete: 'new-password', dir: 'ltr', maxlength: '128', id: 'sip-password' });
    const boxes = LANGUAGES.map((l) => h('input', {
        type: 'checkbox', name: 'sip_languages', value: l.code, id: `sip-lang-${l.code}`, checked: l.code === u.language,
    }));
    boxes[0].dataset.field = 'languages';
    /* one level per language, usable while the language is ticked */
    const levels = LANGUAGES.map((l, i) => h('select', {
        name: `sip_level_${l.code}`, id: `sip-level-${l.code}`, class: 'sip-level', disabled: !boxes[i].checked,
        'aria-label': t('users.sip.proficiency_of', { language: l.name }),
    }, [1, 2, 3, 4, 5].map((n) => h('option', { value: String(n), selected: n === PROFICIENCY_DEFAULT }, t(`users.sip.level.${n}`)))));
    const langs = h('fieldset', { class: 'sip-languages', id: 'sip-languages', 'aria-describedby': 'sip-languages-hint' },
        h('legend', {}, tn('users.sip.languages'), h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')),
        h('p', { class: 'hint', id: 'sip-languages-hint' }, tn('users.sip.languages_hint')),
        h('div', { class: 'sip-language-list' }, boxes.map((b, i) => h('div', { class: 'choice sip-language', dataset: { lang: LANGUAGES[i].code } }, b,
            h('label', { for: b.id, lang: LANGUAGES[i].code, dir: LANGUAGES[i].dir }, LANGUAGES[i].name), levels[i]))),
        h('p', { class: 'field-error', id: `${boxes[0].id}-error`, hidden: true }));

    /* Services: all of them (also those the plan gains later), or some. */
    const allServices = h('input', { type: 'radio', name: 'sip_services_mode', value: 'all', id: 'sip-services-all', checked: true });
    const someServices = h('input', { type: 'radio', name: 'sip_services_mode', value: 'some', id: 'sip-services-some' });
    allServices.dataset.field = 'services';
    const serviceList = h('div', { class: 'sip-service-list', id: 'sip-service-list' });
    const servicesHint = h('p', { class: 'hint', id: 'sip-services-hint' }, tn('users.sip.services_hint'));
    const services = h('fieldset', { class: 'sip-services', id: 'sip-services', 'aria-describedby': 'sip-services-hint' },
        h('legend', {}, tn('users.sip.services')),
        servicesHint,
        h('div', { class: 'choice' }, allServices, h('label', { for: allServices.id }, tn('users.sip.services_all'))),
        h('div', { class: 'choice' }, someServices, h('label', { for: someServices.id }, tn('users.sip.services_some'))),
        serviceList,
        h('p', { class: 'field-error', id: `${allServices.id}-error`, hidden: true }));
    const serviceBoxes = () => Array.from(serviceList.querySelectorAll('input[type=checkbox]'));
    function syncServices() {
        for (const b of serviceBoxes())
            b.disabled = !someServices.checked;
    }
    /* the plan's services, and those the account has that the plan lacks */
    function showServices(plan, have) {
        const codes = [...plan, ...(have || []).filter((c) => !plan.includes(c))];
        serviceList.replaceChildren(...codes.map((c) => {
            const box = h('input', { type: 'checkbox', name: 'sip_services', value: c, id: `sip-service-${c}`, checked: Boolean(have && have.includes(c)) });
            return h('div', { class: 'choice' }, box, h('label', { for: box.id }, serviceName(c)));
        }));
        if (!plan.length)
            servicesHint.replaceChildren(tn('users.sip.services_hint'), ' ', tn('users.sip.services_off'));
        someServices.disabled = !codes.length;
        syncServices();
    }
    allServices.addEventListener('change', syncServices);
    someServices.addEventListener('change', syncServices);

    const save = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save-sip' } }, tn('users.sip.save'));
    const messages = messageArea();
    const form = h('form', { class: 'form sip-form', id: 'sip-form', novalidate: true },
        h('div', { class: 'field-grid' },
            field({ label: 'users.sip.user', control: sipUser, name: 'sip_user', hint: 'users.sip.user_hint', required: true }),
            field({ label: 'users.sip.password', control: password, name: 'password', hint: 'users.sip.password_hint' })),
        langs,
        services,
        messages.el,
        h('div', { class: 'actions' }, save));
    boxes.forEach((b, i) =>
        b.addEventListener('change', () => {
            levels[i].disabled = !b.checked;
            const slot = document.getElementById(`${boxes[0].id}-error`);
            if (slot && boxes.some((x) => x.checked)) {
                slot.hidden = true;
                boxes[0].removeAttribute('aria-invalid');
            }
        }));

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const name = sipUser.value.trim();
        if (!SIP_USER_RE.test(name))
            return markFieldError(sipUser, t('users.sip.user_invalid'));
        if (password.value && password.value.length < 10)
            return markFieldError(password, t('users.sip.password_short'));
        const chosen = boxes.map((b, i) => (b.checked ? `${b.value}:${levels[i].value}` : null)).filter(Boolean);
        if (!chosen.length)
            return markFieldError(boxes[0], t('users.sip.languages_required'));
        const body = { sip_user: name, languages: chosen.join(' '), services: null };
        if (someServices.checked) {
            body.services = serviceBoxes().filter((b) => b.checked).map((b) => b.value);
            if (!body.services.length)
                return markFieldError(allServices, t('users.sip.services_required'));
        }
        if (password.value)
            body.password = password.value;
        try {
            const r = await whileBusy(save, 'common.saving', () => api('PUT', `/api/v1/users/${u.id}/sip`, body));
            password.value = '';
            messages.show('success', tn(r.password_changed ? 'users.sip.saved_new_password' : 'users.sip.saved', { sip_user: r.sip_user }));
            form.dataset.saved = r.sip_user;
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
    /* An existing account fills the form (never its password). */
    api('GET', `/api/v1/users/${u.id}/sip`).then((cur) => {
        showServices(cur.plan_services || [], cur.services);
        if (sipUser.value || !cur.sip_user)
            return;
        sipUser.value = cur.sip_user;
        form.dataset.saved = cur.sip_user;
        const have = cur.proficiency || {};
        boxes.forEach((b, i) => {
            b.checked = Boolean(have[b.value]);
            levels[i].disabled = !b.checked;
            levels[i].value = String(have[b.value] || PROFICIENCY_DEFAULT);
        });
        someServices.checked = Array.isArray(cur.services);
        allServices.checked = !someServices.checked;
        syncServices();
    }).catch(() => { /* no account yet: the form stays empty */ });
    return h('section', { class: 'dialog-section', id: 'sip-section', 'aria-labelledby': 'sip-title' },
        h('h3', { id: 'sip-title' }, tn('users.sip.title')),
        h('p', { class: 'hint' }, tn('users.sip.intro')),
        form);
}

function focusEditButton(loginName) {
    const b = document.querySelector(`#users-table tr[data-login="${CSS.escape(loginName)}"] [data-action=edit]`);
    if (b)
        b.focus();
}

/* self: the administrator's own account, which they may not disable or reset
 * here (the server refuses; "My account" is the place for one's password). */
function editDialog(geo, user, reload, self) {
    let u = user;
    const nameInput = h('input', { type: 'text', autocomplete: 'off', value: u.display_name, maxlength: '128', autofocus: true, dir: 'auto' });
    const rf = roleFields(geo, u);
    const save = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save' } }, tn('common.save'));
    const messages = messageArea();
    const form = h('form', { class: 'form', novalidate: true, id: 'edit-user-form' },
        field({ label: 'users.name', control: nameInput, name: 'display_name', required: true }),
        rf.nodes,
        h('div', { class: 'actions' }, save));
    const actions = h('div', { class: 'account-actions' });
    const result = h('div', { class: 'action-result' });
    const d = openDialog({
        title: t('users.edit_title', { login: u.login }),
        wide: true,
        onClose: () => setTimeout(() => focusEditButton(u.login)),
        content: [
            messages.el,
            form,
            h('section', { class: 'dialog-section', 'aria-labelledby': 'account-actions-title' },
                h('h3', { id: 'account-actions-title' }, tn('users.account_actions')),
                actions,
                result),
            sipSection(u),
        ],
    });

    async function act(button, fn) {
        messages.clear();
        result.replaceChildren();
        try {
            await whileBusy(button, 'common.working', fn);
            u = await api('GET', `/api/v1/users/${u.id}`);
            drawActions();
            reload();
        } catch (e) {
            messages.error(e);
        }
    }

    function drawActions() {
        const buttons = [];
        if (self) {
            actions.replaceChildren(
                h('p', { class: 'state-line' }, tn('users.state_label'), ' ', stateBadges(u)),
                h('p', {}, tn('users.self_note'), ' ', h('a', { href: '#/account', onclick: () => d.close() }, tn('account.title'))));
            return;
        }
        if (u.disabled) {
            const b = h('button', { type: 'button', class: 'btn', dataset: { action: 'enable' } }, tn('users.enable'));
            b.addEventListener('click', () => act(b, async () => {
                await api('PATCH', `/api/v1/users/${u.id}`, { disabled: false });
                result.replaceChildren(alertBox('success', tn('users.enabled', { login: u.login })));
            }));
            buttons.push(b);
        } else {
            const b = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'disable' } }, tn('users.disable'));
            b.addEventListener('click', async () => {
                const yes = await confirmDialog({
                    title: t('users.disable_title', { login: u.login }),
                    message: t('users.disable_confirm', { login: u.login }),
                    confirmLabel: t('users.disable'),
                    danger: true,
                });
                if (yes)
                    act(b, async () => {
                        await api('PATCH', `/api/v1/users/${u.id}`, { disabled: true });
                        result.replaceChildren(alertBox('success', tn('users.disabled', { login: u.login })));
                    });
            });
            buttons.push(b);
        }
        const reset = h('button', { type: 'button', class: 'btn', dataset: { action: 'reset-password' } }, tn('users.reset_password'));
        reset.addEventListener('click', async () => {
            const yes = await confirmDialog({
                title: t('users.reset_title', { login: u.login }),
                message: t('users.reset_confirm', { login: u.login }),
                confirmLabel: t('users.reset_password'),
            });
            if (!yes)
                return;
            let temp = null;
            await act(reset, async () => {
                temp = (await api('POST', `/api/v1/users/${u.id}/password`)).temporary_password;
            });
            if (temp) {
                result.replaceChildren(
                    alertBox('success', tn('users.password_reset', { login: u.login })),
                    secretBox({ label: 'users.temporary_password', value: temp, note: t('users.temporary_once', { login: u.login }) }));
                result.querySelector('[data-secret]').focus();
            }
        });
        buttons.push(reset);
        if (u.locked) {
            const b = h('button', { type: 'button', class: 'btn', dataset: { action: 'unlock' } }, tn('users.unlock'));
            b.addEventListener('click', () => act(b, async () => {
                await api('POST', `/api/v1/users/${u.id}/unlock`);
                result.replaceChildren(alertBox('success', tn('users.unlocked', { login: u.login })));
            }));
            buttons.push(b);
        }
        actions.replaceChildren(
            h('p', { class: 'state-line' }, tn('users.state_label'), ' ', stateBadges(u)),
            h('div', { class: 'actions' }, buttons));
    }
    drawActions();

    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        result.replaceChildren();
        /* Only what changed, so the audit trail says what really happened. */
        const body = {};
        const name = nameInput.value.trim();
        if (!name)
            return markFieldError(nameInput, t('users.name_required'));
        if (name !== u.display_name)
            body.display_name = name;
        if (rf.role.value !== u.role)
            body.role = rf.role.value;
        if (rf.role.value === 'backoffice') {
            if (!rf.consulate.value)
                return markFieldError(rf.consulate, t('error.auth.consulate_required'));
            if (rf.consulate.value !== u.consulate)
                body.consulate = rf.consulate.value;
        }
        if (rf.lang.value !== u.language)
            body.language = rf.lang.value;
        if (!Object.keys(body).length) {
            messages.show('info', tn('users.no_changes'));
            return;
        }
        try {
            u = await whileBusy(save, 'common.saving', () => api('PATCH', `/api/v1/users/${u.id}`, body));
            messages.show('success', tn('users.saved', { login: u.login }));
            drawActions();
            reload();
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
}

export function render(ctx) {
    const messages = messageArea();
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '8', class: 'loading' }, tn('common.loading'))));
    const newButton = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'new-user' }, disabled: true }, tn('users.new'));
    let geo = null;

    const cols = ['users.login', 'users.name', 'users.role', 'users.consulate', 'users.language', 'users.state', 'users.last_login', 'common.actions'];
    const table = h('table', { class: 'data-table', id: 'users-table' },
        h('caption', { class: 'visually-hidden' }, tn('users.caption')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);

    async function load() {
        try {
            const [list, g] = await Promise.all([api('GET', '/api/v1/users'), loadGeo()]);
            geo = g;
            newButton.disabled = false;
            const users = list.users || [];
            tbody.replaceChildren(...users.map((u) => {
                const edit = h('button', {
                    type: 'button', class: 'btn btn-small', dataset: { action: 'edit' },
                    'aria-label': t('users.edit_label', { login: u.login }),
                }, tn('common.edit'));
                edit.addEventListener('click', () => editDialog(geo, u, load, u.id === ctx.user.id));
                const cells = [
                    h('code', { dir: 'ltr' }, u.login),
                    h('span', { dir: 'auto' }, u.display_name),
                    tn(`role.${u.role}`),
                    u.consulate ? consulateNode(geo, u.consulate) : h('span', { class: 'muted' }, '—'),
                    h('span', { lang: u.language }, languageName(u.language)),
                    stateBadges(u),
                    u.last_login_at ? h('time', { datetime: u.last_login_at, class: 'nowrap' }, formatDateTime(u.last_login_at)) : h('span', { class: 'muted' }, tn('common.never')),
                    edit,
                ];
                return h('tr', { dataset: { login: u.login, state: stateCode(u) } },
                    cells.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: i === 1 || i === 3 ? 'wrap' : null, dataset: { label: t(cols[i]) } }, c)));
            }));
            if (!users.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: '8' }, tn('users.none'))));
        } catch (e) {
            messages.error(e);
            tbody.replaceChildren();
        }
    }

    newButton.addEventListener('click', () => createDialog(geo, load));
    load();

    return h('section', { class: 'page page-users' },
        h('div', { class: 'page-head' }, pageTitle('users.title'), newButton),
        h('p', { class: 'lead' }, tn('users.intro')),
        messages.el,
        h('div', { class: 'table-wrap' }, table));
}
