/*
 * Guide briefings in the UI (docs/briefings.md): the diff of an amendment
 * with its insertions and deletions marked, in the article's language and
 * direction; the desk's panel of pending briefings with their questions and
 * the acknowledgement; the questions' editor on the review page.
 */
import { api } from './api.js';
import { h, uid } from './dom.js';
import { dayNode, dirOf, nativeName } from './guide.js';
import { formatDateTime, plural, t, tf, tn } from './i18n.js';
import { alertBox, errorText, whileBusy } from './ui.js';

export const QUESTIONS_MAX = 3; /* the server's BRIEF_QUESTIONS_MAX */

/* Unchanged text longer than this many lines keeps CONTEXT_LINES at each
 * end; the lines between are counted, not shown. */
const UNCHANGED_MAX = 8;
const CONTEXT_LINES = 2;

function unchanged(text) {
    const lines = text.split('\n');
    if (lines.length <= UNCHANGED_MAX)
        return text;
    const hidden = lines.length - 2 * CONTEXT_LINES;
    return [lines.slice(0, CONTEXT_LINES).join('\n'), '\n',
        h('span', { class: 'briefing-skip' }, plural('guide.diff.unchanged', hidden)), '\n',
        lines.slice(lines.length - CONTEXT_LINES).join('\n')];
}

/* The diff {fields: [{field, segments: [[op, text]]}], limited} as marked
 * text: removed words struck in <del>, added ones in <ins>, in the
 * article's language (Arabic right to left). */
export function diffNode(diff, lang) {
    const fields = (diff && diff.fields) || [];
    const body = h('div', { class: 'briefing-diff', lang, dir: dirOf(lang) },
        fields.map((f) => h('section', { class: 'briefing-field', dataset: { field: f.field } },
            h('h4', { class: 'briefing-field-name' }, tn(`guide.field.${f.field}`)),
            h('p', { class: 'briefing-text' }, f.segments.map(([op, text]) => {
                if (op === '+')
                    return h('ins', { title: t('guide.diff.legend_add') }, text);
                if (op === '-')
                    return h('del', { title: t('guide.diff.legend_del') }, text);
                return unchanged(text);
            })))));
    return h('div', { class: 'briefing-diff-wrap' },
        h('p', { class: 'diff-legend small' },
            h('ins', { class: 'briefing-key' }, tn('guide.diff.legend_add')), ' ',
            h('del', { class: 'briefing-key' }, tn('guide.diff.legend_del'))),
        diff && diff.limited ? alertBox('warning', tn('briefing.limited')) : null,
        fields.length ? body : h('p', { class: 'hint' }, tn('briefing.no_text_change')));
}

/* One pending briefing with its questions and the acknowledge button; done()
 * after it is acknowledged. */
