// A local OpenAI-compatible chat-completions endpoint (node:http) that answers from a script of
// recorded replies, and remembers every request it saw: the one test double of the GCPG tests.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Reply =
  | { content: string }
  | { status: number; error: string; headers?: Record<string, string> }
  /** never answers */
  | 'hang';

export interface SeenRequest {
  headers: IncomingHttpHeaders;
  body: {
    model: string;
    messages: {
      role: string;
      content: string | { type: string; text?: string; image_url?: { url: string } }[];
    }[];
    response_format?: { type: string; json_schema?: { name: string; schema: unknown; strict?: boolean } };
  };
}

export class FakeVlmServer {
  readonly requests: SeenRequest[] = [];
  private replies: Reply[] = [];
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        this.requests.push({ headers: req.headers, body: JSON.parse(text) as SeenRequest['body'] });
        const reply = this.replies.shift() ?? { status: 500, error: 'the test recorded no further answer' };
        if (reply === 'hang') return;
        if ('content' in reply) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: `chatcmpl-${this.requests.length}`,
              object: 'chat.completion',
              created: 0,
              model: this.requests.at(-1)!.body.model,
              choices: [
                {
                  index: 0,
                  message: { role: 'assistant', content: reply.content, refusal: null },
                  finish_reason: 'stop',
                },
              ],
              usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
            }),
          );
          return;
        }
        res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
        res.end(JSON.stringify({ error: { message: reply.error, type: 'test', code: null } }));
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening on a free port; the base URL clients use. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
  }

  /** The replies to the next requests, in order. */
  script(...replies: Reply[]): void {
    this.replies = replies;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}
