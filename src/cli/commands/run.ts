import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi, type ServerCredentials } from '../client.js';
import { printRecords } from '../output.js';
import { serverOf } from './repo.js';

interface RunView {
  id: number;
  repository: string;
  workflowName: string;
  runNumber: number;
  attempt: number;
  sha: string;
  refName: string;
  event: string;
  actor: string;
  status: string;
  conclusion: string | null;
  createdAt: string;
}

interface JobView {
  id: number;
  name: string;
  needs: string[];
  status: string;
  conclusion: string | null;
  steps: Array<{ number: number; name: string; conclusion: string | null }>;
  annotations: Array<{ level: string; message: string; file?: string; line?: number }>;
}

interface LogLine {
  line: number;
  text: string;
}

const RUN_COLUMNS = ['id', 'repository', 'workflow', 'number', 'branch', 'sha', 'event', 'actor', 'status', 'created'];
const rowOf = (r: RunView) => ({
  id: r.id,
  repository: r.repository,
  workflow: r.workflowName,
  number: r.attempt > 1 ? `${r.runNumber}.${r.attempt}` : r.runNumber,
  branch: r.refName,
  sha: r.sha.slice(0, 10),
  event: r.event,
  actor: r.actor,
  status: r.conclusion ?? r.status,
  created: r.createdAt,
});

function parseRunId(value: string): number {
  const id = Number(value);
  if (!Number.isInteger(id) || id < 1) throw new PlinthError('REQUEST_INVALID', `a run id is a positive whole number, got '${value}'`, { location: { field: '<run>' } });
  return id;
}

/** `k=v` pairs of repeated --input options. */
function parseInputs(pairs: string[]): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new PlinthError('REQUEST_INVALID', `--input takes name=value, got '${pair}'`, { location: { field: '--input' } });
    inputs[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return inputs;
}

/**
 * Reads a Server-Sent-Events response and calls onEvent for each event until the stream ends.
 */
