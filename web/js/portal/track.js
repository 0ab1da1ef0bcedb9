/*
 * Following a case on the citizens' portal (#track): the reference and the
 * PIN give the status in plain words, the date an answer is expected, and
 * the messages the services wrote for the citizen. A resolved case can be
 * rated once, 1 to 5, with a comment. A mistyped reference is refused by the
 * server before any look-up ("not valid", shown at the reference); an
 * unknown reference and a wrong PIN get the same "no match". While the case
 * is open the citizen can answer: the reply joins the messages and the staff
 * see it as new.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { t, tf, tn } from '../i18n.js';
import { caseErrorText, formatDate, referenceNode, showCaseFieldError, typeName } from '../cases.js';
import { alertBox, clearFieldErrors, field, markFieldError, messageArea, whileBusy } from '../ui.js';
import { lastFiled } from './file.js';

const state = {
    reference: '',
    pin: '',
    result: null, /* the last answer, redrawn after a change of language */
    rated: false, /* a rating was just sent */
    replied: false, /* a reply was just sent */
};

const RATINGS = [1, 2, 3, 4, 5];

async function lookUp(reference, pin) {
    return api('POST', '/api/v1/portal/track', { reference, pin });
}

/* Sends a citizen's form (rating, reply) with the reference and PIN, then
 * looks the case up again and redraws; fallback(result) stands in for the
 * new answer when that look-up fails. Errors go to the form. */
async function sendThenRedraw({ form, messages, submit, path, body, fallback, redraw }) {
    try {
        await whileBusy(submit, 'portal.file.sending', () => api('POST', path, { reference: state.reference, pin: state.pin, ...body }));
        state.result = await lookUp(state.reference, state.pin).catch(() => fallback(state.result));
        return true;
    } catch (e) {
        if (!showCaseFieldError(form, e))
            messages.show('error', caseErrorText(e));
        return false;
    }
}

