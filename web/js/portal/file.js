/*
 * Filing on the citizens' portal (#file): a complaint, a suggestion or an
 * observation, with its category, the consulate it concerns (optional), a
 * subject and a description, and optionally a name, e-mail address and phone
 * number. The answer is the reference and the PIN, shown large with the
 * acknowledgement in the citizen's language and a plain "keep these" note.
 * What was typed survives a change of language (the view is redrawn).
 */
import { api, requestKeys } from '../api.js';
import { h } from '../dom.js';
import { consulateSelect, loadGeo } from '../geo.js';
import { language, languageInfo, t, tf, tn } from '../i18n.js';
import {
    caseErrorText, categoryName, enumText, formatDate, loadCaseTypes, pinNode, referenceNode, showCaseFieldError, typeName,
} from '../cases.js';
import { alertBox, clearFieldErrors, field, markFieldError, messageArea, whileBusy } from '../ui.js';

const state = {
    values: {}, /* control name -> value typed so far */
    filed: null, /* the server's answer once filed */
};

/* The filing of this page, if any: {reference, pin, ...}. */
export function lastFiled() {
    return state.filed;
}

/* Forgets the filing (the reference and PIN are on screen only until then). */
export function reset() {
    state.values = {};
    state.filed = null;
}

function remember(control) {
    const save = () => {
        state.values[control.name] = control.value;
    };
    control.addEventListener('input', save);
    control.addEventListener('change', save);
    if (state.values[control.name] !== undefined)
        control.value = state.values[control.name];
    return control;
}

/* A declared field of the type (about, happened_on...) as a labelled control;
 * consulate fields are the form's own consulate question. */
function declaredField(f) {
    let control;
    if (f.type === 'enum') {
        control = h('select', { name: f.name },
            h('option', { value: '' }, t('portal.file.choose')),
            (f.values || []).map((v) => h('option', { value: v }, enumText(f.name, v))));
    } else if (f.type === 'date') {
        control = h('input', { type: 'date', name: f.name, max: new Date().toISOString().slice(0, 10) });
    } else {
        control = h('input', { type: 'text', name: f.name, maxlength: String(f.max || 200), dir: 'auto' });
    }
    control.dataset.declared = f.name;
    return field({ label: `portal.field.${f.name}`, control: remember(control), name: f.name, required: f.required });
}

function filedView(ctx) {
    const f = state.filed;
    const ackLang = f.language || language();
    const print = h('button', { type: 'button', class: 'btn', dataset: { action: 'print' } }, tn('portal.filed.print'));
    print.addEventListener('click', () => window.print());
    const follow = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'follow' } }, tn('portal.filed.follow'));
    follow.addEventListener('click', () => ctx.go('track', { ref: f.reference }));
    const another = h('button', { type: 'button', class: 'btn', dataset: { action: 'another' } }, tn('portal.filed.another'));
    another.addEventListener('click', () => {
        reset();
        ctx.go('file');
    });
    return h('section', { class: 'portal-page portal-filed', id: 'portal-filed', dataset: { reference: f.reference } },
        h('h1', { tabindex: '-1' }, tn('portal.filed.title')),
        h('div', { class: 'card filed-card' },
            h('p', { class: 'lead' }, tn('portal.filed.intro')),
            h('p', { class: 'filed-type', dataset: { type: f.type } }, tn('portal.filed.type', { type: typeName(f.type) })),
            h('div', { class: 'secret-pair' },
                h('div', { class: 'secret-item' },
                    h('p', { class: 'secret-label' }, tn('portal.filed.reference')),
                    referenceNode(f.reference, { big: true })),
                h('div', { class: 'secret-item' },
                    h('p', { class: 'secret-label' }, tn('portal.filed.pin')),
                    pinNode(f.pin, { big: true }))),
            alertBox('warning', h('strong', {}, tn('portal.filed.keep'))),
            f.expected_at ? h('p', { class: 'expected' }, tf('portal.filed.expected', { date: h('strong', {}, formatDate(f.expected_at)) })) : null,
            h('div', { class: 'actions no-print' }, follow, print, another)),
        f.acknowledgement
            ? h('section', { class: 'card ack-card', 'aria-labelledby': 'ack-title' },
                h('h2', { id: 'ack-title' }, tn('portal.filed.ack_title')),
                h('p', { class: 'ack-text', lang: ackLang, dir: languageInfo(ackLang).dir }, f.acknowledgement))
            : null);
}

