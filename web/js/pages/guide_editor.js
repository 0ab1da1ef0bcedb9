/*
 * Writing the guide: a new version of an article in one language (an
 * amendment, or a translation that records which source version it follows),
 * with a live preview of the Markdown body, the documents and fees as lists,
 * and a reason that the history keeps; and a new article with its first
 * draft. Every save is a new draft; it is published only after someone else
 * approves it.
 */
import { ApiError, api, withQuery } from '../api.js';
import { h, uid } from '../dom.js';
import {
    categoryName, dirOf, guideTabs, inLang, LANG_CODES, nativeName, statusBadge, todayInMorocco,
} from '../guide.js';
import { language, t, tn } from '../i18n.js';
import { navigate, routeParams } from '../router.js';
import {
    alertBox, clearFieldErrors, errorText, field, markFieldError, messageArea, pageTitle, showFieldError, whileBusy,
} from '../ui.js';
import { loadCategories, versionsHref } from './guide_manage.js';

const PREVIEW_DEBOUNCE_MS = 250;

/* ---- List editors ---------------------------------------------------------- */

function moveButtons(row, list, labelKey, onChange) {
    const up = h('button', { type: 'button', class: 'btn btn-small btn-icon-text', 'aria-label': t('guide.edit.move_up', { item: labelKey() }), title: t('guide.edit.move_up', { item: labelKey() }) }, '↑');
    const down = h('button', { type: 'button', class: 'btn btn-small btn-icon-text', 'aria-label': t('guide.edit.move_down', { item: labelKey() }), title: t('guide.edit.move_down', { item: labelKey() }) }, '↓');
    const remove = h('button', { type: 'button', class: 'btn btn-small btn-icon-text', dataset: { action: 'remove' }, 'aria-label': t('guide.edit.remove', { item: labelKey() }), title: t('guide.edit.remove', { item: labelKey() }) }, '✕');
    up.addEventListener('click', () => {
        if (row.previousElementSibling)
            list.insertBefore(row, row.previousElementSibling);
        up.focus();
        onChange();
    });
    down.addEventListener('click', () => {
        if (row.nextElementSibling)
            list.insertBefore(row.nextElementSibling, row);
        down.focus();
        onChange();
    });
    remove.addEventListener('click', () => {
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        onChange();
        const target = next && next.querySelector('input');
        if (target)
            target.focus();
    });
    return h('span', { class: 'row-buttons' }, up, down, remove);
}

function documentsEditor(items, lang) {
    const list = h('ol', { class: 'list-editor', id: 'documents-editor', tabindex: '-1' });
    const renumber = () => [...list.children].forEach((row, i) => {
        row.querySelector('input').setAttribute('aria-label', t('guide.edit.document_n', { n: i + 1 }));
    });
    function add(text = '', focus = false) {
        const input = h('input', { type: 'text', value: text, lang, dir: 'auto', class: 'doc-input', maxlength: '1000' });
        const row = h('li', { class: 'list-row' });
        row.append(input, moveButtons(row, list, () => input.value || t('guide.edit.document'), renumber));
        list.append(row);
        renumber();
        if (focus)
            input.focus();
    }
    items.forEach((d) => add(d));
    const addButton = h('button', { type: 'button', class: 'btn btn-small', id: 'add-document' }, '+ ', tn('guide.edit.add_document'));
    addButton.addEventListener('click', () => add('', true));
    return {
        el: h('fieldset', { class: 'list-field' },
            h('legend', {}, tn('guide.field.documents')),
            h('p', { class: 'hint' }, tn('guide.edit.documents_hint')),
            list, addButton),
        list,
        values: () => [...list.querySelectorAll('.doc-input')].map((i) => i.value.trim()).filter(Boolean),
        setLang(l) {
            for (const i of list.querySelectorAll('.doc-input'))
                i.lang = l;
            lang = l;
        },
    };
}

