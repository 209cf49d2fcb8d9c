/**
 * The one way the panel creates DOM: an element with a class and, optionally, text.
 *
 * Text is always set through `textContent`, so whatever the kernel sent (a column name such as
 * `<img src=x onerror=...>`) shows as the characters it is made of and is never parsed as markup.
 */

export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** A styled JupyterLab button that runs `onClick` once per click. */
export function button(
  label: string,
  testid: string,
  kind: 'accept' | 'reject' | 'plain',
  onClick: () => void
): HTMLButtonElement {
  const node = element('button', 'jp-Button jp-mod-styled', label);
  if (kind !== 'plain') {
    node.classList.add(kind === 'accept' ? 'jp-mod-accept' : 'jp-mod-reject');
  }
  node.type = 'button';
  node.dataset.testid = testid;
  node.addEventListener('click', event => {
    event.stopPropagation();
    onClick();
  });
  return node;
}