export async function render(ctx) {
    if (state.filed)
        return filedView(ctx);
    let form;
    let geo;
    try {
        [form, geo] = await Promise.all([loadCaseTypes('/api/v1/portal/form'), loadGeo()]);
    } catch (e) {
        return h('section', { class: 'portal-page' }, h('h1', { tabindex: '-1' }, tn('portal.file.title')), alertBox('error', caseErrorText(e)));
    }
    const types = (form.types || []).filter((x) => x.public);
    const messages = messageArea();
    if (!types.some((x) => x.name === state.values.type))
        state.values.type = (types[0] || {}).name || '';

    const radios = types.map((tp) => h('input', {
        type: 'radio', name: 'type', value: tp.name, id: `portal-type-${tp.name}`, checked: tp.name === state.values.type,
    }));
    if (radios.length)
        radios[0].dataset.field = 'type';
    const typeGroup = h('fieldset', { class: 'portal-types' },
        h('legend', {}, tn('portal.file.what'), h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')),
        radios.map((r) => h('div', { class: 'portal-type' }, r,
            h('label', { for: r.id },
                h('span', { class: 'portal-type-name' }, typeName(r.value)),
                h('span', { class: 'portal-type-hint' }, tn(`portal.type_hint.${r.value}`))))),
        radios.length ? h('p', { class: 'field-error', id: `${radios[0].id}-error`, hidden: true }) : null);

    const category = remember(h('select', { name: 'category' },
        h('option', { value: '' }, t('portal.file.choose')),
        (form.categories || []).map((c) => h('option', { value: c }, categoryName(c)))));
    const consulate = remember(consulateSelect(geo, { emptyLabel: t('portal.file.no_consulate'), name: 'consulate' }));
    const subject = remember(h('input', { type: 'text', name: 'subject', maxlength: '200', dir: 'auto' }));
    const description = remember(h('textarea', { name: 'description', rows: '6', maxlength: '10000', dir: 'auto' }));
    const name = remember(h('input', { type: 'text', name: 'name', maxlength: '200', dir: 'auto', autocomplete: 'name' }));
    const email = remember(h('input', { type: 'email', name: 'email', maxlength: '254', dir: 'ltr', autocomplete: 'email' }));
    const phone = remember(h('input', { type: 'tel', name: 'phone', maxlength: '40', dir: 'ltr', autocomplete: 'tel', inputmode: 'tel' }));
    const declared = h('div', { class: 'declared-fields' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', dataset: { action: 'file' } }, tn('portal.file.send'));

    function currentType() {
        return types.find((x) => x.name === state.values.type) || types[0];
    }
    function drawDeclared() {
        const tp = currentType();
        declared.replaceChildren(...((tp && tp.fields) || []).filter((f) => f.type !== 'consulate').map(declaredField));
    }
    for (const r of radios) {
        r.addEventListener('change', () => {
            state.values.type = r.value;
            drawDeclared();
        });
    }
    drawDeclared();

    const formEl = h('form', { class: 'form portal-form', id: 'portal-file-form', novalidate: true },
        h('div', { class: 'card' },
            typeGroup,
            field({ label: 'portal.field.category', control: category, name: 'category', required: true }),
            field({ label: 'portal.field.consulate', control: consulate, name: 'consulate', hint: 'portal.file.consulate_hint' }),
            declared,
            field({ label: 'portal.field.subject', control: subject, name: 'subject', required: true, hint: 'portal.file.subject_hint' }),
            field({ label: 'portal.field.description', control: description, name: 'description', required: true, hint: 'portal.file.description_hint' })),
        h('section', { class: 'card portal-contact', 'aria-labelledby': 'portal-contact-title' },
            h('h2', { id: 'portal-contact-title' }, tn('portal.file.contact')),
            h('p', { class: 'hint' }, tn('portal.file.contact_hint')),
            field({ label: 'portal.field.name', control: name, name: 'name' }),
            field({ label: 'portal.field.email', control: email, name: 'email', hint: 'portal.file.email_hint' }),
            field({ label: 'portal.field.phone', control: phone, name: 'phone', hint: 'portal.file.phone_hint' })),
        messages.el,
        h('p', { class: 'hint' }, tn('portal.privacy_note')),
        h('div', { class: 'actions' }, submit));

    const keyFor = requestKeys(); /* a resubmission of the same form cannot file it twice */
    formEl.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(formEl);
        messages.clear();
        const tp = currentType();
        const checks = [
            [category, !category.value, 'portal.file.category_missing'],
            [subject, !subject.value.trim(), 'portal.file.subject_missing'],
            [description, !description.value.trim(), 'portal.file.description_missing'],
        ];
        for (const [control, bad, key] of checks)
            if (bad)
                return markFieldError(control, t(key));
        const fields = {};
        for (const el of declared.querySelectorAll('[data-declared]'))
            if (el.value.trim())
                fields[el.dataset.declared] = el.value.trim();
        const citizen = {};
        for (const el of [name, email, phone])
            if (el.value.trim())
                citizen[el.name] = el.value.trim();
        const body = {
            type: tp.name,
            category: category.value,
            language: language(),
            subject: subject.value.trim(),
            description: description.value.trim(),
            fields,
            citizen,
        };
        if (consulate.value) {
            body.consulate = consulate.value;
            const post = geo.consulates.find((c) => c.code === consulate.value);
            if (post)
                body.country = post.country; /* lets a national phone number be read */
        }
        try {
            const r = await whileBusy(submit, 'portal.file.sending', () => api('POST', '/api/v1/portal/cases', body, { idempotencyKey: keyFor(body) }));
            state.filed = { ...r, language: body.language };
            state.values = {};
            ctx.go('file');
        } catch (e) {
            if (!showCaseFieldError(formEl, e))
                messages.show('error', caseErrorText(e));
        }
        return null;
    });

    return h('section', { class: 'portal-page portal-file' },
        h('p', { class: 'portal-back' }, h('a', { href: '#', class: 'back-link', dataset: { action: 'home' } }, tn('portal.back_home'))),
        h('h1', { tabindex: '-1' }, tn('portal.file.title')),
        h('p', { class: 'lead' }, tn('portal.file.intro')),
        formEl);
}
