/*
 * What the guide is missing: the searches of the last days that found
 * nothing, and those whose results nobody opened, most frequent first. Each
 * query links to the search, to try it as the agents did.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { guideTabs, nativeName } from '../guide.js';
import { formatDateTime, formatNumber, plural, t, tn } from '../i18n.js';
import { messageArea, pageTitle } from '../ui.js';

const PERIODS = [7, 30, 90];
let days = 30;

function gapTable(kind, gaps) {
    const cols = ['guide.gaps.query', 'guide.gaps.language', 'guide.gaps.searches', 'guide.gaps.results', 'guide.gaps.opened', 'guide.gaps.last'];
    const rows = gaps.map((g) => {
        const cells = [
            h('a', { href: `#/guide?${new URLSearchParams({ q: g.query, lang: g.lang })}`, dir: 'auto', lang: g.lang, class: 'gap-query' }, g.query),
            h('span', { lang: g.lang }, nativeName(g.lang)),
            formatNumber(g.searches),
            formatNumber(g.results),
            formatNumber(g.opened),
            h('time', { datetime: g.last_at, class: 'nowrap' }, formatDateTime(g.last_at)),
        ];
        return h('tr', { dataset: { query: g.query, lang: g.lang } },
            cells.map((c, i) => h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, class: i === 0 ? 'wrap' : null, dataset: { label: t(cols[i]) } }, c)));
    });
    if (!rows.length)
        rows.push(h('tr', {}, h('td', { colspan: String(cols.length) }, tn(`guide.gaps.none_${kind}`))));
    return h('table', { class: 'data-table', id: `gaps-${kind}` },
        h('caption', { class: 'visually-hidden' }, tn(`guide.gaps.${kind}_title`)),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        h('tbody', {}, rows));
}

export function render(ctx) {
    const messages = messageArea();
    const zero = h('div', { class: 'table-wrap' }, h('p', { class: 'loading card' }, tn('common.loading')));
    const unopened = h('div', { class: 'table-wrap' }, h('p', { class: 'loading card' }, tn('common.loading')));
    const period = h('select', { id: 'gaps-days' },
        PERIODS.map((d) => h('option', { value: String(d), selected: d === days }, plural('guide.gaps.days', d))));

    async function load() {
        messages.clear();
        try {
            const [z, u] = await Promise.all([
                api('GET', withQuery('/api/v1/guide/gaps', { kind: 'zero', days })),
                api('GET', withQuery('/api/v1/guide/gaps', { kind: 'unopened', days })),
            ]);
            zero.replaceChildren(gapTable('zero', z.gaps || []));
            unopened.replaceChildren(gapTable('unopened', u.gaps || []));
        } catch (e) {
            messages.error(e);
        }
    }
    period.addEventListener('change', () => {
        days = Number(period.value);
        load();
    });
    load();

    return h('section', { class: 'page page-guide-gaps' },
        pageTitle('guide.gaps.title'),
        guideTabs(ctx.user, 'guide/edit/gaps'),
        h('p', { class: 'lead' }, tn('guide.gaps.intro')),
        h('div', { class: 'filter-row' }, h('label', { for: 'gaps-days' }, tn('guide.gaps.period')), period),
        messages.el,
        h('section', { class: 'gap-section', 'aria-labelledby': 'gaps-zero-title' },
            h('h2', { id: 'gaps-zero-title' }, tn('guide.gaps.zero_title')),
            h('p', { class: 'hint' }, tn('guide.gaps.zero_hint')),
            zero),
        h('section', { class: 'gap-section', 'aria-labelledby': 'gaps-unopened-title' },
            h('h2', { id: 'gaps-unopened-title' }, tn('guide.gaps.unopened_title')),
            h('p', { class: 'hint' }, tn('guide.gaps.unopened_hint')),
            unopened));
}
