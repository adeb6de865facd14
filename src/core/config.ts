import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { PlinthError, type ErrorLocation } from './errors.js';
import { parseYamlDocuments, pointerToPath, type LocatedDocument } from './yaml.js';

export type Role = 'admin' | 'member' | 'viewer';

export interface OidcConfig {
  issuer: string;
  clientId: string;
  clientSecret?: string;
  /** Where the provider sends the user back; defaults to `<publicUrl>/api/auth/oidc/callback`. */
  redirectUrl?: string;
  /** Role given to users who log in through OIDC and are not admins by group. */
  defaultRole: Role;
}

export interface PlinthConfig {
  host: string;
  port: number;
  /** The URL users reach Plinth at; used for links and OIDC redirects. */
  publicUrl: string;
  dataDir: string;
  /** postgres://… selects PostgreSQL; unset means SQLite in the data dir. */
  databaseUrl?: string;
  /** Base64 or hex of 32 bytes; unset means a generated key file in the data dir. */
  secretKey?: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  workers: {
    /** Run queue workers inside `plinth serve`. */
    enabled: boolean;
    concurrency: number;
    /**
     * Pipeline jobs one worker runs at once (like self-hosted runners on one machine). Fewer than
     * `concurrency`, so template tasks, deployments and refreshes always find a free slot.
     */
    pipelineJobs: number;
    labels: string[];
    /** How long a claimed job stays locked without a heartbeat before another worker may take it. */
    leaseSeconds: number;
  };
  auth: {
    guest: { enabled: boolean; role: Role };
    sessionTtlHours: number;
    oidc?: OidcConfig;
  };
  /** Load the demo organisation from examples/ at start. */
  demo: boolean;
  catalog: CatalogConfig;
  git: GitConfig;
  templates: TemplatesConfig;
  environments: EnvironmentsConfig;
  pipelines: PipelinesConfig;
}

export interface PipelinesConfig {
  /** `runs-on` labels that stand for local runner labels (`ubuntu-latest: [linux]`). */
  labelAliases: Record<string, string[]>;
  /** Remote git repositories whose push webhooks start runs. */
  remotes: Array<{ name: string; url: string; token?: string }>;
  /** Secret of the pipelines push webhooks (HMAC-SHA256 or GitLab token). */
  webhookSecret?: string;
  /** Days an uploaded artifact is kept unless the upload asks for fewer. */
  artifactRetentionDays: number;
  /** Days the log lines of a completed run are kept (the run itself stays). */
  logRetentionDays: number;
}

/** How Plinth authenticates to git remotes (catalog locations, template publishing, pipeline checkouts). */
export interface GitConfig {
  credentials: GitCredentialConfig[];
}

/** One credential, for the URLs starting with `urlPrefix` or on `host`; secrets already resolved from `$env:VAR`. */
export interface GitCredentialConfig {
  urlPrefix?: string;
  host?: string;
  username: string;
  password: string;
}

export interface TemplatesConfig {
  /** Actions without code: a program that reads its input as JSON on stdin and prints JSON output. */
  actions: Array<{ id: string; description?: string; command: string[]; inputSchema?: Record<string, unknown>; outputSchema?: Record<string, unknown>; timeoutSeconds?: number; supportsDryRun?: boolean }>;
  /** GitHub hosts publish:github may create repositories on (GitHub Enterprise, or a test server). */
  github: Array<{ host: string; apiBaseUrl: string; token?: string }>;
}

/** An environment type: how its environments live, deploy and promote. */
export interface EnvironmentTypeConfig {
  description: string;
  /** Environments of this type destroy themselves this long after creation (null: never). */
  ttlHours: number | null;
  /** Holds real data: destroying its data-bearing resources needs `confirm: <environment name>`. */
  productionLike: boolean;
  /** The type a release is promoted to from here (null: the end of the line). */
  promotesTo: string | null;
  approval: {
    /** Deployments to environments of this type wait for an approval. */
    required: boolean;
    /** Who may approve: members of the component's owning group (and admins), or admins only. */
    approvers: 'owning-group' | 'admins';
    /** Whether whoever asked for the deployment may approve it too. */
    allowSelfApproval: boolean;
  };
  /** A failed deployment redeploys the release that ran before. */
  rollbackOnFailure: boolean;
  /** Configuration values every environment of this type starts with. */
  values: Record<string, string>;
}

