// DOM helpers without side effects, shared by the portal (through
// common.js) and the officers' console, which imports this file directly.

// Builds an element: el('p', {class: 'x'}, 'text', child, ...).
export function el(tag, attrs, ...children) {
    const svg = ['svg', 'g', 'rect', 'line', 'text', 'title', 'desc',
        'path'].includes(tag);
    const e = svg
        ? document.createElementNS('http://www.w3.org/2000/svg', tag)
        : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
        if (v === null || v === undefined || v === false) {
            continue;
        }
        if (k === 'text') {
            e.textContent = v;
        } else if (k.startsWith('on')) {
            e.addEventListener(k.slice(2), v);
        } else {
            e.setAttribute(k, v === true ? '' : v);
        }
    }
    for (const c of children.flat()) {
        if (c === null || c === undefined || c === false) {
            continue;
        }
        e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
}

export function clear(e) {
    while (e.firstChild) {
        e.removeChild(e.firstChild);
    }
    return e;
}
