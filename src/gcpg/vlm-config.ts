// Which VLM writes cost specs, and how patiently: any OpenAI-compatible endpoint (OpenAI itself, or a
// local server) from the environment, overridable per command. The API key is read from the environment
// only, handed to the client and nowhere else: never printed, logged, cached or recorded.

export interface VlmConfig {
  /** OpenAI-compatible base URL, e.g. http://localhost:8000/v1; default OpenAI's */
  baseUrl?: string;
  model: string;
  apiKey?: string;
  /** per request */
  timeoutMs: number;
  /** requests per answer, counting retries after 429, 5xx, timeouts and connection errors */
  maxAttempts: number;
  /** answers after the first when one fails validation (each retry carries the validation errors) */
  maxRepairs: number;
  /** first backoff after a failed request; doubles per attempt (a Retry-After header wins) */
  backoffMs: number;
  /** the longest single wait, whatever a Retry-After says */
  maxBackoffMs: number;
}

export const DEFAULT_VLM_MODEL = 'gpt-4o';
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/**
 * GRAPE_VLM_BASE_URL, GRAPE_VLM_MODEL, GRAPE_VLM_API_KEY (else OPENAI_API_KEY) and GRAPE_VLM_TIMEOUT_S,
 * with defaults for the rest; `overrides` (command-line options, tests) win.
 */
export function vlmConfigFromEnvironment(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<VlmConfig> = {},
): VlmConfig {
  const timeout = env.GRAPE_VLM_TIMEOUT_S === undefined ? 120 : Number(env.GRAPE_VLM_TIMEOUT_S);
  if (!(timeout > 0)) {
    throw new Error(
      `GRAPE_VLM_TIMEOUT_S must be a positive number of seconds, got "${env.GRAPE_VLM_TIMEOUT_S}"`,
    );
  }
  const config: VlmConfig = {
    model: env.GRAPE_VLM_MODEL ?? DEFAULT_VLM_MODEL,
    timeoutMs: timeout * 1000,
    maxAttempts: 4,
    maxRepairs: 2,
    backoffMs: 1000,
    maxBackoffMs: 30_000,
  };
  if (env.GRAPE_VLM_BASE_URL) config.baseUrl = env.GRAPE_VLM_BASE_URL;
  const apiKey = env.GRAPE_VLM_API_KEY ?? env.OPENAI_API_KEY;
  if (apiKey) config.apiKey = apiKey;
  return { ...config, ...overrides };
}

/** The endpoint as it may be shown and recorded: no credentials, no query string. */
export function endpointOf(config: Pick<VlmConfig, 'baseUrl'>): string {
  if (!config.baseUrl) return OPENAI_BASE_URL;
  try {
    const url = new URL(config.baseUrl);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/$/, '')}`;
  } catch {
    // Not echoed: a malformed URL may still carry credentials.
    throw new Error('the VLM base URL (GRAPE_VLM_BASE_URL or --vlm-base-url) is not a URL');
  }
}