export interface EnvironmentsConfig {
  /** Where workloads run unless a deployment says otherwise. */
  runtime: 'local' | 'kubernetes';
  /** How long a new revision has to pass its readiness probe. */
  readinessTimeoutSeconds: number;
  /** The local runtime's reverse proxy: `http://<workload>.<environment>.localhost:<port>/`. */
  proxy: { host: string; port: number };
  types: Record<string, EnvironmentTypeConfig>;
  /** Resource definitions (validated in full by environments/resource-definitions.ts at start). */
  resourceDefinitions: Array<Record<string, unknown>>;
}

/** The built-in environment types; `environments.types` changes or adds to them. */
export const DEFAULT_ENVIRONMENT_TYPES: Record<string, EnvironmentTypeConfig> = {
  development: { description: 'Shared development', ttlHours: null, productionLike: false, promotesTo: 'staging', approval: { required: false, approvers: 'owning-group', allowSelfApproval: true }, rollbackOnFailure: true, values: {} },
  preview: { description: 'Short-lived, per change', ttlHours: 72, productionLike: false, promotesTo: 'staging', approval: { required: false, approvers: 'owning-group', allowSelfApproval: true }, rollbackOnFailure: true, values: {} },
  staging: { description: 'Production-like rehearsal', ttlHours: null, productionLike: false, promotesTo: 'production', approval: { required: false, approvers: 'owning-group', allowSelfApproval: true }, rollbackOnFailure: true, values: {} },
  production: { description: 'Serves users', ttlHours: null, productionLike: true, promotesTo: null, approval: { required: true, approvers: 'owning-group', allowSelfApproval: false }, rollbackOnFailure: true, values: {} },
};

export interface CatalogConfig {
  /** Registered at start (origin `config`). */
  locations: Array<{ type: 'file' | 'url'; target: string }>;
  /** What happens to an entity its location no longer emits. */
  orphanStrategy: 'keep' | 'delete';
  /** The safety-net refresh of every location (with ±10 % jitter); pushes refresh at once. */
  refreshIntervalSeconds: number;
  /** Secret of GitHub/GitLab/git push webhooks (HMAC-SHA256 signature or token). */
  webhookSecret?: string;
  /** Custom kinds, as the spec of a KindDefinition entity. */
  kinds: unknown[];
}

const roleSchema = { type: 'string', enum: ['admin', 'member', 'viewer'] };

