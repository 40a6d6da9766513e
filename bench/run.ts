// `npm run bench`: every benchmark, each printing its ratios against a bound or a peer measured
// in the same run. `--only runner|llm|data|bm25` runs one.

import { benchData } from './data.js';
import { benchLlm } from './llm.js';
import { benchRunner } from './runner.js';
import { benchBm25 } from './trainers.js';

const only = process.argv.includes('--only')
  ? process.argv[process.argv.indexOf('--only') + 1]
  : undefined;
const benches: Record<string, () => Promise<string[]> | string[]> = {
  runner: benchRunner,
  llm: benchLlm,
  data: () => benchData({ scale: 1 }),
  bm25: benchBm25,
};
for (const [name, bench] of Object.entries(benches)) {
  if (only && only !== name) continue;
  for (const line of await bench()) console.log(line);
}
