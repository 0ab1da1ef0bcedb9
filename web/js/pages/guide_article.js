/*
 * One article of the guide as the agent reads it during a call: the text in
 * force in the caller's language (or the nearest one, said so), its
 * documents as a checklist to tick while talking, the fees in the article's
 * language, where and how long, source and confidence, and notices for an
 * outdated translation or an amendment to come. "Copy checklist" puts a
 * plain-text checklist in the article's language on the clipboard; "Print"
 * prints the article alone.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import {
    articleHref, categoryName, confidenceBadge, dayNode, dirOf, formatDay, formatFee, inLang, languagePicker, linkify,
    setCallerLanguage, todayInMorocco,
} from '../guide.js';
import { messagesIn, t, tf, tn } from '../i18n.js';
import { navigate, routeParams } from '../router.js';
import * as session from '../session.js';
import { alertBox, badge, errorText, pageTitle } from '../ui.js';
import { searchRoute } from './guide_search.js';

/* Ticks of the checklists, per version, kept while the page is re-drawn. */
const ticks = new Map();

function ticked(id) {
    if (!ticks.has(id))
        ticks.set(id, new Set());
    return ticks.get(id);
}

session.onSessionChange((u) => {
    if (!u)
        ticks.clear();
});

/* Esc on an article (outside a field) goes back to the search. */
let escWired = false;
function wireEscape() {
    if (escWired)
        return;
    escWired = true;
    document.addEventListener('keydown', (ev) => {
        if (ev.key !== 'Escape' || ev.defaultPrevented)
            return;
        const main = document.getElementById('main');
        if (!main || main.dataset.route !== 'guide/article' || document.querySelector('dialog[open]'))
            return;
        const el = document.activeElement;
        if (el && ['INPUT', 'SELECT', 'TEXTAREA'].includes(el.tagName) && el.type !== 'checkbox' && el.type !== 'radio')
            return;
        navigate(searchRoute());
    });
}

/* The checklist as plain text in the article's language. */
async function checklistText(text, done) {
    const tx = await messagesIn(text.lang);
    const lines = [text.title, ''];
    if (text.documents.length) {
        lines.push(tx('guide.copy.documents'));
        text.documents.forEach((d, i) => lines.push(`${done.has(i) ? '☑' : '☐'} ${d}`));
        lines.push('');
    }
    if (text.fees.length) {
        lines.push(tx('guide.copy.fees'));
        for (const f of text.fees)
            lines.push(`- ${f.label}: ${formatFee(f.amount, f.currency, text.lang)}`);
        lines.push('');
    }
    if (text.processing_time)
        lines.push(`${tx('guide.copy.processing_time')} ${text.processing_time}`);
    if (text.where_to_apply)
        lines.push(`${tx('guide.copy.where')} ${text.where_to_apply}`);
    return lines.join('\n').replace(/\n+$/, '\n');
}

function notices(data, slug, at) {
    const text = data.text;
    const out = [];
    if (at) {
        const back = h('a', { href: articleHref(slug, data.asked_lang) }, tn('guide.article.back_to_today'));
        out.push(alertBox('info', tf('guide.article.viewing_at', { date: dayNode(at) }), ' ', back));
    }
    if (data.fallback) {
        const el = alertBox('warning', tn('guide.article.fallback', { shown: inLang(text.lang), asked: inLang(data.asked_lang) }));
        el.dataset.notice = 'fallback';
        out.push(el);
    }
    if (data.translation_outdated) {
        const src = data.article.source_language;
        const el = alertBox('warning',
            tn('guide.article.outdated', { source: inLang(src), version: data.source_version }), ' ',
            h('a', { href: articleHref(slug, src) }, tn('guide.article.read_source', { source: inLang(src) })));
        el.dataset.notice = 'outdated';
        out.push(el);
    }
    if (data.upcoming) {
        const el = alertBox('info',
            h('strong', {}, tf('guide.article.upcoming', { date: dayNode(data.upcoming.effective_on), version: data.upcoming.version })), ' ',
            h('a', { href: articleHref(slug, data.asked_lang, data.upcoming.effective_on) }, tn('guide.article.read_upcoming')));
        el.dataset.notice = 'upcoming';
        el.dataset.effectiveOn = data.upcoming.effective_on;
        out.push(el);
    }
    return out;
}

function checklist(text) {
    const done = ticked(text.id);
    const items = text.documents.map((d, i) => {
        const id = `doc-${text.id}-${i}`;
        const box = h('input', { type: 'checkbox', id, checked: done.has(i), dataset: { index: String(i) } });
        box.addEventListener('change', () => {
            if (box.checked)
                done.add(i);
            else
                done.delete(i);
        });
        return h('li', { class: 'check-item' }, box, h('label', { for: id, lang: text.lang, dir: dirOf(text.lang) }, d));
    });
    return h('section', { class: 'card article-checklist', 'aria-labelledby': 'doc-title' },
        h('h2', { id: 'doc-title' }, tn('guide.article.documents')),
        items.length
            ? h('ul', { class: 'checklist', id: 'checklist' }, items)
            : h('p', { class: 'muted' }, tn('guide.article.no_documents')));
}

