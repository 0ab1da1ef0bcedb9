/*
 * Quality reviews. Reviewers (supervisors, administrators): pick answered
 * calls by filters or take the week's sample (#/quality), review one beside
 * its recording (listening is audited by the server), events, case and
 * articles consulted (#/quality/review?call=N), and compare reviewers
 * (#/quality/calibration?call=N). Agents: their own reviews, to read,
 * comment and acknowledge (#/reviews). The scoring is the server's.
 */
import { api, withQuery } from '../api.js';
import { h } from '../dom.js';
import { LANGUAGES, formatDateTime, formatNumber, language, t, tn } from '../i18n.js';
import { routeParams } from '../router.js';
import { user } from '../session.js';
import { alertBox, badge, errorText, field, languageName, messageArea, pageTitle, whileBusy } from '../ui.js';

/* A text of the form in the reader's language (the form has all seven). */
function textOf(texts) {
    return (texts && (texts[language()] || texts.en)) || '';
}

function scoreText(s) {
    return s === null || s === undefined ? '—' : `${formatNumber(Math.round(s * 10) / 10)} %`;
}

function isoWeek(d) {
    const x = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    const day = x.getUTCDay() || 7;
    x.setUTCDate(x.getUTCDate() + 4 - day);
    const y = x.getUTCFullYear();
    const w = Math.ceil(((x - Date.UTC(y, 0, 1)) / 86400000 + 1) / 7);
    return `${y}-W${String(w).padStart(2, '0')}`;
}

function dayInput(name, date) {
    return h('input', { type: 'date', name, value: date.toISOString().slice(0, 10) });
}

/* The disposition codes' names in the reader's language, read once per page. */
let dispositions = null;
function dispositionNames() {
    if (!dispositions || dispositions.lang !== language()) {
        const lang = language();
        dispositions = { lang, names: api('GET', withQuery('/api/v1/desk/dispositions', { lang })).then((d) =>
            Object.fromEntries(d.dispositions.map((x) => [x.code, x.name]))) };
    }
    return dispositions.names;
}

function callFlags(c) {
    const out = [];
    if (c.amended)
        out.push(badge('warning', tn('quality.flag.amended')));
    if (c.rating && c.rating <= 2)
        out.push(badge('danger', tn('quality.flag.low_rating', { n: c.rating })));
    if (!c.recorded)
        out.push(badge('muted', tn('quality.flag.no_recording')));
    return h('span', { class: 'quality-flags' }, out);
}

/* ---- the reviewer's list ---- */

