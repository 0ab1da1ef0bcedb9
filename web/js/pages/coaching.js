/*
 * Coaching. Supervisors plan sessions with an agent (#/coaching), record
 * them done with notes and a follow-up date, attach listen/whisper sessions
 * of the agent's calls (#/coaching/session?id=N); the follow-up shows each
 * measurable goal met or not from the server's figures. Agents read their
 * own sessions and acknowledge them. #/coaching/progress?agent=N draws an
 * agent's last 12 weeks with their goals' thresholds (Chart.js, /vendor).
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime, formatNumber, languageInfo, t, tf, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import { user } from '../session.js';
import { alertBox, badge, errorText, field, messageArea, pageTitle, showFieldError, whileBusy } from '../ui.js';
import { chartJs } from '../charts.js';

const METRICS = ['review', 'aht', 'csat', 'rna'];

function isSupervisor() {
    const u = user();
    return u && (u.role === 'supervisor' || u.role === 'admin');
}

function num(v, digits = 1) {
    return v === null || v === undefined ? '—' : formatNumber(Math.round(v * 10 ** digits) / 10 ** digits);
}

function utc(local) {
    return local ? new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z') : undefined;
}

function localInput(name, date) {
    const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
    return h('input', { type: 'datetime-local', name, value: d.toISOString().slice(0, 16) });
}

function bdi(text) {
    return h('bdi', {}, text);
}

function stateBadge(s) {
    if (s.state === 'planned')
        return badge('muted', tn('coaching.state.planned'));
    return s.acknowledged_at ? badge('ok', tn('coaching.state.acknowledged')) : badge('warning', tn('coaching.state.done'));
}

function goalLine(g) {
    const met = g.met === true ? badge('ok', tn('coaching.goal_met')) : g.met === false ? badge('danger', tn('coaching.goal_not_met')) : null;
    return h('li', { dataset: { metric: g.metric || '', met: g.met === undefined || g.met === null ? '' : String(g.met) } },
        g.text ? h('span', { dir: 'auto' }, g.text) : null, g.text && g.target ? ' — ' : null,
        g.target ? h('bdi', { class: 'coaching-target' }, g.target) : null,
        g.value !== undefined ? [' ', tn('coaching.value_since', { value: g.value === null ? '—' : num(g.value) })] : null,
        met ? [' ', met] : null);
}

/* ---- the list and the plan form ---- */

export function render() {
    const messages = messageArea();
    const list = h('div', { id: 'coaching-list' }, h('p', { class: 'loading' }, tn('common.loading')));
    const sup = isSupervisor();

    function load() {
        api('GET', '/api/v1/coaching/sessions').then((d) => {
            list.replaceChildren(d.items.length ? h('table', { class: 'table' },
                h('thead', {}, h('tr', {}, ['coaching.col.date', 'coaching.col.agent', 'coaching.col.topic', 'coaching.col.state', 'coaching.col.follow_up']
                    .map((k) => h('th', {}, tn(k))))),
                h('tbody', {}, d.items.map((s) => h('tr', { dataset: { session: String(s.id) } },
                    h('td', {}, h('a', { href: `#/coaching/session?id=${s.id}` }, formatDateTime(s.planned_at))),
                    h('td', {}, h('a', { href: `#/coaching/progress?agent=${s.agent.id}` }, s.agent.name)),
                    h('td', { dir: 'auto' }, s.topic), h('td', {}, stateBadge(s)),
                    h('td', {}, formatDateTime(s.follow_up_at)))))) : h('p', {}, tn('coaching.none_yet')));
        }).catch((e) => { list.replaceChildren(); messages.error(e); });
    }
    load();
    const head = [pageTitle('coaching.title'), h('p', { class: 'lead' }, tn(sup ? 'coaching.intro' : 'coaching.intro_agent'))];
    if (!sup) {
        const me = user();
        return h('section', { class: 'page page-coaching' }, head, messages.el,
            h('p', {}, h('a', { href: `#/coaching/progress?agent=${me.id}`, class: 'btn' }, tn('coaching.my_progress'))), list);
    }
    return h('section', { class: 'page page-coaching' }, head, messages.el, planForm(messages, load),
        h('h2', {}, tn('coaching.sessions')), list);
}

