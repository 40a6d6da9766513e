// Where the project's own files live, independent of the working directory: schemas, prompts,
// trainers and the default experiments are found relative to the installed package.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (package) root: `dist/runner/paths.js` → two levels up. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