export function render() {
    const messages = messageArea();
    const now = new Date();
    const from = dayInput('from', new Date(now.getTime() - 7 * 86400000));
    const to = dayInput('to', now);
    const agent = h('select', { name: 'agent' }, h('option', { value: '' }, t('quality.any_agent')));
    const queue = h('select', { name: 'queue' }, h('option', { value: '' }, t('quality.any_queue')),
        LANGUAGES.flatMap((l) => [
            h('option', { value: l.code, lang: l.code, dir: l.dir }, l.name),
            h('option', { value: `${l.code}.dossier` }, t('quality.queue_dossier', { language: l.name })),
        ]));
    const disposition = h('select', { name: 'disposition' }, h('option', { value: '' }, t('quality.any_disposition')));
    const longer = h('input', { type: 'number', name: 'longer_than', min: '0', max: '86400', step: '1', inputmode: 'numeric' });
    const lowCsat = h('input', { type: 'checkbox', name: 'low_csat' });
    const amended = h('input', { type: 'checkbox', name: 'amended' });
    const recorded = h('input', { type: 'checkbox', name: 'recorded', checked: true });
    const apply = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'filter' } }, tn('quality.apply'));
    const week = h('input', { type: 'week', name: 'week', value: isoWeek(now) });
    const perAgent = h('input', { type: 'number', name: 'per_agent', min: '1', max: '20', value: '2' });
    const sample = h('button', { type: 'submit', class: 'btn', dataset: { action: 'sample' } }, tn('quality.sample'));
    const cols = ['quality.col.started', 'quality.col.agent', 'quality.col.queue', 'quality.col.disposition', 'quality.col.talk',
        'quality.col.flags', 'quality.col.reviews', 'quality.col.actions'];
    const tbody = h('tbody');
    const caption = h('caption', {}, tn('quality.calls_caption'));
    const table = h('table', { class: 'data-table', id: 'quality-calls' }, caption,
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))), tbody);

    let names = {};
    function row(c) {
        const cells = [
            h('time', { datetime: c.started_at }, formatDateTime(c.started_at)),
            c.agent.name || `#${c.agent.id}`,
            c.queue ? h('span', { dir: 'ltr' }, c.queue) : '—',
            c.disposition ? names[c.disposition] || c.disposition : '—',
            tn('quality.seconds', { n: Math.round(c.talked_ms / 1000) }),
            callFlags(c),
            String(c.reviews),
            h('a', { class: 'btn btn-small btn-primary', href: `#/quality/review?call=${c.id}`, dataset: { action: 'review' } },
                tn('quality.review')),
        ];
        return h('tr', { dataset: { call: String(c.id) } }, cells.map((x, i) => h('td', { dataset: { label: t(cols[i]) } }, x)));
    }

    async function show(path, captionKey) {
        messages.clear();
        caption.replaceChildren(tn(captionKey));
        tbody.replaceChildren(h('tr', {}, h('td', { colspan: String(cols.length), class: 'loading' }, tn('common.loading'))));
        try {
            const data = await api('GET', path);
            names = await dispositionNames().catch(() => ({}));
            tbody.replaceChildren(...(data.items.length ? data.items.map(row)
                : [h('tr', {}, h('td', { colspan: String(cols.length) }, tn('quality.no_calls')))]));
        } catch (e) {
            tbody.replaceChildren();
            messages.error(e);
        }
    }

    function filterPath() {
        const day = (input, end) => (input.value ? new Date(`${input.value}T00:00:00Z`).getTime() + (end ? 86400000 : 0) : null);
        return withQuery('/api/v1/quality/calls', {
            from: from.value ? new Date(day(from, false)).toISOString().replace('.000', '') : '',
            to: to.value ? new Date(day(to, true)).toISOString().replace('.000', '') : '',
            agent: agent.value, queue: queue.value, disposition: disposition.value, longer_than: longer.value,
            low_csat: lowCsat.checked ? 1 : '', amended: amended.checked ? 1 : '', recorded: recorded.checked ? 1 : '',
        });
    }

    const filterForm = h('form', { class: 'form form-inline quality-filters', novalidate: true, role: 'search',
        'aria-label': t('quality.filters') },
    field({ label: 'quality.from', control: from }),
    field({ label: 'quality.to', control: to }),
    field({ label: 'quality.agent', control: agent }),
    field({ label: 'quality.queue', control: queue }),
    field({ label: 'quality.disposition', control: disposition }),
    field({ label: 'quality.longer_than', control: longer }),
    h('label', { class: 'check' }, lowCsat, ' ', tn('quality.low_csat')),
    h('label', { class: 'check' }, amended, ' ', tn('quality.amended')),
    h('label', { class: 'check' }, recorded, ' ', tn('quality.recorded')),
    h('div', { class: 'actions' }, apply));
    filterForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        show(filterPath(), 'quality.calls_caption');
    });
    const sampleForm = h('form', { class: 'form form-inline quality-sample', novalidate: true, 'aria-label': t('quality.sample') },
        field({ label: 'quality.week', control: week, hint: 'quality.sample_hint' }),
        field({ label: 'quality.per_agent', control: perAgent }),
        h('div', { class: 'actions' }, sample));
    sampleForm.addEventListener('submit', (ev) => {
        ev.preventDefault();
        show(withQuery('/api/v1/quality/sample', { week: week.value, per_agent: perAgent.value }), 'quality.sample_caption');
    });

    api('GET', '/api/v1/quality/agents').then((d) => {
        agent.append(...d.items.map((a) => h('option', { value: String(a.id) }, a.name || a.login)));
    }).catch((e) => messages.error(e));
    dispositionNames().then((names) => {
        disposition.append(...Object.entries(names).map(([code, name]) => h('option', { value: code }, name)));
    }).catch((e) => messages.error(e));
    show(filterPath(), 'quality.calls_caption');
    return h('section', { class: 'page page-quality' },
        pageTitle('quality.title'),
        h('p', { class: 'lead' }, tn('quality.intro')),
        messages.el,
        filterForm,
        sampleForm,
        h('div', { class: 'table-wrap' }, table));
}

