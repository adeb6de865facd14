import { spawn } from 'node:child_process';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { PlinthError } from '../../core/errors.js';
import type { ScaffolderAction } from '../scaffolder-action.js';

/** An action defined in plinth.yaml (`templates.actions`): a program, not code in Plinth. */
export interface CommandActionConfig {
  id: string;
  description?: string;
  /** argv; the first element is the program. Runs in the task workspace. */
  command: string[];
  inputSchema?: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  timeoutSeconds?: number;
  /** The command only touches the workspace, so dry runs run it too. */
  supportsDryRun?: boolean;
}

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats.default(ajv);

/**
 * The command reads the step's input as JSON on stdin and prints its output as one JSON object
 * on stdout; both are validated against the configured schemas. Each stderr line goes to the
 * step log. A non-zero exit, a timeout or invalid output fails the step.
 */
export function createCommandAction(config: CommandActionConfig): ScaffolderAction {
  const input = config.inputSchema ?? { type: 'object' };
  const output = config.outputSchema ?? { type: 'object' };
  const validateInput = ajv.compile(input);
  const validateOutput = ajv.compile(output);
  const timeoutMs = (config.timeoutSeconds ?? 300) * 1000;
  return {
    id: config.id,
    description: config.description ?? `Runs ${config.command[0]}`,
    schema: { input, output },
    supportsDryRun: config.supportsDryRun ?? false,
    async handler(ctx) {
      if (!validateInput(ctx.input)) {
        throw new PlinthError('TEMPLATE_INPUT_INVALID', `input ${ajv.errorsText(validateInput.errors, { dataVar: 'input' })}`);
      }
      const [program, ...args] = config.command;
      const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(program!, args, {
          cwd: ctx.workspacePath,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PLINTH_WORKSPACE: ctx.workspacePath, PLINTH_TASK_ID: ctx.taskId, PLINTH_STEP_ID: ctx.stepId },
          stdio: ['pipe', 'pipe', 'pipe'],
        });
        let out = '';
        let pending = '';
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const onAbort = () => child.kill('SIGKILL');
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => {
          pending += d.toString();
          const lines = pending.split('\n');
          pending = lines.pop()!;
          lines.forEach((line) => ctx.log(line));
        });
        child.on('error', (error) => {
          clearTimeout(timer);
          reject(new PlinthError('TEMPLATE_ACTION_FAILED', `${config.id}: cannot run ${program}: ${error.message}`));
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          ctx.signal.removeEventListener('abort', onAbort);
          if (pending) ctx.log(pending);
          if (ctx.signal.aborted) reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new Error('cancelled'));
          else if (signal === 'SIGKILL') reject(new PlinthError('TEMPLATE_ACTION_FAILED', `${config.id}: timed out after ${timeoutMs / 1000} s`));
          else if (code !== 0) reject(new PlinthError('TEMPLATE_ACTION_FAILED', `${config.id}: ${program} exited with ${code ?? signal}`));
          else resolve(out);
        });
        child.stdin.on('error', () => {});
        child.stdin.end(JSON.stringify(ctx.input));
      });
      let result: unknown;
      try {
        result = stdout.trim() ? JSON.parse(stdout) : {};
      } catch {
        throw new PlinthError('TEMPLATE_ACTION_FAILED', `${config.id}: the command must print one JSON object on stdout, got: ${stdout.slice(0, 200)}`);
      }
      if (!validateOutput(result)) throw new PlinthError('TEMPLATE_ACTION_FAILED', `${config.id}: output ${ajv.errorsText(validateOutput.errors, { dataVar: 'output' })}`);
      for (const [name, value] of Object.entries(result as Record<string, unknown>)) ctx.output(name, value);
    },
  };
}