function feesEditor(items, lang) {
    const list = h('ol', { class: 'list-editor fees-editor', id: 'fees-editor', tabindex: '-1' });
    function add(fee = { amount: '', currency: 'MAD', label: '' }, focus = false) {
        const n = list.children.length + 1;
        const ids = [uid('fee'), uid('fee'), uid('fee')];
        const amount = h('input', { type: 'number', min: '0', step: '0.01', id: ids[0], class: 'fee-amount-input', value: fee.amount === '' ? '' : String(fee.amount), dir: 'ltr', inputmode: 'decimal' });
        const currency = h('input', { type: 'text', id: ids[1], class: 'fee-currency-input', value: fee.currency || 'MAD', maxlength: '3', dir: 'ltr', autocapitalize: 'characters', spellcheck: 'false' });
        const label = h('input', { type: 'text', id: ids[2], class: 'fee-label-input', value: fee.label || '', lang, dir: 'auto', maxlength: '1000' });
        const row = h('li', { class: 'list-row fee-row' },
            h('span', { class: 'fee-cell' }, h('label', { for: ids[0] }, tn('guide.edit.fee_amount')), amount),
            h('span', { class: 'fee-cell fee-cell-currency' }, h('label', { for: ids[1] }, tn('guide.edit.fee_currency')), currency),
            h('span', { class: 'fee-cell fee-cell-label' }, h('label', { for: ids[2] }, tn('guide.edit.fee_label')), label));
        row.append(moveButtons(row, list, () => label.value || t('guide.edit.fee_n', { n }), () => null));
        list.append(row);
        if (focus)
            amount.focus();
    }
    items.forEach((f) => add(f));
    const addButton = h('button', { type: 'button', class: 'btn btn-small', id: 'add-fee' }, '+ ', tn('guide.edit.add_fee'));
    addButton.addEventListener('click', () => add(undefined, true));
    return {
        el: h('fieldset', { class: 'list-field' },
            h('legend', {}, tn('guide.field.fees')),
            h('p', { class: 'hint' }, tn('guide.edit.fees_hint')),
            list, addButton),
        list,
        /* [fees] or {error, control} */
        values() {
            const out = [];
            for (const row of list.children) {
                const amount = row.querySelector('.fee-amount-input');
                const currency = row.querySelector('.fee-currency-input');
                const label = row.querySelector('.fee-label-input');
                if (!amount.value.trim() && !label.value.trim())
                    continue;
                const n = Number(amount.value);
                if (amount.value.trim() === '' || !Number.isFinite(n) || n < 0)
                    return { error: t('guide.edit.fee_amount_invalid'), control: amount };
                const cur = currency.value.trim().toUpperCase();
                if (!/^[A-Z]{3}$/.test(cur))
                    return { error: t('guide.edit.fee_currency_invalid'), control: currency };
                if (!label.value.trim())
                    return { error: t('guide.edit.fee_label_required'), control: label };
                out.push({ amount: n, currency: cur, label: label.value.trim() });
            }
            return out;
        },
        setLang(l) {
            for (const i of list.querySelectorAll('.fee-label-input'))
                i.lang = l;
            lang = l;
        },
    };
}

/* ---- The fields of a version ----------------------------------------------- */

/* base: a version to start from (or null); lang: the language written.
 * withReason: amendments and translations say why (a new article does not). */
