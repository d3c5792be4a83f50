// What "the viewer looks finished" means, measured in the page (test/layout.browser.test.ts): no
// text spills out of its box, and no label is squeezed into a column one character wide. Runs in
// Chromium through page.evaluate: plain DOM, no imports.

export interface LayoutProblem {
  /** What is wrong: 'overflows' (wider or taller than its box), 'one character per line', or an input's or a select's text cut ('placeholder cut', 'value cut', 'option cut'). */
  kind: string;
  /** The element, as a short CSS path with its classes. */
  where: string;
  text: string;
  /** Its box against its content, in px. */
  box: string;
}

/**
 * Every element under `selector` that holds text: its content fits its box (scrollWidth <=
 * clientWidth + 1, the same for height) unless it scrolls or cuts with an ellipsis by design
 * (overflow auto or scroll; hidden or clip with text-overflow: ellipsis); and an element whose own
 * text has 3 or more characters does not render it on 3 or more lines in a box narrower than 3 of
 * its characters. A text input's value (or, empty, its placeholder) fits its content box, and a
 * select is at least as wide as it would be showing only its chosen option: a filter box cut to
 * "Search URLs and" or a select showing "any sta" is as unfinished as a cut label.
 */
export function layoutProblems(selector: string): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  const canvas = document.createElement('canvas').getContext('2d')!;
  const where = (el: Element): string => {
    const parts: string[] = [];
    for (let e: Element | null = el; e && parts.length < 4 && e !== document.body; e = e.parentElement) {
      const testId = e.getAttribute('data-testid');
      parts.unshift(
        `${e.tagName.toLowerCase()}${testId ? `[data-testid=${testId}]` : ''}${[...e.classList].map((c) => `.${c}`).join('')}`,
      );
    }
    return parts.join(' > ');
  };
  const scrollsByDesign = (style: CSSStyleDeclaration, axis: 'x' | 'y'): boolean => {
    const overflow = axis === 'x' ? style.overflowX : style.overflowY;
    if (overflow === 'auto' || overflow === 'scroll') return true;
    // An ellipsis says the text goes on (its title or a wider pane shows the rest).
    return axis === 'x' && (overflow === 'hidden' || overflow === 'clip') && style.textOverflow === 'ellipsis';
  };
  // An input's text is not in the DOM: measured in its font against its content box. The
  // search box's clear button takes room only once something is typed; it counts then.
  const inputProblem = (el: HTMLInputElement): LayoutProblem | null => {
    if (!['text', 'search', 'url', 'email', 'number', 'tel', 'password'].includes(el.type)) return null;
    const text = el.value || el.placeholder;
    if (!text) return null;
    const style = getComputedStyle(el);
    canvas.font = style.font;
    const needed = Math.ceil(canvas.measureText(text).width) + (el.type === 'search' && el.value ? 16 : 0);
    const content = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    if (needed <= content + 1) return null;
    return {
      kind: el.value ? 'value cut' : 'placeholder cut',
      where: where(el),
      text,
      box: `${Math.round(content)} px holding ${needed} px`,
    };
  };
  // A select draws its arrow inside its padding, by the browser's theme: rather than guess its
  // width, a copy holding only the chosen option, sized to its content beside the original (the
  // same font and padding), is the width that shows it whole.
  const selectProblem = (el: HTMLSelectElement): LayoutProblem | null => {
    const chosen = el.selectedOptions[0];
    if (!chosen?.text.trim()) return null;
    const copy = el.cloneNode(false) as HTMLSelectElement;
    copy.removeAttribute('id');
    copy.appendChild(chosen.cloneNode(true));
    copy.style.cssText = 'position:absolute;visibility:hidden;width:auto;min-width:0;max-width:none;flex:none';
    el.parentElement!.appendChild(copy);
    const needed = copy.getBoundingClientRect().width;
    copy.remove();
    const width = el.getBoundingClientRect().width;
    if (needed <= width + 1) return null;
    return {
      kind: 'option cut',
      where: where(el),
      text: chosen.text.trim(),
      box: `${Math.round(width)} px holding ${Math.round(needed)} px`,
    };
  };
  for (const root of document.querySelectorAll(selector)) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (
        (el instanceof HTMLInputElement || el instanceof HTMLSelectElement) &&
        el.getClientRects().length > 0 &&
        getComputedStyle(el).visibility !== 'hidden'
      ) {
        const problem = el instanceof HTMLInputElement ? inputProblem(el) : selectProblem(el);
        if (problem) problems.push(problem);
        continue;
      }
      // A textarea scrolls; an option is drawn by its select (above).
      if (!(el instanceof HTMLElement) || ['SCRIPT', 'STYLE', 'OPTION', 'TEXTAREA'].includes(el.tagName)) continue;
      const text = (el.textContent ?? '').trim();
      if (!text || el.getClientRects().length === 0) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') continue;
      const label = text.length > 60 ? `${text.slice(0, 57)}…` : text;
      const box = `${el.clientWidth}x${el.clientHeight} holding ${el.scrollWidth}x${el.scrollHeight}`;
      // Inline boxes have no client size: their block (checked in turn) holds them. What a scroll
      // container holds (a virtual list's sizer, a wide table) may be larger than it: it scrolls.
      const parent = el.parentElement ? getComputedStyle(el.parentElement) : null;
      if (style.display !== 'inline') {
        const wide =
          el.scrollWidth > el.clientWidth + 1 &&
          !scrollsByDesign(style, 'x') &&
          !(parent && scrollsByDesign(parent, 'x') && parent.overflowX !== 'hidden');
        const tall =
          el.scrollHeight > el.clientHeight + 1 &&
          !scrollsByDesign(style, 'y') &&
          !(parent && scrollsByDesign(parent, 'y'));
        if (wide || tall) problems.push({ kind: 'overflows', where: where(el), text: label, box });
      }
      const own = [...el.childNodes]
        .filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent ?? '')
        .join('')
        .trim();
      if ([...own].length < 3) continue;
      canvas.font = style.font;
      const charWidth = canvas.measureText(own).width / [...own].length;
      const range = document.createRange();
      range.selectNodeContents(el);
      const lineTops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
      const width = el.getBoundingClientRect().width;
      if (lineTops.size >= 3 && width < 3 * charWidth)
        problems.push({
          kind: 'one character per line',
          where: where(el),
          text: label,
          box: `${Math.round(width)} px wide, ${lineTops.size} lines`,
        });
    }
  }
  return problems;
}