/* ---- reviewing one call ---- */

function answerControl(q, name, current) {
    const values = q.scale === 'yes_no' ? ['yes', 'no'] : Array.from({ length: q.max + 1 }, (_, i) => String(q.max - i));
    if (q.na)
        values.push('na');
    const label = (v) => (v === 'yes' || v === 'no' || v === 'na' ? t(`quality.answer.${v}`) : v);
    return h('div', { class: 'quality-answers', role: 'radiogroup', 'aria-labelledby': `${name}-label` },
        values.map((v) => h('label', { class: 'check' },
            h('input', { type: 'radio', name, value: v, checked: current !== undefined && String(current) === v, required: true }),
            ' ', label(v))));
}

function questionNode(q, current) {
    const name = `q-${q.id}`;
    return h('div', { class: 'quality-question', dataset: { question: q.id } },
        h('p', { id: `${name}-label`, class: 'quality-question-text' }, textOf(q.text),
            q.critical ? [' ', badge('danger', tn(`quality.critical.${q.critical}`))] : null),
        answerControl(q, name, current));
}

function formNode(form, answers) {
    return form.sections.map((s) => h('fieldset', { class: 'quality-section', dataset: { section: s.id } },
        h('legend', {}, textOf(s.name), ' ', h('span', { class: 'hint' }, tn('quality.weight', { n: s.weight }))),
        s.questions.map((q) => questionNode(q, answers ? answers[q.id] : undefined))));
}

function reviewsTable(reviews) {
    const cols = ['quality.col.reviewer', 'quality.col.score', 'quality.col.kind', 'quality.col.acknowledged'];
    return h('table', { class: 'data-table', id: 'quality-reviews' },
        h('caption', {}, tn('quality.reviews_caption')),
        h('thead', {}, h('tr', {}, cols.map((k) => h('th', { scope: 'col' }, tn(k))))),
        h('tbody', {}, reviews.map((r) => h('tr', { dataset: { review: String(r.id) } },
            h('td', {}, r.reviewer.name),
            h('td', {}, scoreText(r.score), r.failed ? [' ', badge('danger', tn('quality.failed'))] : null),
            h('td', {}, tn(r.calibration ? 'quality.kind.calibration' : 'quality.kind.review')),
            h('td', {}, r.acknowledged ? formatDateTime(r.acknowledged_at) : '—')))));
}

