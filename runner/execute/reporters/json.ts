// NDJSON: one event per line on stdout, for machines and tests (`--reporter json`).

import type { Reporter } from '../events.js';

export function jsonReporter(): Reporter {
  return {
    emit: (e) => {
      process.stdout.write(`${JSON.stringify(e)}\n`);
    },
    close: () => Promise.resolve(),
  };
}