function practical(text) {
    const fees = text.fees.length
        ? h('ul', { class: 'fees', id: 'fees' }, text.fees.map((f) => h('li', {},
            h('span', { class: 'fee-amount', lang: text.lang, dir: 'ltr' }, formatFee(f.amount, f.currency, text.lang)),
            h('span', { class: 'fee-label', lang: text.lang, dir: dirOf(text.lang) }, f.label))))
        : h('p', { class: 'muted' }, tn('guide.article.no_fees'));
    const row = (key, value) => (value
        ? [h('dt', {}, tn(key)), h('dd', { lang: text.lang, dir: dirOf(text.lang) }, value)]
        : null);
    return h('section', { class: 'card article-practical', 'aria-labelledby': 'fees-title' },
        h('h2', { id: 'fees-title' }, tn('guide.article.fees')),
        fees,
        h('dl', { class: 'facts article-facts' },
            row('guide.article.processing_time', text.processing_time),
            row('guide.article.where', text.where_to_apply)));
}

export async function render(ctx) {
    wireEscape();
    const p = routeParams();
    const slug = p.get('slug') || '';
    const lang = p.get('lang') || '';
    const at = p.get('at') || '';
    const back = h('a', { class: 'back-link', href: `#/${searchRoute()}` }, tn('guide.article.back'));

    let data;
    try {
        data = await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(slug)}`, { lang, at }));
    } catch (e) {
        return h('section', { class: 'page page-article' },
            h('div', { class: 'article-toolbar no-print' }, back),
            pageTitle('guide.article.title'),
            alertBox('error', errorText(e)));
    }
    const text = data.text;
    const dir = dirOf(text.lang);
    const copyStatus = h('span', { class: 'copy-status', id: 'copy-status', role: 'status' });
    const copyButton = h('button', { type: 'button', class: 'btn', id: 'copy-checklist' }, tn('guide.article.copy'));
    const printButton = h('button', { type: 'button', class: 'btn', id: 'print-article' }, tn('guide.article.print'));
    const manual = h('div', { class: 'copy-manual', hidden: true });

    copyButton.addEventListener('click', async () => {
        const plain = await checklistText(text, ticked(text.id));
        copyStatus.textContent = '';
        try {
            await navigator.clipboard.writeText(plain);
            copyStatus.textContent = t('guide.article.copied');
            manual.hidden = true;
        } catch (e) {
            copyStatus.textContent = t('common.copy_manually');
            const area = h('textarea', { readonly: true, rows: '8', lang: text.lang, dir, 'aria-label': t('guide.article.copy') }, plain);
            manual.replaceChildren(area);
            manual.hidden = false;
            area.select();
        }
    });
    printButton.addEventListener('click', () => window.print());

    const picker = languagePicker({
        name: 'article-lang',
        selected: data.asked_lang,
        legendKey: 'guide.article.caller_language',
        onChange: (code) => {
            setCallerLanguage(code);
            const q = new URLSearchParams({ slug, lang: code });
            if (at)
                q.set('at', at);
            navigate(`guide/article?${q}`, { replace: true });
        },
    });

    const title = h('h1', { class: 'page-title article-title', tabindex: '-1', lang: text.lang, dir }, text.title);
    const body = h('div', { class: 'article-body', lang: text.lang, dir });
    body.innerHTML = text.body_html; /* rendered and made safe by the server (no raw HTML, no script links) */
    for (const a of body.querySelectorAll('a[href^="http"]')) {
        a.rel = 'noopener noreferrer';
        a.target = '_blank';
    }

    const article = h('article', {
        class: 'guide-article', id: 'guide-article',
        dataset: { slug, lang: text.lang, version: String(text.version), id: String(text.id) },
    },
    h('header', { class: 'article-head' },
        h('p', { class: 'article-kicker' },
            h('span', { class: 'article-category' }, categoryName(data.article.category)),
            confidenceBadge(text.confidence),
            text.lang !== data.asked_lang ? badge('info', inLang(text.lang)) : null,
            data.translation_outdated ? badge('warning', tn('guide.outdated_badge')) : null),
        title,
        text.summary ? h('p', { class: 'article-summary lead', lang: text.lang, dir }, text.summary) : null),
    h('div', { class: 'article-grid' }, checklist(text), practical(text)),
    body,
    h('footer', { class: 'article-source' },
        h('dl', { class: 'facts' },
            h('dt', {}, tn('guide.article.source')),
            h('dd', { lang: text.lang, dir: 'auto', class: 'source-text' }, linkify(text.source || '—')),
            h('dt', {}, tn('guide.article.checked_on')),
            h('dd', {}, text.checked_on ? dayNode(text.checked_on) : '—'),
            h('dt', {}, tn('guide.article.confidence')),
            h('dd', {}, confidenceBadge(text.confidence), ' ', h('span', { class: 'hint' }, tn(`guide.confidence.${text.confidence}.hint`))),
            h('dt', {}, tn('guide.article.version')),
            h('dd', {}, tn('guide.article.version_line', {
                version: text.version,
                date: text.effective_on ? formatDay(text.effective_on) : '—',
            })))));

    const u = ctx.user;
    const manage = ['editor', 'supervisor', 'admin'].includes(u.role)
        ? h('a', { class: 'btn btn-small', href: `#/guide/edit/versions?${new URLSearchParams({ slug, lang: text.lang })}` }, tn('guide.article.history'))
        : null;

    return h('section', { class: 'page page-article', dataset: { today: todayInMorocco() } },
        h('div', { class: 'article-toolbar no-print' },
            back,
            h('div', { class: 'actions' }, copyButton, printButton, manage),
            copyStatus),
        manual,
        h('div', { class: 'no-print article-lang' }, picker),
        h('div', { class: 'article-notices no-print' }, notices(data, slug, at)),
        article);
}
