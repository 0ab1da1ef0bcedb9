/*
 * Hash routes (#/login, #/agent, #/admin/users, ...): parses location.hash,
 * calls the app's handler on every change, and navigates. Which user may see
 * which page is decided by the app (app.js), not here.
 */

let handler = null;

/* The route of the current hash: "admin/users" for "#/admin/users"; "" for none. */
export function currentRoute() {
    const hash = location.hash || '';
    if (!hash.startsWith('#/'))
        return '';
    return hash.slice(2).replace(/\/+$/, '').split('?')[0];
}

/* Query parameters after the route: "#/admin/audit?actor=admin". */
export function routeParams() {
    const hash = location.hash || '';
    const q = hash.indexOf('?');
    return new URLSearchParams(q >= 0 ? hash.slice(q + 1) : '');
}

export function href(route) {
    return `#/${route}`;
}

/* Goes to route; with replace, the current history entry is replaced (for
 * redirects, so Back does not bounce). Re-renders even when already there. */
export function navigate(route, { replace = false } = {}) {
    const target = href(route);
    if (location.hash === target) {
        if (handler)
            handler(currentRoute());
        return;
    }
    if (replace)
        history.replaceState(null, '', target);
    else
        history.pushState(null, '', target);
    if (handler)
        handler(currentRoute());
}

export function start(fn) {
    handler = fn;
    window.addEventListener('hashchange', () => {
        /* Only our own "#/..." hashes are routes; "#main" is the skip link. */
        if ((location.hash || '').startsWith('#/') || location.hash === '')
            handler(currentRoute());
    });
    handler(currentRoute());
}

export function refresh() {
    if (handler)
        handler(currentRoute());
}
