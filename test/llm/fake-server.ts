// A local model server for tests and the bench, speaking the OpenAI chat-completions and the
// Bedrock Converse wire protocols, driven by options: latency, an ordered list of faults for
// successive requests (429 with Retry-After, 500, stall, malformed JSON, auth/access errors),
// and the answer style (dash list, numbered list with preamble, truncated list, QA pairs).
// Bedrock's SDK speaks HTTP/2 by default, so Converse is served over cleartext HTTP/2 on a
// second port (`bedrockUrl`). Answers depend only on the prompt, so two runs over the same prompts get the same answers.
// Run directly (`node fake-server.js '<options json>'`) it prints its two URLs and serves
// GET /__log for a parent process.

import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createServer as createH2cServer, type Http2Session } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

export type Fault = '429' | '500' | 'stall' | 'malformed' | 'auth' | 'model-access' | 'empty';
export type Style = 'dash' | 'numbered' | 'truncated' | 'qa';

export interface FakeServerOptions {
  latencyMs?: number;
  faults?: Fault[];
  retryAfterS?: number;
  style?: Style;
  items?: number;
}

export interface LogEntry {
  protocol: 'openai' | 'bedrock';
  prompt: string;
  outcome: Fault | 'ok';
  at: number;
}

export interface FakeServer {
  /** OpenAI base URL (HTTP/1.1). */
  url: string;
  /** Bedrock endpoint (cleartext HTTP/2). */
  bedrockUrl: string;
  port: number;
  bedrockPort: number;
  log: LogEntry[];
  close: () => Promise<void>;
}

export function answerFor(prompt: string, style: Style, items: number): string {
  const tag = createHash('sha256').update(prompt).digest('hex').slice(0, 8);
  const q = (i: number): string => `Question ${i + 1} about topic ${tag}?`;
  const range = Array.from({ length: items }, (_, i) => i);
  switch (style) {
    case 'dash':
      return range.map((i) => `- ${q(i)}`).join('\n');
    case 'numbered':
      return `Here are ${items} questions:\n\n${range.map((i) => `${i + 1}. **${q(i)}**`).join('\n\n')}\n\nNote: all are answerable.`;
    case 'truncated':
      return range
        .map((i) => `- ${q(i)}`)
        .join('\n')
        .slice(0, -12);
    case 'qa':
      return range.map((i) => `- Query: ${q(i)}\n  Answer: answer ${i + 1} ${tag}`).join('\n');
  }
}

interface Req extends AsyncIterable<unknown> {
  method?: string | undefined;
  url?: string | undefined;
}
interface Res {
  writeHead(status: number, headers: Record<string, string>): { end(data: string): unknown };
}

async function body(req: Req): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const faults = [...(options.faults ?? [])];
  const log: LogEntry[] = [];
  const started = performance.now();
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  const h2c = createH2cServer((req, res) => {
    void handle(req, res);
  });
  const sessions = new Set<Http2Session>();
  h2c.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  const handle = async (req: Req, res: Res): Promise<void> => {
    const text = await body(req);
    if (req.method === 'GET' && req.url === '/__log') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(log));
      return;
    }
    const bedrock = /^\/model\/[^/]+\/converse$/.exec(req.url ?? '') !== null;
    const parsed = JSON.parse(text) as { messages: { content: string | { text: string }[] }[] };
    const content = parsed.messages[0]?.content ?? '';
    const prompt = typeof content === 'string' ? content : content.map((c) => c.text).join('');
    const fault = faults.shift();
    log.push({
      protocol: bedrock ? 'bedrock' : 'openai',
      prompt,
      outcome: fault ?? 'ok',
      at: performance.now() - started,
    });
    if (fault === 'stall') return; // never answers; the client must time out
    await new Promise((r) => setTimeout(r, options.latencyMs ?? 0));
    const json = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(payload));
    };
    const error = (
      status: number,
      awsType: string,
      message: string,
      headers: Record<string, string> = {},
    ): void => {
      if (bedrock) json(status, { message }, { 'x-amzn-errortype': awsType, ...headers });
      else json(status, { error: { message, type: awsType, code: null } }, headers);
    };
    switch (fault) {
      case '429':
        error(429, 'ThrottlingException', 'Too many requests', {
          'retry-after': String(options.retryAfterS ?? 1),
        });
        return;
      case '500':
        error(500, 'InternalServerException', 'internal error');
        return;
      case 'auth':
        if (bedrock)
          error(
            403,
            'UnrecognizedClientException',
            'The security token included in the request is invalid.',
          );
        else error(401, 'invalid_request_error', 'Incorrect API key provided');
        return;
      case 'model-access':
        error(
          403,
          'AccessDeniedException',
          "You don't have access to the model with the specified model ID.",
        );
        return;
      case 'malformed':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"choices": [ {"message": ');
        return;
      case 'empty':
      case undefined: {
        const style = options.style ?? 'dash';
        const answer =
          fault === 'empty'
            ? 'I cannot help with that.'
            : answerFor(prompt, style, options.items ?? 5);
        const truncated = style === 'truncated';
        const usage = { input: Math.ceil(prompt.length / 4), output: Math.ceil(answer.length / 4) };
        if (bedrock) {
          json(200, {
            output: { message: { role: 'assistant', content: [{ text: answer }] } },
            stopReason: truncated ? 'max_tokens' : 'end_turn',
            usage: {
              inputTokens: usage.input,
              outputTokens: usage.output,
              totalTokens: usage.input + usage.output,
            },
            metrics: { latencyMs: options.latencyMs ?? 0 },
          });
        } else {
          json(200, {
            id: 'chatcmpl-fake',
            object: 'chat.completion',
            created: 0,
            model: 'fake',
            choices: [
              {
                index: 0,
                message: { role: 'assistant', content: answer },
                finish_reason: truncated ? 'length' : 'stop',
              },
            ],
            usage: {
              prompt_tokens: usage.input,
              completion_tokens: usage.output,
              total_tokens: usage.input + usage.output,
            },
          });
        }
        return;
      }
    }
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => h2c.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const bedrockPort = (h2c.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bedrockUrl: `http://127.0.0.1:${bedrockPort}`,
    port,
    bedrockPort,
    log,
    close: async () => {
      server.closeAllConnections();
      for (const session of sessions) session.destroy();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => h2c.close(r))]);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const server = await startFakeServer(JSON.parse(process.argv[2] ?? '{}') as FakeServerOptions);
  process.stdout.write(`${JSON.stringify({ url: server.url, bedrockUrl: server.bedrockUrl })}\n`);
}
