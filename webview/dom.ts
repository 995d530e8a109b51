/** Small DOM helpers the widgets share. */

export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, unknown> = {},
  ...kids: (Node | string)[]
): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props) as HTMLElementTagNameMap[K];
  e.append(...kids);
  return e;
};

/** Each cell's column name as data-label: narrow panels show rows as label/value lines (style.css). */
export function labelCells(row: HTMLTableRowElement, table: HTMLElement): void {
  const heads = table.querySelectorAll('thead th');
  [...row.cells].forEach((c, i) => (c.dataset.label = heads[i]?.textContent?.trim() ?? ''));
}

/** A table with a caption, column headers, one row per cell list, and a line when it is empty. */
export function dataTable(id: string, caption: string, headers: string[], rows: HTMLElement[][], empty: string): HTMLTableElement {
  const table = el(
    'table',
    { className: 'data', id },
    el('caption', { textContent: caption }),
    // Number columns (as the first row's cells say) are right-aligned, headers too.
    el(
      'thead',
      {},
      el('tr', {}, ...headers.map((t, i) => el('th', { scope: 'col', textContent: t, className: rows[0]?.[i]?.className.includes('num') ? 'num' : '' }))),
    ),
    el('tbody', {}, ...(rows.length ? rows.map((cells) => el('tr', {}, ...cells)) : [el('tr', {}, el('td', { colSpan: headers.length, textContent: empty }))])),
  );
  if (rows.length) for (const row of table.tBodies[0].rows) labelCells(row, table);
  return table;
}
