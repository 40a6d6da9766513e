// Child process for the resume test: generates questions for N units against a local server
// and prints one JSON line per settled unit, so the parent can SIGKILL it mid-generation.

import { generateForUnits } from '../../runner/llm/generate.js';
import { resumeRun } from './helpers.js';

interface Args {
  baseURL: string;
  cacheRoot: string;
  n: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const result = await generateForUnits({
  ...resumeRun(args.n, args.baseURL, args.cacheRoot),
  onProgress: (done, total) => process.stdout.write(`${JSON.stringify({ done, total })}\n`),
});
process.stdout.write(`${JSON.stringify({ finished: result.ok })}\n`);
