/*
 * The supervisors' reports (#/reports): the figures of GET /api/v1/stats for
 * a period of days in the center's time zone, cut by any combination of
 * time interval, country, language, service, queue, agent and consulate
 * (none: the whole center), as a table (each metric explained on
 * hover and linked to its definition below), two charts (Chart.js, served
 * from /vendor), CSV and XLSX downloads and a print style for a PDF.
 * The choice is kept in the hash (#/reports?period=&by=...) to be shared.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime, formatNumber, languageInfo, t, tn } from '../i18n.js';
import { formatDay, todayInMorocco } from '../guide.js';
import { routeParams } from '../router.js';
import { messageArea, pageTitle } from '../ui.js';
import { chartJs } from '../charts.js';

const TIME_ZONE = 'Africa/Casablanca';
const PERIODS = ['today', 'yesterday', 'this_week', 'last_week', 'this_month', 'last_month', 'custom'];
/* The dimensions a report is cut by, in the server's canonical order. */
const DIMS = ['interval', 'country', 'language', 'service', 'queue', 'agent', 'consulate'];
const BUCKETS = ['15m', '30m', '1h', '1d'];
/* The columns of the table, in order (docs/metrics.md defines each). */
const COLUMNS = [
    ['offered', 'count'], ['answered', 'count'], ['abandoned', 'count'], ['short_abandons', 'count'],
    ['sent_on', 'count'], ['waiting', 'count'], ['service_level_offered', 'share'], ['service_level_answered', 'share'],
    ['abandon_rate', 'share'], ['asa_s', 'seconds'], ['longest_wait_s', 'seconds'], ['aht_s', 'seconds'],
    ['transfers', 'count'], ['occupancy', 'share'], ['utilisation', 'share'],
];

/* The choice, kept across visits of the page. */
const choice = { period: 'today', from: '', to: '', by: ['queue'], interval: '1h' };

/* by= as the server takes it: the dimensions in order, or "total". */
function byParam() {
    return choice.by.length ? DIMS.filter((d) => choice.by.includes(d)).join(',') : 'total';
}

