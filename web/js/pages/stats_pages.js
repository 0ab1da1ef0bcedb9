/*
 * Two views of the figures (docs/metrics.md): where procedures hurt - the
 * guide's articles and the case categories ranked worst first, with the
 * article and sample cases to open - for the supervision team; and an
 * agent's scorecard, their own (a supervisor may open any with ?agent=).
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { formatNumber, t, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import { messageArea, pageTitle } from '../ui.js';

const PERIODS = [1, 7, 30, 90];

/* The period as the API's from= and to=: the last n days until now. */
function since(days) {
    const now = new Date();
    const from = new Date(now.getTime() - days * 86400 * 1000);
    return { from: from.toISOString().replace(/\.\d+Z$/, 'Z'), to: now.toISOString().replace(/\.\d+Z$/, 'Z') };
}

function periodSelect(id, days, onChange) {
    const s = h('select', { id }, PERIODS.map((d) => h('option', { value: String(d), selected: d === days }, tn(`stats.period_${d}`))));
    s.addEventListener('change', () => onChange(Number(s.value)));
    return h('div', { class: 'filter-row' }, h('label', { for: id }, tn('stats.period')), s);
}

const dash = '–';
const num = (v) => (v === null || v === undefined ? dash : formatNumber(Math.round(v)));
const pct = (v) => (v === null || v === undefined ? dash : `${formatNumber(Math.round(v * 100))} %`);

function procedureTable(rows) {
    const cols = ['stats.procedures.rank', 'stats.procedures.procedure', 'stats.procedures.score', 'stats.procedures.calls',
        'stats.procedures.repeat_calls', 'stats.procedures.aht', 'stats.procedures.complaints', 'stats.procedures.rated_low',
        'stats.procedures.samples'];
    const body = rows.map((p) => {
        const name = p.kind === 'article'
            ? h('a', { href: `#/guide/article?${new URLSearchParams({ slug: p.key })}` }, p.key)
            : h('span', {}, tn('stats.procedures.category', { name: p.key }));
        const samples = p.sample_cases.map((c) => h('a', { href: `#/cases/view?${new URLSearchParams({ ref: c.reference })}`, class: 'nowrap' },
            c.reference));
        const cells = [formatNumber(p.rank), name, formatNumber(p.score), formatNumber(p.calls),
            `${formatNumber(p.repeat_calls)} (${pct(p.repeat_share)})`, num(p.aht_s), formatNumber(p.complaints),
            `${formatNumber(p.rated_low)} / ${formatNumber(p.rated)}`, h('span', { class: 'samples' }, samples.flatMap((a, i) => (i ? [' ', a] : [a])))];
        return h('tr', { dataset: { kind: p.kind, key: p.key } },
            cells.map((c, i) => h(i === 1 ? 'th' : 'td', { scope: i === 1 ? 'row' : null, dataset: { label: t(cols[i]) } }, c)));
    });
    if (!body.length)
        body.push(h('tr', {}, h('td', { colspan: String(cols.length) }, tn('stats.procedures.none'))));
    return h('table', { class: 'data-table', id: 'procedures-table' },
        h('caption', { class: 'visually-hidden' }, tn('stats.procedures.title')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        h('tbody', {}, body));
}

let procDays = 30;

export function renderProcedures() {
    const messages = messageArea();
    const table = h('div', { class: 'table-wrap' }, h('p', { class: 'loading card' }, tn('common.loading')));
    async function load() {
        messages.clear();
        try {
            const r = await api('GET', withQuery('/api/v1/stats/procedures', since(procDays)));
            table.replaceChildren(procedureTable(r.rows || []));
        } catch (e) {
            messages.error(e);
        }
    }
    load();
    return h('section', { class: 'page page-procedures' },
        pageTitle('stats.procedures.title'),
        h('p', { class: 'lead' }, tn('stats.procedures.intro')),
        periodSelect('procedures-days', procDays, (d) => { procDays = d; load(); }),
        messages.el, table);
}

let cardDays = 7;

function cardList(c) {
    const items = [
        ['handled', formatNumber(c.handled)],
        ['aht', num(c.aht_s)],
        ['queue_aht', num(c.queue_aht_s)],
        ['occupancy', pct(c.occupancy)],
        ['pause', num(c.pause_s / 60)],
        ['rings_unanswered', formatNumber(c.rings_unanswered)],
        ['transfers', formatNumber(c.transfers)],
        ['csat', c.csat_average === null ? dash : `${c.csat_average.toFixed(1)} / 5 (${formatNumber(c.rated)})`],
        ['csat_high', pct(c.csat_share_4_5)],
    ];
    return h('dl', { class: 'scorecard', id: 'scorecard' }, items.flatMap(([k, v]) => [
        h('dt', {}, tn(`stats.scorecard.${k}`)), h('dd', { dataset: { figure: k } }, v)]));
}

export function renderScorecard(ctx) {
    const messages = messageArea();
    const who = routeParams().get('agent') || String(ctx.user.id);
    const card = h('div', {}, h('p', { class: 'loading card' }, tn('common.loading')));
    async function load() {
        messages.clear();
        try {
            const c = await api('GET', withQuery(`/api/v1/stats/agents/${encodeURIComponent(who)}/scorecard`, since(cardDays)));
            card.replaceChildren(h('p', { class: 'hint' }, tn('stats.scorecard.of', { login: c.login })), cardList(c));
        } catch (e) {
            messages.error(e);
        }
    }
    load();
    return h('section', { class: 'page page-scorecard' },
        pageTitle('stats.scorecard.title'),
        h('p', { class: 'lead' }, tn('stats.scorecard.intro')),
        periodSelect('scorecard-days', cardDays, (d) => { cardDays = d; load(); }),
        messages.el, card);
}