function rateForm(ctx, redraw) {
    const messages = messageArea();
    const radios = RATINGS.map((n) => h('input', { type: 'radio', name: 'rating', value: String(n), id: `rating-${n}` }));
    radios[0].dataset.field = 'rating';
    const comment = h('textarea', { name: 'comment', id: 'rating-comment', rows: '3', maxlength: '1000', dir: 'auto' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', dataset: { action: 'rate' } }, tn('portal.rate.send'));
    const form = h('form', { class: 'form card rate-form', id: 'portal-rate-form', novalidate: true },
        h('h2', {}, tn('portal.rate.title')),
        h('fieldset', { class: 'rating-scale' },
            h('legend', {}, tn('portal.rate.question')),
            h('div', { class: 'rating-options' }, radios.map((r, i) => h('div', { class: 'rating-option' }, r,
                h('label', { for: r.id },
                    h('span', { class: 'rating-n' }, String(i + 1)),
                    h('span', { class: 'rating-word' }, tn(`portal.rate.${i + 1}`)))))),
            h('p', { class: 'field-error', id: `${radios[0].id}-error`, hidden: true })),
        field({ label: 'portal.rate.comment', control: comment, name: 'comment', hint: 'portal.rate.comment_hint' }),
        messages.el,
        h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const picked = radios.find((r) => r.checked);
        if (!picked)
            return markFieldError(radios[0], t('portal.rate.missing'));
        const body = { rating: Number(picked.value) };
        if (comment.value.trim())
            body.comment = comment.value.trim();
        if (await sendThenRedraw({ form, messages, submit, path: '/api/v1/portal/rate', body, redraw,
            fallback: (r) => ({ ...r, can_rate: false, rating: body.rating }) })) {
            state.rated = true;
            redraw();
        }
        return null;
    });
    return form;
}

function replyForm(ctx, redraw) {
    const messages = messageArea();
    const body = h('textarea', { name: 'body', id: 'reply-body', rows: '4', maxlength: '4000', dir: 'auto' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', dataset: { action: 'reply' } }, tn('portal.reply.send'));
    const form = h('form', { class: 'form card reply-form', id: 'portal-reply-form', novalidate: true },
        h('h2', {}, tn('portal.reply.title')),
        field({ label: 'portal.reply.label', control: body, name: 'body', hint: 'portal.reply.hint' }),
        messages.el,
        h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        if (!body.value.trim())
            return markFieldError(body, t('portal.reply.missing'));
        if (await sendThenRedraw({ form, messages, submit, path: '/api/v1/portal/reply', body: { body: body.value.trim() }, redraw,
            fallback: (r) => r })) {
            state.replied = true;
            redraw();
        }
        return null;
    });
    return form;
}

function resultView(ctx, redraw) {
    const r = state.result;
    const notes = r.notes || [];
    return h('section', { class: 'track-result', id: 'track-result', dataset: { reference: r.reference, status: r.status }, 'aria-labelledby': 'track-result-title' },
        h('div', { class: 'card status-card' },
            h('h2', { id: 'track-result-title', tabindex: '-1' }, tf('portal.track.case', { type: typeName(r.type), reference: referenceNode(r.reference) })),
            h('p', { class: ['status-words', `status-${r.status}`], id: 'track-status', dataset: { status: r.status } }, tn(`portal.status.${r.status}`)),
            h('p', { class: 'status-explained' }, tn(`portal.status_text.${r.status}`)),
            h('dl', { class: 'facts track-facts' },
                h('dt', {}, tn('portal.track.filed_on')), h('dd', {}, formatDate(r.created_at)),
                h('dt', {}, tn('portal.track.updated_on')), h('dd', {}, formatDate(r.updated_at)),
                r.expected_at ? [h('dt', {}, tn('portal.track.expected')), h('dd', { id: 'track-expected' }, formatDate(r.expected_at))] : null)),
        h('section', { class: 'card notes-card', 'aria-labelledby': 'track-notes-title' },
            h('h2', { id: 'track-notes-title' }, tn('portal.track.messages')),
            notes.length
                ? h('ol', { class: 'portal-notes', id: 'track-notes' }, [...notes].reverse().map((n) => h('li', { class: 'portal-note', dataset: { kind: n.kind } },
                    h('p', { class: 'portal-note-head' },
                        h('strong', {}, tn(n.kind === 'acknowledgement' ? 'portal.track.ack' : n.kind === 'citizen_reply' ? 'portal.reply.yours' : 'portal.track.message')), ' · ', formatDate(n.at)),
                    h('p', { class: 'portal-note-text', dir: 'auto' }, n.body))))
                : h('p', { class: 'empty', id: 'track-notes' }, tn('portal.track.no_messages'))),
        state.replied ? alertBox('success', tn('portal.reply.thanks')) : null,
        r.status !== 'closed' && r.status !== 'merged' ? replyForm(ctx, redraw) : null,
        state.rated ? alertBox('success', tn('portal.rate.thanks')) : null,
        r.can_rate ? rateForm(ctx, redraw) : null,
        !r.can_rate && r.rating
            ? h('p', { class: 'rated', id: 'track-rated' }, tn('portal.rate.given', { rating: r.rating }))
            : null);
}

export async function render(ctx) {
    const asked = (ctx.params.get('ref') || '').trim();
    const filed = lastFiled();
    if (asked && asked !== state.reference) {
        state.reference = asked;
        state.pin = filed && filed.reference === asked ? filed.pin : '';
        state.result = null;
        state.rated = false;
        state.replied = false;
    }
    const messages = messageArea();
    messages.el.id = 'track-message';
    const ref = h('input', {
        type: 'text', name: 'reference', id: 'track-reference', value: state.reference, dir: 'ltr', class: 'reference-input',
        autocomplete: 'off', spellcheck: 'false', autocapitalize: 'characters', maxlength: '20', placeholder: 'ABC-DEF-GHJ',
        'data-autofocus': !state.reference,
    });
    const pin = h('input', {
        type: 'text', name: 'pin', id: 'track-pin', value: state.pin, dir: 'ltr', class: 'pin-input',
        autocomplete: 'off', inputmode: 'numeric', maxlength: '12', spellcheck: 'false', 'data-autofocus': Boolean(state.reference) && !state.pin,
    });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-large', dataset: { action: 'track' } }, tn('portal.track.show'));
    const out = h('div', { class: 'track-out' });
    const page = h('section', { class: 'portal-page portal-track' });

    function redraw() {
        out.replaceChildren(state.result ? resultView(ctx, redraw) : '');
    }

    const form = h('form', { class: 'form card portal-form track-form', id: 'portal-track-form', novalidate: true },
        field({ label: 'portal.field.reference', control: ref, name: 'reference', required: true, hint: 'portal.track.reference_hint' }),
        field({ label: 'portal.field.pin', control: pin, name: 'pin', required: true, hint: 'portal.track.pin_hint' }),
        messages.el,
        h('div', { class: 'actions' }, submit));
    ref.addEventListener('input', () => {
        state.reference = ref.value;
    });
    pin.addEventListener('input', () => {
        state.pin = pin.value;
    });
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const reference = ref.value.trim();
        const code = pin.value.trim();
        if (!reference)
            return markFieldError(ref, t('portal.track.reference_missing'));
        if (!code)
            return markFieldError(pin, t('portal.track.pin_missing'));
        state.result = null;
        state.rated = false;
        state.replied = false;
        redraw();
        try {
            state.result = await whileBusy(submit, 'portal.track.looking', () => lookUp(reference, code));
            state.reference = state.result.reference; /* as the server writes it: "ABC-DEF-GHJ" */
            ref.value = state.reference;
            state.pin = code;
            redraw();
            out.querySelector('h2').focus();
        } catch (e) {
            messages.el.dataset.code = e.code || '';
            if (!showCaseFieldError(form, e))
                messages.show('error', caseErrorText(e));
        }
        return null;
    });

    redraw();
    page.append(
        h('p', { class: 'portal-back' }, h('a', { href: '#', class: 'back-link', dataset: { action: 'home' } }, tn('portal.back_home'))),
        h('h1', { tabindex: '-1' }, tn('portal.track.title')),
        h('p', { class: 'lead' }, tn('portal.track.intro')),
        form,
        out);
    return page;
}
