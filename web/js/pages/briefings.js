/*
 * #/supervision/briefings: the guide's amendments briefed to the agents
 * (docs/briefings.md), newest first: the agents concerned, how many have
 * acknowledged and the time from publication to 90 % of them briefed; each
 * opens to who has acknowledged (when, wrong tries, answers), who has not,
 * and the change itself.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { diffNode } from '../briefings.js';
import { dayNode, dirOf, nativeName } from '../guide.js';
import { LANGUAGES, formatDateTime, formatNumber, t, tn } from '../i18n.js';
import { alertBox, errorText, messageArea, pageTitle } from '../ui.js';

const COLUMNS = ['briefing.col.article', 'briefing.col.lang', 'briefing.col.version', 'briefing.col.published', 'briefing.col.effective',
    'briefing.col.acknowledged', 'briefing.col.to_90', 'briefing.col.detail'];

/* "2 h 05 min", "3 min", "40 s" from seconds; left to right in every language. */
function durationNode(s) {
    if (s === null || s === undefined)
        return h('span', { class: 'muted' }, tn('briefing.not_yet'));
    const d = Math.floor(s / 86400);
    const hh = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    const text = d ? t('briefing.dur_dh', { d, h: hh }) : hh ? t('briefing.dur_hm', { h: hh, m }) : m ? t('briefing.dur_m', { m }) : t('briefing.dur_s', { s });
    return h('bdi', { dir: 'ltr', class: 'nowrap' }, text);
}

function stateBadge(a) {
    const kind = a.state === 'acknowledged' ? 'ok' : 'warning';
    return h('span', { class: `badge badge-${kind}`, dataset: { state: a.state } }, tn(`briefing.state.${a.state}`));
}

async function detailNode(id) {
    const b = await api('GET', `/api/v1/briefings/${id}`);
    const agents = b.agents || [];
    const answerText = (q, a) => (q.choices ? q.choices[a] : a);
    return h('div', { class: 'briefing-detail', dataset: { id: String(b.id) } },
        h('table', { class: 'data-table data-table-dense briefing-agents' },
            h('caption', {}, tn('briefing.agents_caption')),
            h('thead', {}, h('tr', {}, ['briefing.col.agent', 'briefing.col.state', 'briefing.col.when', 'briefing.col.tries', 'briefing.col.answers']
                .map((k) => h('th', { scope: 'col' }, tn(k))))),
            h('tbody', {}, agents.map((a) => h('tr', { dataset: { user: String(a.user_id), state: a.state } },
                h('td', { dir: 'auto' }, a.display_name || `#${a.user_id}`),
                h('td', {}, stateBadge(a), a.via_version && a.via_version !== b.version
                    ? h('span', { class: 'small muted' }, ' ', tn('briefing.via', { version: a.via_version })) : null),
                h('td', {}, a.acknowledged_at ? formatDateTime(a.acknowledged_at) : '—'),
                h('td', { class: 'num' }, formatNumber(a.wrong_tries)),
                h('td', { dir: 'auto' }, a.answers ? a.answers.map((x, i) => (b.questions[i] ? answerText(b.questions[i], x) : x)).join(' · ') : '—'))))),
        b.questions && b.questions.length ? h('div', { class: 'briefing-questions' }, h('h4', {}, tn('briefing.questions')),
            h('ol', {}, b.questions.map((q) => h('li', { dir: 'auto' }, q.question, ' — ', h('strong', {}, answerText(q, q.answer)))))) : null,
        diffNode(b.diff, b.lang));
}

export async function render(ctx) {
    const messages = messageArea();
    const langSel = h('select', { id: 'briefings-lang', name: 'lang' },
        h('option', { value: '' }, t('briefing.all_languages')),
        LANGUAGES.map((l) => h('option', { value: l.code }, l.name)));
    const tbody = h('tbody', {});
    const detail = h('section', { class: 'card briefing-detail-panel', id: 'briefing-detail', hidden: true });
    const table = h('table', { class: 'data-table briefings-table', id: 'briefings-table' },
        h('caption', { class: 'visually-hidden' }, tn('briefing.list_caption')),
        h('thead', {}, h('tr', {}, COLUMNS.map((k) => h('th', { scope: 'col' }, tn(k))))),
        tbody);

    async function load() {
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'loading' }, tn('common.loading'))));
        try {
            const d = await api('GET', withQuery('/api/v1/briefings', { days: 365, lang: langSel.value || undefined }));
            const rows = [];
            for (const b of d.briefings || []) {
                const open = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'detail' }, 'aria-controls': 'briefing-detail' }, tn('briefing.show'));
                open.addEventListener('click', async () => {
                    detail.hidden = false;
                    detail.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
                    try {
                        detail.replaceChildren(h('h2', { lang: b.lang, dir: dirOf(b.lang) }, b.title, ' ', h('bdi', { dir: 'ltr' }, `v${b.version}`)),
                            await detailNode(b.id));
                    } catch (e) {
                        detail.replaceChildren(alertBox('error', errorText(e)));
                    }
                    detail.scrollIntoView({ block: 'start' });
                });
                rows.push(h('tr', { dataset: { id: String(b.id), slug: b.slug, lang: b.lang, acknowledged: String(b.acknowledged), concerned: String(b.concerned) } },
                    h('td', { class: 'wrap' }, h('span', { lang: b.lang, dir: dirOf(b.lang) }, b.title), h('br'), h('code', { dir: 'ltr', class: 'small' }, b.slug),
                        b.superseded_by_version ? h('span', { class: 'small muted' }, ' ', tn('briefing.superseded_by', { version: b.superseded_by_version })) : null),
                    h('td', {}, nativeName(b.lang)),
                    h('td', {}, h('bdi', { dir: 'ltr' }, `v${b.from_version} → v${b.version}`)),
                    h('td', {}, formatDateTime(b.published_at), h('br'), h('span', { class: 'small muted', dir: 'auto' }, b.published_by)),
                    h('td', {}, dayNode(b.effective_on)),
                    h('td', { class: 'num briefing-acks' }, h('bdi', { dir: 'ltr' }, `${formatNumber(b.acknowledged)} / ${formatNumber(b.concerned)}`)),
                    h('td', { class: 'briefing-90' }, durationNode(b.seconds_to_90_percent)),
                    h('td', {}, open)));
            }
            tbody.replaceChildren(...rows);
            if (!rows.length)
                tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(COLUMNS.length), class: 'empty' }, tn('briefing.list_none'))));
        } catch (e) {
            tbody.replaceChildren();
            messages.show('error', errorText(e));
        }
    }
    langSel.addEventListener('change', load);
    load();
    return h('section', { class: 'page page-briefings' },
        h('div', { class: 'page-head' }, pageTitle('briefing.list_title')),
        h('p', { class: 'lead' }, tn('briefing.list_intro')),
        messages.el,
        h('div', { class: 'field briefings-filter' }, h('label', { for: 'briefings-lang' }, tn('briefing.col.lang')), langSel),
        h('div', { class: 'table-wrap' }, table),
        detail);
}
