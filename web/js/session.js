/*
 * The logged-in user: who it is, the CSRF token, and the navigation each role
 * sees. Owns logging in and out; the rest of the UI reads `user()`.
 */
import { api, setCsrfToken } from './api.js';

let current = null; /* {user, csrf_token, created_at, seen_at} or null */
const listeners = new Set();

export function user() {
    return current ? current.user : null;
}

export function onSessionChange(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
}

function set(s) {
    current = s;
    setCsrfToken(s ? s.csrf_token : null);
    for (const fn of listeners)
        fn(user());
}

/* Asks the server whether this browser has a session; null when not. */
export async function probe() {
    try {
        set(await api('GET', '/api/v1/session', undefined, { quietAuth: true }));
    } catch (e) {
        if (e.status !== 401)
            throw e;
        set(null);
    }
    return user();
}

export async function login(loginName, password) {
    set(await api('POST', '/api/v1/session', { login: loginName, password }));
    return user();
}

export async function logout() {
    try {
        await api('DELETE', '/api/v1/session', undefined, { quietAuth: true });
    } finally {
        set(null);
    }
}

/* The session ended on the server side (expired, disabled): forget it here. */
export function forget() {
    set(null);
}

export function updateUser(u) {
    if (current) {
        current = { ...current, user: u };
        for (const fn of listeners)
            fn(user());
    }
}

/* The main navigation of each role, in display order. The admin sees
 * everything; the pages themselves are in router.js. */
const NAV = {
    agent: ['agent', 'messages', 'cases', 'guide', 'scorecard', 'reviews', 'coaching'],
    supervisor: ['supervision', 'supervision/procedures', 'supervision/briefings', 'reports', 'staffing', 'quality', 'coaching', 'practice', 'messages', 'cases', 'guide'],
    editor: ['guide'],
    backoffice: ['cases'],
    admin: ['agent', 'supervision', 'supervision/procedures', 'supervision/briefings', 'reports', 'staffing', 'quality', 'coaching', 'practice', 'messages', 'cases', 'guide', 'admin/users', 'admin/audit', 'admin/privacy'],
};

export function navFor(role) {
    return NAV[role] || [];
}

const HOME = {
    agent: 'agent',
    supervisor: 'supervision',
    editor: 'guide',
    backoffice: 'cases',
    admin: 'admin/users',
};

/* The page a user lands on after logging in. */
export function homeFor(role) {
    return HOME[role] || 'account';
}

/* Pages that are not in the navigation but belong to a section of it: the
 * roles that may open each. Reading the guide is for every role that has it
 * in its navigation; writing is for editors; review and the gaps are for
 * editors and supervisors (as the API allows). A case is opened and read by
 * every role that has the cases in its navigation. */
const GUIDE_READERS = ['agent', 'supervisor', 'editor', 'admin'];
const CASE_WORKERS = ['agent', 'supervisor', 'backoffice', 'admin'];
const GUIDE_MANAGERS = ['supervisor', 'editor', 'admin'];
const SUBPAGES = {
    'guide/article': GUIDE_READERS,
    'guide/edit': GUIDE_MANAGERS,
    'guide/edit/versions': GUIDE_MANAGERS,
    'guide/edit/diff': GUIDE_MANAGERS,
    'guide/edit/article': ['editor'],
    'guide/edit/new': ['editor'],
    'guide/edit/review': ['editor', 'supervisor'],
    'guide/edit/synonyms': GUIDE_MANAGERS,
    'guide/edit/gaps': ['editor', 'supervisor'],
    wallboard: ['supervisor', 'admin'],
    'supervision/briefings': ['supervisor', 'editor', 'admin'], /* editors see how their amendments were read */
    'cases/new': CASE_WORKERS,
    'cases/view': CASE_WORKERS,
    scorecard: ['supervisor', 'admin'], /* any agent's, with ?agent= */
    'quality/review': ['supervisor', 'admin'],
    'quality/calibration': ['supervisor', 'admin'],
    'coaching/session': ['agent', 'supervisor', 'admin'],
    'coaching/progress': ['agent', 'supervisor', 'admin'], /* an agent: their own (the API refuses another's) */
    practice: ['agent'], /* from the desk's "Practice mode" (supervisors and admins have it in their navigation) */
};

export function mayVisit(role, route) {
    return navFor(role).includes(route) || Boolean(SUBPAGES[route] && SUBPAGES[route].includes(role));
}

/* The navigation entry a route belongs to: "guide" for "guide/edit/review". */
export function sectionOf(route) {
    return SUBPAGES[route] ? route.split('/')[0] : route;
}
