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

/* A <select> of the consular posts grouped by country, names in the UI
 * language, countries in alphabetical order except `first` (the caller's
 * country), whose group comes at the top. emptyLabel: the text of the empty
 * first option. */
export function consulateSelect(geo, { selected = '', first = '', emptyLabel = '', name = 'consulate', id = null } = {}) {
    const byCountry = new Map();
    for (const c of geo.consulates) {
        if (!byCountry.has(c.country))
            byCountry.set(c.country, []);
        byCountry.get(c.country).push(c);
    }
    const order = [...byCountry.keys()].sort((a, b) => {
        if (a === first || b === first)
            return a === first ? -1 : 1;
        return countryName(geo, a).localeCompare(countryName(geo, b), language());
    });
    return h('select', { name, id },
        h('option', { value: '', selected: !selected }, emptyLabel),
        order.map((iso) => h('optgroup', { label: countryName(geo, iso) },
            byCountry.get(iso).map((c) => h('option', { value: c.code, selected: c.code === selected }, consulateLabel(geo, c.code))))));
}

/* The covered countries as <option>s, in alphabetical order of their names. */
export function countryOptions(geo, selected = '', emptyLabel = '') {
    const list = [...geo.countries].sort((a, b) => countryName(geo, a.iso2).localeCompare(countryName(geo, b.iso2), language()));
    return [h('option', { value: '', selected: !selected }, emptyLabel),
        ...list.map((c) => h('option', { value: c.iso2, selected: c.iso2 === selected }, countryName(geo, c.iso2)))];
}
