// Wiring: the HTML report of a data dir written to a file (<data-dir>/report/index.html unless
// another directory is named), for grape report and grape demo.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { ReportData } from '../report/report-data.js';
import { ReportBuilder, type BuiltReport } from '../report/report-builder.js';
import { gatherReportData } from './report-inputs.js';

export const REPORT_FILE = 'index.html';

export interface WrittenReport {
  path: string;
  data: ReportData;
  sections: BuiltReport['sections'];
}

export function writeReport(dataDir: string, outDir?: string): WrittenReport {
  const data = gatherReportData(dataDir);
  const { html, sections } = new ReportBuilder(data).build();
  const out = resolve(outDir ?? join(dataDir, 'report'));
  mkdirSync(out, { recursive: true });
  const path = join(out, REPORT_FILE);
  writeFileSync(path, html);
  return { path, data, sections };
}
