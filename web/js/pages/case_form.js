/*
 * The agent's case form (#/cases/new), opened empty or pre-filled from a
 * call: #/cases/new?phone=%2B33612345678&country=FR&language=ar (and type,
 * category; call=N, the call's number in the phone bar, is only shown). It
 * shows the fields the chosen type declares, the caller's details and, once
 * the phone number is known, the caller's earlier cases.
 * After creation the reference (spelled in groups) and the PIN are shown
 * large, for the agent to read them out.
 *
 * Keyboard: the type is a radio group (arrow keys), Ctrl+Enter creates the
 * case from any field, and the focus lands on the reference afterwards.
 */
import { api, requestKeys, withQuery } from '../api.js';
import { h } from '../dom.js';
import { consulateSelect, countryName, countryOptions, loadGeo } from '../geo.js';
import { callerLanguage, setCallerLanguage } from '../guide.js';
import { isLanguage, plural, t, tf, tn } from '../i18n.js';
import { href, routeParams } from '../router.js';
import {
    caseErrorText, categoryName, enumText, findType, loadCaseTypes, pinNode, priorityName, referenceNode, showCaseFieldError, statusBadge,
    timeNode, typeName,
} from '../cases.js';
import { alertBox, clearFieldErrors, field, languageName, languageOptions, markFieldError, messageArea, pageTitle, whileBusy } from '../ui.js';

const STAFF_CHANNELS = ['phone', 'email'];
const EARLIER_LIMIT = 20;

/* The number as the server files it (src/cases/util.c phone_normalize):
 * "+" and the digits; "00" for "+"; a national number gets the country's
 * calling code in place of its trunk 0. null when it cannot be one. */
export function normalizePhone(text, country, geo) {
    const s = String(text || '').trim();
    if (!s || /[^\d\s.\-()/+]/.test(s) || s.indexOf('+') > 0)
        return null;
    const d = s.replace(/\D/g, '');
    if (d.length < 6 || d.length > 15)
        return null;
    if (s.startsWith('+'))
        return `+${d}`;
    if (d.startsWith('00'))
        return d.length > 8 ? `+${d.slice(2)}` : null;
    const c = geo && geo.countries.find((x) => x.iso2 === country);
    if (!c || !c.calling_code)
        return null;
    return `+${c.calling_code}${d.startsWith('0') ? d.slice(1) : d}`;
}

/* A declared field of the type as a labelled control. */
function declaredField(f, value, geo, country) {
    let control;
    if (f.type === 'enum') {
        control = h('select', {},
            h('option', { value: '' }, t('cases.form.choose')),
            (f.values || []).map((v) => h('option', { value: v, selected: v === value }, enumText(f.name, v))));
    } else if (f.type === 'date') {
        control = h('input', { type: 'date', value: value || '' });
    } else if (f.type === 'consulate') {
        control = consulateSelect(geo, { selected: value || '', first: country, emptyLabel: t('cases.form.choose_consulate'), name: f.name });
    } else {
        control = h('input', { type: 'text', value: value || '', maxlength: String(f.max || 200), dir: 'auto', autocomplete: 'off', spellcheck: 'false' });
    }
    control.dataset.declared = f.name;
    return field({
        label: `cases.field.${f.name}`, control, name: f.name, required: f.required,
        hint: f.personal ? 'cases.form.personal_hint' : null,
    });
}

/* The caller's earlier cases, found by their phone number (each look-up is
 * audited by the server, so it runs when the number is complete, not at
 * every keystroke). */
function earlierCases() {
    const body = h('div', { class: 'earlier-body' });
    const el = h('section', { class: 'card earlier-cases', id: 'earlier-cases', 'aria-labelledby': 'earlier-title', 'aria-live': 'polite' },
        h('h2', { id: 'earlier-title' }, tn('cases.form.earlier_title')),
        body);
    let shown = null;
    let seq = 0;

    async function show(phone, { force = false } = {}) {
        if (phone === shown && !force)
            return;
        shown = phone;
        const mine = ++seq;
        el.dataset.phone = phone || '';
        if (!phone) {
            delete el.dataset.count;
            body.replaceChildren(h('p', { class: 'muted' }, tn('cases.form.earlier_need_phone')));
            return;
        }
        body.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
        try {
            const data = await api('GET', withQuery('/api/v1/cases', { phone, limit: EARLIER_LIMIT }));
            if (mine !== seq)
                return;
            const list = data.cases || [];
            el.dataset.count = String(list.length);
            if (!list.length) {
                body.replaceChildren(h('p', { class: 'empty' }, tn('cases.form.earlier_none', { phone })));
                return;
            }
            body.replaceChildren(...[
                h('p', { class: 'hint' }, plural('cases.form.earlier_count', list.length, { phone })),
                h('ul', { class: 'earlier-list' }, list.map((c) => h('li', { dataset: { reference: c.reference } },
                    h('a', { href: `#/cases/view?ref=${encodeURIComponent(c.reference)}`, target: '_blank', rel: 'noopener', class: 'earlier-link' },
                        referenceNode(c.reference), ' ', h('span', { dir: 'auto' }, c.subject)),
                    h('div', { class: 'earlier-meta' }, typeName(c.type), ' · ', statusBadge(c.status), timeNode(c.created_at, { dateOnly: true }))))),
                list.length >= EARLIER_LIMIT ? h('p', { class: 'hint' }, tn('cases.form.earlier_more')) : null,
            ].filter(Boolean));
        } catch (e) {
            if (mine !== seq)
                return;
            body.replaceChildren(alertBox('error', caseErrorText(e)));
        }
    }
    show(null);
    return { el, show };
}