/* YYYY-MM-DD plus n days (calendar arithmetic, no time zone involved). */
function addDays(day, n) {
    const d = new Date(`${day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
}

/* The first and last day (both included) of a named period, counted from
 * today in Morocco; the server turns days into local midnights. */
export function periodDays(period, today = todayInMorocco()) {
    const weekday = (new Date(`${today}T00:00:00Z`).getUTCDay() + 6) % 7; /* Monday 0 */
    const first = `${today.slice(0, 8)}01`;
    switch (period) {
    case 'yesterday': return [addDays(today, -1), addDays(today, -1)];
    case 'this_week': return [addDays(today, -weekday), today];
    case 'last_week': return [addDays(today, -weekday - 7), addDays(today, -weekday - 1)];
    case 'this_month': return [first, today];
    case 'last_month': {
        const last = addDays(first, -1);
        return [`${last.slice(0, 8)}01`, last];
    }
    case 'custom': return [choice.from || today, choice.to || choice.from || today];
    default: return [today, today];
    }
}

function query(format) {
    const [from, to] = periodDays(choice.period);
    const q = { from, to: addDays(to, 1), by: byParam() };
    if (choice.by.includes('interval'))
        q.interval = choice.interval;
    if (format)
        q.format = format;
    return withQuery('/api/v1/stats', q);
}

function locale() {
    return languageInfo().locale;
}

/* A figure as shown: counts grouped, shares as percentages, times in seconds;
 * null (no denominator) is a dash, never 0. */
function formatValue(v, type) {
    if (v === null || v === undefined)
        return '—';
    if (type === 'share')
        return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(v);
    if (type === 'seconds')
        return new Intl.NumberFormat(locale(), { style: 'unit', unit: 'second', unitDisplay: 'narrow', maximumFractionDigits: 0 }).format(v);
    return formatNumber(v);
}

/* A dimension's value in the UI language. */
function dimLabel(dim, row, bucket) {
    const v = row[dim];
    try {
        if (dim === 'language')
            return v ? new Intl.DisplayNames([locale()], { type: 'language' }).of(v) || v : t('reports.no_language');
        if (dim === 'country')
            return v ? new Intl.DisplayNames([locale()], { type: 'region' }).of(v) || v : t('reports.no_country');
        if (dim === 'agent')
            return row.name || t('reports.agent_no', { id: v });
        if (dim === 'service')
            return t(`tel.service.${v}`);
        if (dim === 'consulate')
            return v || t('reports.no_consulate');
        if (dim === 'interval') {
            /* labels are local times already: format them as given */
            const d = new Date(`${v}:00Z`);
            const opts = bucket === '1d' ? { dateStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'short' };
            return new Intl.DateTimeFormat(locale(), { ...opts, timeZone: 'UTC' }).format(d);
        }
    } catch (e) {
        /* an unknown code: the code itself */
    }
    return v;
}

/* The dimensions of a report's answer, in order. */
function dimsOf(data) {
    return data.by === 'total' ? [] : data.by.split(',');
}

/* The label of a row (for the charts): its values joined. */
function rowLabel(row, dims, bucket) {
    return dims.length ? dims.map((d) => dimLabel(d, row, bucket)).join(' · ') : t('reports.total');
}

function metricHeader(name) {
    return h('th', { scope: 'col', dataset: { col: name } },
        h('a', { href: `#def-${name}`, class: 'metric-link', title: t(`reports.d.${name}`), onclick: goToDefinition }, tn(`reports.m.${name}`)));
}

/* The hash is the router's: an in-page link scrolls to the definition instead. */
function goToDefinition(ev) {
    ev.preventDefault();
    const id = ev.currentTarget.getAttribute('href').slice(1);
    const target = document.getElementById(id);
    if (!target)
        return;
    const details = target.closest('details');
    if (details)
        details.open = true;
    target.scrollIntoView({ block: 'center' });
    target.focus();
}

function figuresTable(data) {
    const rows = data.rows || [];
    const dims = dimsOf(data);
    const heads = dims.length ? dims.map((d) => h('th', { scope: 'col', dataset: { dim: d } }, tn(`reports.slice.${d}`)))
        : [h('th', { scope: 'col' }, tn('reports.slice.total'))];
    const labels = (r) => (dims.length ? dims.map((d) => h('th', { scope: 'row', dir: 'auto', dataset: { dim: d } }, dimLabel(d, r, choice.interval)))
        : [h('th', { scope: 'row' }, tn('reports.total'))]);
    const body = rows.map((r) => h('tr', { dataset: { key: r.key } },
        labels(r),
        COLUMNS.map(([name, type]) => h('td', {
            class: 'num',
            dataset: { col: name, value: r[name] === null ? '' : String(r[name]), label: t(`reports.m.${name}`) },
        }, formatValue(r[name], type)))));
    if (!rows.length)
        body.push(h('tr', {}, h('td', { colspan: String(COLUMNS.length + heads.length) }, tn('reports.none'))));
    return h('table', { class: 'data-table data-table-dense report-table', id: 'report-table' },
        h('caption', { class: 'visually-hidden' }, tn('reports.table_caption')),
        h('thead', {}, h('tr', {}, heads, COLUMNS.map(([name]) => metricHeader(name)))),
        h('tbody', {}, body));
}

function definitions() {
    return h('details', { class: 'report-definitions', id: 'report-definitions' },
        h('summary', {}, tn('reports.definitions')),
        h('p', { class: 'hint' }, tn('reports.definitions_hint')),
        h('dl', {}, COLUMNS.map(([name]) => [
            h('dt', { id: `def-${name}`, tabindex: '-1' }, tn(`reports.m.${name}`), ' ', h('code', {}, name)),
            h('dd', {}, tn(`reports.d.${name}`)),
        ])));
}

const charts = [];
function destroyCharts() {
    while (charts.length)
        charts.pop().destroy();
}

/* Draws the two charts: calls by fate and the service level, per row. */
async function drawCharts(data, callsCanvas, slCanvas) {
    const Chart = await chartJs();
    destroyCharts();
    const rows = data.rows || [];
    const labels = rows.map((r) => rowLabel(r, dimsOf(data), choice.interval));
    const rtl = languageInfo().dir === 'rtl';
    const pct = new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0 });
    const common = {
        animation: false, /* drawn at once: a print or a screenshot never catches it half-way */
        responsive: true,
        maintainAspectRatio: false,
        devicePixelRatio: Math.max(2, window.devicePixelRatio || 1), /* sharp on paper */
        locale: locale(),
        plugins: { legend: { rtl, position: 'bottom' }, tooltip: { rtl } },
    };
    const xScale = { reverse: rtl, ticks: { autoSkip: true, maxRotation: 60 } };
    const line = data.by === 'interval'; /* time alone: a line; crossed with anything else: bars */
    charts.push(new Chart(callsCanvas, {
        type: line ? 'line' : 'bar',
        data: {
            labels,
            datasets: [
                { label: t('reports.m.offered'), data: rows.map((r) => r.offered), borderColor: '#1d4670', backgroundColor: '#5b8fc7' },
                { label: t('reports.m.answered'), data: rows.map((r) => r.answered), borderColor: '#0b4a3a', backgroundColor: '#3f8f6b' },
                { label: t('reports.m.abandoned'), data: rows.map((r) => r.abandoned), borderColor: '#a8231b', backgroundColor: '#e07a5f' },
            ],
        },
        options: { ...common, scales: { x: xScale, y: { beginAtZero: true, position: rtl ? 'right' : 'left', ticks: { precision: 0 } } } },
    }));
    charts.push(new Chart(slCanvas, {
        type: 'bar',
        data: {
            labels,
            datasets: [
                { label: t('reports.m.service_level_offered'), data: rows.map((r) => r.service_level_offered), backgroundColor: '#0b4a3a' },
                { label: t('reports.m.service_level_answered'), data: rows.map((r) => r.service_level_answered), backgroundColor: '#8fbfa8' },
            ],
        },
        options: {
            ...common,
            scales: {
                x: xScale,
                y: { min: 0, max: 1, position: rtl ? 'right' : 'left', ticks: { callback: (v) => pct.format(v) } },
            },
            plugins: { ...common.plugins, tooltip: { rtl, callbacks: { label: (c) => `${c.dataset.label}: ${c.raw === null ? '—' : pct.format(c.raw)}` } } },
        },
    }));
}