export function versionForm(base, lang, { withReason = true } = {}) {
    const b = base || {};
    const dir = dirOf(lang);
    const title = h('input', { type: 'text', name: 'title', value: b.title || '', lang, dir: 'auto', maxlength: '300' });
    const summary = h('textarea', { name: 'summary', rows: '3', lang, dir: 'auto', maxlength: '1000' }, b.summary || '');
    const body = h('textarea', { name: 'body', rows: '18', lang, dir: 'auto', class: 'body-input', spellcheck: 'true' }, b.body || '');
    const preview = h('div', { class: 'article-body preview', id: 'body-preview', lang, dir, 'aria-live': 'off' });
    const previewState = h('p', { class: 'hint preview-state', role: 'status' });
    const docs = documentsEditor(b.documents || [], lang);
    const fees = feesEditor(b.fees || [], lang);
    const processing = h('input', { type: 'text', name: 'processing_time', value: b.processing_time || '', lang, dir: 'auto', maxlength: '1000' });
    const where = h('input', { type: 'text', name: 'where_to_apply', value: b.where_to_apply || '', lang, dir: 'auto', maxlength: '1000' });
    const source = h('input', { type: 'text', name: 'source', value: b.source || '', dir: 'auto', maxlength: '1000' });
    const checked = h('input', { type: 'date', name: 'checked_on', value: b.checked_on || todayInMorocco(), max: todayInMorocco() });
    const confidence = h('select', { name: 'confidence' },
        ['V', 'S', 'U'].map((c) => h('option', { value: c, selected: (b.confidence || 'U') === c }, `${c} — ${t(`guide.confidence.${c}`)}`)));
    const reason = withReason ? h('input', { type: 'text', name: 'reason', maxlength: '500', dir: 'auto' }) : null;

    let timer = null;
    let controller = null;
    async function refreshPreview() {
        if (controller)
            controller.abort();
        controller = new AbortController();
        if (!body.value.trim()) {
            preview.replaceChildren(h('p', { class: 'muted' }, tn('guide.edit.preview_empty')));
            return;
        }
        try {
            const r = await api('POST', '/api/v1/guide/preview', { body: body.value, lang: preview.lang || undefined }, { signal: controller.signal });
            preview.innerHTML = r.html; /* rendered and made safe by the server */
            previewState.textContent = '';
        } catch (e) {
            if (e.code !== 'aborted')
                previewState.textContent = errorText(e);
        }
    }
    body.addEventListener('input', () => {
        clearTimeout(timer);
        timer = setTimeout(refreshPreview, PREVIEW_DEBOUNCE_MS);
    });
    refreshPreview();

    const el = h('div', { class: 'version-fields' },
        field({ label: 'guide.field.title', control: title, name: 'title', required: true }),
        field({ label: 'guide.field.summary', control: summary, name: 'summary', required: true, hint: 'guide.edit.summary_hint' }),
        h('div', { class: 'body-editor' },
            h('div', { class: 'body-source' },
                field({ label: 'guide.field.body', control: body, name: 'body', required: true, hint: 'guide.edit.body_hint' })),
            h('div', { class: 'body-preview' },
                h('p', { class: 'preview-label' }, tn('guide.edit.preview')),
                preview,
                previewState)),
        h('div', { class: 'two-lists' }, docs.el, fees.el),
        h('div', { class: 'field-grid' },
            field({ label: 'guide.field.processing_time', control: processing, name: 'processing_time' }),
            field({ label: 'guide.field.where_to_apply', control: where, name: 'where_to_apply' }),
            field({ label: 'guide.field.source', control: source, name: 'source', hint: 'guide.edit.source_hint' }),
            field({ label: 'guide.field.checked_on', control: checked, name: 'checked_on' }),
            field({ label: 'guide.field.confidence', control: confidence, name: 'confidence', hint: 'guide.edit.confidence_hint' })),
        reason ? field({ label: 'guide.field.reason', control: reason, name: 'reason', required: true, hint: 'guide.edit.reason_hint' }) : null);

    return {
        el,
        setLang(l) {
            for (const c of [title, summary, body, processing, where])
                c.lang = l;
            preview.lang = l;
            preview.dir = dirOf(l);
            docs.setLang(l);
            fees.setLang(l);
        },
        /* The version's fields, or null after marking what is wrong. */
        collect() {
            const missing = [[title, 'guide.edit.title_required'], [summary, 'guide.edit.summary_required'], [body, 'guide.edit.body_required']];
            if (reason)
                missing.push([reason, 'guide.edit.reason_required']);
            for (const [c, key] of missing) {
                if (!c.value.trim()) {
                    markFieldError(c, t(key));
                    return null;
                }
            }
            const f = fees.values();
            if (!Array.isArray(f)) {
                markFieldError(f.control, f.error);
                return null;
            }
            const out = {
                title: title.value.trim(),
                summary: summary.value.trim(),
                body: body.value,
                documents: docs.values(),
                fees: f,
                processing_time: processing.value.trim(),
                where_to_apply: where.value.trim(),
                source: source.value.trim(),
                checked_on: checked.value,
                confidence: confidence.value,
            };
            if (reason)
                out.reason = reason.value.trim();
            return out;
        },
    };
}