/* The answer to show the agent: reference and PIN, large, to read out. */
function createdPanel(c, again) {
    const copy = h('button', { type: 'button', class: 'btn', dataset: { action: 'copy-reference' } }, tn('cases.created.copy'));
    const status = h('span', { class: 'copy-status', role: 'status' });
    copy.addEventListener('click', async () => {
        try {
            await navigator.clipboard.writeText(`${c.reference} ${c.pin}`);
            status.textContent = t('common.copied');
        } catch (e) {
            status.textContent = t('common.copy_manually');
        }
    });
    return h('section', { class: 'card created-panel', id: 'case-created', dataset: { reference: c.reference } },
        h('p', { class: 'lead' }, tn('cases.created.read_out')),
        h('div', { class: 'secret-pair' },
            h('div', { class: 'secret-item' },
                h('p', { class: 'secret-label' }, tn('cases.created.reference')),
                referenceNode(c.reference, { big: true })),
            h('div', { class: 'secret-item' },
                h('p', { class: 'secret-label' }, tn('cases.created.pin')),
                pinNode(c.pin, { big: true }))),
        h('p', { class: 'hint' }, tn('cases.reference_alphabet')),
        h('p', { class: 'hint' }, tn('cases.created.pin_once')),
        h('div', { class: 'secret-actions' }, copy, status),
        h('div', { class: 'actions' },
            h('a', { class: 'btn btn-primary', href: `#/cases/view?ref=${encodeURIComponent(c.reference)}`, dataset: { action: 'open-case' } }, tn('cases.created.open')),
            h('a', { class: 'btn', href: again, dataset: { action: 'new-again' } }, tn('cases.created.another')),
            h('a', { class: 'btn', href: href('cases') }, tn('cases.created.to_list'))));
}

