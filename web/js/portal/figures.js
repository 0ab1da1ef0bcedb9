/*
 * The published figures on the citizens' portal (#figures): a whole month
 * per country and per consulate from GET /api/v1/public/figures, with the
 * cells the server withheld shown as "c" and explained, the notes on what is
 * counted where (a call's consulate: that of the case recorded with it), and the
 * open-data downloads. "#figures?month=2026-11" opens a month.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { countryName, loadGeo } from '../geo.js';
import { formatNumber, language, languageInfo, t, tn } from '../i18n.js';
import { alertBox, errorText } from '../ui.js';

const CALLS = ['calls_answered', 'service_level', 'median_wait_s'];
const CASES = ['complaints_received', 'complaints_resolved', 'resolved_within_deadline', 'ratings', 'satisfaction'];
const SHARES = new Set(['service_level', 'resolved_within_deadline', 'satisfaction']);
const HEADS = {
    calls_answered: 'portal.figures.calls_answered',
    service_level: 'portal.figures.service_level',
    median_wait_s: 'portal.figures.median_wait',
    complaints_received: 'portal.figures.complaints_received',
    complaints_resolved: 'portal.figures.complaints_resolved',
    resolved_within_deadline: 'portal.figures.resolved_within_deadline',
    ratings: 'portal.figures.ratings',
    satisfaction: 'portal.figures.satisfaction',
};
const MONTHS_SHOWN = 12;

let latest = null; /* the last whole month, as the server says */

function monthName(month) {
    const [y, m] = month.split('-').map(Number);
    return new Intl.DateTimeFormat(languageInfo().locale, { month: 'long', year: 'numeric', timeZone: 'UTC' })
        .format(new Date(Date.UTC(y, m - 1, 1)));
}

/* The twelve whole months up to the last one, newest first. */
function months(last) {
    const [y, m] = last.split('-').map(Number);
    const out = [];
    for (let i = 0; i < MONTHS_SHOWN; i++) {
        const k = y * 12 + (m - 1) - i;
        out.push(`${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`);
    }
    return out;
}

/* A consulate by its city (Arabic: its Arabic name), the code when unknown. */
function consulateCity(geo, code) {
    const c = geo.consulates.find((x) => x.code === code);
    return c ? (language() === 'ar' && c.city_ar ? c.city_ar : c.city) : code;
}

function cell(row, name) {
    if ((row.suppressed || []).includes(name))
        return h('td', { class: 'figure-withheld', dataset: { figure: name } },
            h('abbr', { title: t('portal.figures.withheld') }, 'c'));
    const v = row[name];
    if (v === null || v === undefined)
        return h('td', { class: 'figure-empty', dataset: { figure: name } }, '–');
    let text;
    if (SHARES.has(name))
        text = new Intl.NumberFormat(languageInfo().locale, { style: 'percent', maximumFractionDigits: 1 }).format(v);
    else if (name === 'median_wait_s')
        text = t('portal.figures.seconds', { n: v });
    else
        text = formatNumber(v);
    return h('td', { dataset: { figure: name } }, text);
}

function table(caption, keyHead, columns, total, rows, nameOf) {
    const line = (row, name, head = false) => h('tr', { class: head ? 'figures-total' : '', dataset: { code: head ? '' : row.code || '' } },
        h('th', { scope: 'row' }, name),
        columns.map((c) => cell(row, c)));
    return h('div', { class: 'figures-scroll' },
        h('table', { class: 'table figures-table' },
            h('caption', {}, tn(caption)),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, tn(keyHead)), columns.map((c) => h('th', { scope: 'col' }, tn(HEADS[c]))))),
            h('tbody', {}, rows.map((r) => line(r, r.code ? nameOf(r.code) : t('portal.figures.not_stated')))),
            h('tfoot', {}, line(total, t('portal.figures.all'), true))));
}

export async function render(ctx) {
    const asked = ctx.params.get('month');
    let data;
    let geo;
    try {
        [data, geo] = await Promise.all([
            api('GET', `/api/v1/public/figures${asked ? `?month=${encodeURIComponent(asked)}` : ''}`),
            loadGeo(),
        ]);
    } catch (e) {
        return h('section', { class: 'portal-page portal-figures' }, h('h1', { tabindex: '-1' }, tn('portal.figures.title')),
            alertBox('error', errorText(e)));
    }
    if (!asked || !latest || data.month > latest)
        latest = latest && latest > data.month ? latest : data.month;
    const select = h('select', { id: 'figures-month', name: 'month' },
        months(latest).map((m) => h('option', { value: m, selected: m === data.month }, monthName(m))));
    select.addEventListener('change', () => ctx.go('figures', { month: select.value }));
    const empty = !data.total.calls_answered && !data.total.complaints_received && !data.total.ratings &&
        !(data.total.suppressed || []).length;
    const link = (format) => h('a', {
        href: `/api/v1/public/figures?month=${data.month}${format === 'csv' ? '&format=csv' : ''}`,
        class: 'btn', dataset: { download: format }, download: format === 'csv' ? `wasl-published-${data.month}.csv` : null,
    }, format.toUpperCase());
    /* data-month: the month the tables show (the select changes before they do) */
    return h('section', { class: 'portal-page portal-figures', dataset: { month: data.month } },
        h('p', { class: 'portal-back' }, h('a', { href: '#' }, '← ', tn('portal.brand'))),
        h('h1', { tabindex: '-1' }, tn('portal.figures.title')),
        h('p', { class: 'lead' }, tn('portal.figures.intro')),
        h('p', { class: 'figures-month' }, h('label', { for: 'figures-month' }, tn('portal.figures.month')), ' ', select),
        empty ? alertBox('info', t('portal.figures.none')) : null,
        table('portal.figures.by_country', 'portal.figures.country', [...CALLS, ...CASES], data.total, data.countries,
            (code) => countryName(geo, code)),
        table('portal.figures.by_consulate', 'portal.figures.consulate', [...CALLS, ...CASES], data.total, data.consulates,
            (code) => consulateCity(geo, code)),
        h('div', { class: 'figures-legend' },
            h('p', {}, tn('portal.figures.legend_withheld', { n: data.min_count })),
            h('p', {}, tn('portal.figures.legend_empty'))),
        h('h2', {}, tn('portal.figures.notes_title')),
        h('ul', { class: 'figures-notes' },
            ['note_calls', 'note_cases', 'note_service_level', 'note_months'].map((k) => h('li', {}, tn(`portal.figures.${k}`)))),
        h('p', { class: 'figures-downloads' }, tn('portal.figures.download'), ' ', link('csv'), ' ', link('json')));
}