async function readEventStream(server: ServerCredentials, pathname: string, onEvent: (event: string, data: unknown) => void): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${server.server}${pathname}`, { headers: { accept: 'text/event-stream', ...(server.token ? { authorization: `Bearer ${server.token}` } : {}) } });
  } catch (error) {
    throw new PlinthError('CLI_REQUEST_FAILED', `cannot reach ${server.server}: ${(error as Error).message}`);
  }
  if (!response.ok || !response.body) {
    // The same errors as a JSON call: let callApi describe the problem.
    await callApi(server, 'GET', pathname.replace(/([?&])follow=1&?/, '$1'));
    throw new PlinthError('CLI_REQUEST_FAILED', `GET ${pathname} answered ${response.status}`);
  }
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = 'message';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) onEvent(event, JSON.parse(data));
    }
  }
}

/** Prints a run's logs; with follow, live until the run ends. Returns the run's conclusion. */
async function printRunLogs(server: ServerCredentials, runId: number, options: { job?: string; follow?: boolean }): Promise<string | null> {
  const details = await callApi<RunView & { jobs: JobView[] }>(server, 'GET', `/api/pipelines/runs/${runId}`);
  const selected = (jobs: JobView[]) => jobs.filter((j) => !options.job || String(j.id) === options.job || j.name === options.job);
  if (options.job && selected(details.jobs).length === 0) throw new PlinthError('PIPELINE_JOB_NOT_FOUND', `run ${runId} has no job '${options.job}' (jobs: ${details.jobs.map((j) => `${j.id} ${j.name}`).join(', ')})`);
  const prefixed = selected(details.jobs).length > 1;
  const names = new Map(details.jobs.map((j) => [j.id, j.name]));
  const print = (jobId: number, lines: LogLine[]) => {
    for (const line of lines) process.stdout.write(`${prefixed ? `${names.get(jobId) ?? jobId} | ` : ''}${line.text}\n`);
  };
  if (!options.follow) {
    for (const job of selected(details.jobs)) {
      let after = 0;
      for (;;) {
        const page = await callApi<{ items: LogLine[]; nextAfter: number }>(server, 'GET', `/api/pipelines/runs/${runId}/jobs/${job.id}/logs?after=${after}&limit=5000`);
        print(job.id, page.items);
        if (page.items.length === 0) break;
        after = page.nextAfter;
      }
    }
    return details.conclusion;
  }
  let conclusion: string | null = null;
  const wanted = new Set(selected(details.jobs).map((j) => j.id));
  await readEventStream(server, `/api/pipelines/runs/${runId}/stream`, (event, data) => {
    if (event === 'run') {
      for (const job of (data as { jobs: JobView[] }).jobs) {
        names.set(job.id, job.name);
        if (!options.job || job.name === options.job || String(job.id) === options.job) wanted.add(job.id);
      }
    } else if (event === 'lines') {
      const { jobId, lines } = data as { jobId: number; lines: LogLine[] };
      if (wanted.has(jobId)) print(jobId, lines);
    } else if (event === 'end') {
      conclusion = (data as { conclusion: string | null }).conclusion;
    }
  });
  return conclusion;
}

/** `plinth run list|show|logs|cancel|rerun|dispatch`: pipeline runs on a Plinth server. */
export function registerRunCommands(program: Command): Command {
  const run = program.command('run').description('Pipeline runs on a server (list, show, follow logs, cancel, re-run, dispatch), or a workflow run locally');

  run
    .command('list')
    .description('List runs, newest first')
    .option('--repo <repository>', 'namespace/name')
    .option('--branch <branch>', 'branch or tag')
    .option('--status <status>', 'queued, in_progress or completed')
    .option('--workflow <workflow>', 'workflow file path or name')
    .option('--actor <actor>', 'who triggered it (user:alice)')
    .option('--limit <n>', 'at most this many', '30')
    .action(async (options: { repo?: string; branch?: string; status?: string; workflow?: string; actor?: string; limit: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries({ repository: options.repo, branch: options.branch, status: options.status, workflow: options.workflow, actor: options.actor, limit: options.limit })) if (value) query.set(key, value);
      const { items } = await callApi<{ items: RunView[] }>(server, 'GET', `/api/pipelines/runs?${query}`);
      printRecords(output, items, items.map(rowOf), RUN_COLUMNS);
    });

  run
    .command('show')
    .description('A run with its jobs, steps and annotations')
    .argument('<run>', 'run id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const details = await callApi<RunView & { jobs: JobView[] }>(server, 'GET', `/api/pipelines/runs/${parseRunId(id)}`);
      if (output !== 'table') return printRecords(output, details, [], []);
      printRecords(output, details, [rowOf(details)], RUN_COLUMNS);
      process.stdout.write('\n');
      printRecords(output, details.jobs, details.jobs.map((j) => ({ job: j.id, name: j.name, needs: j.needs.join(',') || null, status: j.conclusion ?? j.status, steps: j.steps.map((s) => `${s.name}:${s.conclusion ?? '…'}`).join(' ') })), ['job', 'name', 'needs', 'status', 'steps']);
      for (const job of details.jobs) for (const a of job.annotations) process.stdout.write(`${a.file ? `${a.file}${a.line ? `:${a.line}` : ''}: ` : ''}${a.level}: ${a.message} (${job.name})\n`);
    });

  run
    .command('logs')
    .description("Print a run's logs (-f: follow live until the run ends; exit 1 if it did not succeed)")
    .argument('<run>', 'run id')
    .option('--job <job>', 'only this job (id or name)')
    .option('-f, --follow', 'stream new lines as they are written')
    .action(async (id: string, options: { job?: string; follow?: boolean }, command: Command) => {
      const { server } = serverOf(command);
      const conclusion = await printRunLogs(server, parseRunId(id), options);
      if (options.follow && conclusion !== 'success') process.exitCode = 1;
    });

  run
    .command('cancel')
    .description('Cancel a run (running steps are stopped, post steps run)')
    .argument('<run>', 'run id')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { server, output } = serverOf(command);
      const cancelled = await callApi<RunView>(server, 'POST', `/api/pipelines/runs/${parseRunId(id)}/cancel`);
      printRecords(output, cancelled, [rowOf(cancelled)], RUN_COLUMNS);
    });

  run
    .command('rerun')
    .description('Run a completed run again as a new attempt')
    .argument('<run>', 'run id')
    .option('--failed', 'only the failed and cancelled jobs (and the jobs that need them)')
    .action(async (id: string, options: { failed?: boolean }, command: Command) => {
      const { server, output } = serverOf(command);
      const rerun = await callApi<RunView>(server, 'POST', `/api/pipelines/runs/${parseRunId(id)}/rerun`, { failedOnly: Boolean(options.failed) });
      printRecords(output, rerun, [rowOf(rerun)], RUN_COLUMNS);
    });

  run
    .command('dispatch')
    .description('Run a workflow that has a workflow_dispatch trigger')
    .argument('<repository>', 'namespace/name')
    .argument('<workflow>', 'workflow file (ci.yml or .github/workflows/ci.yml)')
    .option('--ref <ref>', 'branch, tag or commit (default: the default branch)')
    .option('--input <name=value>', 'an input (repeat for more)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('-f, --follow', 'follow the run\'s logs until it ends (exit 1 if it did not succeed)')
    .action(async (repository: string, workflow: string, options: { ref?: string; input: string[]; follow?: boolean }, command: Command) => {
      const { server, output } = serverOf(command);
      const created = await callApi<RunView>(server, 'POST', '/api/pipelines/dispatch', { repository, workflow, ref: options.ref, inputs: parseInputs(options.input) });
      if (!options.follow) return printRecords(output, created, [rowOf(created)], RUN_COLUMNS);
      process.stderr.write(`Run ${created.id} (${created.workflowName} #${created.runNumber}) started\n`);
      const conclusion = await printRunLogs(server, created.id, { follow: true });
      process.stderr.write(`Run ${created.id} ${conclusion ?? 'ended'}\n`);
      if (conclusion !== 'success') process.exitCode = 1;
    });

  return run;
}
