/*
 * A tiny DOM builder, so pages are written as code and never as HTML strings
 * (nothing from the server is ever parsed as markup).
 */

/* h('button', {class: 'btn', type: 'button', onclick: fn}, 'text', node, [more])
 * Attributes: on* functions become listeners; true sets an empty attribute;
 * false, null and undefined leave it out; `dataset` is an object. Children may
 * be strings, numbers, nodes, arrays, or null (skipped). */
export function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
        if (value === false || value === null || value === undefined)
            continue;
        if (name.startsWith('on') && typeof value === 'function')
            el.addEventListener(name.slice(2), value);
        else if (name === 'dataset')
            Object.assign(el.dataset, value);
        else if (name === 'class')
            el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
        else if (name === 'value' && 'value' in el)
            el.value = value;
        else if (name === 'checked' || name === 'selected')
            el[name] = Boolean(value);
        else
            el.setAttribute(name, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
}

export function append(el, children) {
    for (const c of children.flat(Infinity)) {
        if (c === null || c === undefined || c === false)
            continue;
        el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
}

let idCounter = 0;

/* A fresh id for label/aria pairs. */
export function uid(prefix = 'w') {
    idCounter += 1;
    return `${prefix}-${idCounter}`;
}
