// The VLM client with the real `openai` package over HTTP, against a local OpenAI-compatible server
// answering with recorded replies: a valid spec, invalid JSON, schema violations, code, absurd numbers,
// a hang, 429 then success, a server without structured output. Each ends in a validated spec or a
// clear error, and the spec cache is untouched whenever it ends in an error.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { builtinCostSpec } from '../src/gcpg/builtin-cost-specs.js';
import { PROMPT_VERSION, type CostSpecRequest } from '../src/gcpg/cost-prompt.js';
import { generateCostSpec } from '../src/gcpg/cost-spec-generation.js';
import { CostSpecStore } from '../src/gcpg/cost-spec-store.js';
import { vlmConfigFromEnvironment, type VlmConfig } from '../src/gcpg/vlm-config.js';
import { VlmAnswerError, VlmCostClient, VlmRequestError } from '../src/gcpg/vlm-cost-client.js';
import type { Image } from '../src/messages/ros-messages.js';
import { edited, REMOVE } from './helpers/gcpg-json-edit.js';
import { FakeVlmServer } from './helpers/gcpg-vlm-server.js';

const KEY = 'sk-test-0123456789-secret';

const request: CostSpecRequest = {
  task: 'lift',
  objective: 'task',
  instruction: 'pick up the red cube',
  objects: [
    { name: 'red_cube', label: 'red cube', role: 'target' },
    { name: 'blue_cylinder', label: 'blue cylinder' },
  ],
  pixelPoints: false,
};

const frame: Image = {
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera' },
  height: 2,
  width: 3,
  encoding: 'bgr8',
  is_bigendian: 0,
  step: 9,
  data: Uint8Array.from({ length: 18 }, (_, i) => i * 10),
};

const validAnswer = JSON.stringify(builtinCostSpec('lift'));

const answerWith = (edits: Record<string, unknown>) => JSON.stringify(edited(builtinCostSpec('lift'), edits));