export function renderReview() {
    const id = Number(routeParams().get('call'));
    const messages = messageArea();
    const body = h('div', { class: 'quality-review' }, h('p', { class: 'loading' }, tn('common.loading')));

    async function load() {
        try {
            const [call, forms, events, names] = await Promise.all([
                api('GET', `/api/v1/quality/calls/${id}`),
                api('GET', '/api/v1/quality/forms'),
                api('GET', withQuery('/api/v1/events', { call: id, limit: 500 })).catch(() => ({ items: [] })),
                dispositionNames().catch(() => ({})),
            ]);
            draw(call, forms.items[0], events.items || [], names);
        } catch (e) {
            body.replaceChildren();
            messages.error(e);
        }
    }

    function facts(c, names) {
        const rows = [
            ['quality.col.started', formatDateTime(c.started_at)],
            ['quality.col.agent', c.agent.name],
            ['quality.col.queue', c.queue || '—'],
            ['quality.language', c.language ? languageName(c.language) : '—'],
            ['quality.col.talk', tn('quality.seconds', { n: Math.round(c.talked_ms / 1000) })],
            ['quality.col.disposition', c.disposition ? names[c.disposition] || c.disposition : '—'],
            ['quality.case', c.case_reference
                ? h('a', { href: `#/cases/view?${new URLSearchParams({ ref: c.case_reference })}`, dir: 'ltr' }, c.case_reference) : '—'],
            ['quality.rating', c.rating ? String(c.rating) : '—'],
        ];
        return h('dl', { class: 'facts', id: 'quality-call-facts' }, rows.map(([k, v]) => [h('dt', {}, tn(k)), h('dd', {}, v)]));
    }

    function articles(c) {
        if (!c.articles.length)
            return h('p', { class: 'muted' }, tn('quality.no_articles'));
        return h('ul', { id: 'quality-articles' }, c.articles.map((a) => h('li', {},
            h('a', { href: `#/guide/article?${new URLSearchParams({ slug: a.slug, lang: a.lang })}` }, a.slug),
            ' ', tn('quality.article_version', { version: a.version, lang: a.lang }),
            a.in_force > a.version ? [' ', badge('warning', tn('quality.amended_to', { version: a.in_force }))] : null)));
    }

    function player(c) {
        if (!c.recorded)
            return h('p', { class: 'muted' }, tn('quality.flag.no_recording'));
        const b = h('button', { type: 'button', class: 'btn', dataset: { action: 'listen' }, title: t('quality.listen_audited') },
            tn('quality.listen'));
        b.addEventListener('click', () => {
            /* the server writes the listening to the audit trail first */
            const a = h('audio', { controls: true, preload: 'auto', src: `/api/v1/tel/calls/${c.id}/recording`,
                'aria-label': t('quality.player', { id: c.id }), dataset: { call: String(c.id) } });
            b.replaceWith(a);
        });
        return h('div', { class: 'quality-player' }, b, h('p', { class: 'hint' }, tn('quality.listen_audited')));
    }

    function eventsList(events) {
        return h('ol', { class: 'quality-events', id: 'quality-events' }, events.map((e) => h('li', { dataset: { kind: e.kind } },
            h('time', { datetime: e.at }, formatDateTime(e.at, { seconds: true })), ' ', h('code', { dir: 'ltr' }, e.kind))));
    }

    function draw(data, form, events, names) {
        const c = data.call;
        const me = user();
        const mine = data.reviews.find((r) => me && r.reviewer.id === me.id);
        const comment = h('textarea', { name: 'comment', rows: '3', maxlength: '2000', dir: 'auto' }, mine && mine.comment ? mine.comment : '');
        const calibration = h('input', { type: 'checkbox', name: 'calibration', checked: Boolean(mine && mine.calibration) });
        const save = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'save' } }, tn('quality.save'));
        const result = h('div', { id: 'quality-result', 'aria-live': 'polite' });
        const f = h('form', { class: 'form quality-form', novalidate: true, 'aria-label': textOf(form.name) },
            h('h2', {}, textOf(form.name), ' ', h('span', { class: 'hint' }, tn('quality.form_version', { version: form.version }))),
            formNode(form, mine ? mine.answers : null),
            field({ label: 'quality.comment', control: comment, hint: 'quality.comment_hint' }),
            h('label', { class: 'check' }, calibration, ' ', tn('quality.calibration_check')),
            h('p', { class: 'hint' }, tn('quality.calibration_hint')),
            result,
            h('div', { class: 'actions' }, save));
        f.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            result.replaceChildren();
            const answers = {};
            const missing = [];
            for (const q of form.sections.flatMap((s) => s.questions)) {
                const picked = f.querySelector(`input[name="q-${q.id}"]:checked`);
                if (!picked)
                    missing.push(textOf(q.text));
                else
                    answers[q.id] = q.scale === 'yes_no' || picked.value === 'na' ? picked.value : Number(picked.value);
            }
            if (missing.length) {
                result.replaceChildren(alertBox('error', tn('quality.unanswered', { questions: missing.join(' · ') })));
                return;
            }
            try {
                const body = { call: c.id, form: form.id, answers, calibration: calibration.checked };
                if (comment.value.trim())
                    body.comment = comment.value.trim();
                const r = await whileBusy(save, 'common.working', () => api('POST', '/api/v1/quality/reviews', body));
                result.replaceChildren(alertBox(r.failed ? 'warning' : 'success',
                    tn(r.failed ? 'quality.saved_failed' : 'quality.saved', { score: scoreText(r.score) })));
                result.dataset.score = String(r.score);
                const again = await api('GET', `/api/v1/quality/calls/${id}`);
                reviews.replaceChildren(...[reviewsTable(again.reviews), calibrationLink(again.reviews)].filter(Boolean));
            } catch (e) {
                result.replaceChildren(alertBox('error', errorText(e)));
            }
        });
        const calibrationLink = (list) => (list.length > 1
            ? h('p', {}, h('a', { href: `#/quality/calibration?call=${c.id}`, dataset: { action: 'calibration' } },
                tn('quality.calibration_view'))) : null);
        const reviews = h('div', { id: 'quality-call-reviews', class: 'panel' }, data.reviews.length ? reviewsTable(data.reviews) : null,
            calibrationLink(data.reviews));
        body.replaceChildren(
            h('div', { class: 'quality-columns' },
                h('section', { class: 'panel', 'aria-labelledby': 'q-call-h' },
                    h('h2', { id: 'q-call-h' }, tn('quality.call_heading', { id: c.id })), facts(c, names), player(c),
                    h('h3', {}, tn('quality.articles')), articles(c),
                    h('h3', {}, tn('quality.events')), eventsList(events)),
                h('section', { class: 'panel' }, f)),
            reviews);
    }

    load();
    return h('section', { class: 'page page-quality-review' },
        pageTitle('quality.review_title', { id }),
        h('p', {}, h('a', { href: '#/quality' }, tn('quality.back'))),
        messages.el, body);
}

