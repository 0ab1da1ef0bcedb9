/*
 * The editors' view of the guide: every article with the state of its
 * languages (version in force, drafts and reviews, translations out of date),
 * an article's version history with the workflow actions, and the
 * differences between any two versions.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import {
    articleHref, categoryName, dirOf, guideTabs, inLang, isEditor, LANG_CODES, languagePicker, nativeName, statusBadge,
} from '../guide.js';
import { formatDateTime, language, plural, t, tn } from '../i18n.js';
import { navigate, routeParams } from '../router.js';
import { alertBox, errorText, messageArea, pageTitle, whileBusy } from '../ui.js';

let categoriesCache = null;

export function loadCategories() {
    if (!categoriesCache) {
        categoriesCache = api('GET', '/api/v1/guide/categories').then((r) => r.categories || []).catch((e) => {
            categoriesCache = null;
            throw e;
        });
    }
    return categoriesCache;
}

export function versionsHref(slug, lang) {
    return `#/guide/edit/versions?${new URLSearchParams({ slug, lang })}`;
}

export function editorHref(slug, lang) {
    return `#/guide/edit/article?${new URLSearchParams({ slug, lang })}`;
}

export function diffHref(from, to) {
    return `#/guide/edit/diff?${new URLSearchParams({ from: String(from), to: String(to) })}`;
}

/* ---- The article list with the translation table ------------------------ */

let categoryFilter = '';

const COVERAGE_STATES = ['missing', 'outdated', 'pending'];

/* Whether language code of article a is in state (the server's definitions,
 * src/guide/coverage.c): missing = nothing in force, outdated = in force but
 * behind the source, pending = newest version waiting for review. */
function inState(a, code, state) {
    const s = a.languages[code];
    if (state === 'missing')
        return !s || !s.published;
    if (state === 'outdated')
        return !!(s && s.published && s.outdated);
    return !!(s && s.latest_status === 'review');
}

export function coverageHref(state, lang) {
    return `#/guide/edit?${new URLSearchParams({ state, lang })}`;
}

/* The coverage panel: a row per language, each count a link that filters the
 * article list below. */
function coveragePanel(messages, current) {
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '5', class: 'loading' }, tn('common.loading'))));
    const cols = ['guide.coverage.language', 'guide.coverage.published', 'guide.coverage.missing', 'guide.coverage.outdated', 'guide.coverage.pending'];
    api('GET', '/api/v1/guide/coverage').then((r) => {
        tbody.replaceChildren(...(r.languages || []).map((c) => h('tr', { dataset: { lang: c.lang } },
            h('th', { scope: 'row' }, h('span', { lang: c.lang, dir: dirOf(c.lang) }, nativeName(c.lang)), ' ', h('code', { dir: 'ltr' }, c.lang)),
            h('td', { class: 'num', dataset: { label: t(cols[1]), count: 'published' } }, h('span', { dir: 'ltr' }, `${c.published} / ${c.articles}`)),
            COVERAGE_STATES.map((st, k) => {
                const on = current.state === st && current.lang === c.lang;
                return h('td', { class: 'num', dataset: { label: t(cols[k + 2]), count: st } },
                    c[st]
                        ? h('a', { href: coverageHref(st, c.lang), class: ['coverage-count', on && 'active'], 'aria-current': on ? 'true' : null,
                            'aria-label': t('guide.coverage.count_label', { what: t(`guide.coverage.filter_${st}`, { language: inLang(c.lang) }), n: c[st] }) }, String(c[st]))
                        : h('span', { class: 'muted' }, '0'));
            }))));
    }).catch((e) => {
        tbody.replaceChildren();
        messages.error(e);
    });
    return h('section', { class: 'card coverage-panel', id: 'coverage', 'aria-labelledby': 'coverage-title' },
        h('h2', { id: 'coverage-title' }, tn('guide.coverage.title')),
        h('p', { class: 'hint' }, tn('guide.coverage.intro')),
        h('div', { class: 'table-wrap' }, h('table', { class: 'data-table coverage-table', id: 'coverage-table' },
            h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
            tbody)));
}

