/*
 * The practice line (#/practice, docs/practice.md): a trainee picks a
 * script, wasl calls their phone and the script's caller speaks; meanwhile
 * they search the guide and fill the case form as at the desk, and what
 * they record is scored against the script (kept apart from real cases,
 * never in the figures). A supervisor sees every trainee's sessions and
 * their results. The scoring is the server's.
 */
import { api } from '../api.js';
import { h } from '../dom.js';
import { formatDateTime, language, t, tn } from '../i18n.js';
import { user } from '../session.js';
import { alertBox, badge, errorText, field, languageName, messageArea, pageTitle, whileBusy } from '../ui.js';

const LIVE = ['dialling', 'ringing', 'answered'];
const STATE_KIND = { dialling: 'info', ringing: 'info', answered: 'ok', ended: 'info', not_answered: 'warning',
    failed: 'danger', interrupted: 'warning' };

const OUTCOMES = ['trainee_hangup', 'script_done', 'rtp_timeout', 'shutdown', 'declined', 'timeout', 'unreachable',
    'practice_logged_in', 'tel_phone_not_registered'];

/* An outcome's words: a failed start's outcome is the refusal's code. */
function outcomeText(o) {
    const k = o.replace(/\./g, '_');
    return t(`practice.outcome.${OUTCOMES.includes(k) ? k : 'failed_other'}`);
}

function stateBadge(s) {
    return badge(STATE_KIND[s.state] || 'info', tn(`practice.state.${s.state}`));
}

function scoreText(s) {
    return s.score === null || s.score === undefined ? '—' : `${s.score} %`;
}

/* A criterion's value in words: case types and categories by their names. */
function valueText(id, v) {
    if (v === null || v === undefined || (Array.isArray(v) && !v.length))
        return t('practice.nothing_given');
    if (id === 'case_type')
        return t(`cases.type.${v}`);
    if (id === 'category')
        return t(`guide.category.${v}`);
    return Array.isArray(v) ? v.join(', ') : String(v);
}

/* A session's result: the score and each criterion, met or missed. */
function resultView(s) {
    if (!s.result)
        return null;
    return h('div', { class: 'practice-result', dataset: { score: String(s.score) } },
        h('p', { class: 'practice-score' }, tn('practice.score'), ' ', h('strong', {}, h('bdi', {}, scoreText(s)))),
        h('table', { class: 'table' },
            h('thead', {}, h('tr', {}, ['practice.criterion', 'practice.expected', 'practice.given', 'practice.met']
                .map((k) => h('th', { scope: 'col' }, tn(k))))),
            h('tbody', {}, s.result.criteria.map((c) => h('tr', { dataset: { criterion: c.id, met: String(c.met) } },
                h('td', {}, tn(`practice.criterion.${c.id}`), ' ', h('span', { class: 'hint' }, `(${c.weight})`)),
                h('td', {}, h('bdi', {}, valueText(c.id, c.expected))),
                h('td', {}, h('bdi', {}, valueText(c.id, c.given))),
                h('td', {}, c.met ? badge('ok', tn('practice.met_yes')) : badge('danger', tn('practice.met_no'))))))));
}

/* The record form: guide search (articles marked consulted), disposition,
 * the case (type, category, due date). */