/* "by queue", "by hour", "by country × language". */
function sliceTitle() {
    if (choice.by.length > 1)
        return t('reports.by.several', { dims: choice.by.map((d) => t(`reports.slice.${d}`)).join(' × ') });
    const one = choice.by[0] || 'total';
    return t(one === 'interval' ? `reports.by_interval.${choice.interval}` : `reports.by.${one}`);
}

function select(id, values, selected, labelOf, onChange) {
    const el = h('select', { id }, values.map((v) => h('option', { value: v, selected: v === selected }, labelOf(v))));
    el.addEventListener('change', () => onChange(el.value));
    return el;
}

export function render() {
    const params = routeParams();
    if (PERIODS.includes(params.get('period')))
        choice.period = params.get('period');
    for (const k of ['from', 'to'])
        if (/^\d{4}-\d{2}-\d{2}$/.test(params.get(k) || ''))
            choice[k] = params.get(k);
    const by = (params.get('by') || '').split(',');
    if (params.get('by') === 'total')
        choice.by = [];
    else if (params.get('by') && by.every((d) => DIMS.includes(d)))
        choice.by = DIMS.filter((d) => by.includes(d));
    if (BUCKETS.includes(params.get('interval')))
        choice.interval = params.get('interval');

    const messages = messageArea();
    const heading = h('div', { class: 'report-header', id: 'report-header' });
    const tableWrap = h('div', { class: 'table-wrap' }, h('p', { class: 'loading card' }, tn('common.loading')));
    const callsCanvas = h('canvas', { id: 'chart-calls', role: 'img', 'aria-label': t('reports.chart_calls') });
    const slCanvas = h('canvas', { id: 'chart-sl', role: 'img', 'aria-label': t('reports.chart_sl') });
    const csv = h('a', { class: 'btn', id: 'download-csv', download: '' }, tn('reports.download_csv'));
    const xlsx = h('a', { class: 'btn', id: 'download-xlsx', download: '' }, tn('reports.download_xlsx'));

    const fromInput = h('input', { type: 'date', id: 'report-from', value: periodDays(choice.period)[0] });
    const toInput = h('input', { type: 'date', id: 'report-to', value: periodDays(choice.period)[1] });
    const custom = h('div', { class: 'report-custom', hidden: choice.period !== 'custom' },
        h('label', { for: 'report-from' }, tn('reports.from')), fromInput,
        h('label', { for: 'report-to' }, tn('reports.to')), toInput);
    const bucket = select('report-interval', BUCKETS, choice.interval, (b) => t(`reports.interval.${b}`), (v) => {
        choice.interval = v;
        load();
    });
    const bucketBox = h('span', { class: 'report-bucket', hidden: !choice.by.includes('interval') },
        h('label', { for: 'report-interval' }, tn('reports.interval')), bucket);
    const period = select('report-period', PERIODS, choice.period, (p) => t(`reports.period.${p}`), (v) => {
        if (v === 'custom')
            [choice.from, choice.to] = periodDays(choice.period);
        choice.period = v;
        custom.hidden = v !== 'custom';
        [fromInput.value, toInput.value] = periodDays(v);
        load();
    });
    /* one box per dimension: any combination, none for the whole center */
    const slice = h('fieldset', { class: 'report-dims', id: 'report-by' },
        h('legend', {}, tn('reports.slice')),
        DIMS.map((d) => {
            const box = h('input', { type: 'checkbox', id: `report-by-${d}`, value: d, checked: choice.by.includes(d) });
            box.addEventListener('change', () => {
                choice.by = DIMS.filter((x) => (x === d ? box.checked : choice.by.includes(x)));
                bucketBox.hidden = !choice.by.includes('interval');
                load();
            });
            return h('label', { for: `report-by-${d}`, class: 'check' }, box, ' ', tn(`reports.slice.${d}`));
        }));
    for (const input of [fromInput, toInput])
        input.addEventListener('change', () => {
            if (!fromInput.value || !toInput.value)
                return;
            choice.from = fromInput.value;
            choice.to = toInput.value;
            load();
        });

    let seq = 0;
    async function load() {
        const mine = ++seq;
        messages.clear();
        section.dataset.loaded = 'false';
        const q = new URLSearchParams({ period: choice.period, by: byParam() });
        if (choice.period === 'custom')
            [['from', choice.from], ['to', choice.to]].forEach(([k, v]) => q.set(k, v));
        if (choice.by.includes('interval'))
            q.set('interval', choice.interval);
        history.replaceState(null, '', `#/reports?${q}`);
        csv.href = query('csv');
        xlsx.href = query('xlsx');
        const [from, to] = periodDays(choice.period);
        try {
            const data = await api('GET', query());
            if (mine !== seq)
                return;
            heading.replaceChildren(
                h('h2', { id: 'report-period-title' }, tn('reports.heading', {
                    period: from === to ? formatDay(from) : t('reports.range', { from: formatDay(from), to: formatDay(to) }),
                    slice: sliceTitle(),
                })),
                h('p', { class: 'hint' }, tn('reports.computed', { at: formatDateTime(new Date().toISOString()), tz: TIME_ZONE })));
            tableWrap.replaceChildren(figuresTable(data));
            await drawCharts(data, callsCanvas, slCanvas);
            if (mine === seq)
                section.dataset.loaded = 'true';
        } catch (e) {
            if (mine === seq) {
                tableWrap.replaceChildren();
                destroyCharts();
                messages.error(e);
                section.dataset.loaded = 'error';
            }
        }
    }
    const section = h('section', { class: 'page page-reports', dataset: { loaded: 'false' } },
        pageTitle('reports.title'),
        h('p', { class: 'lead no-print' }, tn('reports.intro')),
        h('form', { class: 'filter-row report-controls no-print', onsubmit: (ev) => ev.preventDefault() },
            h('label', { for: 'report-period' }, tn('reports.period')), period, custom,
            slice, bucketBox),
        h('div', { class: 'report-actions no-print' }, csv, xlsx,
            h('button', { type: 'button', class: 'btn', id: 'report-print', onclick: () => window.print() }, tn('reports.print'))),
        messages.el,
        heading,
        h('div', { class: 'report-charts' },
            h('figure', { class: 'report-chart card' }, h('figcaption', {}, tn('reports.chart_calls')), h('div', { class: 'chart-box' }, callsCanvas)),
            h('figure', { class: 'report-chart card' }, h('figcaption', {}, tn('reports.chart_sl')), h('div', { class: 'chart-box' }, slCanvas))),
        tableWrap,
        definitions());
    load();
    return section;
}
