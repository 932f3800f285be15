// Tables of the report: escaped cells, numeric columns right-aligned (a column is numeric when every
// cell of it starts like a number or a percentage).
import { escapeHtml } from './html-escape.js';

const NUMERIC = /^[-+−]?[\d.]+(%|$|\s\()/;

export function htmlTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  caption?: string,
): string {
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => NUMERIC.test(r[i] ?? '')));
  const cell = (tag: 'th' | 'td', text: string, i: number) =>
    `<${tag}${numeric[i] ? ' class="num"' : ''}>${escapeHtml(text)}</${tag}>`;
  return (
    `<table>${caption ? `<caption>${escapeHtml(caption)}</caption>` : ''}` +
    `<thead><tr>${headers.map((h, i) => cell('th', h, i)).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('')}</tbody></table>`
  );
}