/* The translation queue of one language: what to translate or update, oldest
 * source change first, each with a link to write that translation. */
function queuePanel(messages, initial) {
    let lang = initial;
    const list = h('ol', { class: 'translation-queue', id: 'translation-queue' });
    const status = h('p', { class: 'hint', role: 'status' });
    const select = h('select', { id: 'queue-lang', name: 'queue-lang' },
        LANG_CODES.map((c) => h('option', { value: c, selected: c === lang, lang: c }, nativeName(c))));

    async function load() {
        list.replaceChildren();
        status.replaceChildren(tn('common.loading'));
        try {
            const r = await api('GET', withQuery('/api/v1/guide/coverage/queue', { lang }));
            const items = r.articles || [];
            list.replaceChildren(...items.map((q) => h('li', { class: 'queue-item', dataset: { slug: q.slug, state: q.state } },
                h('a', { class: 'btn btn-small btn-primary queue-edit', href: editorHref(q.slug, lang) },
                    tn(q.state === 'missing' ? 'guide.coverage.translate' : 'guide.coverage.update', { language: inLang(lang) })),
                ' ',
                h('span', { class: 'queue-title', lang: q.title_lang, dir: 'auto' }, q.title),
                ' ',
                h('span', { class: q.state === 'missing' ? 'badge badge-neutral' : 'badge badge-warning' }, tn(`guide.coverage.state_${q.state}`)),
                q.pending_status ? [' ', h('span', { class: 'cell-pending' }, `v${q.pending_version} `, statusBadge(q.pending_status))] : null,
                h('span', { class: 'article-sub' },
                    h('code', { dir: 'ltr' }, q.slug), ' · ',
                    tn('guide.coverage.since', { language: inLang(q.source_language), version: q.source_version }), ' ',
                    h('time', { datetime: q.source_on, class: 'nowrap', dir: 'ltr' }, q.source_on)))));
            status.replaceChildren(items.length ? tn('guide.coverage.queue_count', { n: items.length, language: inLang(lang) })
                : tn('guide.coverage.queue_none', { language: inLang(lang) }));
        } catch (e) {
            status.replaceChildren();
            messages.error(e);
        }
    }
    select.addEventListener('change', () => {
        lang = select.value;
        load();
    });
    load();
    return h('section', { class: 'card queue-panel', id: 'queue', 'aria-labelledby': 'queue-title' },
        h('h2', { id: 'queue-title' }, tn('guide.coverage.queue_title')),
        h('div', { class: 'form-inline' }, h('div', { class: 'field' }, h('label', { for: 'queue-lang' }, tn('guide.coverage.queue_language')), select)),
        status,
        list);
}

function stateCell(a, code) {
    const s = a.languages[code];
    const source = a.source_language === code;
    const label = t('guide.list.cell_label', { article: a.slug, language: nativeName(code) });
    if (!s) {
        return h('td', { class: ['lang-cell', 'lang-missing', source && 'lang-source'], dataset: { lang: code, state: 'missing', label: code } },
            h('a', { href: versionsHref(a.slug, code), 'aria-label': label, class: 'cell-link' }, h('span', { class: 'muted' }, '—')));
    }
    const parts = [];
    if (s.published)
        parts.push(h('span', { class: 'cell-version', dataset: { published: String(s.published) } }, `v${s.published}`));
    else
        parts.push(h('span', { class: 'muted cell-version' }, tn('guide.list.not_published')));
    if (s.latest !== s.published && s.latest_status !== 'published')
        parts.push(h('span', { class: 'cell-pending' }, `v${s.latest} `, statusBadge(s.latest_status)));
    else if (s.latest > s.published)
        parts.push(h('span', { class: 'cell-pending' }, `v${s.latest} `, h('span', { class: 'badge badge-info', dataset: { status: 'scheduled' } }, tn('guide.list.scheduled'))));
    if (s.outdated)
        parts.push(h('span', { class: 'badge badge-warning badge-outdated', title: t('guide.outdated_hint') }, '⚠ ', tn('guide.outdated_badge')));
    let state = s.published ? 'published' : s.latest_status;
    if (s.latest !== s.published && s.latest_status !== 'published')
        state = s.latest_status;
    if (s.outdated)
        state = 'outdated';
    return h('td', { class: ['lang-cell', `lang-${state}`, source && 'lang-source'], dataset: { lang: code, state, label: code } },
        h('a', { href: versionsHref(a.slug, code), 'aria-label': label, class: 'cell-link' }, parts));
}

