// The report: one self-contained HTML file (inline CSS and SVG, no scripts, no network) with a
// header saying what the data dir holds, a section per figure set, and the inputs it could not read.
import { evaluationMatrix } from './evaluation-matrix.js';
import { escapeHtml } from './html-escape.js';
import { htmlTable } from './html-table.js';
import { pairSection } from './pair-section.js';
import type { ReportData } from './report-data.js';
import type { ReportSection } from './report-section.js';
import { REPORT_CSS } from './report-style.js';
import { safetySection } from './safety-section.js';
import { scoreSection } from './score-section.js';
import { successSection } from './success-section.js';
import { trainingSection } from './training-section.js';

export interface BuiltReport {
  html: string;
  sections: ReportSection[];
}

export class ReportBuilder {
  constructor(private readonly data: ReportData) {}

  sections(): ReportSection[] {
    const d = this.data;
    const matrix = evaluationMatrix(d.evaluations);
    return [
      successSection(matrix),
      safetySection(matrix, d.episodes),
      scoreSection(d.scores),
      pairSection(d.pairs),
      trainingSection(d.trainingRuns, d.checkpoints),
    ];
  }

  private inventory(): string {
    const d = this.data;
    const evaluationEpisodes = d.evaluations.reduce((a, e) => a + e.episodes.length, 0);
    return htmlTable(
      ['what', 'count'],
      [
        ['evaluations', `${d.evaluations.length} (${evaluationEpisodes} episodes)`],
        ['recorded episodes (index)', String(d.episodes.length)],
        ['scored episodes', String(d.scores.length)],
        ['preference pairs', String(d.pairs.length)],
        ['training runs', String(d.trainingRuns.length)],
        ['checkpoints', String(d.checkpoints.length)],
      ],
      'What the data dir holds',
    );
  }

  private unreadable(): string {
    const { unreadable } = this.data;
    if (unreadable.length === 0) return '';
    return (
      `<section id="unreadable"><h2>Inputs that could not be read</h2><ul class="unreadable">` +
      unreadable.map((u) => `<li>${escapeHtml(u.file)}: ${escapeHtml(u.reason)}</li>`).join('') +
      `</ul></section>`
    );
  }

  build(): BuiltReport {
    const sections = this.sections();
    const nav = sections
      .map(
        (s) =>
          `<li><a href="#${s.id}"${s.present ? '' : ' class="missing"'}>${escapeHtml(s.title)}${s.present ? '' : ' (no data)'}</a></li>`,
      )
      .join('');
    const body = sections
      .map((s) => `<section id="${s.id}"><h2>${escapeHtml(s.title)}</h2>${s.html}</section>`)
      .join('');
    const html =
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
      `<meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>grape report</title><style>${REPORT_CSS}</style></head><body><main>` +
      `<h1>grape report</h1>` +
      `<p class="meta">Data dir ${escapeHtml(this.data.dataDir)} · generated ${escapeHtml(this.data.generatedAt)}</p>` +
      `<nav><ul>${nav}</ul></nav>` +
      this.inventory() +
      body +
      this.unreadable() +
      `</main></body></html>\n`;
    return { html, sections };
  }
}
