// The report as HTML: built from a data dir with something in every part, and from an empty one;
// what it shows is what the data says, text from the data dir is escaped, unreadable inputs are
// named, and the charts' own arithmetic (ticks, bins, gaps) is right.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { gatherReportData } from '../src/app/report-inputs.js';
import { EVALUATION_FORMAT, type EvaluationRun } from '../src/eval/evaluation-run.js';
import { evaluationsDir, listEvaluations, saveEvaluation } from '../src/eval/evaluation-store.js';
import { summarizeEvaluation } from '../src/eval/evaluation-summary.js';
import { INDEX_FILE } from '../src/episode/episode-index.js';
import { niceTicks } from '../src/report/chart-scale.js';
import { evaluationMatrix } from '../src/report/evaluation-matrix.js';
import { ReportBuilder } from '../src/report/report-builder.js';
import { SvgBarChart } from '../src/report/svg-bar-chart.js';
import { SvgHistogram } from '../src/report/svg-histogram.js';
import { SvgLineChart } from '../src/report/svg-line-chart.js';
import { runsDir } from '../src/tpo/run-directory.js';
import { scratchDir } from './helpers/policy-fixtures.js';
import {
  FIXTURE_POLICIES,
  FIXTURE_SPLITS,
  reportFixtureDir,
  writeFixtureRun,
} from './helpers/report-fixture.js';

const count = (text: string, pattern: RegExp) => text.match(pattern)?.length ?? 0;

function evaluation(id: string, minute: number, label: string, greedy = true): EvaluationRun {
  return {
    format: EVALUATION_FORMAT,
    id,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString(),
    label,
    policy: { checkpointId: 'm@1/base', modelDir: '/m', chosenAs: 'promoted' },
    split: 'in-domain',
    decoding: { greedy, temperature: 1, topK: 0, seed: 0 },
    episodes: [
      {
        taskId: 'lift',
        seed: 0,
        episodeId: `${id}-0`,
        success: minute % 2 === 0,
        steps: 50,
        collisions: 0,
        pathLength: 1,
      },
    ],
  };
}