function recordForm(s, refs, onDone) {
    const consulted = [];
    const chips = h('ul', { class: 'practice-consulted', 'aria-live': 'polite' });
    const q = h('input', { type: 'search', name: 'q', dir: 'auto' });
    const hits = h('ul', { class: 'practice-hits' });
    const searchBtn = h('button', { type: 'button', class: 'btn', dataset: { action: 'search' } }, tn('practice.search'));
    function showChips() {
        chips.replaceChildren(...consulted.map((slug) => h('li', { dataset: { slug } }, h('bdi', {}, slug))));
    }
    async function search() {
        if (!q.value.trim())
            return;
        /* log=0: a practice search is not a citizen's question in the guide's figures */
        const r = await whileBusy(searchBtn, 'common.working',
            () => api('GET', `/api/v1/guide/search?q=${encodeURIComponent(q.value.trim())}&lang=${encodeURIComponent(s.language)}&log=0`));
        hits.replaceChildren(...r.hits.map((x) => h('li', {},
            h('bdi', { dir: 'auto' }, x.title), ' ',
            h('a', { href: `#/guide/article?slug=${encodeURIComponent(x.slug)}&lang=${encodeURIComponent(x.lang)}`, target: '_blank',
                rel: 'noopener', onclick: () => { if (!consulted.includes(x.slug)) { consulted.push(x.slug); showChips(); } } },
            tn('practice.open_article')), ' ',
            h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'consulted', slug: x.slug },
                onclick: () => { if (!consulted.includes(x.slug)) { consulted.push(x.slug); showChips(); } } },
            tn('practice.mark_consulted')))));
        if (!r.hits.length)
            hits.replaceChildren(h('li', {}, tn('practice.no_hits')));
    }
    searchBtn.addEventListener('click', () => search().catch(() => {}));
    q.addEventListener('keydown', (ev) => { if (ev.key === 'Enter') { ev.preventDefault(); search().catch(() => {}); } });

    const disposition = h('select', { name: 'disposition', required: true },
        refs.dispositions.map((d) => h('option', { value: d.code }, d.name)));
    const openCase = h('input', { type: 'checkbox', name: 'open_case', checked: true });
    const type = h('select', { name: 'case_type' }, refs.types.map((x) => h('option', { value: x.name }, t(`cases.type.${x.name}`))));
    const category = h('select', { name: 'category' },
        refs.categories.map((c) => h('option', { value: c }, t(`guide.category.${c}`))));
    const due = h('input', { type: 'date', name: 'due_on' });
    const problem = h('div');
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'record' } }, tn('practice.record'));
    const form = h('form', { class: 'form practice-record', novalidate: true },
        h('h3', {}, tn('practice.guide')),
        h('div', { class: 'practice-search' }, field({ label: 'practice.search_label', control: q }), searchBtn),
        hits,
        h('p', {}, tn('practice.consulted')), chips,
        h('h3', {}, tn('practice.case_form')),
        field({ label: 'practice.disposition', control: disposition, required: true }),
        h('label', { class: 'check' }, openCase, ' ', tn('practice.open_case')),
        field({ label: 'practice.case_type', control: type }),
        field({ label: 'practice.category', control: category }),
        field({ label: 'practice.due_on', control: due, hint: 'practice.due_on_hint' }),
        problem, h('div', { class: 'actions' }, submit));
    form.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        const body = { disposition: disposition.value, articles: consulted };
        if (openCase.checked)
            body.case = { type: type.value, category: category.value, ...(due.value ? { due_on: due.value } : {}) };
        try {
            const done = await whileBusy(submit, 'common.working', () => api('POST', `/api/v1/practice/sessions/${s.id}/record`, body));
            onDone(done);
        } catch (e) {
            problem.replaceChildren(alertBox('error', errorText(e)));
        }
    });
    return form;
}

/* One session: its state, then the form (answered, not recorded) or the result. */
function sessionCard(s, refs, { mine, onChange }) {
    const el = h('article', { class: 'panel practice-session', dataset: { session: String(s.id), state: s.state } },
        h('h2', {}, h('bdi', { dir: 'auto' }, s.title || s.script), ' ', stateBadge(s)),
        h('p', { class: 'hint' }, tn('practice.started', { date: formatDateTime(s.started_at) }), ' · ',
            languageName(s.language), s.outcome ? [' · ', outcomeText(s.outcome)] : null),
        s.result ? resultView(s)
            : mine && (s.state === 'answered' || s.state === 'ended')
                ? recordForm(s, refs, (done) => onChange(done))
                : null);
    return el;
}