/* ---- calibration ---- */

export function renderCalibration() {
    const id = Number(routeParams().get('call'));
    const messages = messageArea();
    const body = h('div', {}, h('p', { class: 'loading' }, tn('common.loading')));
    Promise.all([api('GET', `/api/v1/quality/calls/${id}/calibration`), api('GET', '/api/v1/quality/forms')]).then(([c, forms]) => {
        const form = forms.items.find((x) => x.id === c.form.id);
        const qtext = {};
        if (form)
            for (const q of form.sections.flatMap((s) => s.questions))
                qtext[q.id] = textOf(q.text);
        const head = h('tr', {}, h('th', { scope: 'col' }, tn('quality.col.question')),
            c.reviewers.map((r) => h('th', { scope: 'col' }, r.reviewer.name)), h('th', { scope: 'col' }, tn('quality.col.gap')));
        const label = (v) => (v === 'yes' || v === 'no' || v === 'na' ? t(`quality.answer.${v}`) : String(v));
        const rows = c.questions.map((q) => h('tr', { dataset: { question: q.id, gap: String(q.gap) }, class: q.gap > 0 || q.na_split ? 'disagree' : null },
            h('th', { scope: 'row' }, qtext[q.id] || q.id),
            q.values.map((v) => h('td', {}, label(v))),
            h('td', {}, `${formatNumber(Math.round(q.gap * 100))} %`, q.na_split ? [' ', badge('warning', tn('quality.na_split'))] : null)));
        const total = h('tr', { class: 'total' }, h('th', { scope: 'row' }, tn('quality.col.score')),
            c.reviewers.map((r) => h('td', {}, scoreText(r.score))), h('td', {}, ''));
        const tt = c.total;
        body.replaceChildren(
            h('dl', { class: 'facts', id: 'quality-spread' },
                h('dt', {}, tn('quality.spread')), h('dd', { dataset: { spread: String(tt.spread) } }, scoreText(tt.spread)),
                h('dt', {}, tn('quality.sd')), h('dd', {}, formatNumber(Math.round(tt.sd * 10) / 10)),
                h('dt', {}, tn('quality.mean')), h('dd', {}, scoreText(tt.mean)),
                h('dt', {}, tn('quality.range')), h('dd', {}, `${scoreText(tt.min)} – ${scoreText(tt.max)}`)),
            h('div', { class: 'table-wrap' }, h('table', { class: 'data-table', id: 'quality-calibration' },
                h('caption', {}, tn('quality.calibration_caption')), h('thead', {}, head), h('tbody', {}, rows, total))),
            c.other_form_reviews ? h('p', { class: 'hint' }, tn('quality.other_form', { n: c.other_form_reviews })) : null);
    }).catch((e) => {
        body.replaceChildren();
        messages.error(e);
    });
    return h('section', { class: 'page page-quality-calibration' },
        pageTitle('quality.calibration_title', { id }),
        h('p', {}, h('a', { href: `#/quality/review?call=${id}` }, tn('quality.back_review'))),
        h('p', { class: 'lead' }, tn('quality.calibration_intro')),
        messages.el, body);
}

