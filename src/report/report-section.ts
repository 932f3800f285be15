// One section of the report: its anchor, its title, and its HTML — or a plain statement that the
// data it would show is not in the data dir, with the command that produces it.
import { escapeHtml } from './html-escape.js';

export interface ReportSection {
  id: string;
  title: string;
  /** false: its data is absent and `html` says so. */
  present: boolean;
  html: string;
}

export function absentSection(id: string, title: string, message: string): ReportSection {
  return { id, title, present: false, html: `<p class="absent">${escapeHtml(message)}</p>` };
}

export function paragraph(text: string, className = 'note'): string {
  return `<p class="${className}">${escapeHtml(text)}</p>`;
}