export function renderList(ctx) {
    const messages = messageArea();
    const p = routeParams();
    const filter = { state: p.get('state') || '', lang: p.get('lang') || '' };
    if (!COVERAGE_STATES.includes(filter.state) || !LANG_CODES.includes(filter.lang))
        filter.state = filter.lang = '';
    const coverage = ['editor', 'supervisor'].includes(ctx.user.role);
    const select = h('select', { id: 'category-filter', name: 'category' }, h('option', { value: '' }, t('guide.list.all_categories')));
    const count = h('p', { class: 'hint', role: 'status' });
    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '8', class: 'loading' }, tn('common.loading'))));
    const table = h('table', { class: 'data-table translation-table', id: 'articles-table' },
        h('caption', { class: 'visually-hidden' }, tn('guide.list.caption')),
        h('thead', {}, h('tr', {},
            h('th', { scope: 'col' }, tn('guide.list.article')),
            LANG_CODES.map((c) => h('th', { scope: 'col', class: 'lang-col' },
                h('abbr', { title: nativeName(c), lang: c }, c.toUpperCase()))))),
        tbody);

    async function load() {
        messages.clear();
        try {
            const data = await api('GET', withQuery('/api/v1/guide/articles', { category: categoryFilter, lang: language() }));
            const list = (data.articles || []).filter((a) => !filter.state || inState(a, filter.lang, filter.state));
            tbody.replaceChildren(...list.map((a) => h('tr', { dataset: { slug: a.slug } },
                h('th', { scope: 'row', class: 'wrap article-cell' },
                    h('a', { href: versionsHref(a.slug, a.source_language), lang: a.title_lang, dir: 'auto', class: 'article-name' }, a.title),
                    h('span', { class: 'article-sub' },
                        h('code', { dir: 'ltr' }, a.slug), ' · ', categoryName(a.category))),
                LANG_CODES.map((c) => stateCell(a, c)))));
            if (!list.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: '8' }, tn('guide.list.none'))));
            count.replaceChildren(plural('guide.list.count', list.length));
        } catch (e) {
            tbody.replaceChildren();
            messages.error(e);
        }
    }

    loadCategories().then((cats) => {
        select.replaceChildren(h('option', { value: '' }, t('guide.list.all_categories')),
            ...cats.map((c) => h('option', { value: c, selected: c === categoryFilter }, categoryName(c))));
    }).catch((e) => messages.error(e));
    select.addEventListener('change', () => {
        categoryFilter = select.value;
        load();
    });
    load();

    const newButton = isEditor(ctx.user)
        ? h('a', { class: 'btn btn-primary', href: '#/guide/edit/new', id: 'new-article' }, tn('guide.list.new'))
        : null;
    return h('section', { class: 'page page-guide-list' },
        h('div', { class: 'page-head' }, pageTitle('guide.list.title'), newButton),
        guideTabs(ctx.user, 'guide/edit'),
        h('p', { class: 'lead' }, tn('guide.list.intro')),
        messages.el,
        coverage ? coveragePanel(messages, filter) : null,
        coverage ? queuePanel(messages, filter.lang || (LANG_CODES.includes(language()) ? language() : 'fr')) : null,
        h('div', { class: 'form-inline filter-bar' },
            h('div', { class: 'field' }, h('label', { for: 'category-filter' }, tn('guide.list.category')), select),
            filter.state
                ? h('p', { class: 'coverage-filter', id: 'coverage-filter' },
                    h('span', { class: 'badge badge-info' }, tn(`guide.coverage.filter_${filter.state}`, { language: inLang(filter.lang) })), ' ',
                    h('a', { href: '#/guide/edit', id: 'clear-filter' }, tn('guide.coverage.clear')))
                : null,
            count),
        h('div', { class: 'legend hint' },
            h('span', { class: 'legend-item lang-source-sample' }, tn('guide.list.legend_source')),
            h('span', { class: 'legend-item' }, statusBadge('draft'), statusBadge('review'), statusBadge('rejected'),
                h('span', { class: 'badge badge-info' }, tn('guide.list.scheduled'))),
            h('span', { class: 'legend-item' }, h('span', { class: 'badge badge-warning' }, '⚠ ', tn('guide.outdated_badge')), tn('guide.list.legend_outdated'))),
        h('div', { class: 'table-wrap' }, table));
}