/* ---- the agent's own reviews ---- */

export function renderMine() {
    const messages = messageArea();
    const list = h('div', { id: 'my-reviews' }, h('p', { class: 'loading' }, tn('common.loading')));

    function answerText(q, v) {
        if (v === 'yes' || v === 'no' || v === 'na')
            return t(`quality.answer.${v}`);
        return `${v} / ${q.max}`;
    }

    function card(r) {
        const form = r.form_definition;
        const sectionScore = {};
        for (const s of r.sections || [])
            sectionScore[s.id] = s;
        const comment = h('textarea', { name: 'agent_comment', rows: '3', maxlength: '2000', dir: 'auto' });
        const ack = h('button', { type: 'submit', class: 'btn btn-primary', dataset: { action: 'acknowledge' } },
            tn('quality.acknowledge'));
        const problem = h('div');
        const ackForm = h('form', { class: 'form', novalidate: true },
            field({ label: 'quality.your_comment', control: comment, hint: 'quality.your_comment_hint' }), problem,
            h('div', { class: 'actions' }, ack));
        ackForm.addEventListener('submit', async (ev) => {
            ev.preventDefault();
            try {
                const body = comment.value.trim() ? { comment: comment.value.trim() } : {};
                const done = await whileBusy(ack, 'common.working', () => api('POST', `/api/v1/quality/reviews/${r.id}/acknowledge`, body));
                el.replaceWith(card(done));
                messages.show('success', tn('quality.acknowledged_done'));
            } catch (e) {
                problem.replaceChildren(alertBox('error', errorText(e)));
            }
        });
        const el = h('article', { class: 'panel quality-card', dataset: { review: String(r.id), acknowledged: String(r.acknowledged) } },
            h('h2', {}, tn('quality.call_heading', { id: r.call }), ' ',
                h('bdi', { class: 'quality-score', dataset: { score: String(r.score) } }, scoreText(r.score)),
                r.failed ? [' ', badge('danger', tn('quality.failed'))] : null),
            h('p', { class: 'hint' }, tn('quality.reviewed_by', { name: r.reviewer.name, date: formatDateTime(r.updated_at) })),
            r.comment ? h('blockquote', { class: 'quality-comment', dir: 'auto' }, r.comment) : null,
            form ? form.sections.map((s) => h('section', { class: 'quality-section' },
                h('h3', {}, textOf(s.name), ' ', h('span', { class: 'hint' },
                    sectionScore[s.id] ? scoreText(sectionScore[s.id].score) : '')),
                h('ul', {}, s.questions.map((q) => h('li', { dataset: { question: q.id } }, textOf(q.text), ' — ',
                    h('strong', {}, answerText(q, r.answers[q.id]))))))) : null,
            r.acknowledged
                ? h('p', { class: 'quality-acknowledged' }, badge('ok', tn('quality.acknowledged_on', { date: formatDateTime(r.acknowledged_at) })),
                    r.agent_comment ? [' ', h('span', { class: 'quality-agent-comment', dir: 'auto' }, r.agent_comment)] : null)
                : ackForm);
        return el;
    }

    api('GET', '/api/v1/quality/reviews?full=1').then((d) => {
        list.replaceChildren(...(d.items.length ? d.items.map(card) : [h('p', {}, tn('quality.none_yet'))]));
    }).catch((e) => {
        list.replaceChildren();
        messages.error(e);
    });
    return h('section', { class: 'page page-my-reviews' },
        pageTitle('quality.mine_title'),
        h('p', { class: 'lead' }, tn('quality.mine_intro')),
        messages.el, list);
}
