import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import path from 'node:path';
import { PlinthError } from '../core/errors.js';
import type { DriverContext, ResourceDriver } from './driver.js';
import { settingsSchema } from './support.js';

/**
 * `command`: a provisioner that is a program, speaking score-compose's `cmd://` protocol so
 * Score's command provisioners work unchanged. The program gets one JSON object on stdin —
 * resource_uid, resource_type, resource_class, resource_id, resource_params,
 * resource_metadata, resource_state, shared_state (plus `action`: provision|deprovision) —
 * and prints one JSON object: resource_outputs, resource_state, shared_state (other
 * score-compose fields, e.g. compose_services, are accepted and ignored).
 *
 * Definition params (settings): `command` (program and arguments; or Score's `uri: cmd://…`
 * with `args`), `deprovisionCommand` (optional; without it deprovisioning removes nothing),
 * `secretOutputs` (output keys to store encrypted), `timeoutSeconds` (default 120). These come
 * only from the definition — a Score file cannot choose the program. Every other definition
 * param is passed on in resource_params, under the workload's params. Shared state is kept per
 * resource (in its state), not across resources.
 */
export function commandDriver(): ResourceDriver {
  return {
    type: 'command',
    // Unknown to us: treated as holding data (destroying it in production needs confirmation).
    dataBearing: true,
    // Open: the definition's other params are passed on to the program.
    settingsSchema: settingsSchema(
      {
        command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        deprovisionCommand: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        uri: { type: 'string', pattern: '^cmd://' },
        args: { type: 'array', items: { type: 'string' } },
        secretOutputs: { type: 'array', items: { type: 'string' } },
        timeoutSeconds: { type: 'number', exclusiveMinimum: 0 },
      },
      { open: true },
    ),
    async provision(request, ctx) {
      const { argv, timeoutMs, secretOutputs, resourceParams } = settingsOf(request.settings, 'command', request.resourceId);
      const previous = request.previousState ?? {};
      const answer = await runProvisioner(argv, {
        action: 'provision',
        resource_uid: request.metadata.uid ?? request.resourceId,
        resource_type: request.type,
        resource_class: request.class,
        resource_id: request.metadata.sharedId ?? request.resourceId,
        // The definition's other params are defaults the workload's params override.
        resource_params: { ...resourceParams, ...request.params },
        resource_metadata: request.metadata,
        resource_state: previous.resource_state ?? {},
        shared_state: previous.shared_state ?? {},
      }, timeoutMs, ctx, request.resourceId);
      const outputs = objectField(answer, 'resource_outputs', argv, request.resourceId) ?? {};
      return {
        outputs,
        secretOutputKeys: secretOutputs.filter((key) => key in outputs),
        state: { resource_state: objectField(answer, 'resource_state', argv, request.resourceId) ?? {}, shared_state: objectField(answer, 'shared_state', argv, request.resourceId) ?? {} },
      };
    },
    async deprovision(request, ctx) {
      if (request.settings.deprovisionCommand === undefined) {
        ctx.logger.info({ resource: request.resourceId }, 'command provisioner has no deprovisionCommand: nothing to remove');
        return;
      }
      const { argv, timeoutMs, resourceParams } = settingsOf(request.settings, 'deprovisionCommand', request.resourceId);
      await runProvisioner(argv, {
        action: 'deprovision',
        resource_uid: request.resourceId,
        resource_type: request.type,
        resource_class: request.class,
        resource_id: request.resourceId,
        resource_params: resourceParams,
        resource_metadata: {},
        resource_state: request.state.resource_state ?? {},
        shared_state: request.state.shared_state ?? {},
      }, timeoutMs, ctx, request.resourceId);
    },
  };
}

const SETTINGS = new Set(['command', 'deprovisionCommand', 'uri', 'args', 'secretOutputs', 'timeoutSeconds']);

function settingsOf(settings: Record<string, unknown>, key: 'command' | 'deprovisionCommand', resourceId: string): { argv: string[]; timeoutMs: number; secretOutputs: string[]; resourceParams: Record<string, unknown> } {
  const invalid = (why: string) => new PlinthError('RESOURCE_DEFINITION_INVALID', `command provisioner of ${resourceId}: ${why}`);
  let argv: string[];
  const list = settings[key];
  if (Array.isArray(list) && list.length > 0 && list.every((part) => typeof part === 'string')) {
    argv = list as string[];
  } else if (key === 'command' && typeof settings.uri === 'string' && settings.uri.startsWith('cmd://')) {
    const args = Array.isArray(settings.args) ? settings.args.map(String) : [];
    argv = [binaryOfUri(settings.uri), ...args];
  } else {
    throw invalid(`params.${key} must be a list: the program and its arguments`);
  }
  const timeoutSeconds = settings.timeoutSeconds === undefined ? 120 : Number(settings.timeoutSeconds);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw invalid('params.timeoutSeconds must be a positive number');
  const secretOutputs = Array.isArray(settings.secretOutputs) ? settings.secretOutputs.map(String) : [];
  const resourceParams = Object.fromEntries(Object.entries(settings).filter(([name]) => !SETTINGS.has(name)));
  return { argv, timeoutMs: timeoutSeconds * 1000, secretOutputs, resourceParams };
}

/** score-compose's cmd:// forms: cmd:///abs/path, cmd://~/in/home, cmd://./relative, cmd://program-on-PATH. */
function binaryOfUri(uri: string): string {
  const rest = uri.slice('cmd://'.length);
  if (rest.startsWith('/')) return rest;
  if (rest.startsWith('~/')) return path.join(homedir(), rest.slice(2));
  if (rest.startsWith('./') || rest.startsWith('../')) return path.resolve(rest);
  return rest;
}

function runProvisioner(argv: string[], input: Record<string, unknown>, timeoutMs: number, ctx: DriverContext, resourceId: string): Promise<Record<string, unknown>> {
  const [program, ...args] = argv as [string, ...string[]];
  const what = `command provisioner ${argv.join(' ')} (${String(input.action)} ${resourceId})`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs, signal: ctx.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-8000)));
    child.stdin.on('error', () => undefined);
    child.on('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ENOENT' ? 'program not found' : error.name === 'AbortError' ? 'cancelled' : error.message;
      reject(new PlinthError('RESOURCE_COMMAND_FAILED', `${what}: ${why}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      const tail = stderr.trim() ? `; stderr: ${stderr.trim().split('\n').slice(-10).join('\n')}` : '';
      if (signal) return reject(new PlinthError('RESOURCE_COMMAND_FAILED', `${what}: ${signal === 'SIGTERM' ? `timed out after ${timeoutMs / 1000}s` : `killed by ${signal}`}${tail}`));
      if (code !== 0) return reject(new PlinthError('RESOURCE_COMMAND_FAILED', `${what}: exited with code ${code}${tail}`));
      if (input.action === 'deprovision' && !stdout.trim()) return resolve({});
      let parsed: unknown;
      try {
        parsed = JSON.parse(stdout);
      } catch {
        parsed = undefined;
      }
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
        return reject(new PlinthError('RESOURCE_COMMAND_FAILED', `${what}: stdout is not a JSON object with resource_outputs; it began: ${JSON.stringify(stdout.slice(0, 200))}${tail}`));
      }
      resolve(parsed as Record<string, unknown>);
    });
    child.stdin.end(JSON.stringify(input));
  });
}

function objectField(answer: Record<string, unknown>, key: string, argv: string[], resourceId: string): Record<string, unknown> | undefined {
  const value = answer[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new PlinthError('RESOURCE_COMMAND_FAILED', `command provisioner ${argv.join(' ')} (provision ${resourceId}): ${key} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