export function render() {
    const me = user();
    const supervisor = me && (me.role === 'supervisor' || me.role === 'admin');
    const messages = messageArea();
    const current = h('div', { id: 'practice-current' });
    const list = h('div', { id: 'practice-sessions' }, h('p', { class: 'loading' }, tn('common.loading')));
    const script = h('select', { name: 'script' });
    const start = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'start' } }, tn('practice.start'));
    const startForm = h('form', { class: 'form practice-start', novalidate: true },
        field({ label: 'practice.script', control: script, hint: 'practice.start_hint' }), h('div', { class: 'actions' }, start));
    const page = h('section', { class: 'page page-practice' },
        pageTitle('practice.title'), h('p', { class: 'lead' }, tn('practice.intro')), messages.el,
        startForm, current, h('h2', {}, tn('practice.sessions')), list);
    let refs = null;
    let timer = null;

    function showCurrent(s) {
        current.replaceChildren(sessionCard(s, refs, { mine: s.user_id === me.id, onChange: (d) => { showCurrent(d); loadList(); } }));
        poll(s);
    }

    /* The call's state comes from the telephony: polled while the call
     * lasts; the card is drawn again only when it changes (the form being
     * filled stays as it is). */
    function poll(s) {
        clearTimeout(timer);
        if (!LIVE.includes(s.state))
            return;
        timer = setTimeout(() => {
            if (!page.isConnected)
                return;
            api('GET', `/api/v1/practice/sessions/${s.id}`).then((d) => {
                const form = current.querySelector('form.practice-record');
                /* answered then ended: the form already drawn is kept */
                if (d.state !== s.state && !(form && d.state === 'ended' && !d.result)) {
                    showCurrent(d);
                } else {
                    const card = current.querySelector('.practice-session');
                    if (card && card.dataset.state !== d.state) {
                        card.dataset.state = d.state;
                        const b = card.querySelector('h2 > .badge');
                        if (b)
                            b.replaceWith(stateBadge(d));
                    }
                    poll(d);
                }
                if (!LIVE.includes(d.state))
                    loadList();
            }).catch((e) => messages.error(e));
        }, 1000);
    }

    function loadList() {
        return api('GET', '/api/v1/practice/sessions?limit=50').then((d) => {
            list.replaceChildren(d.items.length
                ? h('table', { class: 'table' },
                    h('thead', {}, h('tr', {}, [supervisor ? 'practice.trainee' : null, 'practice.when', 'practice.script',
                        'practice.state_col', 'practice.score'].filter(Boolean).map((k) => h('th', { scope: 'col' }, tn(k))))),
                    h('tbody', {}, d.items.map((s) => h('tr', { dataset: { session: String(s.id) } },
                        supervisor ? h('td', {}, String(s.user_id)) : null,
                        h('td', {}, formatDateTime(s.started_at)),
                        h('td', {}, h('a', { href: '#/practice', onclick: (ev) => { ev.preventDefault(); showCurrent(s); } },
                            h('bdi', { dir: 'auto' }, s.title || s.script))),
                        h('td', {}, stateBadge(s)),
                        h('td', { class: 'num' }, h('bdi', {}, scoreText(s)))))))
                : h('p', {}, tn('practice.none_yet')));
            return d;
        });
    }

    startForm.addEventListener('submit', async (ev) => {
        ev.preventDefault();
        messages.clear();
        try {
            const s = await whileBusy(start, 'common.working', () => api('POST', '/api/v1/practice/sessions', { script: script.value }));
            showCurrent(s);
            loadList();
        } catch (e) {
            messages.error(e);
            loadList();
        }
    });

    Promise.all([api('GET', '/api/v1/practice/scripts'), api('GET', `/api/v1/desk/dispositions?lang=${language()}`),
        api('GET', '/api/v1/cases/types')]).then(([sc, di, ty]) => {
        refs = { dispositions: di.dispositions, types: ty.types, categories: ty.categories };
        const mineFirst = [...sc.items].sort((a, b) => (a.language === language() ? -1 : 0) - (b.language === language() ? -1 : 0));
        script.replaceChildren(...mineFirst.map((x) => h('option', { value: x.id }, `${x.title} (${languageName(x.language)})`)));
        return loadList().then((d) => {
            const live = d.items.find((s) => s.user_id === me.id && (LIVE.includes(s.state) || (s.state === 'ended' && !s.result)));
            if (live)
                showCurrent(live);
        });
    }).catch((e) => {
        list.replaceChildren();
        messages.error(e);
    });
    return page;
}