export async function render(ctx) {
    const p = routeParams();
    let types;
    let geo;
    try {
        [types, geo] = await Promise.all([loadCaseTypes(), loadGeo()]);
    } catch (e) {
        return h('section', { class: 'page page-case-new' }, pageTitle('cases.new.title'), alertBox('error', caseErrorText(e)));
    }
    const known = (iso) => geo.countries.some((c) => c.iso2 === iso);
    const pre = {
        phone: p.get('phone') || '',
        country: (p.get('country') || '').toUpperCase(),
        language: isLanguage(p.get('language')) ? p.get('language') : callerLanguage(),
        type: findType(types, p.get('type')) ? p.get('type') : 'information',
        category: (types.categories || []).includes(p.get('category')) ? p.get('category') : '',
        subject: p.get('subject') || '',
    };
    const messages = messageArea();
    const values = new Map(); /* declared fields typed so far, kept across type changes */

    /* ---- the request ---- */
    const typeInputs = (types.types || []).map((tp) => h('input', {
        type: 'radio', name: 'type', value: tp.name, id: `case-type-${tp.name}`, checked: tp.name === pre.type,
        'data-autofocus': tp.name === pre.type,
    }));
    typeInputs[0].dataset.field = 'type';
    const typeHint = h('p', { class: 'hint', id: 'case-type-hint' });
    const typeGroup = h('fieldset', { class: 'choices type-choices', id: 'case-type', 'aria-describedby': 'case-type-hint' },
        h('legend', {}, tn('cases.form.type'), h('span', { class: 'required', 'aria-hidden': 'true' }, ' *')),
        typeInputs.map((input) => h('div', { class: 'choice' }, input, h('label', { for: input.id }, typeName(input.value)))),
        h('p', { class: 'field-error', id: `${typeInputs[0].id}-error`, hidden: true }));

    const category = h('select', { name: 'category' },
        h('option', { value: '' }, t('cases.form.choose')),
        (types.categories || []).map((c) => h('option', { value: c, selected: c === pre.category }, categoryName(c))));
    const subject = h('input', { type: 'text', name: 'subject', maxlength: '200', dir: 'auto', autocomplete: 'off', value: pre.subject });
    const description = h('textarea', { name: 'description', rows: '4', maxlength: '10000', dir: 'auto' });
    const priority = h('select', { name: 'priority' },
        (types.priorities || []).map((x) => h('option', { value: x, selected: x === 'normal' }, priorityName(x))));
    const channel = h('select', { name: 'channel' },
        STAFF_CHANNELS.map((x) => h('option', { value: x }, t(`cases.channel.${x}`))));
    const declared = h('div', { class: 'declared-fields field-grid', id: 'declared-fields' });
    const consulate = consulateSelect(geo, { first: pre.country, emptyLabel: t('cases.form.no_consulate'), name: 'consulate' });
    const consulateField = field({ label: 'cases.field.consulate', control: consulate, name: 'consulate', hint: 'cases.form.consulate_hint' });

    /* ---- the caller ---- */
    const lang = h('select', { name: 'language' }, languageOptions(pre.language));
    const country = h('select', { name: 'country' }, countryOptions(geo, pre.country, t('cases.form.no_country')));
    if (pre.country && !known(pre.country))
        country.append(h('option', { value: pre.country, selected: true }, pre.country));
    const phone = h('input', { type: 'tel', name: 'phone', dir: 'ltr', autocomplete: 'off', inputmode: 'tel', value: pre.phone, maxlength: '40' });
    const name = h('input', { type: 'text', name: 'name', dir: 'auto', autocomplete: 'off', maxlength: '200', spellcheck: 'false' });
    const email = h('input', { type: 'email', name: 'email', dir: 'ltr', autocomplete: 'off', maxlength: '254', spellcheck: 'false' });
    const idNumber = h('input', { type: 'text', name: 'id_number', dir: 'ltr', autocomplete: 'off', maxlength: '40', spellcheck: 'false' });
    const passport = h('input', { type: 'text', name: 'passport', dir: 'ltr', autocomplete: 'off', maxlength: '40', spellcheck: 'false' });

    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'create-case' } }, tn('cases.form.create'));
    const earlier = earlierCases();

    function currentType() {
        const checked = typeInputs.find((i) => i.checked);
        return findType(types, checked ? checked.value : 'information');
    }

    function keepValues() {
        for (const el of declared.querySelectorAll('[data-declared]'))
            values.set(el.dataset.declared, el.value);
    }

    /* The type's declared fields; a declared consulate field replaces the
     * case's own consulate select (it is the same thing). */
    function drawDeclared() {
        keepValues();
        const tp = currentType();
        const fields = (tp && tp.fields) || [];
        if (!values.has('consulate') && consulate.value)
            values.set('consulate', consulate.value);
        declared.replaceChildren(...fields.map((f) => declaredField(f, values.get(f.name), geo, country.value)));
        declared.hidden = !fields.length;
        consulateField.hidden = fields.some((f) => f.name === 'consulate');
        if (!consulateField.hidden && values.get('consulate') && !consulate.value)
            consulate.value = values.get('consulate');
        typeHint.replaceChildren(tn(`cases.type_hint.${tp.name}`));
        form.dataset.type = tp.name;
    }

    function lookUpPhone() {
        earlier.show(normalizePhone(phone.value, country.value, geo));
    }

    const form = h('form', { class: 'form case-form', id: 'case-form', novalidate: true, 'aria-describedby': 'case-form-keys' },
        h('section', { class: 'card form-section', 'aria-labelledby': 'case-request-title' },
            h('h2', { id: 'case-request-title' }, tn('cases.form.request')),
            typeGroup,
            typeHint,
            h('div', { class: 'field-grid' },
                field({ label: 'cases.field.category', control: category, name: 'category', required: true }),
                field({ label: 'cases.field.priority', control: priority, name: 'priority' })),
            field({ label: 'cases.field.subject', control: subject, name: 'subject', required: true, hint: 'cases.form.subject_hint' }),
            field({ label: 'cases.field.description', control: description, name: 'description' }),
            declared,
            consulateField,
            field({ label: 'cases.field.channel', control: channel, name: 'channel' })),
        h('section', { class: 'card form-section', 'aria-labelledby': 'case-caller-title' },
            h('h2', { id: 'case-caller-title' }, tn('cases.form.caller')),
            h('p', { class: 'hint' }, tn('cases.form.caller_hint')),
            h('div', { class: 'field-grid' },
                field({ label: 'cases.field.language', control: lang, name: 'language', required: true }),
                field({ label: 'cases.field.country', control: country, name: 'country' }),
                field({ label: 'cases.field.phone', control: phone, name: 'phone', hint: 'cases.form.phone_hint' }),
                field({ label: 'cases.field.name', control: name, name: 'name' }),
                field({ label: 'cases.field.email', control: email, name: 'email' }),
                field({ label: 'cases.field.id_number', control: idNumber, name: 'id_number' }),
                field({ label: 'cases.field.passport', control: passport, name: 'passport' }))),
        messages.el,
        h('div', { class: 'actions form-actions' },
            submit,
            h('p', { class: 'hint keys-hint', id: 'case-form-keys' }, tf('cases.form.keys', { keys: h('kbd', { dir: 'ltr' }, 'Ctrl+Enter') }))));

    for (const input of typeInputs)
        input.addEventListener('change', drawDeclared);
    lang.addEventListener('change', () => setCallerLanguage(lang.value));
    phone.addEventListener('change', lookUpPhone);
    country.addEventListener('change', lookUpPhone);
    form.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
            ev.preventDefault();
            form.requestSubmit();
        }
    });

    const keyFor = requestKeys(); /* a resubmission of the same form cannot file it twice */
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const tp = currentType();
        const fields = {};
        for (const el of declared.querySelectorAll('[data-declared]'))
            if (el.value.trim())
                fields[el.dataset.declared] = el.value.trim();
        if (!category.value)
            return markFieldError(category, t('cases.form.category_required'));
        if (!subject.value.trim())
            return markFieldError(subject, t('cases.form.subject_required'));
        for (const f of tp.fields || []) {
            const el = declared.querySelector(`[data-declared="${CSS.escape(f.name)}"]`);
            if (f.required && el && !el.value.trim())
                return markFieldError(el, t('error.cases.missing_field'));
        }
        const citizen = {};
        for (const [k, el] of [['name', name], ['phone', phone], ['email', email], ['id_number', idNumber], ['passport', passport]])
            if (el.value.trim())
                citizen[k] = el.value.trim();
        const body = {
            type: tp.name,
            category: category.value,
            priority: priority.value,
            channel: channel.value,
            language: lang.value,
            subject: subject.value.trim(),
            fields,
            citizen,
        };
        if (description.value.trim())
            body.description = description.value.trim();
        if (country.value)
            body.country = country.value;
        const cons = consulateField.hidden ? fields.consulate : consulate.value;
        if (cons)
            body.consulate = cons;
        try {
            const c = await whileBusy(submit, 'common.saving', () => api('POST', '/api/v1/cases', body, { idempotencyKey: keyFor(body) }));
            const again = `#/cases/new?${new URLSearchParams(Object.entries({
                phone: phone.value.trim(), country: country.value, language: lang.value,
            }).filter(([, v]) => v))}`;
            const title = pageTitle('cases.created.title');
            page.replaceChildren(title, h('div', { class: 'columns case-columns' }, createdPanel(c, again), h('aside', { class: 'case-aside' }, earlier.el)));
            earlier.show(normalizePhone(phone.value, country.value, geo), { force: true });
            title.focus();
        } catch (e) {
            if (!showCaseFieldError(form, e))
                messages.show('error', caseErrorText(e));
        }
    });

    drawDeclared();
    lookUpPhone();

    /* what the call gave, in one line the agent sees without scrolling */
    const callFacts = [
        pre.phone ? h('bdi', { dir: 'ltr' }, pre.phone) : null,
        pre.country ? (known(pre.country) ? countryName(geo, pre.country) : pre.country) : null,
        p.get('language') && isLanguage(p.get('language')) ? h('span', { lang: pre.language }, languageName(pre.language)) : null,
        /^\d{1,19}$/.test(p.get('call') || '') ? h('span', { class: 'from-call-no', dataset: { call: p.get('call') } }, t('tel.bar.call', { id: p.get('call') })) : null,
    ].filter(Boolean);
    const fromCall = callFacts.length
        ? alertBox('info', tf('cases.new.from_call', { details: h('strong', { id: 'from-call' }, callFacts.map((x, i) => [i ? ' · ' : '', x])) }))
        : null;
    const page = h('section', { class: 'page page-case-new' },
        h('div', { class: 'page-head' }, pageTitle('cases.new.title'),
            h('a', { href: href('cases'), class: 'back-link' }, tn('cases.back_to_list'))),
        h('p', { class: 'lead' }, tn('cases.new.intro')),
        fromCall,
        h('div', { class: 'columns case-columns' }, form, h('aside', { class: 'case-aside' }, earlier.el)));
    return page;
}