/** The JSON Schema of plinth.yaml: every key is known, so a typo stops start-up. */
const configSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    host: { type: 'string', minLength: 1 },
    port: { type: 'integer', minimum: 0, maximum: 65535 },
    publicUrl: { type: 'string', pattern: '^https?://' },
    dataDir: { type: 'string', minLength: 1 },
    databaseUrl: { type: 'string', pattern: '^postgres(ql)?://' },
    secretKey: { type: 'string', minLength: 1 },
    logLevel: { type: 'string', enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] },
    demo: { type: 'boolean' },
    catalog: {
      type: 'object',
      additionalProperties: false,
      properties: {
        locations: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['type', 'target'], properties: { type: { type: 'string', enum: ['file', 'url'] }, target: { type: 'string', minLength: 1 } } },
        },
        orphanStrategy: { type: 'string', enum: ['keep', 'delete'] },
        refreshIntervalSeconds: { type: 'integer', minimum: 10 },
        webhookSecret: { type: 'string', minLength: 8 },
        // Kept as an alias of git.credentials (urlPrefix + token), which it was before git.credentials existed.
        gitCredentials: {
          type: 'array',
          items: { type: 'object', additionalProperties: false, required: ['urlPrefix', 'token'], properties: { urlPrefix: { type: 'string', minLength: 1 }, token: { type: 'string', minLength: 1 } } },
        },
        kinds: { type: 'array', items: { type: 'object' } },
      },
    },
    git: {
      type: 'object',
      additionalProperties: false,
      properties: {
        credentials: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            properties: {
              urlPrefix: { type: 'string', pattern: '^[a-z][a-z0-9+.-]*://' },
              host: { type: 'string', pattern: '^[A-Za-z0-9.-]+(:[0-9]+)?$' },
              username: { type: 'string', minLength: 1 },
              token: { type: 'string', minLength: 1 },
              password: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
    templates: {
      type: 'object',
      additionalProperties: false,
      properties: {
        actions: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'command'],
            properties: {
              id: { type: 'string', pattern: '^[a-zA-Z0-9][a-zA-Z0-9:._-]*$' },
              description: { type: 'string' },
              command: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
              inputSchema: { type: 'object' },
              outputSchema: { type: 'object' },
              timeoutSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
              supportsDryRun: { type: 'boolean' },
            },
          },
        },
        github: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['host', 'apiBaseUrl'],
            properties: { host: { type: 'string', minLength: 1 }, apiBaseUrl: { type: 'string', pattern: '^https?://' }, token: { type: 'string', minLength: 1 } },
          },
        },
      },
    },
    environments: {
      type: 'object',
      additionalProperties: false,
      properties: {
        runtime: { type: 'string', enum: ['local', 'kubernetes'] },
        resourceDefinitions: { type: 'array', items: { type: 'object' } },
        readinessTimeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600 },
        proxy: {
          type: 'object',
          additionalProperties: false,
          properties: { host: { type: 'string', minLength: 1 }, port: { type: 'integer', minimum: 0, maximum: 65535 } },
        },
        types: {
          type: 'object',
          propertyNames: { pattern: '^[a-z][a-z0-9-]{0,30}$' },
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            properties: {
              description: { type: 'string' },
              ttlHours: { type: ['number', 'null'], exclusiveMinimum: 0 },
              productionLike: { type: 'boolean' },
              promotesTo: { type: ['string', 'null'] },
              approval: {
                type: 'object',
                additionalProperties: false,
                properties: { required: { type: 'boolean' }, approvers: { type: 'string', enum: ['owning-group', 'admins'] }, allowSelfApproval: { type: 'boolean' } },
              },
              rollbackOnFailure: { type: 'boolean' },
              values: { type: 'object', additionalProperties: { type: 'string' } },
            },
          },
        },
      },
    },
    pipelines: {
      type: 'object',
      additionalProperties: false,
      properties: {
        labelAliases: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string', minLength: 1 } } },
        remotes: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'url'],
            properties: { name: { type: 'string', pattern: '^[A-Za-z0-9._-]+/[A-Za-z0-9._-]+$' }, url: { type: 'string', minLength: 1 }, token: { type: 'string', minLength: 1 } },
          },
        },
        webhookSecret: { type: 'string', minLength: 8 },
        artifactRetentionDays: { type: 'integer', minimum: 1, maximum: 3650 },
        logRetentionDays: { type: 'integer', minimum: 1, maximum: 3650 },
      },
    },
    workers: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        concurrency: { type: 'integer', minimum: 1, maximum: 256 },
        pipelineJobs: { type: 'integer', minimum: 1, maximum: 256 },
        labels: { type: 'array', items: { type: 'string', minLength: 1 } },
        leaseSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      properties: {
        guest: {
          type: 'object',
          additionalProperties: false,
          properties: { enabled: { type: 'boolean' }, role: roleSchema },
        },
        sessionTtlHours: { type: 'number', exclusiveMinimum: 0 },
        oidc: {
          type: 'object',
          additionalProperties: false,
          required: ['issuer', 'clientId'],
          properties: {
            issuer: { type: 'string', pattern: '^https?://' },
            clientId: { type: 'string', minLength: 1 },
            clientSecret: { type: 'string' },
            redirectUrl: { type: 'string', pattern: '^https?://' },
            defaultRole: roleSchema,
          },
        },
      },
    },
  },
} as const;