/* ---- A new version of an article ------------------------------------------- */

async function articleSummary(slug) {
    const list = await api('GET', withQuery('/api/v1/guide/articles', { lang: language() }));
    return (list.articles || []).find((a) => a.slug === slug) || null;
}

export async function renderEditor(ctx) {
    const p = routeParams();
    const slug = p.get('slug') || '';
    const lang = LANG_CODES.includes(p.get('lang')) ? p.get('lang') : '';
    const messages = messageArea();
    const fail = (e) => h('section', { class: 'page page-guide-editor' },
        pageTitle('guide.edit.title_plain'), guideTabs(ctx.user, 'guide/edit'), alertBox('error', errorText(e)));

    let info;
    let versions;
    try {
        info = await articleSummary(slug);
        if (!info)
            return fail(new ApiError({ status: 404, code: 'guide.article_not_found' }));
        versions = (await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(slug)}/versions`, { lang: lang || info.source_language })))
            .versions || [];
    } catch (e) {
        return fail(e);
    }
    const code = lang || info.source_language;
    const isSource = code === info.source_language;
    const mine = versions.filter((v) => v.lang === code).sort((a, b) => b.version - a.version);

    /* the text to start from: this language's newest version, else (a new
     * translation) the source text in force; and the source version followed */
    let base = mine[0] || null;
    let sourceVersion = 0;
    if (!isSource) {
        try {
            const src = await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(slug)}`, { lang: info.source_language }));
            if (src.text.lang === info.source_language) {
                sourceVersion = src.text.version;
                if (!base)
                    base = src.text;
            }
        } catch (e) {
            if (e.code !== 'guide.not_published')
                messages.error(e);
        }
    }

    const form = h('form', { class: 'form guide-form', id: 'version-form', novalidate: true });
    const fields = versionForm(base, code);
    const draft = h('button', { type: 'submit', class: 'btn', dataset: { action: 'save-draft' } }, tn('guide.edit.save_draft'));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save-submit' } }, tn('guide.edit.save_submit'));
    const cancel = h('a', { class: 'btn', href: versionsHref(slug, code) }, tn('common.cancel'));
    let startFrom = null;
    if (mine[0])
        startFrom = h('p', { class: 'hint' }, tn('guide.edit.starts_from', { version: mine[0].version }), ' ', statusBadge(mine[0].status));
    else if (!isSource && base)
        startFrom = alertBox('info', tn('guide.edit.new_translation', { source: inLang(info.source_language) }));
    const translates = isSource ? null : (sourceVersion
        ? h('p', { class: 'translates-line' }, tn('guide.edit.translates', { source: inLang(info.source_language), version: sourceVersion }))
        : alertBox('warning', tn('guide.edit.no_source', { source: inLang(info.source_language) })));

    form.append(startFrom || '', translates || '', fields.el, messages.el, h('div', { class: 'actions form-actions' }, submit, draft, cancel));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const andSubmit = ev.submitter && ev.submitter.dataset.action === 'save-submit';
        const v = fields.collect();
        if (!v)
            return;
        const bodyOut = { lang: code, ...v };
        if (!isSource && sourceVersion)
            bodyOut.translates = sourceVersion;
        const button = andSubmit ? submit : draft;
        const done = () => navigate(`guide/edit/versions?${new URLSearchParams({ slug, lang: code })}`);
        let saved;
        try {
            saved = await whileBusy(button, 'common.saving',
                () => api('POST', `/api/v1/guide/articles/${encodeURIComponent(slug)}/versions`, bodyOut));
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
            return;
        }
        if (andSubmit) {
            try {
                await whileBusy(button, 'common.saving', () => api('POST', `/api/v1/guide/versions/${saved.id}/submit`));
            } catch (e) {
                /* the draft is saved: say so, and that it still has to be sent */
                ctx.flash('warning', `${t('guide.edit.saved_draft', { version: saved.version })} ${errorText(e)}`);
                done();
                return;
            }
        }
        ctx.flash('success', t(andSubmit ? 'guide.edit.saved_submitted' : 'guide.edit.saved_draft', { version: saved.version }));
        done();
    });

    return h('section', { class: 'page page-guide-editor', dataset: { slug, lang: code } },
        h('div', { class: 'page-head' },
            h('h1', { class: 'page-title', tabindex: '-1' }, tn('guide.edit.title', { language: inLang(code) }))),
        guideTabs(ctx.user, 'guide/edit'),
        h('p', { class: 'lead' }, h('span', { dir: 'auto', lang: info.title_lang }, info.title), ' · ', h('code', { dir: 'ltr' }, slug), ' · ', categoryName(info.category)),
        form);
}

