/*
 * Staffing (#/staffing, supervisors and administrators): the calculator
 * (GET /api/v1/staff: one interval's calls -> the agents it needs, with
 * two fewer and two more) and a day's plan (GET /api/v1/staff/plan: the
 * calls forecast per language and half-hour from past weeks, the handle
 * time measured, the agents each half-hour needs, Ramadan and Marhaba
 * flagged). docs/staffing.md has the formulas.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { LANGUAGE_CODES, formatNumber, t, tn } from '../i18n.js';
import { field, languageName, messageArea, pageTitle } from '../ui.js';

function pct(x) {
    return x === null || x === undefined ? '—' : `${formatNumber(Math.round(x * 1000) / 10)} %`;
}

function num(x, digits = 1) {
    if (x === null || x === undefined)
        return '—';
    const f = 10 ** digits;
    return formatNumber(Math.round(x * f) / f);
}

function input(name, value, attrs = {}) {
    return h('input', { name, id: `staff-${name}`, type: 'number', value: String(value), step: 'any', inputmode: 'decimal', ...attrs });
}

/* A table with a header row of keys and rows of cells; the first cell of each row is its header. */
function table(id, caption, cols, rows, rowAttrs = () => ({})) {
    return h('table', { class: 'data-table data-table-dense', id },
        h('caption', { class: 'visually-hidden' }, caption),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        h('tbody', {}, rows.map((cells, i) => h('tr', rowAttrs(i),
            cells.map((c, k) => h(k === 0 ? 'th' : 'td', { scope: k === 0 ? 'row' : null, dataset: { label: t(cols[k]) } }, c))))));
}

function calculator() {
    const messages = messageArea();
    const out = h('div', { class: 'table-wrap', id: 'calc-result' });
    const fields = {
        calls: input('calls', 100, { min: '0', required: true }),
        aht: input('aht', 180, { min: '1' }),
        target: input('target', 20, { min: '0' }),
        sl: input('sl', 80, { min: '1', max: '99' }),
        shrinkage: input('shrinkage', 30, { min: '0', max: '94' }),
        patience: input('patience', 0, { min: '0' }),
    };
    const interval = h('select', { name: 'interval', id: 'staff-interval' },
        [['15m', 'staffing.minutes_15'], ['30m', 'staffing.minutes_30'], ['1h', 'staffing.hour']].map(([v, k]) =>
            h('option', { value: v, selected: v === '30m' }, t(k))));
    const form = h('form', { class: 'form-grid', id: 'calc-form', novalidate: true },
        field({ label: 'staffing.calls', control: fields.calls }),
        field({ label: 'staffing.interval', control: interval }),
        field({ label: 'staffing.aht', control: fields.aht }),
        field({ label: 'staffing.target', control: fields.target }),
        field({ label: 'staffing.sl', control: fields.sl }),
        field({ label: 'staffing.shrinkage', control: fields.shrinkage }),
        field({ label: 'staffing.patience', control: fields.patience, hint: 'staffing.patience_hint' }),
        h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, tn('staffing.compute'))));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        messages.clear();
        const q = { interval: interval.value };
        for (const [k, el] of Object.entries(fields))
            if (el.value !== '' && !(k === 'patience' && Number(el.value) === 0))
                q[k] = el.value;
        try {
            const r = await api('GET', withQuery('/api/v1/staff', q));
            const cols = ['staffing.col.agents', 'staffing.col.rostered', 'staffing.col.service', 'staffing.col.wait', 'staffing.col.asa',
                'staffing.col.abandon', 'staffing.col.occupancy'];
            const rows = r.around.map((x) => [formatNumber(x.agents), formatNumber(x.rostered), pct(x.service_level), pct(x.p_wait),
                x.asa_s === null ? t('staffing.endless') : num(x.asa_s), pct(x.abandon), pct(x.occupancy)]);
            out.replaceChildren(
                h('p', { class: 'staff-answer', id: 'calc-answer', dataset: { agents: String(r.needed.agents), rostered: String(r.needed.rostered) } },
                    tn('staffing.answer', { agents: r.needed.agents, rostered: r.needed.rostered, model: t(`staffing.model.${r.model}`) })),
                table('calc-table', t('staffing.calc_title'), cols, rows, (i) => ({
                    class: r.around[i].agents === r.needed.agents ? 'row-chosen' : null,
                    dataset: { agents: String(r.around[i].agents) },
                    'aria-current': r.around[i].agents === r.needed.agents ? 'true' : null,
                })));
        } catch (e) {
            out.replaceChildren();
            messages.error(e);
        }
    });
    return h('section', { class: 'staff-section', 'aria-labelledby': 'calc-title' },
        h('h2', { id: 'calc-title' }, tn('staffing.calc_title')),
        h('p', { class: 'hint' }, tn('staffing.calc_intro')),
        form, messages.el, out);
}