/** Environment variables that override plinth.yaml, and the config key each sets. */
export const CONFIG_ENVIRONMENT: Record<string, { key: string[]; type: 'string' | 'integer' | 'boolean' | 'list' }> = {
  PLINTH_HOST: { key: ['host'], type: 'string' },
  PLINTH_PORT: { key: ['port'], type: 'integer' },
  PLINTH_PUBLIC_URL: { key: ['publicUrl'], type: 'string' },
  PLINTH_DATA_DIR: { key: ['dataDir'], type: 'string' },
  PLINTH_DATABASE_URL: { key: ['databaseUrl'], type: 'string' },
  PLINTH_SECRET_KEY: { key: ['secretKey'], type: 'string' },
  PLINTH_LOG_LEVEL: { key: ['logLevel'], type: 'string' },
  PLINTH_WORKERS: { key: ['workers', 'enabled'], type: 'boolean' },
  PLINTH_WORKER_CONCURRENCY: { key: ['workers', 'concurrency'], type: 'integer' },
  PLINTH_WORKER_PIPELINE_JOBS: { key: ['workers', 'pipelineJobs'], type: 'integer' },
  PLINTH_WORKER_LABELS: { key: ['workers', 'labels'], type: 'list' },
  PLINTH_GUEST_ROLE: { key: ['auth', 'guest', 'role'], type: 'string' },
  PLINTH_CATALOG_WEBHOOK_SECRET: { key: ['catalog', 'webhookSecret'], type: 'string' },
  PLINTH_PROXY_PORT: { key: ['environments', 'proxy', 'port'], type: 'integer' },
  PLINTH_PIPELINES_WEBHOOK_SECRET: { key: ['pipelines', 'webhookSecret'], type: 'string' },
};

export interface LoadConfigOptions {
  /** Path of plinth.yaml; when unset, PLINTH_CONFIG, then ./plinth.yaml if it exists. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** Values given on the command line (highest precedence), as config keys. */
  overrides?: Partial<Record<string, unknown>>;
  cwd?: string;
}

const validateConfig = new Ajv({ allErrors: true, strict: true }).compile(configSchema);

/**
 * Reads plinth.yaml and the PLINTH_* environment, validates the result and fills defaults.
 * Any unknown key, wrong type or missing value throws CONFIG_INVALID naming the key and,
 * for the file, where it stands.
 */
