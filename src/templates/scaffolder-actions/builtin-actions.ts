import { tmpdir } from 'node:os';
import path from 'node:path';
import { PlinthError } from '../../core/errors.js';
import type { ScaffolderAction } from '../scaffolder-action.js';
import type { TemplateSourceAccess } from '../template-source.js';
import { createCatalogActions, type TemplateCatalogAccess } from './catalog.js';
import { createCommandAction, type CommandActionConfig } from './command.js';
import { createFetchActions } from './fetch.js';
import { createPublishActions, type GithubHostConfig, type TemplateRepositoryAccess } from './publish.js';
import { createDebugActions, createWorkspaceFileActions } from './workspace-files.js';

export interface ScaffolderActionDeps {
  source: TemplateSourceAccess;
  catalog: TemplateCatalogAccess;
  repositories: TemplateRepositoryAccess;
  github: GithubHostConfig[];
  /** Actions from plinth.yaml's templates.actions. */
  commandActions: CommandActionConfig[];
  /** Actions other capabilities offer templates (wired by the server: `environment:create`). */
  capabilityActions?: ScaffolderAction[];
}

/** Every action templates may call: the built-in ones, then the configured command actions. */
export function createScaffolderActions(deps: ScaffolderActionDeps): ScaffolderAction[] {
  const builtIn = [
    ...createFetchActions(deps.source),
    ...createWorkspaceFileActions(),
    ...createDebugActions(),
    ...createCatalogActions(deps.catalog),
    ...createPublishActions({ repositories: deps.repositories, gitCredentials: deps.source.gitCredentials, github: deps.github }),
    ...(deps.capabilityActions ?? []),
  ];
  const ids = new Set(builtIn.map((action) => action.id));
  const configured = deps.commandActions.map((config, index) => {
    if (ids.has(config.id)) throw new PlinthError('CONFIG_INVALID', `templates.actions[${index}].id '${config.id}' is a built-in action; choose another id`, { location: { field: `templates.actions.${index}.id` } });
    ids.add(config.id);
    return createCommandAction(config);
  });
  return [...builtIn, ...configured];
}

/**
 * The actions for a dry run outside a server (`plinth template dry-run`): fetch and fs work on
 * local files, publish and catalog actions only say what they would do, and the catalog is
 * not there to read.
 */
export function createOfflineActions(commandActions: CommandActionConfig[] = []): ScaffolderAction[] {
  const needsServer = async (): Promise<never> => {
    throw new PlinthError('CLI_SERVER_REQUIRED', 'this action changes a Plinth server; offline, templates run only as dry runs');
  };
  return createScaffolderActions({
    source: { localRepository: () => undefined, cacheDir: path.join(tmpdir(), 'plinth-template-git-cache'), gitCredentials: [] },
    catalog: { getEntity: async () => undefined, registerLocation: needsServer },
    repositories: { find: async () => undefined, create: needsServer, recordPush: needsServer },
    github: [],
    commandActions,
  });
}
