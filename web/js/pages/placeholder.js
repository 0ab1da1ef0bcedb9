/*
 * The pages whose content later parts of wasl will bring (cases, supervision):
 * each says plainly what will appear there.
 */
import { h } from '../dom.js';
import { consulateNode, loadGeo } from '../geo.js';
import { tf, tn } from '../i18n.js';
import { badge, pageTitle } from '../ui.js';

/* name: cases | supervision; the texts are <name>.title,
 * <name>.coming (what will be here) and, for back-office users, cases.scope. */
export function placeholderPage(name) {
    return function render(ctx) {
        const u = ctx.user;
        let scope = null;
        if (name === 'cases' && u && u.consulate) {
            scope = h('p', { class: 'scope' }, tf('cases.scope', { consulate: h('bdi', { dir: 'ltr' }, u.consulate) }));
            loadGeo().then((geo) => scope.replaceChildren(tf('cases.scope', { consulate: consulateNode(geo, u.consulate) })))
                .catch(() => null); /* the code alone is still right */
        }
        return h('section', { class: 'page page-placeholder', dataset: { page: name } },
            h('div', { class: 'page-head' }, pageTitle(`${name}.title`), badge('neutral', tn('common.not_built_yet'))),
            h('div', { class: 'card' },
                h('p', { class: 'lead' }, tn(`${name}.coming`)),
                scope));
    };
}