export function loadConfig(options: LoadConfigOptions = {}): PlinthConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicitFile = options.file ?? env.PLINTH_CONFIG;
  const file = explicitFile ? path.resolve(cwd, explicitFile) : undefined;

  let fromFile: Record<string, unknown> = {};
  let document: LocatedDocument | undefined;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new PlinthError('CONFIG_FILE_UNREADABLE', `cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
        location: { file },
      });
    }
    const documents = parseYamlDocuments(text, file, 'CONFIG_INVALID');
    if (documents.length > 1) {
      throw new PlinthError('CONFIG_INVALID', 'the config file must hold one YAML document', { location: { file, line: 1, column: 1 } });
    }
    document = documents[0];
    const value = document?.value ?? {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PlinthError('CONFIG_INVALID', 'the config file must be a mapping of keys to values', { location: document?.locate([]) ?? { file } });
    }
    fromFile = value as Record<string, unknown>;
    assertValid(fromFile, (pointer, target) => document!.locate(pointerToPath(pointer), target));
  }

  const merged = structuredClone(fromFile);
  for (const [name, spec] of Object.entries(CONFIG_ENVIRONMENT)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    setPath(merged, spec.key, parseEnvValue(name, raw, spec.type));
  }
  for (const [key, value] of Object.entries(options.overrides ?? {})) {
    if (value !== undefined) setPath(merged, key.split('.'), value);
  }
  // Second pass: values from the environment and command line are checked as strictly.
  assertValid(merged, (pointer) => ({ field: describeSource(pointerToPath(pointer)) }));
  return withDefaults(merged, cwd, env);
}

function assertValid(value: unknown, locate: (pointer: string, target: 'key' | 'value') => ErrorLocation): void {
  if (validateConfig(value)) return;
  const errors = validateConfig.errors ?? [];
  const details = errors.map((error) => describeConfigError(error, locate));
  const first = details[0]!;
  throw new PlinthError('CONFIG_INVALID', first.message, { location: first.location, details });
}

function describeConfigError(error: ErrorObject, locate: (pointer: string, target: 'key' | 'value') => ErrorLocation) {
  const key = pointerToPath(error.instancePath).join('.');
  if (error.keyword === 'additionalProperties') {
    const unknown = String(error.params.additionalProperty);
    const full = key ? `${key}.${unknown}` : unknown;
    return { message: `unknown config key '${full}'`, location: locate(`${error.instancePath}/${unknown}`, 'key') };
  }
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    return { message: `config key '${key ? `${key}.` : ''}${missing}' is required`, location: locate(error.instancePath, 'key') };
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params.allowedValues as unknown[]).join(', ');
    return { message: `config key '${key}' must be one of ${allowed}`, location: locate(error.instancePath, 'value') };
  }
  return { message: `config key '${key}' ${error.message ?? 'is invalid'}`, location: locate(error.instancePath, 'value') };
}

function describeSource(keyPath: Array<string | number>): string {
  const key = keyPath.join('.');
  const variable = Object.entries(CONFIG_ENVIRONMENT).find(([, spec]) => spec.key.join('.') === key)?.[0];
  return variable ? `${key} (or ${variable})` : key;
}

function parseEnvValue(name: string, raw: string, type: 'string' | 'integer' | 'boolean' | 'list'): unknown {
  switch (type) {
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) throw new PlinthError('CONFIG_INVALID', `${name} must be a whole number, got '${raw}'`, { location: { field: name } });
      return Number(raw);
    }
    case 'boolean': {
      if (!['true', 'false', '1', '0'].includes(raw)) {
        throw new PlinthError('CONFIG_INVALID', `${name} must be true or false, got '${raw}'`, { location: { field: name } });
      }
      return raw === 'true' || raw === '1';
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, keyPath: string[], value: unknown): void {
  let node = target;
  for (const segment of keyPath.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  node[keyPath[keyPath.length - 1]!] = value;
}

// The validated shape of plinth.yaml; every key optional.
interface RawConfig {
  host?: string;
  port?: number;
  publicUrl?: string;
  dataDir?: string;
  databaseUrl?: string;
  secretKey?: string;
  logLevel?: PlinthConfig['logLevel'];
  demo?: boolean;
  catalog?: Partial<CatalogConfig> & { gitCredentials?: Array<{ urlPrefix: string; token: string }> };
  git?: { credentials?: Array<{ urlPrefix?: string; host?: string; username?: string; token?: string; password?: string }> };
  templates?: Partial<TemplatesConfig>;
  pipelines?: Partial<PipelinesConfig>;
  environments?: { resourceDefinitions?: EnvironmentsConfig['resourceDefinitions']; runtime?: EnvironmentsConfig['runtime']; readinessTimeoutSeconds?: number; proxy?: Partial<EnvironmentsConfig['proxy']>; types?: Record<string, Partial<EnvironmentTypeConfig>> };
  workers?: Partial<PlinthConfig['workers']>;
  auth?: { guest?: Partial<PlinthConfig['auth']['guest']>; sessionTtlHours?: number; oidc?: Partial<OidcConfig> & { issuer: string; clientId: string } };
}

function withDefaults(value: Record<string, unknown>, cwd: string, env: NodeJS.ProcessEnv): PlinthConfig {
  const raw = value as RawConfig;
  const host = raw.host ?? '127.0.0.1';
  const port = raw.port ?? 7007;
  const guestRole = raw.auth?.guest?.role;
  return {
    host,
    port,
    publicUrl: (raw.publicUrl ?? `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`).replace(/\/$/, ''),
    dataDir: path.resolve(cwd, raw.dataDir ?? '.data'),
    databaseUrl: raw.databaseUrl,
    secretKey: raw.secretKey,
    logLevel: raw.logLevel ?? 'info',
    demo: raw.demo ?? false,
    catalog: {
      locations: raw.catalog?.locations ?? [],
      orphanStrategy: raw.catalog?.orphanStrategy ?? 'keep',
      refreshIntervalSeconds: raw.catalog?.refreshIntervalSeconds ?? 3600,
      webhookSecret: raw.catalog?.webhookSecret,
      kinds: raw.catalog?.kinds ?? [],
    },
    git: { credentials: gitCredentialsOf(raw, env) },
    templates: {
      actions: raw.templates?.actions ?? [],
      github: raw.templates?.github ?? [],
    },
    environments: environmentsWithDefaults(raw.environments),
    pipelines: {
      labelAliases: raw.pipelines?.labelAliases ?? { 'ubuntu-latest': ['linux'], 'ubuntu-24.04': ['linux'], 'ubuntu-22.04': ['linux'] },
      remotes: raw.pipelines?.remotes ?? [],
      webhookSecret: raw.pipelines?.webhookSecret,
      artifactRetentionDays: raw.pipelines?.artifactRetentionDays ?? 90,
      logRetentionDays: raw.pipelines?.logRetentionDays ?? 90,
    },
    workers: {
      enabled: raw.workers?.enabled ?? true,
      concurrency: raw.workers?.concurrency ?? 4,
      pipelineJobs: raw.workers?.pipelineJobs ?? Math.max(1, (raw.workers?.concurrency ?? 4) - 1),
      labels: raw.workers?.labels ?? ['linux', process.arch === 'x64' ? 'x64' : process.arch, 'self-hosted'],
      leaseSeconds: raw.workers?.leaseSeconds ?? 30,
    },
    auth: {
      // Setting a guest role (file or PLINTH_GUEST_ROLE) is how guest mode is switched on.
      guest: { enabled: raw.auth?.guest?.enabled ?? guestRole !== undefined, role: guestRole ?? 'viewer' },
      sessionTtlHours: raw.auth?.sessionTtlHours ?? 12,
      oidc: raw.auth?.oidc ? { defaultRole: 'member', ...raw.auth.oidc } : undefined,
    },
  };
}

/** `git.credentials`, then the older `catalog.gitCredentials`, with `$env:VAR` secrets read from the environment. */
function gitCredentialsOf(raw: RawConfig, env: NodeJS.ProcessEnv): GitCredentialConfig[] {
  type Entry = NonNullable<NonNullable<RawConfig['git']>['credentials']>[number] & { key: string };
  const entries: Entry[] = [
    ...(raw.git?.credentials ?? []).map((c, i) => ({ ...c, key: `git.credentials.${i}` })),
    ...(raw.catalog?.gitCredentials ?? []).map((c, i) => ({ ...c, key: `catalog.gitCredentials.${i}` })),
  ];
  return entries.map(({ key, urlPrefix, host, username, token, password }) => {
    if ((urlPrefix === undefined) === (host === undefined)) throw new PlinthError('CONFIG_INVALID', `config key '${key}' needs exactly one of urlPrefix or host`, { location: { field: key } });
    if ((token === undefined) === (password === undefined)) throw new PlinthError('CONFIG_INVALID', `config key '${key}' needs exactly one of token or password`, { location: { field: key } });
    const secretKey = token !== undefined ? `${key}.token` : `${key}.password`;
    const secret = resolveEnvReference(token ?? password!, secretKey, env);
    // A token goes as the password of basic auth; GitHub, GitLab and Plinth accept any user name with it.
    return { ...(urlPrefix ? { urlPrefix } : { host: host! }), username: username ?? 'x-access-token', password: secret };
  });
}

/** `$env:NAME` names an environment variable holding the value, so plinth.yaml need not hold secrets. */
function resolveEnvReference(value: string, key: string, env: NodeJS.ProcessEnv): string {
  const match = /^\$env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (!match) return value;
  const resolved = env[match[1]!];
  if (!resolved) throw new PlinthError('CONFIG_INVALID', `config key '${key}' names the environment variable ${match[1]}, which is not set`, { location: { field: key } });
  return resolved;
}

function environmentsWithDefaults(raw: RawConfig['environments']): EnvironmentsConfig {
  const types = structuredClone(DEFAULT_ENVIRONMENT_TYPES);
  for (const [name, given] of Object.entries(raw?.types ?? {})) {
    const base = types[name] ?? { ...DEFAULT_ENVIRONMENT_TYPES.development!, description: name, promotesTo: null };
    types[name] = { ...base, ...given, approval: { ...base.approval, ...given.approval }, values: { ...base.values, ...given.values } };
  }
  for (const [name, type] of Object.entries(types)) {
    if (type.promotesTo !== null && !types[type.promotesTo]) {
      throw new PlinthError('CONFIG_INVALID', `config key 'environments.types.${name}.promotesTo' names '${type.promotesTo}', which is not an environment type (known: ${Object.keys(types).join(', ')})`, {
        location: { field: `environments.types.${name}.promotesTo` },
      });
    }
  }
  return {
    runtime: raw?.runtime ?? 'local',
    readinessTimeoutSeconds: raw?.readinessTimeoutSeconds ?? 60,
    proxy: { host: raw?.proxy?.host ?? '127.0.0.1', port: raw?.proxy?.port ?? 7080 },
    types,
    resourceDefinitions: raw?.resourceDefinitions ?? [],
  };
}
