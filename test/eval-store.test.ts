// Where evaluations are kept: <data-dir>/evaluations/<id>.json, written once, read back checked;
// a folder with a broken file still lists the good ones and names the bad one.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { EVALUATION_FORMAT, type EvaluationRun } from '../src/eval/evaluation-run.js';
import {
  evaluationsDir,
  listEvaluations,
  loadEvaluation,
  newEvaluationId,
  saveEvaluation,
} from '../src/eval/evaluation-store.js';
import { scratchDir } from './helpers/policy-fixtures.js';

function evaluation(id: string, createdAt: string): EvaluationRun {
  return {
    format: EVALUATION_FORMAT,
    id,
    createdAt,
    label: 'SFT',
    policy: { checkpointId: 'm@1/base', modelDir: '/models/m', chosenAs: 'promoted' },
    split: 'visual',
    decoding: { greedy: false, temperature: 0.7, topK: 5, seed: 3 },
    sessionId: 'sess-1',
    episodes: [
      {
        taskId: 'lift',
        seed: 0,
        episodeId: 'ep-1',
        success: true,
        steps: 80,
        collisions: 1,
        pathLength: 1.5,
      },
    ],
  };
}

describe('evaluation store', () => {
  it('saves, loads and lists evaluations oldest first, and never overwrites one', () => {
    const dir = scratchDir('grape-eval-store-');
    assert.deepEqual(listEvaluations(dir), { runs: [], unreadable: [] });
    const later = evaluation('eval-b', '2026-02-01T00:00:00.000Z');
    const earlier = evaluation('eval-a-late-name', '2026-01-01T00:00:00.000Z');
    const path = saveEvaluation(dir, later);
    assert.equal(path, join(evaluationsDir(dir), 'eval-b.json'));
    saveEvaluation(dir, earlier);
    assert.deepEqual(loadEvaluation(dir, 'eval-b'), later);
    assert.deepEqual(
      listEvaluations(dir).runs.map((r) => r.id),
      ['eval-a-late-name', 'eval-b'],
    );
    assert.throws(() => saveEvaluation(dir, later), /evaluation eval-b already exists/);
    assert.throws(() => loadEvaluation(dir, 'eval-c'), /no evaluation eval-c/);
    assert.throws(() => loadEvaluation(dir, '../x'), /not a valid evaluation id/);
  });

  it('lists the readable evaluations and names the files it could not read', () => {
    const dir = scratchDir('grape-eval-store-');
    saveEvaluation(dir, evaluation('eval-ok', '2026-01-01T00:00:00.000Z'));
    writeFileSync(join(evaluationsDir(dir), 'torn.json'), '{"format": "grape-evaluation/1", "id"');
    const { runs, unreadable } = listEvaluations(dir);
    assert.deepEqual(
      runs.map((r) => r.id),
      ['eval-ok'],
    );
    assert.equal(unreadable.length, 1);
    assert.match(unreadable[0]!.file, /torn\.json$/);
    assert.match(unreadable[0]!.reason, /not JSON/);
  });

  it('makes ids that sort by time and do not collide', () => {
    const a = newEvaluationId(new Date('2026-03-04T05:06:07Z'));
    assert.match(a, /^eval-20260304-050607-[0-9a-f]{6}$/);
    assert.notEqual(newEvaluationId(), newEvaluationId());
    assert.equal(existsSync(evaluationsDir(scratchDir('grape-eval-store-'))), false);
  });
});
