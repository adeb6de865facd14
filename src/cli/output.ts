import { stringify } from 'yaml';

export type OutputFormat = 'table' | 'json' | 'yaml';

/** Colour only when writing to a terminal, and never when NO_COLOR is set. */
export function useColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

export function bold(text: string, stream: NodeJS.WriteStream = process.stdout): string {
  return useColour(stream) ? `\x1b[1m${text}\x1b[22m` : text;
}

export function red(text: string, stream: NodeJS.WriteStream = process.stderr): string {
  return useColour(stream) ? `\x1b[31m${text}\x1b[39m` : text;
}

/**
 * Prints records as an aligned table (chosen columns), or the full value as JSON or YAML —
 * the machine formats carry every field, the table only what fits a terminal.
 */
export function printRecords(format: OutputFormat, value: unknown, rows: Array<Record<string, unknown>>, columns: string[]): void {
  if (format === 'json') {
    process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  if (format === 'yaml') {
    process.stdout.write(stringify(value));
    return;
  }
  if (rows.length === 0) {
    process.stdout.write('(none)\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(',') : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  process.stdout.write(`${bold(line(columns.map((c) => c.toUpperCase())))}\n`);
  for (const row of rows) process.stdout.write(`${line(columns.map((c) => cell(row[c])))}\n`);
}