function tomorrow() {
    const d = new Date(Date.now() + 86400000);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function planTables(p) {
    const seasons = p.seasons.length
        ? p.seasons.map((s) => h('span', { class: `badge badge-warning season season-${s}`, dataset: { season: s } }, tn(`staffing.season.${s}`)))
        : [tn('staffing.season.none')];
    const weeks = p.weeks.map((w) => h('li', { dataset: { day: w.day, use: w.use } },
        h('bdi', { dir: 'ltr' }, w.day), ' — ',
        w.use === 'used' ? tn('staffing.week.used', { calls: w.calls, weight: Math.round(w.weight * 100) }) : tn(`staffing.week.${w.use}`),
        ...w.seasons.map((s) => h('span', { class: 'badge season' }, ' ', tn(`staffing.season.${s}`)))));
    const head = [
        h('p', { class: 'plan-seasons', id: 'plan-seasons' }, tn('staffing.seasons'), ' ', ...seasons),
        p.season_mismatch ? h('p', { class: 'alert alert-warning', id: 'plan-mismatch', role: 'status' }, tn('staffing.mismatch')) : null,
        !p.open ? h('p', { class: 'alert alert-info', id: 'plan-closed', role: 'status' }, tn('staffing.closed')) : null,
        h('details', { class: 'plan-weeks' }, h('summary', {}, tn('staffing.weeks_used')), h('ul', { id: 'plan-weeks' }, weeks)),
    ];
    const cols = ['staffing.col.start', 'staffing.col.calls', 'staffing.col.aht', 'staffing.col.agents', 'staffing.col.rostered',
        'staffing.col.service', 'staffing.col.occupancy'];
    const langs = p.languages.map((l) => h('section', { class: 'plan-language', dataset: { language: l.language }, 'aria-labelledby': `plan-${l.language}` },
        h('h3', { id: `plan-${l.language}` }, h('span', { lang: l.language }, languageName(l.language))),
        h('p', { class: 'hint' }, tn('staffing.language_total', { calls: num(l.calls), hours: num(l.agent_hours), peak: l.peak_rostered })),
        h('div', { class: 'table-wrap' }, table(`plan-table-${l.language}`, languageName(l.language), cols,
            l.intervals.map((x) => [h('bdi', { dir: 'ltr' }, x.start), num(x.calls), h('span', { title: t(`staffing.aht_from.${x.aht_from}`) }, num(x.aht_s, 0)),
                formatNumber(x.agents), formatNumber(x.rostered), pct(x.service_level), pct(x.occupancy)]),
            (i) => ({ dataset: { start: l.intervals[i].start }, class: l.intervals[i].open ? null : 'row-closed' })))));
    return [...head, ...langs];
}

function plan() {
    const messages = messageArea();
    const out = h('div', { id: 'plan-result' });
    const day = h('input', { type: 'date', name: 'day', id: 'plan-day', value: tomorrow(), required: true });
    const lang = h('select', { name: 'language', id: 'plan-language' },
        h('option', { value: '' }, t('staffing.all_languages')),
        LANGUAGE_CODES.map((c) => h('option', { value: c, lang: c }, languageName(c))));
    const weeks = input('weeks', 6, { min: '1', max: '26', id: 'plan-weeks-n' });
    const shrinkage = input('shrinkage', 30, { min: '0', max: '94', id: 'plan-shrinkage' });
    const sl = input('sl', 80, { min: '1', max: '99', id: 'plan-sl' });
    const target = input('target', 20, { min: '0', id: 'plan-target' });
    const form = h('form', { class: 'form-grid', id: 'plan-form', novalidate: true },
        field({ label: 'staffing.day', control: day }),
        field({ label: 'staffing.language', control: lang }),
        field({ label: 'staffing.weeks', control: weeks, hint: 'staffing.weeks_hint' }),
        field({ label: 'staffing.shrinkage', control: shrinkage }),
        field({ label: 'staffing.sl', control: sl }),
        field({ label: 'staffing.target', control: target }),
        h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, tn('staffing.make_plan'))));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        messages.clear();
        out.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
        try {
            const p = await api('GET', withQuery('/api/v1/staff/plan', {
                day: day.value, language: lang.value || undefined, weeks: weeks.value, shrinkage: shrinkage.value, sl: sl.value, target: target.value,
            }));
            out.replaceChildren(...planTables(p).filter(Boolean));
            out.dataset.day = p.day;
        } catch (e) {
            out.replaceChildren();
            messages.error(e);
        }
    });
    return h('section', { class: 'staff-section', 'aria-labelledby': 'plan-title' },
        h('h2', { id: 'plan-title' }, tn('staffing.plan_title')),
        h('p', { class: 'hint' }, tn('staffing.plan_intro')),
        form, messages.el, out);
}

export function render() {
    return h('section', { class: 'page page-staffing' },
        pageTitle('staffing.title'),
        h('p', { class: 'lead' }, tn('staffing.intro')),
        calculator(),
        plan());
}