describe('VlmCostClient over HTTP', () => {
  const server = new FakeVlmServer();
  let baseUrl: string;
  let dataDir: string;
  let store: CostSpecStore;

  const config = (change: Partial<VlmConfig> = {}): VlmConfig =>
    vlmConfigFromEnvironment(
      {},
      { baseUrl, apiKey: KEY, model: 'test-vlm', timeoutMs: 2000, backoffMs: 5, maxAttempts: 3, ...change },
    );
  const generate = (change: Partial<VlmConfig> = {}) =>
    generateCostSpec(store, new VlmCostClient(config(change)), { task: 'lift', objective: 'task' }, () =>
      Promise.resolve({ request, firstFrame: frame }),
    );
  const cacheUntouched = () => {
    assert.equal(existsSync(store.root), false, 'the spec cache was written');
  };

  before(async () => {
    baseUrl = await server.start();
  });
  after(() => server.close());
  beforeEach(() => {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    dataDir = mkdtempSync(join(tmpdir(), 'gcpg-vlm-'));
    store = new CostSpecStore(dataDir);
  });

  it('sends the instruction, objective, scene and first frame, asks for the schema, and stores the valid answer', async () => {
    server.script({ content: validAnswer });
    const { record, cached } = await generate();
    assert.equal(cached, false);
    assert.equal(record.id, 'lift/task/v1');
    assert.deepEqual(record.spec, builtinCostSpec('lift'));
    assert.deepEqual(record.origin, {
      kind: 'vlm',
      model: 'test-vlm',
      promptVersion: PROMPT_VERSION,
      endpoint: baseUrl,
      answers: 1,
      structured: true,
    });
    const [seen] = server.requests;
    assert.equal(seen!.headers.authorization, `Bearer ${KEY}`);
    assert.equal(seen!.body.model, 'test-vlm');
    assert.equal(seen!.body.response_format?.type, 'json_schema');
    assert.equal(seen!.body.response_format.json_schema!.name, 'grape_cost_spec');
    const user = seen!.body.messages[1]!.content as {
      type: string;
      text?: string;
      image_url?: { url: string };
    }[];
    assert.match(user[0]!.text!, /Objective: task: accomplish the task/);
    assert.match(user[0]!.text!, /Instruction given to the robot: "pick up the red cube"/);
    assert.match(user[0]!.text!, /role "target": object "red_cube" \(red cube\)/);
    assert.match(user[1]!.image_url!.url, /^data:image\/png;base64,iVBORw0KGgo/);
    assert.match(
      seen!.body.messages[0]!.content as string,
      /Example, the spec for "put the red cube on the green plate"/,
    );
    // The key never reaches the store.
    const file = join(store.dir('lift', 'task'), 'v1.json');
    assert.doesNotMatch(readFileSync(file, 'utf8'), new RegExp(KEY));
  });

  it('answers from the cache for the same (task, objective, model, prompt version), without asking', async () => {
    server.script({ content: validAnswer });
    await generate();
    server.script();
    const again = await generate();
    assert.equal(again.cached, true);
    assert.equal(again.record.id, 'lift/task/v1');
    assert.equal(server.requests.length, 0);
    server.script({ content: validAnswer });
    assert.equal((await generate({ model: 'other-vlm' })).record.id, 'lift/task/v2');
  });

  it('retries an answer that is not JSON, with the problem, and takes the corrected one', async () => {
    server.script({ content: "Sure! Here's a cost spec: {stages: [grasp, lift]}" }, { content: validAnswer });
    const { record } = await generate();
    assert.equal(record.origin.kind === 'vlm' && record.origin.answers, 2);
    const retry = server.requests[1]!.body.messages;
    assert.equal(retry.at(-2)!.role, 'assistant');
    assert.match(retry.at(-1)!.content as string, /not a valid cost spec:\n\(spec\): not JSON/);
  });

  it('gives up after a bounded number of schema-violating answers, naming every field, cache untouched', async () => {
    const violation = answerWith({ 'stages.0.tau': REMOVE, 'stages.1.terms.0.measure.kind': 'altitude' });
    server.script({ content: violation }, { content: violation }, { content: violation });
    await assert.rejects(generate(), (e: unknown) => {
      assert.ok(e instanceof VlmAnswerError);
      assert.equal(e.answers.length, 3);
      assert.match(
        e.message,
        /test-vlm at http:\/\/127\.0\.0\.1:\d+\/v1 gave 3 answer\(s\) for lift\/task, none a valid cost spec/,
      );
      assert.match(e.message, /stages\[0\]\.tau: missing required field/);
      assert.match(e.message, /stages\[1\]\.terms\[0\]\.measure\.kind: is missing or not a known kind/);
      return true;
    });
    assert.equal(server.requests.length, 3);
    assert.match(
      server.requests[1]!.body.messages.at(-1)!.content as string,
      /stages\[0\]\.tau: missing required field/,
    );
    cacheUntouched();
  });

  it('treats code in an answer as an invalid spec, never as something to run', async () => {
    const marker = join(dataDir, 'executed');
    const code = answerWith({
      'stages.0.doneWhen': `require('fs').writeFileSync('${marker}', 'x')`,
      'stages.1.terms.0': {
        measure: { kind: 'height', point: 'target' },
        weight: 1,
        cost: `(() => { require('fs').writeFileSync('${marker}', 'x') })()`,
      },
    });
    server.script(
      { content: code },
      { content: `\`\`\`python\ndef cost(s):\n    return s.ee[2]\n\`\`\`` },
      { content: code },
    );
    await assert.rejects(
      generate(),
      /stages\[0\]\.doneWhen: must be array[\s\S]*stages\[1\]\.terms\[0\]\.cost: unknown field/,
    );
    assert.equal(existsSync(marker), false);
    assert.deepEqual(readdirSync(dataDir), []);
  });

  it('rejects absurd numbers, then accepts the corrected answer', async () => {
    const absurd = answerWith({ 'stages.0.terms.0.weight': 1e9, 'points.0.role': 'goal' });
    const tooHigh = answerWith({ 'stages.1.doneWhen.1.above': 75 }); // metres
    server.script({ content: absurd }, { content: tooHigh }, { content: validAnswer });
    const { record } = await generate();
    assert.equal(record.id, 'lift/task/v1');
    assert.equal(record.origin.kind === 'vlm' && record.origin.answers, 3);
    const repair = (i: number) => server.requests[i]!.body.messages.at(-1)!.content as string;
    assert.match(repair(1), /stages\[0\]\.terms\[0\]\.weight: must be <= 100/);
    assert.match(repair(1), /points\[0\]\.role: must be one of "target", "destination"/);
    assert.match(
      repair(2),
      /stages\[1\]\.doneWhen\[1\]\.above: 75 is implausible for height \(expected -1\.\.2\)/,
    );
  });

  it('rejects points the scene does not have', async () => {
    const foreign = answerWith({
      'points.2': { name: 'plate', kind: 'object', object: 'green_plate' },
      'points.3': { name: 'mark', kind: 'pixel', u: 0.5, v: 0.5 },
    });
    server.script({ content: foreign }, { content: foreign }, { content: foreign });
    await assert.rejects(generate(), (e: unknown) => {
      assert.ok(e instanceof VlmAnswerError);
      assert.deepEqual(
        e.answers[0]!.issues.map((i) => i.field),
        ['points[2].object', 'points[3].kind'],
      );
      return true;
    });
    cacheUntouched();
  });

  it('times out a request that hangs, retries, and then fails clearly, cache untouched', async () => {
    server.script('hang', 'hang');
    const started = Date.now();
    await assert.rejects(generate({ timeoutMs: 300, maxAttempts: 2 }), (e: unknown) => {
      assert.ok(e instanceof VlmRequestError);
      assert.match(
        e.message,
        /test-vlm at http:\/\/127\.0\.0\.1:\d+\/v1 did not answer within 0\.3 s \(gave up after 2 attempts\)/,
      );
      return true;
    });
    assert.ok(Date.now() - started >= 600, 'each attempt waited for its timeout');
    assert.equal(server.requests.length, 2);
    cacheUntouched();
  });

  it('backs off after 429 (honouring Retry-After) and takes the answer that follows', async () => {
    server.script(
      { status: 429, error: 'Rate limit reached', headers: { 'retry-after-ms': '200' } },
      { content: validAnswer },
    );
    const started = Date.now();
    const { record } = await generate({ backoffMs: 1 });
    assert.ok(Date.now() - started >= 200, 'waited as the server asked');
    assert.equal(record.id, 'lift/task/v1');
    assert.equal(server.requests.length, 2);
  });

  it('retries 5xx a bounded number of times, and never retries or leaks the key on 401', async () => {
    server.script(
      { status: 503, error: 'overloaded' },
      { status: 500, error: 'boom' },
      { status: 502, error: 'bad gateway' },
    );
    await assert.rejects(generate(), /answered HTTP 502: 502 bad gateway \(gave up after 3 attempts\)/);
    server.script({ status: 401, error: `Incorrect API key provided: ${KEY}` });
    await assert.rejects(generate(), (e: unknown) => {
      assert.ok(e instanceof VlmRequestError);
      assert.match(e.message, /answered HTTP 401: 401 Incorrect API key provided: \*\*\* \(not retried\)/);
      assert.doesNotMatch(e.message, new RegExp(KEY));
      return true;
    });
    assert.equal(server.requests.length, 1);
    cacheUntouched();
  });

  it('falls back to the schema in the prompt where the server has no structured output, and parses fenced JSON', async () => {
    server.script(
      {
        status: 400,
        error: "Invalid parameter: 'response_format' of type 'json_schema' is not supported with this model.",
      },
      { content: `Here is the spec:\n\`\`\`json\n${validAnswer}\n\`\`\`\nLet me know if you need changes.` },
    );
    const { record } = await generate();
    assert.equal(record.origin.kind === 'vlm' && record.origin.structured, false);
    const [structured, plain] = server.requests;
    assert.equal(structured!.body.response_format?.type, 'json_schema');
    assert.equal(plain!.body.response_format, undefined);
    assert.match(
      plain!.body.messages[0]!.content as string,
      /JSON schema of the answer:\n\{"title":"GRAPE cost spec"/,
    );
  });
});

describe('VLM configuration', () => {
  it('comes from the environment, with the key from GRAPE_VLM_API_KEY or OPENAI_API_KEY', () => {
    const c = vlmConfigFromEnvironment({
      GRAPE_VLM_BASE_URL: 'http://user:pw@gpu-box:8000/v1?x=1',
      GRAPE_VLM_MODEL: 'qwen2.5-vl',
      OPENAI_API_KEY: 'k',
      GRAPE_VLM_TIMEOUT_S: '30',
    });
    assert.equal(c.model, 'qwen2.5-vl');
    assert.equal(c.apiKey, 'k');
    assert.equal(c.timeoutMs, 30_000);
    assert.equal(
      new VlmCostClient(c).endpoint,
      'http://gpu-box:8000/v1',
      'no credentials or query in what is shown',
    );
    assert.equal(vlmConfigFromEnvironment({ GRAPE_VLM_API_KEY: 'a', OPENAI_API_KEY: 'b' }).apiKey, 'a');
    assert.throws(
      () => vlmConfigFromEnvironment({ GRAPE_VLM_TIMEOUT_S: 'soon' }),
      /GRAPE_VLM_TIMEOUT_S must be a positive number/,
    );
    assert.throws(
      () => new VlmCostClient(vlmConfigFromEnvironment({ GRAPE_VLM_BASE_URL: 'not a url with secret' })),
      (e: unknown) => {
        assert.doesNotMatch((e as Error).message, /secret/);
        return true;
      },
    );
  });
});