describe('report from a data dir', () => {
  it('shows every part the data dir holds, with the figures the evaluations give', () => {
    const dataDir = reportFixtureDir();
    const data = gatherReportData(dataDir);
    assert.equal(data.evaluations.length, FIXTURE_POLICIES.length * FIXTURE_SPLITS.length);
    assert.equal(data.trainingRuns.length, 2);
    assert.ok(data.episodes.length > 0 && data.scores.length > 0 && data.pairs.length > 0);
    assert.deepEqual(data.unreadable, []);
    const { html, sections } = new ReportBuilder(data).build();
    assert.deepEqual(
      sections.map((s) => [s.id, s.present]),
      [
        ['success', true],
        ['safety', true],
        ['scores', true],
        ['pairs', true],
        ['training', true],
      ],
    );
    // success 1, safety 3 (collision rate, steps, path length), scores 1, pairs 1, training: sft 1 + tpo 2.
    assert.equal(count(html, /<svg /g), 9);
    assert.equal(count(html, /<script/gi), 0);
    assert.deepEqual([...new Set(html.match(/https?:\/\/[^"' )]+/g))], ['http://www.w3.org/2000/svg']);
    // The overall success of one evaluation, as the evaluation summary computes it, is in the table.
    const last = data.evaluations.at(-1)!;
    const o = summarizeEvaluation(last.episodes).overall;
    const pct = (v: number) => `${(100 * v).toFixed(0)}%`;
    assert.ok(
      html.includes(
        `${pct(o.successRate)} (${pct(o.successInterval.low)}–${pct(o.successInterval.high)}) · ${o.episodes} ep`,
      ),
    );
    for (const p of FIXTURE_POLICIES) assert.ok(html.includes(p.label));
    // The demonstrations and rollouts recorded outside evaluations are listed by who acted.
    assert.match(html, /expert:scripted/);
    assert.match(
      html,
      /<td>grape-default@1\/tpo-2<\/td><td>grape-default@1\/tpo-1<\/td><td>tpo<\/td><td>[^<]+<\/td><td>yes<\/td>/,
    );
  });

  it('says plainly what is absent in an empty data dir, and creates nothing there', () => {
    const dataDir = scratchDir('grape-report-empty-');
    const data = gatherReportData(dataDir);
    const { html, sections } = new ReportBuilder(data).build();
    assert.ok(sections.every((s) => !s.present));
    assert.equal(count(html, /<svg /g), 0);
    for (const text of [
      'No evaluations in this data dir: run grape eval',
      'No evaluations and no recorded episodes',
      'No GCPG scores in the episode index: run grape score.',
      'No preference pairs in the episode index: run grape pairs.',
      'No training runs (runs/) and no checkpoints: run grape train.',
    ])
      assert.ok(html.includes(text), text);
    assert.equal(existsSync(join(dataDir, INDEX_FILE)), false);
    assert.throws(() => gatherReportData(join(dataDir, 'nope')), /no data dir/);
  });

  it('escapes text from the data dir and names the inputs it could not read', () => {
    const dataDir = scratchDir('grape-report-bad-');
    saveEvaluation(dataDir, evaluation('eval-x', 0, '<script>alert("x")</script> & co'));
    writeFileSync(join(evaluationsDir(dataDir), 'torn.json'), '{"format":');
    // A run whose log was cut mid-line (a killed trainer): its good lines still draw.
    writeFixtureRun(dataDir, 'tpo-1', 'tpo', 'base', 20);
    appendFileSync(join(runsDir(dataDir), 'tpo-1', 'log.jsonl'), '{"type":"st');
    mkdirSync(join(runsDir(dataDir), 'not-a-run'));
    const data = gatherReportData(dataDir);
    assert.deepEqual(
      data.unreadable.map((u) => u.file.split('/').slice(-2).join('/')),
      ['evaluations/torn.json', 'runs/not-a-run', 'tpo-1/log.jsonl'],
    );
    assert.equal(data.trainingRuns[0]!.steps.length, 20);
    assert.equal(data.trainingRuns[0]!.heldOut.length, 2);
    const { html } = new ReportBuilder(data).build();
    assert.equal(count(html, /<script/gi), 0);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co'));
    assert.match(html, /Inputs that could not be read/);
    assert.match(html, /torn\.json: [^<]*not JSON/);
    assert.match(html, /1 line\(s\) are not JSON/);
  });
});

describe('evaluation matrix', () => {
  it('keeps policies in first-evaluated order, shows the latest per split, and sets sampled runs apart', () => {
    const dir = scratchDir('grape-report-matrix-');
    for (const r of [
      evaluation('e0', 0, 'A'),
      evaluation('e1', 1, 'B'),
      evaluation('e2', 2, 'A'),
      evaluation('e3', 3, 'A', false),
    ])
      saveEvaluation(dir, r);
    const m = evaluationMatrix(listEvaluations(dir).runs);
    assert.deepEqual(m.policies, ['A', 'B', 'A (sampled)']);
    assert.deepEqual(m.splits, ['in-domain']);
    assert.equal(m.superseded, 1);
    assert.equal(m.cell('A', 'in-domain')!.run.id, 'e2');
    assert.equal(m.cell('B', 'visual'), undefined);
  });
});

describe('charts', () => {
  it('puts ticks on round numbers covering the range', () => {
    assert.deepEqual(
      niceTicks(0, 1).values.map((v) => Number(v.toFixed(9))),
      [0, 0.2, 0.4, 0.6, 0.8, 1],
    );
    const t = niceTicks(-0.37, 2.41, 6);
    assert.equal(t.step, 0.5);
    assert.deepEqual(t.domain, [-0.5, 2.5]);
    assert.equal(t.format(1.5), '1.5');
    assert.equal(niceTicks(0, 0.9, 4).format(0.25), '0.25');
    assert.deepEqual(
      niceTicks(3, 3).domain.map((v) => Number(v.toFixed(9))),
      [2.6, 3.4],
    );
    assert.throws(() => niceTicks(1, Number.NaN), /finite range/);
  });

  it('counts every value into exactly one histogram bin', () => {
    const values = Array.from({ length: 97 }, (_, i) => Math.sin(i) * 3 + 1);
    const svg = new SvgHistogram({
      title: 't',
      series: [
        { name: 'a', values },
        { name: 'b', values: [0, 0, 4] },
      ],
      xLabel: 'x',
    }).toSvg();
    const binned = (name: string) =>
      [...svg.matchAll(new RegExp(`<title>${name}: (\\d+) in`, 'g'))].reduce((s, m) => s + Number(m[1]), 0);
    assert.equal(binned('a'), 97);
    assert.equal(binned('b'), 3);
    assert.throws(
      () => new SvgHistogram({ title: 'h', series: [{ name: 'a', values: [] }], xLabel: 'x' }),
      /no values/,
    );
  });

  it('marks a missing bar instead of drawing zero, and refuses malformed series', () => {
    const svg = new SvgBarChart({
      title: 'b',
      categories: ['in-domain', 'visual'],
      series: [{ name: 'P', values: [{ value: 0.5, low: 0.3, high: 0.7 }, undefined] }],
      xLabel: 'split',
      yLabel: 'rate',
      format: (v) => v.toFixed(2),
    }).toSvg();
    assert.equal(count(svg, /<rect /g), 1);
    assert.match(svg, /P: no value for visual/);
    assert.match(svg, /95% CI 0\.30–0\.70/);
    assert.throws(
      () =>
        new SvgBarChart({
          title: 'b',
          categories: ['a'],
          series: [{ name: 'P', values: [] }],
          xLabel: '',
          yLabel: '',
          format: String,
        }),
      /series "P" has 0 values for 1 categories/,
    );
    assert.throws(
      () =>
        new SvgLineChart({
          title: 'l',
          series: [{ name: 's', points: [[0, Number.NaN]] }],
          xLabel: '',
          yLabel: '',
        }),
      /non-finite point/,
    );
  });
});