/* ---- One article's versions --------------------------------------------- */

export async function renderVersions(ctx) {
    const p = routeParams();
    const slug = p.get('slug') || '';
    const messages = messageArea();
    let lang = p.get('lang') || '';
    let title = slug;
    let sourceLang = null;
    let category = '';
    try {
        const list = await api('GET', withQuery('/api/v1/guide/articles', { lang: language() }));
        const a = (list.articles || []).find((x) => x.slug === slug);
        if (a) {
            title = a.title;
            sourceLang = a.source_language;
            category = a.category;
        }
    } catch (e) {
        messages.error(e);
    }
    if (!LANG_CODES.includes(lang))
        lang = sourceLang || 'fr';

    const tbody = h('tbody', {}, h('tr', {}, h('td', { colspan: '9', class: 'loading' }, tn('common.loading'))));
    const compare = h('button', { type: 'button', class: 'btn', id: 'compare', disabled: true }, tn('guide.versions.compare'));
    const cols = ['guide.versions.from', 'guide.versions.to', 'guide.versions.version', 'guide.versions.status', 'guide.versions.title_col',
        'guide.versions.author', 'guide.versions.reason', 'guide.versions.effective', 'common.actions'];
    const table = h('table', { class: 'data-table', id: 'versions-table' },
        h('caption', { class: 'visually-hidden' }, tn('guide.versions.caption')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);
    let versions = [];

    function selected(name) {
        const r = table.querySelector(`input[name="${name}"]:checked`);
        return r ? Number(r.value) : 0;
    }

    function syncCompare() {
        const from = selected('diff-from');
        const to = selected('diff-to');
        compare.disabled = !from || !to || from === to;
    }

    function actionsFor(v) {
        const out = [];
        if (isEditor(ctx.user) && v.status === 'draft') {
            const b = h('button', { type: 'button', class: 'btn btn-small btn-primary', dataset: { action: 'submit', id: String(v.id) } }, tn('guide.versions.submit'));
            b.addEventListener('click', async () => {
                messages.clear();
                try {
                    await whileBusy(b, 'common.working', () => api('POST', `/api/v1/guide/versions/${v.id}/submit`));
                    messages.show('success', tn('guide.versions.submitted', { version: v.version }));
                    await load();
                } catch (e) {
                    messages.error(e);
                }
            });
            out.push(b);
        }
        if (v.status === 'review' && ['editor', 'supervisor'].includes(ctx.user.role))
            out.push(h('a', { class: 'btn btn-small', href: '#/guide/edit/review' }, tn('guide.versions.to_review')));
        if (v.status === 'published')
            out.push(h('a', { class: 'btn btn-small', href: articleHref(slug, v.lang, v.effective_on) }, tn('guide.versions.read')));
        return out;
    }

    async function load() {
        try {
            const data = await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(slug)}/versions`, { lang }));
            versions = (data.versions || []).filter((v) => v.lang === lang).sort((a, b) => b.version - a.version);
            tbody.replaceChildren(...versions.map((v, i) => {
                const from = h('input', { type: 'radio', name: 'diff-from', value: String(v.id), checked: i === 1, 'aria-label': t('guide.versions.from_label', { version: v.version }) });
                const to = h('input', { type: 'radio', name: 'diff-to', value: String(v.id), checked: i === 0, 'aria-label': t('guide.versions.to_label', { version: v.version }) });
                from.addEventListener('change', syncCompare);
                to.addEventListener('change', syncCompare);
                const cells = [
                    from, to,
                    h('strong', {}, `v${v.version}`),
                    [statusBadge(v.status), v.review_note ? h('span', { class: 'review-note', dir: 'auto' }, v.review_note) : null],
                    h('span', { lang: v.lang, dir: dirOf(v.lang) }, v.title),
                    [h('span', { dir: 'ltr' }, v.author), h('br'), h('time', { class: 'muted nowrap', datetime: v.created_at }, formatDateTime(v.created_at))],
                    h('span', { dir: 'auto' }, v.reason || '—'),
                    v.effective_on ? h('time', { class: 'nowrap', datetime: v.effective_on }, v.effective_on) : h('span', { class: 'muted' }, '—'),
                    h('div', { class: 'actions' }, actionsFor(v)),
                ];
                return h('tr', { dataset: { id: String(v.id), version: String(v.version), status: v.status } },
                    cells.map((c, k) => h('td', { class: k === 4 || k === 6 ? 'wrap' : null, dataset: { label: t(cols[k]) } }, c)));
            }));
            if (!versions.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: '9' }, tn('guide.versions.none', { language: inLang(lang) }))));
            syncCompare();
        } catch (e) {
            tbody.replaceChildren();
            messages.error(e);
        }
    }

    compare.addEventListener('click', () => navigate(`guide/edit/diff?${new URLSearchParams({ from: String(selected('diff-from')), to: String(selected('diff-to')) })}`));
    await load();

    const picker = languagePicker({
        name: 'versions-lang',
        selected: lang,
        legendKey: 'guide.versions.language',
        onChange: (code) => navigate(`guide/edit/versions?${new URLSearchParams({ slug, lang: code })}`, { replace: true }),
    });
    const editor = isEditor(ctx.user);
    return h('section', { class: 'page page-guide-versions', dataset: { slug, lang } },
        h('div', { class: 'page-head' },
            h('h1', { class: 'page-title', tabindex: '-1', dir: 'auto' }, tn('guide.versions.title', { title })),
            h('div', { class: 'actions' },
                editor ? h('a', { class: 'btn btn-primary', id: 'new-version', href: editorHref(slug, lang) }, tn('guide.versions.new', { language: inLang(lang) })) : null,
                h('a', { class: 'btn', href: articleHref(slug, lang) }, tn('guide.versions.read_current')))),
        guideTabs(ctx.user, 'guide/edit'),
        h('p', { class: 'lead' },
            h('code', { dir: 'ltr' }, slug), category ? [' · ', categoryName(category)] : null,
            sourceLang ? [' · ', tn('guide.versions.source', { language: inLang(sourceLang) })] : null),
        picker,
        messages.el,
        h('div', { class: 'table-wrap' }, table),
        h('div', { class: 'actions pager' }, compare));
}

/* ---- Differences --------------------------------------------------------- */

/* Long runs of unchanged lines are folded to a few lines of context. */
function lineDiff(lines, id) {
    const CONTEXT = 2;
    const keep = lines.map((l, i) => l.op !== '=' || lines.slice(Math.max(0, i - CONTEXT), i + CONTEXT + 1).some((x) => x.op !== '='));
    const out = [];
    let skipped = 0;
    const flush = () => {
        if (skipped)
            out.push(h('li', { class: 'diff-line diff-skip' }, h('span', { class: 'diff-op', 'aria-hidden': 'true' }, '⋯'), plural('guide.diff.unchanged', skipped)));
        skipped = 0;
    };
    lines.forEach((l, i) => {
        if (!keep[i]) {
            skipped++;
            return;
        }
        flush();
        const kind = l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'same';
        out.push(h('li', { class: `diff-line diff-${kind}`, dataset: { op: l.op } },
            h('span', { class: 'diff-op', 'aria-hidden': 'true' }, l.op === '=' ? ' ' : l.op),
            kind === 'same' ? null : h('span', { class: 'visually-hidden' }, t(`guide.diff.${kind}`)),
            h('span', { class: 'diff-text', dir: 'auto' }, l.line === '' ? '\u00a0' : l.line)));
    });
    flush();
    return h('ol', { class: 'diff-lines', id }, out);
}

/* The differences d (from GET /guide/diff) as DOM; its section titles are
 * h<level> (3 inside a card that has its own h2). */
export function diffView(d, { level = 2 } = {}) {
    const hx = `h${level}`;
    const fieldNames = Object.keys(d.fields || {});
    const changedLists = ['documents', 'fees', 'body'].filter((k) => (d[k] || []).some((l) => l.op !== '='));
    const sections = [];
    if (fieldNames.length) {
        sections.push(h('section', { class: 'diff-section', 'aria-labelledby': 'diff-fields' },
            h(hx, { id: 'diff-fields' }, tn('guide.diff.fields')),
            h('table', { class: 'data-table diff-fields', id: 'diff-fields-table' },
                h('thead', {}, h('tr', {},
                    h('th', { scope: 'col' }, tn('guide.diff.field')),
                    h('th', { scope: 'col' }, tn('guide.diff.old')),
                    h('th', { scope: 'col' }, tn('guide.diff.new')))),
                h('tbody', {}, fieldNames.map((f) => h('tr', { dataset: { field: f } },
                    h('th', { scope: 'row' }, tn(`guide.field.${f}`)),
                    h('td', { class: 'wrap' }, h('del', { dir: 'auto' }, d.fields[f].old || '—')),
                    h('td', { class: 'wrap' }, h('ins', { dir: 'auto' }, d.fields[f].new || '—'))))))));
    }
    for (const k of changedLists) {
        sections.push(h('section', { class: 'diff-section', 'aria-labelledby': `diff-${k}-title` },
            h(hx, { id: `diff-${k}-title` }, tn(`guide.field.${k}`)),
            lineDiff(d[k], `diff-${k}`)));
    }
    if (!sections.length)
        sections.push(alertBox('info', tn('guide.diff.same')));
    return h('div', { class: 'diff' }, sections);
}

export async function renderDiff(ctx) {
    const p = routeParams();
    const from = p.get('from') || '';
    const to = p.get('to') || '';
    let d;
    let version;
    try {
        [d, version] = await Promise.all([
            api('GET', withQuery('/api/v1/guide/diff', { from, to })),
            api('GET', `/api/v1/guide/versions/${encodeURIComponent(to)}`),
        ]);
    } catch (e) {
        return h('section', { class: 'page page-guide-diff' },
            pageTitle('guide.diff.title_plain'),
            guideTabs(ctx.user, 'guide/edit'),
            alertBox('error', errorText(e)));
    }
    const label = (v) => `${v.lang.toUpperCase()} v${v.version}`;
    return h('section', { class: 'page page-guide-diff', dataset: { from: String(d.from.id), to: String(d.to.id) } },
        h('div', { class: 'page-head' },
            h('h1', { class: 'page-title', tabindex: '-1' }, tn('guide.diff.title', { from: label(d.from), to: label(d.to) })),
            h('a', { class: 'btn', href: versionsHref(version.slug, version.lang) }, tn('guide.diff.back'))),
        guideTabs(ctx.user, 'guide/edit'),
        h('p', { class: 'lead', dir: 'auto', lang: version.lang }, version.title),
        h('p', { class: 'diff-legend hint' },
            h('span', { class: 'diff-key diff-del' }, '−'), ' ', tn('guide.diff.legend_del'), ' ',
            h('span', { class: 'diff-key diff-add' }, '+'), ' ', tn('guide.diff.legend_add')),
        diffView(d));
}