function briefingCard(b, done) {
    const problem = h('div', { class: 'briefing-problem' });
    const inputs = (b.questions || []).map((q, i) => {
        const name = uid(`q${i}`);
        if (q.kind === 'choice')
            return {
                q,
                el: h('fieldset', { class: 'briefing-question', dataset: { kind: 'choice', index: String(i) } },
                    h('legend', { dir: 'auto' }, q.question),
                    q.choices.map((c, k) => h('label', { class: 'briefing-choice' },
                        h('input', { type: 'radio', name, value: String(k) }), ' ', h('span', { dir: 'auto' }, c)))),
                value: (el) => {
                    const x = el.querySelector('input:checked');
                    return x ? Number(x.value) : null;
                },
            };
        const id = uid('qa');
        return {
            q,
            el: h('div', { class: 'field briefing-question', dataset: { kind: 'text', index: String(i) } },
                h('label', { for: id, dir: 'auto' }, q.question),
                h('textarea', { id, rows: '2', maxlength: '500', dir: 'auto' })),
            value: (el) => el.querySelector('textarea').value.trim() || null,
        };
    });
    const ack = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'acknowledge' } }, tn('briefing.acknowledge'));
    const card = h('article', { class: 'card briefing-card', dataset: { id: String(b.id), slug: b.slug, lang: b.lang, version: String(b.version) } },
        h('header', {},
            h('h3', { lang: b.lang, dir: dirOf(b.lang) }, b.title),
            h('p', { class: 'review-meta' },
                h('code', { dir: 'ltr' }, b.slug), ' · ', nativeName(b.lang), ' · ',
                h('bdi', { dir: 'ltr' }, `v${b.from_version} → v${b.version}`)),
            h('p', { class: 'briefing-when' }, tf('briefing.applies_from', { date: dayNode(b.effective_on) }), ' · ',
                tn('briefing.published', { date: formatDateTime(b.published_at) })),
            b.reason ? h('p', { class: 'review-reason' }, h('strong', {}, tn('guide.field.reason')), ' ', h('span', { dir: 'auto' }, b.reason)) : null),
        diffNode(b.diff, b.lang),
        inputs.length ? h('div', { class: 'briefing-questions' }, h('h4', {}, tn('briefing.questions')), inputs.map((x) => x.el)) : null,
        problem,
        ack);
    ack.addEventListener('click', async () => {
        problem.replaceChildren();
        const answers = inputs.map((x) => x.value(x.el));
        const missing = answers.findIndex((a) => a === null);
        if (missing >= 0) {
            problem.replaceChildren(alertBox('error', tn('briefing.answer_all')));
            return;
        }
        try {
            const r = await whileBusy(ack, 'common.working', () => api('POST', `/api/v1/me/briefings/${b.id}/acknowledge`, { answers }));
            const expected = (r.questions || []).filter((q) => !q.choices);
            done(b, expected);
        } catch (e) {
            const el = alertBox('error', e.code === 'brief.wrong_answer' ? tn('briefing.wrong_answer') : errorText(e));
            el.dataset.code = e.code || '';
            problem.replaceChildren(el);
        }
    });
    return card;
}

/* The desk's briefings: a badge with the count in the page head that opens
 * the panel of pending briefings. */
export function deskBriefings() {
    const badge = h('span', { class: 'badge badge-warning briefing-count', id: 'briefing-count', hidden: true });
    const list = h('div', { class: 'briefing-list' });
    const note = h('div', { class: 'briefing-note', role: 'status' });
    const panel = h('section', { class: 'briefings-panel card', id: 'briefings', hidden: true, 'aria-labelledby': 'briefings-title' },
        h('h2', { id: 'briefings-title' }, tn('briefing.title')),
        h('p', { class: 'hint' }, tn('briefing.intro')),
        note,
        list);
    const button = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'briefings' }, 'aria-controls': 'briefings', hidden: true },
        tn('briefing.button'), ' ', badge);
    let pending = [];
    function draw() {
        badge.textContent = String(pending.length);
        badge.hidden = !pending.length;
        button.hidden = !pending.length && panel.hidden;
        button.setAttribute('aria-expanded', String(!panel.hidden));
        button.dataset.count = String(pending.length);
        button.title = plural('briefing.count', pending.length);
        list.replaceChildren(...pending.map((b) => briefingCard(b, (gone, expected) => {
            pending = pending.filter((x) => x.id !== gone.id);
            note.replaceChildren(alertBox('success', tn('briefing.acknowledged', { title: gone.title }),
                expected.length ? h('ul', {}, expected.map((q) => h('li', { dir: 'auto' }, q.question, ' — ', h('strong', {}, q.answer)))) : null));
            note.dataset.acknowledged = String(gone.id);
            draw();
        })));
        if (!pending.length)
            list.replaceChildren(h('p', { class: 'empty' }, tn('briefing.none')));
    }
    button.addEventListener('click', () => {
        panel.hidden = !panel.hidden;
        draw();
        if (!panel.hidden)
            panel.scrollIntoView({ block: 'nearest' });
    });
    async function refresh() {
        try {
            const d = await api('GET', '/api/v1/me/briefings');
            pending = d.briefings || [];
            draw();
            button.dataset.loaded = String(Date.now()); /* for the tests: the count shown is the server's */
        } catch (e) {
            /* briefings are shown when they can be read; the desk works without them */
        }
    }
    draw();
    return { button, panel, refresh };
}

