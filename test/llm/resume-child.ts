// Child process for the resume test: generates questions for N units against a local server
// and prints one JSON line per settled unit, so the parent can SIGKILL it mid-generation.

import { generateForUnits } from '../../runner/llm/generate.js';
import { CallStore } from '../../runner/llm/store.js';
import { fastLimits, units } from './helpers.js';

interface Args {
  baseURL: string;
  cacheRoot: string;
  n: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const result = await generateForUnits({
  task: 'questions',
  kind: 'chunk',
  units: units(args.n),
  m: 5,
  dataset: 'multihop-rag',
  role: {
    provider: 'openai',
    model: 'mixtral-8x7b-instruct',
    temperature: 0.7,
    maxTokens: 100,
    baseURL: args.baseURL,
  },
  store: new CallStore(args.cacheRoot),
  limits: fastLimits({ concurrency: 4 }),
  signal: new AbortController().signal,
  onProgress: (done, total) => process.stdout.write(`${JSON.stringify({ done, total })}\n`),
});
process.stdout.write(`${JSON.stringify({ finished: result.ok })}\n`);
