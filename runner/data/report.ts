// The report every data stage returns beside its files: what it produced (counts) and what it
// left out and why (skips). A skip is a documented, counted decision, never a silent drop; a few
// example locations are kept so a user can look at the records. This module does not render
// reports for a terminal; the step's reporter does.

export interface SkipCount {
  /** Stable tag, e.g. 'null-query', 'empty-document', 'fact-not-found'. */
  reason: string;
  count: number;
  /** Up to `MAX_EXAMPLES` locations ("file:line", ids) for a user to inspect. */
  examples: string[];
}

export interface DataReport {
  counts: Record<string, number>;
  skips: SkipCount[];
}

const MAX_EXAMPLES = 5;

export class ReportBuilder {
  private readonly counts: Record<string, number> = {};
  private readonly skips = new Map<string, SkipCount>();

  add(counter: string, n = 1): void {
    this.counts[counter] = (this.counts[counter] ?? 0) + n;
  }

  set(counter: string, n: number): void {
    this.counts[counter] = n;
  }

  skip(reason: string, example: string): void {
    let s = this.skips.get(reason);
    if (s === undefined) {
      s = { reason, count: 0, examples: [] };
      this.skips.set(reason, s);
    }
    s.count++;
    if (s.examples.length < MAX_EXAMPLES) s.examples.push(example);
  }

  build(): DataReport {
    const skips = [...this.skips.values()].sort((a, b) => a.reason.localeCompare(b.reason));
    return { counts: { ...this.counts }, skips };
  }
}
