/*
 * The review queue: versions sent for review, oldest first, each with what
 * changed since the version before it, and approve (effective on a date, today
 * by default) or reject (a note for the author is required). Nobody approves
 * their own text: the server refuses, and the page says so.
 */
import { api, withQuery } from '../api.js';
import { h, uid } from '../dom.js';
import { dayNode, dirOf, guideTabs, nativeName, statusBadge, todayInMorocco } from '../guide.js';
import { formatDateTime, plural, tf, tn } from '../i18n.js';
import { alertBox, errorText, pageTitle, whileBusy } from '../ui.js';
import { diffHref, diffView, versionsHref } from './guide_manage.js';
import { questionsEditor } from '../briefings.js';

/* The version this one changes: the newest earlier version in its language. */
async function previousOf(v) {
    const data = await api('GET', withQuery(`/api/v1/guide/articles/${encodeURIComponent(v.slug)}/versions`, { lang: v.lang }));
    const earlier = (data.versions || []).filter((x) => x.lang === v.lang && x.version < v.version)
        .sort((a, b) => b.version - a.version);
    return earlier.find((x) => x.status === 'published') || earlier[0] || null;
}

function reviewCard(v, ctx, onDone) {
    const result = h('div', { class: 'review-result', role: 'status' });
    const problem = h('div', { class: 'review-problem' });
    const changes = h('div', { class: 'review-changes' });
    const details = h('details', { class: 'review-details' },
        h('summary', {}, tn('guide.review.show_changes')), changes);
    let loaded = false;
    details.addEventListener('toggle', async () => {
        if (!details.open || loaded)
            return;
        loaded = true;
        changes.replaceChildren(h('p', { class: 'loading' }, tn('common.loading')));
        try {
            const prev = await previousOf(v);
            if (!prev) {
                changes.replaceChildren(alertBox('info', tn('guide.review.first_version')));
                return;
            }
            const d = await api('GET', withQuery('/api/v1/guide/diff', { from: prev.id, to: v.id }));
            changes.replaceChildren(
                h('p', { class: 'hint' }, tn('guide.review.compared_with', { version: prev.version }), ' ',
                    h('a', { href: diffHref(prev.id, v.id) }, tn('guide.review.open_diff'))),
                diffView(d, { level: 3 }));
        } catch (e) {
            loaded = false;
            changes.replaceChildren(alertBox('error', errorText(e)));
        }
    });

    const dateId = uid('eff');
    const noteId = uid('note');
    const rejectId = uid('rej');
    const today = todayInMorocco();
    const date = h('input', { type: 'date', id: dateId, name: 'effective_on', value: today, min: today, required: true });
    const note = h('input', { type: 'text', id: noteId, name: 'note', maxlength: '1000', dir: 'auto' });
    const rejectNote = h('textarea', { id: rejectId, name: 'reject_note', rows: '2', maxlength: '1000', dir: 'auto' });
    const approve = h('button', { type: 'button', class: 'btn btn-primary', dataset: { action: 'approve' } }, tn('guide.review.approve'));
    const reject = h('button', { type: 'button', class: 'btn btn-danger', dataset: { action: 'reject' } }, tn('guide.review.reject'));
    /* An amendment is briefed to the agents of its language: the questions go with it. */
    const questions = questionsEditor();
    const forms = h('div', { class: 'review-forms' },
        h('div', { class: 'review-form review-approve' },
            h('div', { class: 'field' }, h('label', { for: dateId }, tn('guide.review.effective_on')),
                h('p', { class: 'hint' }, tn('guide.review.effective_hint')), date),
            h('div', { class: 'field' }, h('label', { for: noteId }, tn('guide.review.note_optional')), note),
            questions.el,
            approve),
        h('div', { class: 'review-form review-reject' },
            h('div', { class: 'field' }, h('label', { for: rejectId }, tn('guide.review.reject_note')),
                h('p', { class: 'hint' }, tn('guide.review.reject_hint')), rejectNote),
            reject));

    const status = statusBadge(v.status);
    const card = h('article', { class: 'card review-card', dataset: { id: String(v.id), slug: v.slug, lang: v.lang, version: String(v.version) } },
        h('header', { class: 'review-head' },
            h('h2', { lang: v.lang, dir: dirOf(v.lang) }, v.title),
            h('p', { class: 'review-meta' },
                h('code', { dir: 'ltr' }, v.slug), ' · ', nativeName(v.lang), ' · ', `v${v.version}`, ' ', status),
            h('p', { class: 'review-meta' },
                tn('guide.review.by', { author: v.author, date: formatDateTime(v.created_at) }), ' · ',
                h('a', { href: versionsHref(v.slug, v.lang) }, tn('guide.review.history'))),
            h('p', { class: 'review-reason' }, h('strong', {}, tn('guide.field.reason')), ' ', h('span', { dir: 'auto' }, v.reason || '—'))),
        details,
        forms,
        problem,
        result);

    approve.addEventListener('click', async () => {
        problem.replaceChildren();
        if (!date.value) {
            problem.replaceChildren(alertBox('error', tn('guide.review.date_required')));
            date.focus();
            return;
        }
        let asked;
        try {
            asked = questions.value();
        } catch (e) {
            problem.replaceChildren(alertBox('error', tn(e.message)));
            return;
        }
        try {
            const body = { effective_on: date.value };
            if (note.value.trim())
                body.note = note.value.trim();
            if (asked.length)
                body.questions = asked;
            const r = await whileBusy(approve, 'common.working', () => api('POST', `/api/v1/guide/versions/${v.id}/approve`, body));
            forms.remove();
            status.replaceWith(statusBadge(r.status));
            card.dataset.done = 'approved';
            result.replaceChildren(alertBox('success',
                r.effective_on && r.effective_on > today
                    ? tf('guide.review.approved_future', { date: dayNode(r.effective_on) })
                    : tn('guide.review.approved_now')));
            onDone();
        } catch (e) {
            const el = alertBox('error', errorText(e));
            el.dataset.code = e.code || '';
            problem.replaceChildren(el);
        }
    });
    reject.addEventListener('click', async () => {
        problem.replaceChildren();
        if (!rejectNote.value.trim()) {
            problem.replaceChildren(alertBox('error', tn('guide.review.reject_note_required')));
            rejectNote.setAttribute('aria-invalid', 'true');
            rejectNote.focus();
            return;
        }
        try {
            const r = await whileBusy(reject, 'common.working', () => api('POST', `/api/v1/guide/versions/${v.id}/reject`, { note: rejectNote.value.trim() }));
            forms.remove();
            status.replaceWith(statusBadge(r.status));
            card.dataset.done = 'rejected';
            result.replaceChildren(alertBox('info', tn('guide.review.rejected')));
            onDone();
        } catch (e) {
            const el = alertBox('error', errorText(e));
            el.dataset.code = e.code || '';
            problem.replaceChildren(el);
        }
    });
    return card;
}

export async function render(ctx) {
    const list = h('div', { class: 'review-list', id: 'review-list' });
    const count = h('p', { class: 'hint', role: 'status' });
    let pending = 0;
    const done = () => {
        pending = Math.max(0, pending - 1);
        count.textContent = plural('guide.review.count', pending);
    };
    try {
        const data = await api('GET', '/api/v1/guide/review');
        const versions = data.versions || [];
        pending = versions.length;
        count.textContent = plural('guide.review.count', pending);
        list.replaceChildren(...versions.map((v) => reviewCard(v, ctx, done)));
        if (!versions.length)
            list.replaceChildren(h('p', { class: 'card empty' }, tn('guide.review.none')));
    } catch (e) {
        list.replaceChildren(alertBox('error', errorText(e)));
    }
    return h('section', { class: 'page page-guide-review' },
        pageTitle('guide.review.title'),
        guideTabs(ctx.user, 'guide/edit/review'),
        h('p', { class: 'lead' }, tn('guide.review.intro')),
        count,
        list);
}
