/*
 * The wasl web shell: starts the UI language and the session, draws the
 * header (language switcher, role navigation, user box) and shows the page of
 * the current hash route, sending each user to the pages their role allows.
 */
import { api, onAuthProblem } from './js/api.js';
import { h } from './js/dom.js';
import { language, loadLanguages, onLanguageChange, preferredLanguage, setLanguage, t, tn, translateTree } from './js/i18n.js';
import { currentRoute, href, navigate, refresh, start } from './js/router.js';
import * as session from './js/session.js';
import { alertBox, errorText, languageOptions, pageTitle } from './js/ui.js';
import { stopPhoneBar, updatePhoneBar } from './js/phone_bar.js';
import * as accountPage from './js/pages/account.js';
import * as auditPage from './js/pages/admin_audit.js';
import * as briefingsPage from './js/pages/briefings.js';
import * as privacyPage from './js/pages/admin_privacy.js';
import * as usersPage from './js/pages/admin_users.js';
import * as caseFormPage from './js/pages/case_form.js';
import * as caseListPage from './js/pages/case_list.js';
import * as deskPage from './js/pages/desk.js';
import * as casePage from './js/pages/case_view.js';
import * as articlePage from './js/pages/guide_article.js';
import * as editorPages from './js/pages/guide_editor.js';
import * as gapsPage from './js/pages/guide_gaps.js';
import * as managePages from './js/pages/guide_manage.js';
import * as reviewPage from './js/pages/guide_review.js';
import * as searchPage from './js/pages/guide_search.js';
import * as synonymsPage from './js/pages/guide_synonyms.js';
import * as loginPage from './js/pages/login.js';
import * as messagesPage from './js/pages/messages.js';
import * as qualityPages from './js/pages/quality.js';
import * as coachingPages from './js/pages/coaching.js';
import * as practicePage from './js/pages/practice.js';
import * as reportsPage from './js/pages/reports.js';
import * as staffingPage from './js/pages/staffing.js';
import * as supervisionPage from './js/pages/supervision.js';
import * as statsPages from './js/pages/stats_pages.js';
import * as wallboardPage from './js/pages/wallboard.js';
import { stopTelephony } from './js/pages/supervision_tel.js';
import { stopLive } from './js/live.js';

/* Every page: who may see it is session.navFor(role); "account" is for all
 * logged-in users and "login" for everyone. */
const PAGES = {
    login: { render: loginPage.render, title: 'login.title', public: true },
    account: { render: accountPage.render, title: 'account.title', anyUser: true },
    agent: { render: deskPage.render, title: 'agent.title' },
    guide: { render: searchPage.render, title: 'guide.title' },
    'guide/article': { render: articlePage.render, title: 'guide.article.title' },
    'guide/edit': { render: managePages.renderList, title: 'guide.list.title' },
    'guide/edit/versions': { render: managePages.renderVersions, title: 'guide.versions.title_plain' },
    'guide/edit/diff': { render: managePages.renderDiff, title: 'guide.diff.title_plain' },
    'guide/edit/article': { render: editorPages.renderEditor, title: 'guide.edit.title_plain' },
    'guide/edit/new': { render: editorPages.renderNew, title: 'guide.new.title' },
    'guide/edit/review': { render: reviewPage.render, title: 'guide.review.title' },
    'guide/edit/synonyms': { render: synonymsPage.render, title: 'guide.synonyms.title' },
    'guide/edit/gaps': { render: gapsPage.render, title: 'guide.gaps.title' },
    cases: { render: caseListPage.render, title: 'cases.title' },
    'cases/new': { render: caseFormPage.render, title: 'cases.new.title' },
    'cases/view': { render: casePage.render, title: 'cases.view.title_plain' },
    supervision: { render: supervisionPage.render, title: 'supervision.title' },
    reports: { render: reportsPage.render, title: 'reports.title' },
    'supervision/procedures': { render: statsPages.renderProcedures, title: 'stats.procedures.title' },
    'supervision/briefings': { render: briefingsPage.render, title: 'briefing.list_title' },
    scorecard: { render: statsPages.renderScorecard, title: 'stats.scorecard.title' },
    wallboard: { render: wallboardPage.render, title: 'wallboard.title' },
    staffing: { render: staffingPage.render, title: 'staffing.title' },
    messages: { render: messagesPage.render, title: 'messages.title' },
    quality: { render: qualityPages.render, title: 'quality.title' },
    'quality/review': { render: qualityPages.renderReview, title: 'quality.review_title_plain' },
    'quality/calibration': { render: qualityPages.renderCalibration, title: 'quality.calibration_title_plain' },
    reviews: { render: qualityPages.renderMine, title: 'quality.mine_title' },
    coaching: { render: coachingPages.render, title: 'coaching.title' },
    'coaching/session': { render: coachingPages.renderSession, title: 'coaching.session_title' },
    'coaching/progress': { render: coachingPages.renderProgress, title: 'coaching.progress_title' },
    practice: { render: practicePage.render, title: 'practice.title' },
    'admin/users': { render: usersPage.render, title: 'users.title' },
    'admin/audit': { render: auditPage.render, title: 'audit.title' },
    'admin/privacy': { render: privacyPage.render, title: 'privacy.title' },
};

