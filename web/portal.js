/*
 * The citizens' portal (/portal.html): no login, the center's languages with a
 * switcher (Arabic right to left), large type for readers who are often
 * elderly, one column on a phone. Three things: file a complaint, suggestion
 * or observation; follow a case with its reference and PIN; rate how a
 * resolved case was handled; and the center's published figures. Views are
 * hash routes: "" (the choices), "#file", "#track" ("#track?ref=ABC-DEF-GHJ"
 * fills the reference in) and "#figures" ("#figures?month=2026-11").
 * "?lang=ar" in the address picks the language of a link sent to a citizen.
 */
import { h } from './js/dom.js';
import { LANGUAGES, isLanguage, language, loadLanguages, onLanguageChange, preferredLanguage, setLanguage, t, tn, translateTree } from './js/i18n.js';
import { alertBox } from './js/ui.js';
import * as filing from './js/portal/file.js';
import * as tracking from './js/portal/track.js';
import * as figures from './js/portal/figures.js';

const main = document.getElementById('portal-main');
let refocus = null; /* a language button to give the focus back to after a redraw */

function home(ctx) {
    const choice = (view, titleKey, textKey) => h('a', { class: 'portal-choice', href: `#${view}`, dataset: { view } },
        h('span', { class: 'portal-choice-text' },
            h('span', { class: 'portal-choice-title' }, tn(titleKey)),
            h('span', { class: 'portal-choice-hint' }, tn(textKey))));
    return h('section', { class: 'portal-page portal-home' },
        h('h1', { tabindex: '-1' }, tn('portal.home.title')),
        h('p', { class: 'lead' }, tn('portal.home.intro')),
        h('div', { class: 'portal-choices' },
            choice('track', 'portal.home.track', 'portal.home.track_hint'),
            choice('file', 'portal.home.file', 'portal.home.file_hint'),
            choice('figures', 'portal.home.figures', 'portal.home.figures_hint')),
        h('p', { class: 'hint portal-privacy' }, tn('portal.privacy_note')),
        ctx.notice);
}

const VIEWS = { '': home, file: filing.render, track: tracking.render, figures: figures.render };

function currentView() {
    const v = (location.hash || '').replace(/^#\/?/, '').split('?')[0];
    return Object.prototype.hasOwnProperty.call(VIEWS, v) ? v : '';
}

function viewParams() {
    const hash = location.hash || '';
    const q = hash.indexOf('?');
    return new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
}

/* Goes to a view; "track" with a reference to fill in. */
function go(view, params = null) {
    const q = params ? `?${new URLSearchParams(params)}` : '';
    const target = view ? `#${view}${q}` : '#';
    if (location.hash === target || (!view && !location.hash))
        show({ focus: true });
    else
        location.hash = target;
}

function drawLanguages() {
    const list = document.getElementById('portal-lang-list');
    list.replaceChildren(...LANGUAGES.map((l) => {
        const b = h('button', {
            type: 'button', class: 'portal-lang', lang: l.code, dir: l.dir, dataset: { lang: l.code },
            'aria-pressed': String(l.code === language()),
        }, l.name);
        b.addEventListener('click', async () => {
            if (l.code === language())
                return;
            refocus = l.code;
            await setLanguage(l.code);
        });
        return h('li', {}, b);
    }));
}

/* Draws the current view; focus: move the focus to its title (a new view). */
async function show({ focus = false } = {}) {
    translateTree(document.body);
    drawLanguages();
    const view = currentView();
    const ctx = { go, params: viewParams(), notice: null };
    let node;
    try {
        node = await VIEWS[view](ctx);
    } catch (e) {
        console.error('wasl portal: the page could not be drawn', e);
        node = alertBox('error', t('error.unexpected'));
    }
    main.replaceChildren(node);
    main.dataset.view = view || 'home';
    document.title = view ? `${t(`portal.${view}.title`)} · ${t('portal.brand')}` : t('portal.brand');
    if (refocus) {
        document.querySelector(`.portal-lang[data-lang="${refocus}"]`)?.focus();
        refocus = null;
    } else if (focus) {
        (main.querySelector('[data-autofocus]') || main.querySelector('h1'))?.focus();
    }
}

async function boot() {
    const asked = new URLSearchParams(location.search).get('lang');
    await loadLanguages();
    await setLanguage(isLanguage(asked) ? asked : preferredLanguage(), { silent: true, remember: isLanguage(asked) });
    onLanguageChange(() => show());
    window.addEventListener('hashchange', () => show({ focus: true }));
    document.getElementById('skip-link').addEventListener('click', (ev) => {
        ev.preventDefault();
        (main.querySelector('h1') || main).focus();
    });
    document.getElementById('portal-home-link').addEventListener('click', (ev) => {
        ev.preventDefault();
        go('');
    });
    await show();
}

boot().catch((e) => {
    console.error('wasl portal: could not start', e);
    main.replaceChildren(alertBox('error', 'This page could not start. Reload it. / تعذر تشغيل هذه الصفحة. أعيدوا تحميلها.'));
});
