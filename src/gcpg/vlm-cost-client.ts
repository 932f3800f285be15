// Asks an OpenAI-compatible VLM for a task's cost spec: the instruction, the objective and the first
// camera frame go out; a JSON cost spec comes back, in the schema's structured-output format where the
// server supports it (else parsed out of the text). Every answer is validated; an invalid one is sent
// back with its validation errors, a bounded number of times. Requests time out, and 429 / 5xx /
// connection failures are retried with backoff (Retry-After honoured). The answer is only ever data.
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import type { ChatCompletion, ChatCompletionMessageParam } from 'openai/resources/chat/completions';

import type { CompressedImage, Image } from '../messages/ros-messages.js';
import {
  repairPrompt,
  systemPrompt,
  userPrompt,
  PROMPT_VERSION,
  type CostSpecRequest,
} from './cost-prompt.js';
import { CostSpecError, describeIssues, type CostSpecIssue } from './cost-spec-error.js';
import { vlmResponseSchema } from './cost-spec-schema.js';
import { validateCostSpec } from './cost-spec-validation.js';
import type { CostSpec } from './cost-spec.js';
import { pngDataUrl } from './png-data-url.js';
import { endpointOf, OPENAI_BASE_URL, type VlmConfig } from './vlm-config.js';

export interface GeneratedCostSpec {
  spec: CostSpec;
  model: string;
  promptVersion: string;
  endpoint: string;
  /** answers received, the valid one included */
  answers: number;
  /** whether the server took the structured-output format */
  structured: boolean;
}

/** The VLM could not be reached, or kept failing: says why, after how many attempts. */
export class VlmRequestError extends Error {
  override readonly name = 'VlmRequestError';
}

/** Every answer the VLM gave failed validation; `answers` keeps them, with their problems, for people to read. */
export class VlmAnswerError extends Error {
  override readonly name = 'VlmAnswerError';