function planForm(messages, onDone) {
    const agent = h('select', { name: 'agent' });
    const when = localInput('planned_at', new Date(Date.now() + 86400000));
    const topic = h('input', { type: 'text', name: 'topic', maxlength: '200', dir: 'auto' });
    const reviews = h('select', { name: 'reviews', multiple: true, size: '4' });
    const pfrom = h('input', { type: 'date', name: 'period_from' });
    const pto = h('input', { type: 'date', name: 'period_to' });
    const goals = h('div', { class: 'coaching-goals' });
    function goalRow() {
        const text = h('input', { type: 'text', name: 'goal_text', maxlength: '300', dir: 'auto', 'aria-label': t('coaching.goal_text') });
        const target = h('input', { type: 'text', name: 'goal_target', maxlength: '64', dir: 'ltr', placeholder: 'aht <= 300 s', 'aria-label': t('coaching.goal_target') });
        goals.append(h('div', { class: 'coaching-goal-row' }, text, ' ', target));
    }
    goalRow();
    const addGoal = h('button', { type: 'button', class: 'btn', dataset: { action: 'add-goal' } }, tn('coaching.add_goal'));
    addGoal.addEventListener('click', () => { if (goals.children.length < 8) goalRow(); });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'plan' } }, tn('coaching.plan'));
    const form = h('form', { class: 'form panel', novalidate: true },
        h('h2', {}, tn('coaching.plan_title')),
        field({ label: 'coaching.agent', control: agent, name: 'agent', required: true }),
        field({ label: 'coaching.when', control: when, name: 'planned_at', required: true }),
        field({ label: 'coaching.topic', control: topic, name: 'topic', required: true }),
        field({ label: 'coaching.reviews', control: reviews, name: 'reviews', hint: 'coaching.reviews_hint' }),
        h('div', { class: 'row' }, field({ label: 'coaching.period_from', control: pfrom, name: 'period_from' }),
            field({ label: 'coaching.period_to', control: pto, name: 'period_to' })),
        h('fieldset', { dataset: { fieldFor: 'goals' } }, h('legend', {}, tn('coaching.goals')), h('p', { class: 'hint' }, tn('coaching.goals_hint')), goals, addGoal),
        h('div', { class: 'actions' }, submit));
    function loadReviews() {
        reviews.replaceChildren();
        if (!agent.value)
            return;
        api('GET', withQuery('/api/v1/quality/reviews', { agent: agent.value })).then((d) => {
            reviews.replaceChildren(...d.items.filter((r) => !r.calibration).map((r) => h('option', { value: String(r.id) },
                t('coaching.review_option', { call: r.call, score: num(r.score), date: formatDateTime(r.call_started_at) }))));
        }).catch(() => {});
    }
    agent.addEventListener('change', loadReviews);
    api('GET', '/api/v1/quality/agents').then((d) => {
        agent.replaceChildren(...d.items.map((a) => h('option', { value: String(a.id) }, a.name || a.login)));
        loadReviews();
    }).catch((e) => messages.error(e));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = {
            agent: Number(agent.value), planned_at: utc(when.value), topic: topic.value.trim(),
            reviews: [...reviews.selectedOptions].map((o) => Number(o.value)),
            goals: [...goals.children].map((row) => {
                const [text, target] = row.querySelectorAll('input');
                const g = {};
                if (text.value.trim()) g.text = text.value.trim();
                if (target.value.trim()) g.target = target.value.trim();
                return g;
            }).filter((g) => g.text || g.target),
        };
        if (pfrom.value && pto.value) {
            body.period_from = `${pfrom.value}T00:00:00Z`;
            body.period_to = `${pto.value}T00:00:00Z`;
        }
        try {
            const s = await whileBusy(submit, 'common.working', () => api('POST', '/api/v1/coaching/sessions', body));
            messages.show('success', tn('coaching.planned_done'));
            location.hash = `#/coaching/session?id=${s.id}`;
            onDone();
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
    return form;
}

/* ---- one session ---- */

export function renderSession() {
    const messages = messageArea();
    const id = Number(routeParams().get('id'));
    const body = h('div', { id: 'coaching-session' }, h('p', { class: 'loading' }, tn('common.loading')));
    function show(s) {
        body.replaceChildren(view(s, messages, show));
    }
    api('GET', `/api/v1/coaching/sessions/${id}`).then(show).catch((e) => { body.replaceChildren(); messages.error(e); });
    return h('section', { class: 'page page-coaching-session' }, pageTitle('coaching.session_title'), messages.el, body);
}