/* ---- A new article ------------------------------------------------------------ */

export async function renderNew(ctx) {
    const messages = messageArea();
    let categories = [];
    try {
        categories = await loadCategories();
    } catch (e) {
        messages.error(e);
    }
    const slug = h('input', { type: 'text', name: 'slug', dir: 'ltr', autocomplete: 'off', spellcheck: 'false', maxlength: '79', pattern: '[a-z0-9-]{2,79}' });
    const category = h('select', { name: 'category' }, categories.map((c) => h('option', { value: c }, categoryName(c))));
    const audience = h('select', { name: 'audience' }, ['citizens', 'foreigners', 'both'].map((a) => h('option', { value: a }, t(`guide.audience.${a}`))));
    const source = h('select', { name: 'source_language' }, LANG_CODES.map((c) => h('option', { value: c, lang: c, selected: c === 'fr' }, nativeName(c))));
    const keywords = h('textarea', { name: 'keywords', rows: '2', dir: 'auto' });
    const fields = versionForm(null, source.value, { withReason: false });
    source.addEventListener('change', () => fields.setLang(source.value));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'create' } }, tn('guide.new.create'));
    const form = h('form', { class: 'form guide-form', id: 'new-article-form', novalidate: true },
        h('div', { class: 'field-grid' },
            field({ label: 'guide.new.slug', control: slug, name: 'slug', required: true, hint: 'guide.new.slug_hint' }),
            field({ label: 'guide.new.category', control: category, name: 'category', required: true }),
            field({ label: 'guide.new.audience', control: audience, name: 'audience', required: true }),
            field({ label: 'guide.new.source_language', control: source, name: 'source_language', required: true })),
        field({ label: 'guide.new.keywords', control: keywords, name: 'keywords', hint: 'guide.new.keywords_hint' }),
        fields.el,
        messages.el,
        h('div', { class: 'actions form-actions' }, submit, h('a', { class: 'btn', href: '#/guide/edit' }, tn('common.cancel'))));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        clearFieldErrors(form);
        messages.clear();
        const s = slug.value.trim();
        if (!/^[a-z0-9-]{2,79}$/.test(s))
            return markFieldError(slug, t('error.guide.invalid_slug'));
        const v = fields.collect();
        if (!v)
            return;
        const terms = keywords.value.split(/[,;\n]/).map((x) => x.trim()).filter(Boolean);
        const bodyOut = {
            slug: s, category: category.value, audience: audience.value, source_language: source.value, version: v,
        };
        if (terms.length)
            bodyOut.keywords = { [source.value]: terms };
        try {
            await whileBusy(submit, 'common.saving', () => api('POST', '/api/v1/guide/articles', bodyOut));
            ctx.flash('success', t('guide.new.created', { slug: s }));
            navigate(`guide/edit/versions?${new URLSearchParams({ slug: s, lang: source.value })}`);
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
    return h('section', { class: 'page page-guide-new' },
        pageTitle('guide.new.title'),
        guideTabs(ctx.user, 'guide/edit'),
        h('p', { class: 'lead' }, tn('guide.new.intro')),
        form);
}
