import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSecretMasker } from '../secrets/masking.js';
import { runTemplate, stepsOf, type StepState } from './run-template.js';
import type { ScaffolderAction } from './scaffolder-action.js';
import { assertRunnableTemplate, secretParameterNames, templateRefOf, validateParameterValues, type LocateInTemplate } from './template-spec.js';
import { resolveInside } from './workspace-path.js';

export interface DryRunInput {
  /** The Template entity object. */
  template: unknown;
  values: unknown;
  secrets?: Record<string, string>;
  /** The files next to the template (its skeleton), when it has no location of its own. */
  directoryContents?: Array<{ path: string; base64Content: string }>;
  /** The template file, when it is on disk: relative URLs resolve against it (the CLI's offline dry run). */
  source?: string;
  locate?: LocateInTemplate;
  actions: Map<string, ScaffolderAction>;
  getEntity(ref: string): Promise<unknown>;
}

export interface DryRunResult {
  log: Array<{ body: { message: string; stepId?: string } }>;
  steps: StepState[];
  output: Record<string, unknown>;
  directoryContents: Array<{ path: string; base64Content: string; executable: boolean }>;
}

/** Every file of a directory as dry-run directoryContents. */
async function readDirectoryContents(root: string): Promise<DryRunResult['directoryContents']> {
  const out: DryRunResult['directoryContents'] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    const mode = (await stat(full)).mode;
    out.push({ path: path.relative(root, full).split(path.sep).join('/'), base64Content: (await readFile(full)).toString('base64'), executable: (mode & 0o111) !== 0 });
  }
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

/**
 * Renders a template with NO side effects outside a scratch directory: publish and catalog
 * actions only log what they would do, actions that cannot pretend are skipped. The rendered
 * workspace comes back as directoryContents.
 */
export async function dryRunTemplate(input: DryRunInput, actorRef: string): Promise<DryRunResult> {
  const entity = assertRunnableTemplate(input.template, input.locate ?? ((p) => ({ field: `/template/${p.join('/')}` })));
  const values = validateParameterValues(entity, input.values ?? {});
  const root = await mkdtemp(path.join(tmpdir(), 'plinth-dry-run-'));
  try {
    const templateDir = path.join(root, 'template');
    const workspace = path.join(root, 'workspace');
    await mkdir(templateDir, { recursive: true });
    await mkdir(workspace, { recursive: true });
    for (const [index, file] of (input.directoryContents ?? []).entries()) {
      const target = await resolveInside(templateDir, file.path, `directoryContents[${index}].path`);
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, Buffer.from(file.base64Content, 'base64'));
    }
    const masker = createSecretMasker();
    Object.values(input.secrets ?? {}).forEach((value) => masker.add(value));
    for (const name of secretParameterNames(entity)) if (typeof values[name] === 'string') masker.add(values[name]);
    const log: DryRunResult['log'] = [];
    const steps = stepsOf(entity);
    const output = await runTemplate({
      template: entity,
      locate: input.locate,
      templateInfo: { entityRef: templateRefOf(entity), source: input.source ?? path.join(templateDir, 'template.yaml'), entity },
      values,
      secrets: input.secrets ?? {},
      user: { ref: actorRef, entity: await input.getEntity(actorRef).catch(() => undefined) },
      taskId: `dry-run-${randomUUID()}`,
      workspacePath: workspace,
      isDryRun: true,
      signal: AbortSignal.timeout(5 * 60_000),
      actions: input.actions,
      mask: (text) => masker.mask(text),
      observer: {
        log: (message, stepId) => void log.push({ body: { message, ...(stepId ? { stepId } : {}) } }),
        stepChanged: (state) => {
          steps[steps.findIndex((s) => s.id === state.id)] = state;
        },
      },
    });
    return { log, steps, output: JSON.parse(masker.mask(JSON.stringify(output))) as Record<string, unknown>, directoryContents: await readDirectoryContents(workspace) };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
