/*
 * The JSON API client: sends the CSRF token and JSON content type on every
 * state-changing request, turns error replies into ApiError objects, and tells
 * the app when the session is gone or a password change is required.
 */

export class ApiError extends Error {
    constructor({ status = 0, code = 'network', message = '', field = null, requestId = null, retryAfter = null } = {}) {
        super(message || code);
        this.name = 'ApiError';
        this.status = status;
        this.code = code;
        this.field = field;
        this.requestId = requestId;
        this.retryAfter = retryAfter; /* seconds, from the Retry-After header */
    }
}

let csrfToken = null;
const authListeners = new Set();

export function setCsrfToken(token) {
    csrfToken = token || null;
}

/* fn(error) is called when a request of a logged-in user fails with
 * auth.required, auth.session_expired or auth.password_change_required. */
export function onAuthProblem(fn) {
    authListeners.add(fn);
    return () => authListeners.delete(fn);
}

const AUTH_PROBLEMS = new Set(['auth.required', 'auth.session_expired', 'auth.password_change_required']);

/* api('GET', '/api/v1/users') -> parsed JSON, or null for 204.
 * Throws ApiError; status 0 and code 'network' when the server is unreachable.
 * opts.quietAuth: do not notify the auth listeners (used by the session probe).
 * opts.signal: an AbortSignal; an aborted request throws code 'aborted'.
 * opts.idempotencyKey: sent as Idempotency-Key (see requestKeys()). */
export async function api(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    const unsafe = method !== 'GET' && method !== 'HEAD';
    if (unsafe) {
        headers['Content-Type'] = 'application/json';
        if (csrfToken)
            headers['X-CSRF-Token'] = csrfToken;
        if (opts.idempotencyKey)
            headers['Idempotency-Key'] = opts.idempotencyKey;
    }
    let res;
    try {
        res = await fetch(path, {
            method,
            headers,
            body: body === undefined ? undefined : JSON.stringify(body),
            credentials: 'same-origin',
            cache: 'no-store',
            signal: opts.signal,
        });
    } catch (e) {
        if (e && e.name === 'AbortError')
            throw new ApiError({ status: 0, code: 'aborted', message: 'aborted' });
        throw new ApiError({ status: 0, code: 'network', message: String(e && e.message) });
    }
    if (res.status === 204)
        return null;
    let data = null;
    let text = '';
    try {
        text = await res.text();
    } catch (e) {
        if (e && e.name === 'AbortError')
            throw new ApiError({ status: 0, code: 'aborted', message: 'aborted' });
        throw new ApiError({ status: 0, code: 'network', message: String(e && e.message) });
    }
    if (text) {
        try {
            data = JSON.parse(text);
        } catch (e) {
            data = null;
        }
    }
    if (res.ok)
        return data;
    const e = (data && data.error) || {};
    const retry = Number.parseInt(res.headers.get('Retry-After') || '', 10);
    const err = new ApiError({
        status: res.status,
        code: e.code || `http.${res.status}`,
        message: e.message || res.statusText,
        field: e.field || null,
        requestId: e.request_id || res.headers.get('X-Request-Id'),
        retryAfter: Number.isFinite(retry) ? retry : null,
    });
    if (!opts.quietAuth && AUTH_PROBLEMS.has(err.code))
        for (const fn of authListeners)
            fn(err);
    throw err;
}

/* Builds "path?a=1&b=2" leaving out empty values. */
/* Keys for a form that creates something: sending the same body again (the
 * answer was lost: a network cut, the server's database gone during the
 * save) reuses the key, so the server answers with what the first request
 * created instead of creating it twice; a changed body gets a new key.
 * crypto.getRandomValues works on plain http too, unlike randomUUID. */
export function requestKeys() {
    let lastBody = null;
    let key = null;
    return (body) => {
        const text = JSON.stringify(body);
        if (text !== lastBody) {
            const bytes = crypto.getRandomValues(new Uint8Array(16));
            key = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
            lastBody = text;
        }
        return key;
    };
}

export function withQuery(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
        if (v !== null && v !== undefined && v !== '')
            q.set(k, String(v));
    const s = q.toString();
    return s ? `${path}?${s}` : path;
}