/* The questions' editor for the review page: up to QUESTIONS_MAX, each a
 * written question (with the expected answer) or a multiple choice (one
 * choice a line, the right one by its number). value() gives the API's
 * questions, or throws a message key when one is incomplete. */
export function questionsEditor() {
    const rows = h('div', { class: 'briefing-editor-rows' });
    const add = h('button', { type: 'button', class: 'btn btn-small', dataset: { action: 'add-question' } }, tn('briefing.editor.add'));
    const items = [];
    function row() {
        const qid = uid('bq');
        const kid = uid('bk');
        const aid = uid('ba');
        const cid = uid('bc');
        const rid = uid('br');
        const question = h('input', { type: 'text', id: qid, name: 'question', maxlength: '300', dir: 'auto' });
        const kind = h('select', { id: kid, name: 'kind' },
            h('option', { value: 'text' }, t('briefing.editor.kind_text')),
            h('option', { value: 'choice' }, t('briefing.editor.kind_choice')));
        const answer = h('input', { type: 'text', id: aid, name: 'answer', maxlength: '300', dir: 'auto' });
        const choices = h('textarea', { id: cid, name: 'choices', rows: '3', dir: 'auto' });
        const right = h('input', { type: 'number', id: rid, name: 'right', min: '1', max: '5', value: '1', dir: 'ltr' });
        const textPart = h('div', { class: 'field' }, h('label', { for: aid }, tn('briefing.editor.expected')), answer);
        const choicePart = h('div', { class: 'briefing-editor-choices', hidden: true },
            h('div', { class: 'field' }, h('label', { for: cid }, tn('briefing.editor.choices')), h('p', { class: 'hint' }, tn('briefing.editor.choices_hint')), choices),
            h('div', { class: 'field' }, h('label', { for: rid }, tn('briefing.editor.right')), right));
        const remove = h('button', { type: 'button', class: 'btn btn-small btn-link', dataset: { action: 'remove-question' } }, tn('briefing.editor.remove'));
        const el = h('fieldset', { class: 'briefing-editor-row' },
            h('div', { class: 'field' }, h('label', { for: qid }, tn('briefing.editor.question')), question),
            h('div', { class: 'field' }, h('label', { for: kid }, tn('briefing.editor.kind')), kind),
            textPart, choicePart, remove);
        kind.addEventListener('change', () => {
            textPart.hidden = kind.value !== 'text';
            choicePart.hidden = kind.value !== 'choice';
        });
        const item = {
            el,
            value() {
                const q = question.value.trim();
                if (!q)
                    return null;
                if (kind.value === 'text') {
                    if (!answer.value.trim())
                        throw new Error('briefing.editor.need_answer');
                    return { question: q, answer: answer.value.trim() };
                }
                const cs = choices.value.split('\n').map((x) => x.trim()).filter(Boolean);
                const n = Number(right.value);
                if (cs.length < 2 || cs.length > 5 || !(n >= 1 && n <= cs.length))
                    throw new Error('briefing.editor.need_choices');
                return { question: q, choices: cs, answer: n - 1 };
            },
        };
        remove.addEventListener('click', () => {
            items.splice(items.indexOf(item), 1);
            el.remove();
            add.hidden = items.length >= QUESTIONS_MAX;
        });
        items.push(item);
        rows.append(el);
        add.hidden = items.length >= QUESTIONS_MAX;
    }
    add.addEventListener('click', row);
    const el = h('details', { class: 'briefing-editor' },
        h('summary', {}, tn('briefing.editor.title')),
        h('p', { class: 'hint' }, tn('briefing.editor.hint')),
        rows, add);
    return { el, value: () => items.map((x) => x.value()).filter(Boolean) };
}