  constructor(
    message: string,
    readonly answers: readonly { text: string; issues: readonly CostSpecIssue[] }[],
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The JSON object in an answer: the whole text, else a fenced code block, else the outermost braces. */
export function extractJson(text: string): unknown {
  const candidates = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced) candidates.push(fenced[1]!.trim());
  const first = text.indexOf('{');
  const last = text.lastIndexOf('}');
  if (first >= 0 && last > first) candidates.push(text.slice(first, last + 1));
  let problem = 'no JSON object in the answer';
  for (const candidate of candidates) {
    try {
      return JSON.parse(candidate);
    } catch (error) {
      problem = `not JSON (${(error as Error).message})`;
    }
  }
  throw new CostSpecError("the VLM's answer", [{ field: '', problem }]);
}

/** Milliseconds a 429/503 response asks to wait (retry-after-ms, or retry-after in seconds or as a date). */
function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers?.get('retry-after');
  if (value == null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function retryable(error: unknown): boolean {
  if (error instanceof APIConnectionError) return true; // timeouts included
  return (
    error instanceof APIError && (error.status === 408 || error.status === 429 || (error.status ?? 0) >= 500)
  );
}

/** A 400 that names the structured-output parameter: the server does not support it. */
function rejectsResponseFormat(error: unknown): boolean {
  return (
    error instanceof APIError &&
    error.status === 400 &&
    /response_format|json_schema|structured/i.test(error.message)
  );
}

export class VlmCostClient {
  private readonly client: OpenAI;
  readonly endpoint: string;
  readonly model: string;

  constructor(private readonly config: VlmConfig) {
    this.endpoint = endpointOf(config);
    this.model = config.model;
    if (config.apiKey === undefined && config.baseUrl === undefined) {
      throw new VlmRequestError(
        "no API key for OpenAI's endpoint: set GRAPE_VLM_API_KEY (or OPENAI_API_KEY), or GRAPE_VLM_BASE_URL for a local server",
      );
    }
    this.client = new OpenAI({
      // Local servers take any key. The URL is always given, so OPENAI_BASE_URL cannot redirect requests unseen.
      apiKey: config.apiKey ?? 'unused',
      baseURL: config.baseUrl ?? OPENAI_BASE_URL,
      timeout: config.timeoutMs,
      maxRetries: 0,
    });
  }

  /** A validated cost spec for the request, or a VlmRequestError / VlmAnswerError saying why not. */
  async generate(request: CostSpecRequest, firstFrame: Image | CompressedImage): Promise<GeneratedCostSpec> {
    const messages: ChatCompletionMessageParam[] = [
      { role: 'system', content: systemPrompt() },
      {
        role: 'user',
        content: [
          { type: 'text', text: userPrompt(request) },
          { type: 'image_url', image_url: { url: pngDataUrl(firstFrame) } },
        ],
      },
    ];
    const rejected: { text: string; issues: readonly CostSpecIssue[] }[] = [];
    let structured = true;
    for (let answer = 0; answer <= this.config.maxRepairs; answer++) {
      const reply = await this.complete(messages, structured);
      structured = reply.structured;
      try {
        const spec = validateCostSpec(extractJson(reply.text), "the VLM's answer", {
          task: request.task,
          objective: request.objective,
        });
        const issues = requestIssues(spec, request);
        if (issues.length > 0) throw new CostSpecError("the VLM's answer", issues);
        return {
          spec,
          model: this.config.model,
          promptVersion: PROMPT_VERSION,
          endpoint: this.endpoint,
          answers: answer + 1,
          structured,
        };
      } catch (error) {
        if (!(error instanceof CostSpecError)) throw error;
        rejected.push({ text: reply.text, issues: error.issues });
        messages.push(
          { role: 'assistant', content: reply.text },
          { role: 'user', content: repairPrompt(error.issues) },
        );
      }
    }
    const last = rejected.at(-1)!;
    throw new VlmAnswerError(
      `${this.config.model} at ${this.endpoint} gave ${rejected.length} answer(s) for ${request.task}/${request.objective}, none a valid cost spec; the last one's problems:\n${describeIssues(last.issues)}`,
      rejected,
    );
  }

  /** One answer's text, retrying what is worth retrying. */
  private async complete(
    messages: ChatCompletionMessageParam[],
    structured: boolean,
  ): Promise<{ text: string; structured: boolean }> {
    const { maxAttempts, backoffMs, maxBackoffMs, timeoutMs } = this.config;
    let lastError: unknown;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let completion: ChatCompletion;
      try {
        completion = await this.client.chat.completions.create(
          {
            model: this.config.model,
            messages,
            ...(structured
              ? {
                  response_format: {
                    type: 'json_schema' as const,
                    json_schema: { name: 'grape_cost_spec', schema: vlmResponseSchema(), strict: false },
                  },
                }
              : {}),
          },
          { timeout: timeoutMs, maxRetries: 0 },
        );
      } catch (error) {
        if (structured && rejectsResponseFormat(error)) {
          // The fallback: the schema goes into the instructions, the JSON is parsed out of the text.
          structured = false;
          messages[0] = {
            role: 'system',
            content: `${systemPrompt()}\n\nJSON schema of the answer:\n${JSON.stringify(vlmResponseSchema())}`,
          };
          attempt--;
          continue;
        }
        if (!retryable(error)) throw new VlmRequestError(`${this.describe(error)} (not retried)`);
        lastError = error;
        if (attempt === maxAttempts) break;
        const wait =
          (error instanceof APIError ? retryAfter(error.headers as Headers | undefined) : undefined) ??
          backoffMs * 2 ** (attempt - 1);
        await sleep(Math.min(wait, maxBackoffMs));
        continue;
      }
      const message = completion.choices[0]?.message;
      if (message?.refusal)
        throw new VlmRequestError(`${this.config.model} refused: ${this.scrub(message.refusal)}`);
      return { text: message?.content ?? '', structured };
    }
    throw new VlmRequestError(`${this.describe(lastError)} (gave up after ${maxAttempts} attempts)`);
  }

  private describe(error: unknown): string {
    const where = `${this.config.model} at ${this.endpoint}`;
    if (error instanceof APIConnectionTimeoutError) {
      return `${where} did not answer within ${this.config.timeoutMs / 1000} s`;
    }
    if (error instanceof APIError && error.status !== undefined)
      return `${where} answered HTTP ${error.status}: ${this.scrub(error.message)}`;
    return `${where}: ${this.scrub((error as Error).message)}`;
  }

  /** Server messages are shown; the key never is, even if a server echoes it. */
  private scrub(text: string): string {
    const key = this.config.apiKey;
    return key ? text.replaceAll(key, '***') : text;
  }
}

/** Problems only the request can reveal: objects the scene does not have, roles nobody plays, pixels without depth. */
function requestIssues(spec: CostSpec, request: CostSpecRequest): CostSpecIssue[] {
  const issues: CostSpecIssue[] = [];
  const names = new Set(request.objects.map((o) => o.name));
  const roles = new Set(request.objects.flatMap((o) => (o.role ? [o.role] : [])));
  spec.points.forEach((p, i) => {
    if (p.kind === 'object' && !names.has(p.object)) {
      issues.push({
        field: `points[${i}].object`,
        problem: `"${p.object}" is not an object of the scene (${[...names].join(', ') || 'none'})`,
      });
    } else if (p.kind === 'role' && !roles.has(p.role)) {
      issues.push({ field: `points[${i}].role`, problem: `no object has the role "${p.role}" in this task` });
    } else if (p.kind === 'pixel' && !request.pixelPoints) {
      issues.push({ field: `points[${i}].kind`, problem: 'pixel points are not available for this task' });
    }
  });
  return issues;
}
