import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { PlinthError } from '../../core/errors.js';
import { callApi } from '../client.js';
import { printRecords } from '../output.js';
import { serverOf } from './env.js';

type DeploymentView = {
  id: string;
  environment: string;
  component: string;
  release: string;
  commitSha: string | null;
  action: string;
  status: string;
  error: string | null;
  requestedBy: string;
  approvedBy: string | null;
  createdAt: string;
  finishedAt: string | null;
};

const COLUMNS = ['id', 'component', 'environment', 'release', 'action', 'status', 'requestedBy', 'createdAt'];
const FINAL = new Set(['succeeded', 'failed', 'rolled-back', 'superseded']);

/** Waits for a deployment to finish (or to wait for an approval), printing its status changes. */
async function follow(server: Parameters<typeof callApi>[0], deployment: DeploymentView, timeoutSeconds: number): Promise<DeploymentView> {
  let current = deployment;
  let last = '';
  const deadline = Date.now() + timeoutSeconds * 1000;
  for (;;) {
    if (current.status !== last) process.stderr.write(`${current.id}: ${current.status}\n`);
    last = current.status;
    if (FINAL.has(current.status) || current.status === 'awaiting-approval') break;
    if (Date.now() > deadline) throw new PlinthError('DEPLOYMENT_FAILED', `deployment ${current.id} is still ${current.status} after ${timeoutSeconds} s; follow it with plinth deploy status ${current.id}`);
    await sleep(300);
    current = await callApi<DeploymentView>(server, 'GET', `/api/deployments/${current.id}`);
  }
  if (current.status === 'failed' || current.status === 'rolled-back') {
    throw new PlinthError('DEPLOYMENT_FAILED', `deployment ${current.id} ${current.status === 'rolled-back' ? 'failed and was rolled back' : 'failed'}: ${current.error ?? 'no error recorded'}`);
  }
  if (current.status === 'awaiting-approval') process.stderr.write(`${current.id} waits for approval: plinth approve ${current.id}\n`);
  return current;
}

async function headCommit(directory: string): Promise<string | undefined> {
  try {
    return (await promisify(execFile)('git', ['rev-parse', 'HEAD'], { cwd: directory })).stdout.trim();
  } catch {
    return undefined;
  }
}

