import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { findWorkflowFiles, parseWorkflowFile, planJobs, runWorkflowLocally, type LogLine } from '../../pipelines/engine/index.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { bold, red } from '../output.js';

interface RunLocalOptions {
  event: string;
  eventPayload?: string;
  input: string[];
  secret: string[];
  var: string[];
  job: string[];
  list?: boolean;
  ignoreContainers?: boolean;
  actionSource: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

function pairs(values: string[], flag: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new PlinthError('REQUEST_INVALID', `${flag} expects key=value, got '${value}'`, { location: { field: flag } });
    result[value.slice(0, eq)] = value.slice(eq + 1);
  }
  return result;
}

/**
 * Log lines go to stdout in batches: a step printing a million lines must never wait for the
 * terminal line by line.
 */
function createPrinter(): { print: (leg: string, line: LogLine) => void; flush: () => Promise<void> } {
  let buffer: string[] = [];
  let scheduled = false;
  const depth = new Map<string, number>();
  const write = () => {
    scheduled = false;
    if (buffer.length === 0) return;
    const text = buffer.join('');
    buffer = [];
    process.stdout.write(text);
  };
  return {
    print(leg, line) {
      const prefix = `[${leg}] `;
      const indent = '  '.repeat(depth.get(leg) ?? 0);
      if (line.group === 'start') {
        buffer.push(`${prefix}${indent}${line.stepNumber > 0 && (depth.get(leg) ?? 0) === 0 ? bold(`▶ ${line.text}`) : `▸ ${line.text}`}\n`);
        depth.set(leg, (depth.get(leg) ?? 0) + 1);
      } else if (line.group === 'end') {
        depth.set(leg, Math.max(0, (depth.get(leg) ?? 0) - 1));
      } else {
        buffer.push(`${prefix}${indent}${line.text}\n`);
      }
      if (!scheduled) {
        scheduled = true;
        setImmediate(write);
      }
    },
    async flush() {
      write();
      await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
    },
  };
}

async function pickWorkflow(cwd: string, given: string | undefined): Promise<string> {
  if (given) return given;
  const files = findWorkflowFiles(cwd);
  if (files.length === 1) return files[0]!;
  if (files.length === 0) throw new PlinthError('PIPELINE_WORKFLOW_NOT_FOUND', `no workflow files in ${cwd}/.github/workflows or .plinth/workflows`);
  throw new PlinthError('REQUEST_INVALID', `several workflows; name one: ${files.join(', ')}`, { location: { field: 'workflow' } });
}

/** Adds `local` to the `run` command group. */
export function registerRunLocalCommand(run: Command): void {
  run
    .command('local')
    .description('Run a workflow of the working directory on this machine, without a server (exit 0 success, 1 failure, 2 bad workflow)')
    .argument('[workflow]', 'workflow file (default: the only one in .github/workflows or .plinth/workflows)')
    .option('--event <name>', 'event that triggers the run', 'push')
    .option('--event-payload <file>', 'JSON file with the event payload (github.event)')
    .option('--input <key=value>', 'workflow_dispatch input (repeatable)', collect, [])
    .option('--secret <key=value>', 'secret (repeatable)', collect, [])
    .option('--var <key=value>', 'configuration variable (repeatable)', collect, [])
    .option('--job <id>', 'run only this job (repeatable; its needs must be listed too)', collect, [])
    .option('--list', 'list the jobs and exit')
    .option('--ignore-containers', 'run jobs with container:/services: on the host instead of failing them')
    .option('--action-source <url>', 'git base URL remote actions are cloned from: <url>/<owner>/<repo>.git (repeatable)', collect, [])
    .action(async (workflowArg: string | undefined, options: RunLocalOptions) => {
      const cwd = process.cwd();
      const workflowPath = await pickWorkflow(cwd, workflowArg);
      if (options.list) {
        const workflow = await parseWorkflowFile(await readFile(path.resolve(cwd, workflowPath), 'utf8'), workflowPath);
        for (const node of planJobs(workflow)) {
          process.stdout.write(`${node.id}\t${node.name}\tneeds: ${node.needs.join(',') || '-'}${node.hasMatrix ? '\tmatrix' : ''}\n`);
        }
        return;
      }
      const printer = createPrinter();
      const payload = options.eventPayload ? (JSON.parse(await readFile(options.eventPayload, 'utf8')) as Record<string, unknown>) : undefined;
      const abort = new AbortController();
      const onSignal = () => abort.abort();
      process.once('SIGINT', onSignal);
      try {
        const result = await runWorkflowLocally({
          workspaceDir: cwd,
          workflowPath,
          event: options.event,
          eventPayload: payload,
          inputs: pairs(options.input, '--input'),
          secrets: pairs(options.secret, '--secret'),
          vars: pairs(options.var, '--var'),
          jobFilter: options.job.length > 0 ? options.job : undefined,
          ignoreContainers: options.ignoreContainers,
          actionSources: options.actionSource,
          onLog: printer.print,
          signal: abort.signal,
        });
        await printer.flush();
        for (const leg of result.legs) {
          const mark = leg.conclusion === 'failure' ? red(leg.conclusion, process.stdout) : leg.conclusion;
          process.stdout.write(`${bold(leg.name)}: ${mark}${leg.reason ? ` (${leg.reason})` : ''}\n`);
        }
        process.exitCode = result.conclusion === 'success' ? 0 : 1;
      } finally {
        process.off('SIGINT', onSignal);
      }
    });
}
