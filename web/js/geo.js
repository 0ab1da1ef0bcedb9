/*
 * Consular posts and countries from the public API, loaded once per page
 * (they change only with a release), and their names in the UI language.
 */
import { api } from './api.js';
import { h } from './dom.js';
import { language, t } from './i18n.js';

let cache = null;

/* Resolves to {consulates, countries}; a failed load is retried next time. */
export function loadGeo() {
    if (!cache) {
        cache = Promise.all([api('GET', '/api/v1/consulates'), api('GET', '/api/v1/countries')])
            .then(([c, k]) => ({ consulates: c.consulates || [], countries: k.countries || [] }))
            .catch((e) => {
                cache = null;
                throw e;
            });
    }
    return cache;
}

export function countryName(geo, iso) {
    const k = geo.countries.find((x) => x.iso2 === iso);
    return (k && k.name && (k.name[language()] || k.name.en)) || iso;
}

/* "Paris — consulat général", or null for an unknown code. */
export function consulateName(geo, code) {
    const c = geo && geo.consulates.find((x) => x.code === code);
    if (!c)
        return null;
    const city = language() === 'ar' && c.city_ar ? c.city_ar : c.city;
    return t('users.consulate_option', { city, kind: t(`consulate.kind.${c.kind}`) });
}

/* Plain text for an <option>: the code sits in a left-to-right isolate
 * (U+2066 .. U+2069) so "(FR-PAR)" stays whole inside Arabic text. */
export function consulateLabel(geo, code) {
    const name = consulateName(geo, code);
    return name ? `${name} \u2066(${code})\u2069` : code;
}

/* The same as DOM, where the code must not wrap at its hyphen either. */
export function consulateNode(geo, code) {
    const name = consulateName(geo, code);
    return h('span', { class: 'consulate' }, name ? `${name} ` : null,
        h('bdi', { dir: 'ltr', class: 'nowrap' }, name ? `(${code})` : code));
}