/** `plinth deploy|promote|rollback|approve|logs`. */
export function registerDeployCommands(program: Command): void {
  const waitOptions = (cmd: Command) => cmd.option('--no-wait', 'return once the deployment is queued').option('--timeout <seconds>', 'how long to wait', '600');

  waitOptions(
    program
      .command('deploy')
      .description('Deploy a component to an environment: a release by id, or a new one from a Score file and a checkout directory')
      .argument('<component>')
      .requiredOption('--env <environment>', 'target environment')
      .option('--release <id>', 'an existing release')
      .option('--ref <sha>', 'the commit the release is built from (default: HEAD of --dir, when it is a git checkout)')
      .option('--score <file>', 'the Score file', 'score.yaml')
      .option('--dir <directory>', 'the checkout `image: .` runs from (local runtime)', '.')
      .option('--runtime <runtime>', 'local or kubernetes (default: the server\'s environments.runtime)')
      .option('--dry-run', 'show what would be provisioned and deployed'),
  ).action(async (component: string, options: { env: string; release?: string; ref?: string; score: string; dir: string; runtime?: string; dryRun?: boolean; wait: boolean; timeout: string }, command: Command) => {
    const { server, output } = serverOf(command);
    let body: Record<string, unknown> = { environment: options.env, component, runtime: options.runtime, dryRun: options.dryRun };
    if (options.release) body.release = options.release;
    else {
      const directory = path.resolve(options.dir);
      let score: string;
      try {
        score = readFileSync(path.resolve(directory, options.score), 'utf8');
      } catch (error) {
        throw new PlinthError('RELEASE_INVALID', `cannot read the Score file ${path.resolve(directory, options.score)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { location: { field: '--score' } });
      }
      body = { ...body, score, artifact: directory, commitSha: options.ref ?? (await headCommit(directory)) };
    }
    const answer = await callApi<DeploymentView & { resources?: unknown[] }>(server, 'POST', '/api/deployments', body);
    if (options.dryRun) return printRecords(output === 'table' ? 'yaml' : output, answer, [], []);
    const finished = options.wait ? await follow(server, answer, Number(options.timeout)) : answer;
    printRecords(output, finished, [finished], COLUMNS);
  });

  waitOptions(
    program
      .command('promote')
      .description('Deploy the release running in one environment to the next in the promotion order')
      .argument('<component>')
      .requiredOption('--from <environment>')
      .requiredOption('--to <environment>'),
  ).action(async (component: string, options: { from: string; to: string; wait: boolean; timeout: string }, command: Command) => {
    const { server, output } = serverOf(command);
    const answer = await callApi<DeploymentView>(server, 'POST', '/api/deployments/promote', { component, from: options.from, to: options.to });
    const finished = options.wait ? await follow(server, answer, Number(options.timeout)) : answer;
    printRecords(output, finished, [finished], COLUMNS);
  });

  waitOptions(
    program
      .command('rollback')
      .description('Redeploy an earlier release (default: the one before the current)')
      .argument('<component>')
      .requiredOption('--env <environment>')
      .option('--to <release>', 'the release to go back to'),
  ).action(async (component: string, options: { env: string; to?: string; wait: boolean; timeout: string }, command: Command) => {
    const { server, output } = serverOf(command);
    const answer = await callApi<DeploymentView>(server, 'POST', '/api/deployments/rollback', { component, environment: options.env, to: options.to });
    const finished = options.wait ? await follow(server, answer, Number(options.timeout)) : answer;
    printRecords(output, finished, [finished], COLUMNS);
  });

  waitOptions(program.command('approve').description('Approve a deployment that waits for approval').argument('<deployment>')).action(
    async (id: string, options: { wait: boolean; timeout: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const answer = await callApi<DeploymentView>(server, 'POST', `/api/deployments/${encodeURIComponent(id)}/approve`);
      const finished = options.wait ? await follow(server, answer, Number(options.timeout)) : answer;
      printRecords(output, finished, [finished], COLUMNS);
    },
  );

  program
    .command('deployments')
    .description('Deployment history, newest first')
    .option('--env <environment>')
    .option('--component <component>')
    .action(async (options: { env?: string; component?: string }, command: Command) => {
      const { server, output } = serverOf(command);
      const query = new URLSearchParams({ ...(options.env ? { environment: options.env } : {}), ...(options.component ? { component: options.component } : {}) });
      const { items } = await callApi<{ items: DeploymentView[] }>(server, 'GET', `/api/deployments?${query}`);
      printRecords(output, items, items, COLUMNS);
    });

  program
    .command('logs')
    .description("A workload's logs (-f follows them live)")
    .argument('<component>')
    .requiredOption('--env <environment>')
    .option('-f, --follow', 'keep printing new lines')
    .action(async (component: string, options: { env: string; follow?: boolean }, command: Command) => {
      const { server } = serverOf(command);
      const url = `${server.server}/api/environments/${encodeURIComponent(options.env)}/workloads/${encodeURIComponent(component)}/logs${options.follow ? '?follow=true' : ''}`;
      let response: Response;
      try {
        response = await fetch(url, { headers: server.token ? { authorization: `Bearer ${server.token}` } : {} });
      } catch (error) {
        throw new PlinthError('CLI_REQUEST_FAILED', `cannot reach ${server.server}: ${(error as Error).message}`);
      }
      if (!response.ok) {
        // Let callApi turn the problem document into the error the server described.
        await callApi(server, 'GET', new URL(url).pathname);
      }
      if (!options.follow) {
        process.stdout.write(await response.text());
        return;
      }
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = event.split('\n').find((line) => line.startsWith('data: '));
          if (data) process.stdout.write((JSON.parse(data.slice(6)) as { text: string }).text);
        }
      }
    });
}
