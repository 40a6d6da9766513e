// The `exp` command line: parses arguments, calls the stages, prints. Exit codes: 0 success,
// 1 a step failed (or the run was interrupted), 2 a usage or config error.

import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import {
  renderDiagnostic,
  sortDiagnostics,
  type Diagnostic,
  type SourceFile,
} from './config/diagnostics.js';
import { parseOverride, type Override } from './config/resolve.js';
import { openSession, type Session } from './session.js';
import {
  cacheCommand,
  configCommand,
  envCommand,
  planCommand,
  whyCommand,
} from './commands/inspect.js';
import { runCommand, tablesCommand, type RunOptions } from './commands/run.js';
import { compareCommand, evalCommand, type EvalOptions } from './commands/scoring.js';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export interface GlobalOptions {
  profile: string;
  set: string[];
  cacheDir: string;
  resultsDir: string;
}

export function printDiagnostics(diags: Diagnostic[], sources: Map<string, SourceFile>): void {
  for (const d of sortDiagnostics(diags)) console.error(`${renderDiagnostic(d, sources)}\n`);
  const errors = diags.filter((d) => d.severity === 'error').length;
  if (errors) console.error(`${String(errors)} error${errors === 1 ? '' : 's'}`);
}

/** Opens a session or prints why not; undefined means "exit 2". */
export async function session(files: string[], g: GlobalOptions): Promise<Session | undefined> {
  const overrides: Override[] = [];
  for (const s of g.set) {
    const o = parseOverride(s);
    if (!o.ok) {
      console.error(o.error);
      return undefined;
    }
    overrides.push(o.value);
  }
  const s = await openSession(files, { profile: g.profile, overrides });
  if (!s.ok) {
    printDiagnostics(s.error.diagnostics, s.error.sources);
    return undefined;
  }
  if (s.value.warnings.length) printDiagnostics(s.value.warnings, s.value.sources);
  return s.value;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  const set = (c: number) => {
    code = c;
  };
  const program = new Command('exp')
    .description('Declarative, cached experiment runner for generative-retrieval data strategies')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addOption(
      new Option('--profile <name>', 'where and at what scale to run').default(
        process.env.EXP_PROFILE ?? 'local',
      ),
    )
    .option(
      '--set <path=value>',
      'override a recipe value (repeatable)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option(
      '--cache-dir <dir>',
      'step cache root',
      process.env.EXP_CACHE_DIR ?? path.join('.exp', 'cache'),
    )
    .option('--results-dir <dir>', 'where tables and result records go', 'results');
  const g = () => program.opts<GlobalOptions>();

  program
    .command('validate')
    .argument('<files...>', 'experiment files or folders')
    .description('check experiment files against schemas/ and the cross-file rules')
    .action(async (files: string[]) => {
      const s = await session(files, g());
      if (!s) {
        set(EXIT.usage);
        return;
      }
      console.log(
        `ok: ${String(s.experiments.length)} experiment file(s), ${String(s.plan.cells.length)} cells`,
      );
    });
  program
    .command('plan')
    .argument('<files...>')
    .option('--json', 'machine-readable plan')
    .description('steps, cached or not, which cells need them, estimated cost')
    .action(async (files: string[], o: { json?: boolean }) => {
      const s = await session(files, g());
      set(s ? await planCommand(s, g(), o) : EXIT.usage);
    });
  program
    .command('run')
    .argument('<files...>')
    .option('--keep-going', 'after a failure, still run everything that does not depend on it')
    .option('--jobs <n>', 'CPU slots', (v) => Number(v), availableParallelism())
    .option('--frozen', 'compute nothing: fail on any step that is not cached (CI)')
    .option(
      '--max-cost <usd>',
      "stop LLM generation before spending more than this (overrides the profile's budget)",
      Number,
    )
    .addOption(
      new Option('--reporter <kind>', 'output')
        .choices(['auto', 'terminal', 'plain', 'json'])
        .default('auto'),
    )
    .description('run the steps the tables need and write their CSVs')
    .action(async (files: string[], o: RunOptions) => {
      const s = await session(files, g());
      set(s ? await runCommand(s, g(), o) : EXIT.usage);
    });
  program
    .command('config')
    .argument('<file>')
    .argument('<row>')
    .argument('<dataset>')
    .description("a cell's resolved recipe with the origin of every value")
    .action(async (file: string, row: string, dataset: string) => {
      const s = await session([file], g());
      set(s ? configCommand(s, row, dataset) : EXIT.usage);
    });
  program
    .command('why')
    .argument('<target>', 'a cell id (table/row/dataset) or a step key (prefix)')
    .argument('[files...]', 'experiment files or folders', ['experiments'])
    .description("which recipe fields or inputs made a step's key differ from the cached one")
    .action(async (target: string, files: string[]) => {
      const s = await session(files, g());
      set(s ? await whyCommand(s, g(), target) : EXIT.usage);
    });
  program
    .command('tables')
    .argument('[files...]', 'experiment files or folders', ['experiments'])
    .option('--check', 'fail if the committed CSVs or records are stale')
    .description('rebuild CSVs from result records')
    .action(async (files: string[], o: { check?: boolean }) => {
      const s = await session(files, g());
      set(s ? await tablesCommand(s, g(), o) : EXIT.usage);
    });
  program
    .command('eval')
    .requiredOption(
      '--run <file>',
      'a TREC run, or the benchmark output with --format multihop-rag',
    )
    .addOption(
      new Option('--format <format>', 'run format')
        .choices(['trec', 'multihop-rag'])
        .default('trec'),
    )
    .option('--dataset <name>', 'the dataset whose gold scores a TREC run')
    .option(
      '--table <file>',
      'an experiment with a cell of that dataset (default experiments/table8.yaml)',
    )
    .option('--metrics <list>', 'comma-separated, e.g. hit@1,hit@10,mrr@10')
    .option('--out <file>', 'write metrics and per-query results as JSON')
    .description("score any retriever's output with the benchmark's metrics")
    .action(async (o: EvalOptions) => {
      set(await evalCommand(g(), o));
    });
  program
    .command('compare')
    .argument('<file>')
    .argument('<rowA>')
    .argument('<rowB>')
    .description(
      'paired significance test between two rows (randomisation test and bootstrap CI over queries)',
    )
    .action(async (file: string, a: string, b: string) => {
      set(await compareCommand(g(), file, a, b));
    });
  program
    .command('env')
    .description(
      "create the trainer environment for the profile's executor (if needed) and print its python",
    )
    .action(async () => {
      set(await envCommand());
    });
  program
    .command('cache')
    .argument('<action>', 'ls | verify | gc')
    .argument('[files...]', 'for gc: the experiments whose steps to keep', ['experiments'])
    .description('list, verify or garbage-collect the step cache')
    .action(async (action: string, files: string[]) => {
      set(await cacheCommand(action, files, g()));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ||
        e.code === 'commander.helpDisplayed' ||
        e.code === 'commander.version'
        ? EXIT.ok
        : EXIT.usage;
    }
    console.error(
      `internal error: ${(e as Error).stack ?? String(e)}\nThis is a bug in exp; please report it with the command you ran.`,
    );
    return EXIT.failed;
  }
  return code;
}
