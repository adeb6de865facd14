import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { PlinthError, type ErrorLocation } from '../core/errors.js';
import { isTruthy, renderTemplateValue, type RenderContext } from './render.js';
import type { ScaffolderAction, TemplateInfo } from './scaffolder-action.js';
import type { LocateInTemplate, TemplateEntity } from './template-spec.js';

export type StepStatus = 'open' | 'processing' | 'completed' | 'failed' | 'skipped' | 'cancelled';

export interface StepState {
  id: string;
  name: string;
  action: string;
  status: StepStatus;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
}

/** Receives the run's progress; log messages arrive already masked. */
export interface TemplateRunObserver {
  log(message: string, stepId?: string): Promise<void> | void;
  stepChanged(step: StepState): Promise<void> | void;
}

export interface RunTemplateOptions {
  template: TemplateEntity;
  locate?: LocateInTemplate;
  templateInfo: TemplateInfo;
  /** Validated parameter values. */
  values: Record<string, unknown>;
  secrets: Record<string, string>;
  user: { ref: string; entity?: unknown };
  taskId: string;
  workspacePath: string;
  isDryRun: boolean;
  signal: AbortSignal;
  actions: Map<string, ScaffolderAction>;
  observer: TemplateRunObserver;
  /** Replaces secret values with *** (applied to every log line). */
  mask(text: string): string;
}

const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
addFormats.default(ajv);
const inputValidators = new WeakMap<ScaffolderAction, ValidateFunction>();