function view(s, messages, show) {
    const sup = isSupervisor();
    const parts = [
        h('p', {}, stateBadge(s), ' ', tf('coaching.with', { agent: bdi(s.agent.name), supervisor: bdi(s.supervisor.name), date: bdi(formatDateTime(s.planned_at)) })),
        h('h2', { dir: 'auto' }, s.topic),
        s.period ? h('p', { class: 'hint' }, tf('coaching.about_period', { from: bdi(formatDateTime(s.period.from)), to: bdi(formatDateTime(s.period.to)) })) : null,
        s.reviews.length ? h('p', {}, tn('coaching.about_reviews'), ' ', s.reviews.map((r) => [h('bdi', {}, `#${r}`), ' '])) : null,
        h('h3', {}, tn('coaching.goals')),
        h('ul', { class: 'coaching-goal-list' }, s.goals.map(goalLine)),
    ];
    if (s.follow_up)
        parts.push(h('p', { class: 'hint', dataset: { complete: String(s.follow_up.complete) } },
            tn(s.follow_up.complete ? 'coaching.follow_up_complete' : 'coaching.follow_up_running', { date: formatDateTime(s.follow_up_at) })));
    if (s.notes)
        parts.push(h('h3', {}, tn('coaching.notes')), h('blockquote', { dir: 'auto', class: 'coaching-notes' }, s.notes));
    if (sup && s.private_notes)
        parts.push(h('h3', {}, tn('coaching.private_notes')), h('blockquote', { dir: 'auto', class: 'coaching-private' }, s.private_notes));
    if (s.acknowledged_at)
        parts.push(h('p', { class: 'coaching-acknowledged' }, badge('ok', tn('coaching.acknowledged_on', { date: formatDateTime(s.acknowledged_at) })),
            s.agent_comment ? [' ', h('span', { dir: 'auto' }, s.agent_comment)] : null));
    if (sup && s.state === 'planned')
        parts.push(doneForm(s, messages, show));
    if (!sup && s.state === 'done' && !s.acknowledged_at)
        parts.push(ackForm(s, messages, show));
    parts.push(h('h3', {}, tn('coaching.supervisions')),
        s.supervisions.length ? h('ul', {}, s.supervisions.map((x) => h('li', {}, tn('coaching.supervision_line', { call: x.call, mode: t(`coaching.mode.${x.mode}`), date: formatDateTime(x.at) }))))
            : h('p', { class: 'hint' }, tn('coaching.no_supervisions')));
    if (sup)
        parts.push(supervisionPicker(s, messages, show));
    parts.push(h('p', {}, h('a', { href: `#/coaching/progress?agent=${s.agent.id}` }, tn('coaching.see_progress'))));
    return h('article', { class: 'panel', dataset: { session: String(s.id), state: s.state } }, parts);
}

function doneForm(s, messages, show) {
    const notes = h('textarea', { name: 'notes', rows: '4', maxlength: '4000', dir: 'auto' });
    const priv = h('textarea', { name: 'private_notes', rows: '2', maxlength: '4000', dir: 'auto' });
    const follow = localInput('follow_up_at', new Date(Date.now() + 14 * 86400000));
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'done' } }, tn('coaching.record_done'));
    const form = h('form', { class: 'form', novalidate: true }, h('h3', {}, tn('coaching.done_title')),
        field({ label: 'coaching.notes', control: notes, name: 'notes', hint: 'coaching.notes_hint' }),
        field({ label: 'coaching.private_notes', control: priv, name: 'private_notes', hint: 'coaching.private_hint' }),
        field({ label: 'coaching.follow_up', control: follow, name: 'follow_up_at', required: true }),
        h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
            const body = { follow_up_at: utc(follow.value) };
            if (notes.value.trim()) body.notes = notes.value.trim();
            if (priv.value.trim()) body.private_notes = priv.value.trim();
            show(await whileBusy(submit, 'common.working', () => api('POST', `/api/v1/coaching/sessions/${s.id}/done`, body)));
            messages.show('success', tn('coaching.done_done'));
        } catch (e) {
            if (!showFieldError(form, e))
                messages.error(e);
        }
    });
    return form;
}

function ackForm(s, messages, show) {
    const comment = h('textarea', { name: 'comment', rows: '3', maxlength: '4000', dir: 'auto' });
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'acknowledge' } }, tn('coaching.acknowledge'));
    const problem = h('div');
    const form = h('form', { class: 'form', novalidate: true },
        field({ label: 'coaching.your_comment', control: comment }), problem, h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        try {
            const body = comment.value.trim() ? { comment: comment.value.trim() } : {};
            show(await whileBusy(submit, 'common.working', () => api('POST', `/api/v1/coaching/sessions/${s.id}/acknowledge`, body)));
            messages.show('success', tn('coaching.acknowledged_done'));
        } catch (e) {
            problem.replaceChildren(alertBox('error', errorText(e)));
        }
    });
    return form;
}