const main = document.getElementById('main');
let renderCount = 0;
let flashed = null; /* a notice shown once above the next page */
let afterLogin = null; /* where a user was going when the session ended */
let refocusId = null; /* an element outside the page to give the focus back to after the next render */

/* Shows a notice above the next page rendered: kind is error|warning|info|success. */
function flash(kind, text) {
    flashed = { kind, text };
}

const ctx = {
    flash,
    navigate,
    chooseLanguage: (code) => chooseLanguage(code),
    /* Called by the login page once the user is in. */
    async loggedIn(u) {
        await setLanguage(u.language, { silent: true });
        /* back where the session ended, if this user may be there */
        const back = afterLogin && (afterLogin === 'account' || session.mayVisit(u.role, afterLogin));
        const target = back ? afterLogin : session.homeFor(u.role);
        afterLogin = null;
        navigate(u.must_change_password ? 'account' : target, { replace: true });
    },
    /* Called by the account page once a required password change is done. */
    async passwordChanged() {
        const u = await session.probe();
        flash('success', t('account.password_changed'));
        navigate(u ? session.homeFor(u.role) : 'login', { replace: true });
    },
};

function routeKey(route) {
    return route.replace(/\//g, '_');
}

function drawChrome(route) {
    const u = session.user();
    translateTree(document.body);

    const select = document.getElementById('lang-select');
    select.replaceChildren(...languageOptions(language()));

    const nav = document.getElementById('main-nav');
    const list = document.getElementById('main-nav-list');
    const entries = u && !u.must_change_password ? session.navFor(u.role) : [];
    /* an article opened from the agent's desk belongs to the desk */
    const section = route === 'guide/article' && searchPage.searchRoute() === 'agent' && entries.includes('agent')
        ? 'agent' : session.sectionOf(route);
    list.replaceChildren(...entries.map((r) =>
        h('li', {},
            h('a', { href: href(r), dataset: { route: r }, 'aria-current': r === route ? 'page' : r === section ? 'true' : null },
                tn(`nav.${routeKey(r)}`)))));
    nav.hidden = entries.length === 0;
    updatePhoneBar(u, route);

    const box = document.getElementById('user-box');
    box.hidden = !u;
    if (u) {
        document.getElementById('user-name').textContent = u.display_name;
        document.getElementById('user-role').replaceChildren(tn(`role.${u.role}`));
        const account = document.getElementById('account-link');
        account.setAttribute('aria-label', t('app.account_of', { name: u.display_name }));
        if (route === 'account')
            account.setAttribute('aria-current', 'page');
        else
            account.removeAttribute('aria-current');
    }
}

function messagePage(titleKey, textKey) {
    const u = session.user();
    return h('section', { class: 'page' },
        pageTitle(titleKey),
        h('p', {}, tn(textKey)),
        h('p', {}, h('a', { href: href(u ? session.homeFor(u.role) : 'login') }, tn('app.go_home'))));
}

/* Decides what the current user sees at route, draws it, and moves the
 * focus to the page (its [data-autofocus] control, else its title) so keyboard
 * and screen-reader users land on the new content. */
async function show(route) {
    const seq = ++renderCount;
    const u = session.user();

    if (!u && route !== 'login') {
        if (route)
            afterLogin = route;
        navigate('login', { replace: true });
        return;
    }
    if (u && u.must_change_password && route !== 'account') {
        navigate('account', { replace: true });
        return;
    }
    if (u && (route === 'login' || route === '')) {
        navigate(session.homeFor(u.role), { replace: true });
        return;
    }

    const page = PAGES[route];
    let node;
    let titleKey;
    if (!page) {
        node = messagePage('app.not_found_title', 'app.not_found_text');
        titleKey = 'app.not_found_title';
    } else if (!page.public && !page.anyUser && !session.mayVisit(u.role, route)) {
        node = messagePage('app.forbidden_title', 'app.forbidden_text');
        titleKey = 'app.forbidden_title';
    } else {
        node = await page.render({ ...ctx, user: u, route });
        titleKey = page.title;
    }
    if (seq !== renderCount)
        return; /* a newer navigation won */

    drawChrome(route);
    /* the wallboard takes the whole screen: no header, navigation or footer */
    document.body.classList.toggle('wallboard-mode', route === 'wallboard' && Boolean(page) && node.id === 'wallboard');
    const notice = flashed ? alertBox(flashed.kind, flashed.text) : null;
    if (notice)
        notice.classList.add('flash');
    flashed = null;
    main.replaceChildren(...[notice, node].filter(Boolean));
    main.dataset.route = route;
    document.title = `${t(titleKey)} · wasl`;
    const keep = refocusId && document.getElementById(refocusId);
    refocusId = null;
    const target = keep || main.querySelector('[data-autofocus]') || main.querySelector('h1');
    if (target)
        target.focus({ preventScroll: Boolean(keep) });
}

/* The header switcher: applies at once, remembers on this browser, and for a
 * logged-in user stores the choice on the server so it follows them. */
async function chooseLanguage(code) {
    await setLanguage(code);
    if (!session.user())
        return;
    try {
        session.updateUser(await api('PATCH', '/api/v1/me', { language: code }));
    } catch (e) {
        flash('error', errorText(e));
        refresh();
    }
}

async function logout() {
    /* the pages that follow the server stop first: its event stream too */
    stopPhoneBar();
    stopTelephony();
    stopLive();
    try {
        await session.logout();
        flash('info', t('login.logged_out'));
    } catch (e) {
        flash('error', errorText(e));
    }
    afterLogin = null;
    navigate('login', { replace: true });
}

function wire() {
    document.getElementById('lang-select').addEventListener('change', (ev) => {
        /* arrow keys on the closed list change it: keep the focus there */
        refocusId = 'lang-select';
        chooseLanguage(ev.target.value);
    });
    document.getElementById('logout-button').addEventListener('click', logout);
    document.getElementById('skip-link').addEventListener('click', (ev) => {
        ev.preventDefault();
        const target = main.querySelector('h1') || main;
        target.focus();
    });
    onLanguageChange(() => refresh());
    onAuthProblem(async (err) => {
        if (err.code === 'auth.password_change_required') {
            await session.probe().catch(() => null);
            navigate('account', { replace: true });
            return;
        }
        if (!session.user())
            return;
        const route = currentRoute();
        session.forget();
        afterLogin = route;
        flash('warning', t('login.session_ended'));
        navigate('login', { replace: true });
    });
}

async function boot() {
    await loadLanguages();
    await setLanguage(preferredLanguage(), { remember: false });
    wire();
    let u = null;
    try {
        u = await session.probe();
    } catch (e) {
        flash('error', errorText(e));
    }
    if (u && u.language !== language())
        await setLanguage(u.language, { silent: true });
    start(show);
}

boot().catch((e) => {
    console.error('wasl: the UI could not start', e);
    main.replaceChildren(alertBox('error', 'wasl could not start. Reload the page; if it happens again, tell support.'));
});