function validateInput(action: ScaffolderAction, input: unknown, stepId: string, locate: (path: Array<string | number>) => ErrorLocation | undefined): void {
  let validate = inputValidators.get(action);
  if (!validate) {
    validate = ajv.compile(action.schema.input);
    inputValidators.set(action, validate);
  }
  if (validate(input)) return;
  const error = validate.errors![0]!;
  const key = error.keyword === 'required' ? String(error.params.missingProperty) : error.instancePath.slice(1).replace(/\//g, '.');
  const message = error.keyword === 'required' ? 'is required' : (error.message ?? 'is invalid');
  throw new PlinthError('TEMPLATE_INPUT_INVALID', `step ${stepId} (${action.id}): input ${key || '(all)'} ${message}`, { location: locate(error.keyword === 'required' ? [] : error.instancePath.slice(1).split('/')) });
}

/** The steps a template declares, with the ids the engine uses for them. */
export function stepsOf(template: TemplateEntity): StepState[] {
  return (template.spec.steps ?? []).map((step, index) => ({ id: step.id ?? `step-${index + 1}`, name: step.name ?? step.id ?? step.action, action: step.action, status: 'open' }));
}

/** Refuses a template that calls an action this Plinth does not have, before anything runs. */
export function assertActionsExist(template: TemplateEntity, actions: Map<string, ScaffolderAction>, locate: LocateInTemplate = () => undefined): void {
  (template.spec.steps ?? []).forEach((step, index) => {
    if (!actions.has(step.action)) {
      throw new PlinthError('TEMPLATE_ACTION_UNKNOWN', `step ${step.id ?? index + 1}: unknown action '${step.action}' (GET /api/scaffolder/v2/actions lists the ones available)`, {
        location: locate(['spec', 'steps', index, 'action']),
      });
    }
  });
}

/**
 * Runs a template's steps in order in the workspace, then renders spec.output. A failing step
 * stops the run; its error names the step, the input key and (from the template's YAML) the
 * file:line where possible.
 */
export async function runTemplate(options: RunTemplateOptions): Promise<Record<string, unknown>> {
  const { template, actions, observer } = options;
  const locate = options.locate ?? (() => undefined);
  const context: RenderContext = { parameters: options.values, steps: {}, user: options.user, secrets: options.secrets };
  const states = stepsOf(template);
  const temporaryDirectories: string[] = [];
  const log = (message: string, stepId?: string) => observer.log(options.mask(message), stepId);
  assertActionsExist(template, actions, locate);
  try {
    for (const [index, step] of (template.spec.steps ?? []).entries()) {
      const state = states[index]!;
      const stepPath = ['spec', 'steps', index];
      if (options.signal.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new Error('cancelled');
      const started = Date.now();
      const finish = async (status: StepStatus) => {
        Object.assign(state, { status, endedAt: new Date().toISOString(), durationMs: Date.now() - started });
        await observer.stepChanged({ ...state });
      };
      Object.assign(state, { status: 'processing', startedAt: new Date(started).toISOString() });
      await observer.stepChanged({ ...state });
      try {
        if (step.if !== undefined) {
          const condition = typeof step.if === 'string' ? renderTemplateValue(step.if, context, { what: `step ${state.id}, if`, location: locate([...stepPath, 'if']) }) : step.if;
          if (!isTruthy(condition)) {
            await log(`skipping step ${state.id}: its if condition is false`, state.id);
            context.steps[state.id] = { output: {} };
            await finish('skipped');
            continue;
          }
        }
        const action = actions.get(step.action)!;
        if (options.isDryRun && !action.supportsDryRun) {
          await log(`skipping step ${state.id}: ${action.id} does not support dry runs`, state.id);
          context.steps[state.id] = { output: {} };
          await finish('skipped');
          continue;
        }
        const iterations: Array<{ key: string; value: unknown } | undefined> = [undefined];
        if (step.each !== undefined) {
          const each = renderTemplateValue(step.each, context, { what: `step ${state.id}, each`, location: locate([...stepPath, 'each']) });
          if (!each || typeof each !== 'object') throw new PlinthError('TEMPLATE_INPUT_INVALID', `step ${state.id}: each must render to an array or an object, got ${JSON.stringify(each)}`, { location: locate([...stepPath, 'each']) });
          iterations.splice(0, 1, ...(Array.isArray(each) ? each.map((value, i) => ({ key: String(i), value })) : Object.entries(each).map(([key, value]) => ({ key, value }))));
        }
        const output: Record<string, unknown> = {};
        // An action's log calls are not awaited by the action: they are written in order, and the
        // step ends only after they are (a task's completion is its last event). The chain never
        // rejects (a rejection nothing awaits yet would end the process); a failed write fails the
        // step once the action is done.
        let actionLogs = Promise.resolve();
        let logError: { error: unknown } | undefined;
        const logFromAction = (message: string) => {
          actionLogs = actionLogs.then(() => log(message, state.id)).catch((error: unknown) => void (logError ??= { error }));
        };
        for (const iteration of iterations) {
          const iterationContext = iteration ? { ...context, each: iteration } : context;
          const inputLocate = (p: Array<string | number>) => locate([...stepPath, 'input', ...p]);
          const input = (renderTemplateValue(step.input ?? {}, iterationContext, { what: `step ${state.id}, input`, location: locate([...stepPath, 'input']) }, inputLocate) ?? {}) as Record<string, unknown>;
          validateInput(action, input, state.id, inputLocate);
          if (iteration) await log(`running ${action.id} for each.key ${iteration.key}`, state.id);
          else await log(`running ${action.id}`, state.id);
          try {
            await action.handler({
              input,
              workspacePath: options.workspacePath,
              templateInfo: options.templateInfo,
              user: options.user,
              secrets: options.secrets,
              taskId: options.taskId,
              stepId: state.id,
              isDryRun: options.isDryRun,
              signal: options.signal,
              log: logFromAction,
              output: (name, value) => {
                if (iteration) output[name] = [...((output[name] as unknown[] | undefined) ?? []), value];
                else output[name] = value;
              },
              createTemporaryDirectory: async () => {
                const dir = await mkdtemp(path.join(tmpdir(), 'plinth-step-'));
                temporaryDirectories.push(dir);
                return dir;
              },
            });
          } finally {
            await actionLogs;
          }
          if (logError) throw logError.error;
        }
        context.steps[state.id] = { output };
        await finish('completed');
      } catch (error) {
        await finish(options.signal.aborted ? 'cancelled' : 'failed');
        throw namedAfterStep(error, state.id, step.action, locate([...stepPath, 'action']));
      }
    }
    const output = (template.spec.output ? renderTemplateValue(template.spec.output, context, { what: 'output', location: locate(['spec', 'output']) }, (p) => locate(['spec', 'output', ...p])) : {}) as Record<string, unknown> | undefined;
    return withoutFalseConditions(output ?? {});
  } finally {
    await Promise.all(temporaryDirectories.map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

/** Output links and text may carry `if:`; those whose condition is false are left out. */
function withoutFalseConditions(output: Record<string, unknown>): Record<string, unknown> {
  const out = { ...output };
  for (const key of ['links', 'text']) {
    const items = out[key];
    if (!Array.isArray(items)) continue;
    out[key] = items
      .filter((item) => !(item && typeof item === 'object' && 'if' in item) || isTruthy((item as { if: unknown }).if))
      .map((item) => {
        if (!item || typeof item !== 'object' || !('if' in item)) return item as unknown;
        const { if: _condition, ...rest } = item as Record<string, unknown>;
        return rest;
      });
  }
  return out;
}

/** Prefixes an error with its step unless the message names it already. */
function namedAfterStep(error: unknown, stepId: string, action: string, location: ErrorLocation | undefined): PlinthError {
  if (error instanceof PlinthError) {
    if (error.message.startsWith(`step ${stepId}`)) return error;
    return new PlinthError(error.code, `step ${stepId} (${action}): ${error.message}`, { location: error.location ?? location, details: error.details, cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new PlinthError('TEMPLATE_ACTION_FAILED', `step ${stepId} (${action}): ${message}`, { location, cause: error });
}
