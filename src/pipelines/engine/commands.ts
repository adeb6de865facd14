/** Environment files (GITHUB_ENV, GITHUB_OUTPUT, …), workflow commands (`::x::`) and masking. */

/**
 * Parses a GITHUB_ENV / GITHUB_OUTPUT / GITHUB_STATE file: `KEY=value` (split at the first `=`)
 * and `KEY<<DELIMITER` … `DELIMITER` for multiline values. Throws on an unterminated heredoc.
 */
export function parseEnvironmentFile(text: string): Array<[string, string]> {
  const entries: Array<[string, string]> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (heredoc > 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc).trim();
      const delimiter = line.slice(heredoc + 2).trim();
      const value: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter || lines[i]!.trim() === delimiter) {
          closed = true;
          break;
        }
        value.push(lines[i]!);
      }
      if (!closed) throw new Error(`matching delimiter '${delimiter}' not found for '${name}'`);
      entries.push([name, value.join('\n')]);
    } else if (equals > 0) {
      entries.push([line.slice(0, equals).trim(), line.slice(equals + 1)]);
    } else {
      throw new Error(`invalid line '${line}': expected NAME=value or NAME<<DELIMITER`);
    }
  }
  return entries;
}

export interface WorkflowCommand {
  command: string;
  properties: Record<string, string>;
  value: string;
}

const unescapeData = (text: string) => text.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%');
const unescapeProperty = (text: string) => unescapeData(text).replace(/%3A/gi, ':').replace(/%2C/gi, ',');

/** `::name key=v,key2=v::message` → command; undefined for any other line. */
export function parseWorkflowCommand(line: string): WorkflowCommand | undefined {
  const start = line.indexOf('::');
  if (start < 0 || line.slice(0, start).trim() !== '') return undefined;
  const end = line.indexOf('::', start + 2);
  if (end < 0) return undefined;
  const head = line.slice(start + 2, end);
  const space = head.indexOf(' ');
  const command = space < 0 ? head : head.slice(0, space);
  if (!/^[A-Za-z0-9_.-]+$/.test(command)) return undefined;
  const properties: Record<string, string> = {};
  if (space >= 0) {
    for (const pair of head.slice(space + 1).split(',')) {
      const eq = pair.indexOf('=');
      if (eq > 0) properties[pair.slice(0, eq).trim()] = unescapeProperty(pair.slice(eq + 1));
    }
  }
  return { command, properties, value: unescapeData(line.slice(end + 2).replace(/\r$/, '')) };
}

/** Replaces every registered secret (and each of its lines) with `***`. */
export class Masker {
  private values = new Set<string>();
  private pattern: RegExp | undefined;

  add(value: string): void {
    for (const part of [value, ...value.split(/\r?\n/)]) {
      const trimmed = part.trim();
      if (trimmed.length === 0 || this.values.has(trimmed)) continue;
      this.values.add(trimmed);
      this.pattern = undefined;
    }
  }

  mask(text: string): string {
    if (this.values.size === 0) return text;
    if (!this.pattern) {
      const sorted = [...this.values].sort((a, b) => b.length - a.length);
      this.pattern = new RegExp(sorted.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    }
    return text.replace(this.pattern, '***');
  }
}
