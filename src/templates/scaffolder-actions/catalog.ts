import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { PlinthError } from '../../core/errors.js';
import { parseTemplateEntityRef } from '../render.js';
import type { ScaffolderAction } from '../scaffolder-action.js';
import { resolveInside } from '../workspace-path.js';

/** What the catalog actions need from the catalog (wired in server/platform.ts). */
export interface TemplateCatalogAccess {
  getEntity(ref: string): Promise<Record<string, unknown> | undefined>;
  /** Registers a location URL (or refreshes it when it is registered already); its entities. */
  registerLocation(target: string, actorRef: string): Promise<Array<{ kind: string; metadata: { name: string; namespace?: string } }>>;
}

function refOf(entity: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${entity.kind.toLowerCase()}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`;
}

export function createCatalogActions(catalog: TemplateCatalogAccess): ScaffolderAction[] {
  const register: ScaffolderAction<{ repoContentsUrl?: string; catalogInfoPath?: string; catalogInfoUrl?: string; optional?: boolean }> = {
    id: 'catalog:register',
    description: 'Registers a catalog-info file (of a repository just published) in the catalog.',
    supportsDryRun: true,
    schema: {
      input: {
        oneOf: [
          { type: 'object', required: ['catalogInfoUrl'], properties: { catalogInfoUrl: { type: 'string' }, optional: { type: 'boolean' } } },
          { type: 'object', required: ['repoContentsUrl'], properties: { repoContentsUrl: { type: 'string' }, catalogInfoPath: { type: 'string', default: '/catalog-info.yaml' }, optional: { type: 'boolean' } } },
        ],
      },
      output: { type: 'object', properties: { entityRef: { type: 'string' }, catalogInfoUrl: { type: 'string' } } },
    },
    async handler(ctx) {
      const { input } = ctx;
      const catalogInfoUrl = input.catalogInfoUrl ?? (input.repoContentsUrl ? `${input.repoContentsUrl.replace(/\/$/, '')}/${(input.catalogInfoPath ?? '/catalog-info.yaml').replace(/^\//, '')}` : undefined);
      if (!catalogInfoUrl) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'give catalogInfoUrl, or repoContentsUrl (and catalogInfoPath)');
      ctx.output('catalogInfoUrl', catalogInfoUrl);
      if (ctx.isDryRun) {
        ctx.log(`dry run: would register ${catalogInfoUrl} in the catalog`);
        // The entity the workspace's catalog-info.yaml describes is what would be registered.
        const local = await readFile(path.join(ctx.workspacePath, (input.catalogInfoPath ?? 'catalog-info.yaml').replace(/^\//, '')), 'utf8').catch(() => undefined);
        const entity = local ? (parseYaml(local) as { kind?: string; metadata?: { name?: string; namespace?: string } } | null) : undefined;
        if (entity?.kind && entity.metadata?.name) ctx.output('entityRef', refOf(entity as never));
        return;
      }
      try {
        const entities = await catalog.registerLocation(catalogInfoUrl, ctx.user.ref);
        const main = entities.find((e) => e.kind.toLowerCase() !== 'location') ?? entities[0];
        ctx.log(`registered ${catalogInfoUrl}: ${entities.map(refOf).join(', ') || 'no entities'}`);
        if (main) ctx.output('entityRef', refOf(main));
      } catch (error) {
        if (!input.optional) throw error;
        ctx.log(`could not register ${catalogInfoUrl} (optional): ${(error as Error).message}`);
      }
    },
  };

  const write: ScaffolderAction<{ entity: Record<string, unknown>; filePath?: string }> = {
    id: 'catalog:write',
    description: 'Writes a catalog-info.yaml describing an entity into the workspace.',
    supportsDryRun: true,
    schema: { input: { type: 'object', required: ['entity'], properties: { entity: { type: 'object' }, filePath: { type: 'string', default: 'catalog-info.yaml' } } } },
    async handler(ctx) {
      const file = await resolveInside(ctx.workspacePath, ctx.input.filePath ?? 'catalog-info.yaml', 'filePath');
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, stringifyYaml(ctx.input.entity));
      ctx.log(`wrote ${ctx.input.filePath ?? 'catalog-info.yaml'}`);
    },
  };

  const fetchEntities: ScaffolderAction<{ entityRef?: string; entityRefs?: string[]; optional?: boolean; defaultKind?: string; defaultNamespace?: string }> = {
    id: 'catalog:fetch',
    description: 'Reads entities from the catalog: output `entity` (for entityRef) or `entities` (for entityRefs).',
    supportsDryRun: true,
    schema: {
      input: {
        type: 'object',
        properties: { entityRef: { type: 'string' }, entityRefs: { type: 'array', items: { type: 'string' } }, optional: { type: 'boolean' }, defaultKind: { type: 'string' }, defaultNamespace: { type: 'string' } },
      },
      output: { type: 'object', properties: { entity: { type: 'object' }, entities: { type: 'array' } } },
    },
    async handler(ctx) {
      const { input } = ctx;
      if (!input.entityRef && !input.entityRefs) throw new PlinthError('TEMPLATE_INPUT_INVALID', 'give entityRef or entityRefs');
      const lookUp = async (ref: string) => {
        const parts = parseTemplateEntityRef(ref, { defaultKind: input.defaultKind, defaultNamespace: input.defaultNamespace });
        const full = `${parts.kind}:${parts.namespace}/${parts.name}`;
        const entity = await catalog.getEntity(full);
        if (!entity && !input.optional) throw new PlinthError('TEMPLATE_INPUT_INVALID', `entity ${full} is not in the catalog`);
        return entity ?? null;
      };
      if (input.entityRef) ctx.output('entity', await lookUp(input.entityRef));
      if (input.entityRefs) ctx.output('entities', await Promise.all(input.entityRefs.map(lookUp)));
    },
  };

  return [register, write, fetchEntities];
}
