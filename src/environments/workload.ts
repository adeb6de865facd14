import { existsSync, statSync } from 'node:fs';
import { PlinthError } from '../core/errors.js';
import type { LocalWorkloadSpec } from '../runtimes/local/local-runtime.js';
import type { ResolvedWorkload } from '../runtimes/workload.js';
import type { ResourceOutputs, ResourceRequest } from './resource-provisioning.js';

/** What deployments need from Score support (src/environments/score): parse, list resources, resolve. */
export interface ScoreSupport {
  /** Validates a Score file; throws a PlinthError at file:line:column. */
  parse(text: string, file: string): ParsedScore;
}

export interface ParsedScore {
  name: string;
  /** The resources the workload asks for, ordered so a resource comes after those its params name. */
  resources: ResourceRequest[];
  /** Resolves `${metadata.*}` and `${resources.<name>.<output>}`; throws at file:line:column on an unknown one. */
  resolve(outputs: Map<string, ResourceOutputs>): ResolvedWorkload;
}

/** Annotation that makes the local runtime listen on the Score target ports themselves. */
export const FIXED_PORTS_ANNOTATION = 'plinth.dev/local-ports';

/** The proxy routes a workload's `route` resources ask for (params host, path, port). */
export function routesOf(workload: ResolvedWorkload): LocalWorkloadSpec['routes'] {
  return workload.resources
    .filter((r) => r.type === 'route' && typeof r.params.host === 'string')
    .map((r) => ({ host: String(r.params.host), path: typeof r.params.path === 'string' ? r.params.path : '/', port: (r.params.port as number | string | undefined) ?? workload.ports[0]?.name ?? 0 }));
}

/**
 * Renders a resolved workload for the local runtime: `image: .` runs the command in the
 * release's checkout directory; other images run their command in the revision directory.
 * Files land under `$PLINTH_FILES_ROOT/<target>`; volumes are links there to the volume's source.
 */
export function renderLocalWorkload(workload: ResolvedWorkload, context: { environment: string; component: string; revision: string; artifact: string | null }): LocalWorkloadSpec {
  const containers = workload.containers.map((container) => {
    const command = [...container.command, ...container.args];
    if (command.length === 0) {
      throw new PlinthError('LOCAL_RUNTIME_COMMAND_INVALID', `container ${container.name} of ${context.component} has no command: the local runtime runs processes, not images (set command/args, or deploy with --runtime kubernetes)`);
    }
    let workingDirectory: string | undefined;
    if (container.image === '.') {
      if (!context.artifact || !existsSync(context.artifact) || !statSync(context.artifact).isDirectory()) {
        throw new PlinthError('RELEASE_INVALID', `container ${container.name} has image '.', which runs from the release's checkout directory, but the release's artifact ${context.artifact ? `'${context.artifact}' is not a directory` : 'is not set'}`);
      }
      workingDirectory = context.artifact;
    }
    return {
      name: container.name,
      command,
      workingDirectory,
      env: container.variables,
      files: container.files.map((file) => ({ target: file.target, content: file.content, mode: file.mode })),
      links: container.volumes.map((volume) => ({ target: volume.target, source: volume.path ? `${volume.source}/${volume.path}` : volume.source })),
    };
  });
  const probe = workload.containers.find((c) => c.readinessProbe?.httpGet)?.readinessProbe?.httpGet;
  return {
    environment: context.environment,
    workload: context.component,
    revision: context.revision,
    containers,
    ports: workload.ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort })),
    fixedPorts: workload.annotations[FIXED_PORTS_ANNOTATION] === 'fixed',
    readiness: probe ? { path: probe.path, targetPort: probe.port } : undefined,
    routes: routesOf(workload),
  };
}