function supervisionPicker(s, messages, show) {
    const box = h('div', { class: 'coaching-pick' });
    api('GET', `/api/v1/coaching/agents/${s.agent.id}/supervisions`).then((d) => {
        const free = d.items.filter((x) => !x.session);
        box.replaceChildren(h('h4', {}, tn('coaching.attach_title')), free.length ? h('ul', {}, free.map((x) => {
            const b = h('button', { type: 'button', class: 'btn', dataset: { action: 'attach', event: String(x.event) } }, tn('coaching.attach'));
            b.addEventListener('click', async () => {
                try {
                    show(await whileBusy(b, 'common.working', () => api('POST', `/api/v1/coaching/sessions/${s.id}/supervisions`, { event: x.event })));
                } catch (e) {
                    messages.error(e);
                }
            });
            return h('li', {}, tn('coaching.supervision_line', { call: x.call, mode: x.modes.map((m) => t(`coaching.mode.${m}`)).join(', '), date: formatDateTime(x.at) }), ' ', b);
        })) : h('p', { class: 'hint' }, tn('coaching.nothing_to_attach')));
    }).catch((e) => messages.error(e));
    return box;
}

/* ---- progress ---- */

const charts = [];

export function renderProgress() {
    const messages = messageArea();
    const agent = Number(routeParams().get('agent')) || user().id;
    const table = h('div', { id: 'coaching-progress' }, h('p', { class: 'loading' }, tn('common.loading')));
    const canvases = Object.fromEntries(METRICS.map((m) => [m, h('canvas', { id: `chart-${m}`, 'aria-label': t(`coaching.metric.${m}`), role: 'img' })]));
    const grid = h('div', { class: 'coaching-charts' }, METRICS.map((m) => h('figure', { class: 'coaching-chart' },
        h('figcaption', {}, tn(`coaching.metric.${m}`)), h('div', { class: 'chart-area' }, canvases[m]))));
    api('GET', `/api/v1/coaching/agents/${agent}/progress?weeks=12`).then(async (p) => {
        const day = new Intl.DateTimeFormat(languageInfo().locale, { day: 'numeric', month: 'short', timeZone: 'Africa/Casablanca' });
        const labels = p.weeks.map((w) => day.format(new Date(w.from)));
        const key = { review: 'review_avg', aht: 'aht_s', csat: 'csat', rna: 'rings_unanswered' };
        table.replaceChildren(h('table', { class: 'table' },
            h('thead', {}, h('tr', {}, h('th', {}, tn('coaching.col.week')), METRICS.map((m) => h('th', {}, tn(`coaching.metric.${m}`))),
                h('th', {}, tn('coaching.col.queue_aht')), h('th', {}, tn('coaching.col.briefings_late')), h('th', {}, tn('coaching.col.briefings_pending')))),
            h('tbody', {}, p.weeks.map((w, i) => h('tr', { dataset: { week: w.from } }, h('td', {}, labels[i]),
                METRICS.map((m) => h('td', { dataset: { metric: m } }, num(w[key[m]]))),
                h('td', {}, num(w.queue_aht_s)), h('td', {}, String(w.briefings_late)), h('td', {}, String(w.briefings_pending)))))));
        const Chart = await chartJs();
        while (charts.length) charts.pop().destroy();
        const rtl = languageInfo().dir === 'rtl';
        for (const m of METRICS) {
            const goals = p.goals.filter((g) => g.metric === m);
            const datasets = [{ label: t(`coaching.metric.${m}`), data: p.weeks.map((w) => w[key[m]]), borderColor: '#1d4670', backgroundColor: '#5b8fc7', spanGaps: true }];
            for (const g of goals.slice(0, 3))
                datasets.push({ label: `${t('coaching.goal')} ${g.expr}`, data: p.weeks.map(() => g.target), borderColor: '#a8231b', borderDash: [6, 4], pointRadius: 0, fill: false });
            charts.push(new Chart(canvases[m], {
                type: 'line', data: { labels, datasets },
                options: { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { rtl, position: 'bottom' }, tooltip: { rtl } },
                    scales: { x: { reverse: rtl }, y: { beginAtZero: true, position: rtl ? 'right' : 'left' } } },
            }));
        }
        grid.dataset.drawn = 'true';
    }).catch((e) => { table.replaceChildren(); messages.error(e); });
    return h('section', { class: 'page page-coaching-progress' }, pageTitle('coaching.progress_title'),
        h('p', { class: 'lead' }, tn('coaching.progress_intro')), messages.el, grid, table);
}
