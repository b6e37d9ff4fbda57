import { table } from '../../src/cli/format';

export type Row = Record<string, string | number>;

export interface Table {
  title: string;
  rows: Row[];
}

/** What a scenario measured: tables for people, and one summary for scripts (the last line printed). */
export interface ScenarioResult {
  scenario: string;
  tables: Table[];
  /** Printed as one JSON line; starts with `"scenario"`. */
  summary: Record<string, unknown> & { scenario: string };
}

export function renderTable({ title, rows }: Table): string {
  if (rows.length === 0) return `${title}\n(none)\n`;
  const header = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  return `${title}\n${table(
    header,
    rows.map((row) => header.map((key) => String(row[key] ?? '-'))),
  )}`;
}

export function printResult(result: ScenarioResult): void {
  for (const t of result.tables) process.stdout.write(`\n${renderTable(t)}`);
  process.stdout.write(`\n${JSON.stringify(result.summary)}\n`);
}

/** Progress for the operator, on stderr: stdout holds only the tables and the JSON line. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
