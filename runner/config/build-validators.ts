// Build step (`npm run build`): compiles the JSON Schemas in `schemas/` into standalone
// validator code, `dist/validators.cjs`, so that `exp` does not compile schemas on every start
// (that compile was the largest part of a fully cached run). Not imported at run time.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standalone from 'ajv/dist/standalone/index.js';
import { repoRoot } from '../paths.js';
import { SCHEMA_NAMES, validatorsFile } from './schemas.js';

const ajv = new Ajv2020({ allErrors: true, strict: false, code: { source: true } });
const ids: Record<string, string> = {};
for (const name of SCHEMA_NAMES) {
  const schema = JSON.parse(
    readFileSync(path.join(repoRoot, 'schemas', `${name}.schema.json`), 'utf8'),
  ) as { $id: string };
  ajv.addSchema(schema);
  ids[name] = schema.$id;
}
// A CommonJS module: its default export sits on `.default` under Node's ESM interop.
writeFileSync(validatorsFile, standalone.default(ajv, ids));
