import type { KindDefinition, RelationField } from './kind-registry.js';

/**
 * The kinds Plinth knows without configuration. Their spec schemas and relation fields follow
 * Backstage's kind schemas (`packages/catalog-model/src/schema/kinds/*.schema.json`,
 * `plugins/scaffolder-common/src/Template.v1beta3.schema.json`) and the relations its
 * `BuiltinKindsEntityProcessor` (and the scaffolder's Template processor) emit.
 */

export const BACKSTAGE_API_VERSIONS = ['backstage.io/v1alpha1', 'backstage.io/v1beta1'];
export const TEMPLATE_API_VERSION = 'scaffolder.backstage.io/v1beta3';
export const KIND_DEFINITION_API_VERSION = 'plinth.dev/v1alpha1';
export const KIND_DEFINITION_KIND = 'KindDefinition';

const text = { type: 'string', minLength: 1 };
const REMOTE_API_TYPES = ['mcp-server', 'ai-model-server'];
const refList = { type: 'array', items: text };

function owner(): RelationField {
  return { path: 'spec.owner', relation: 'ownedBy', reverse: 'ownerOf', defaultKind: 'Group', allowedKinds: ['Group', 'User'], many: false };
}
function partOf(path: string, defaultKind: string): RelationField {
  return { path, relation: 'partOf', reverse: 'hasPart', defaultKind, many: false };
}
// Backstage gives dependsOn/dependencyOf no default kind: their refs must say what they point at.
const dependsOn: RelationField = { path: 'spec.dependsOn', relation: 'dependsOn', reverse: 'dependencyOf', many: true };
const dependencyOf: RelationField = { path: 'spec.dependencyOf', relation: 'dependencyOf', reverse: 'dependsOn', many: true };

const component: KindDefinition = {
  kind: 'Component',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'A piece of software: a service, website or library, usually with its own deployable or linkable artifact.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['type', 'lifecycle', 'owner'],
    properties: {
      type: text,
      lifecycle: text,
      owner: text,
      system: text,
      subcomponentOf: text,
      providesApis: refList,
      consumesApis: refList,
      dependsOn: refList,
      dependencyOf: refList,
    },
  },
  relationFields: [
    owner(),
    partOf('spec.subcomponentOf', 'Component'),
    { path: 'spec.providesApis', relation: 'providesApi', reverse: 'apiProvidedBy', defaultKind: 'API', many: true },
    { path: 'spec.consumesApis', relation: 'consumesApi', reverse: 'apiConsumedBy', defaultKind: 'API', many: true },
    dependsOn,
    dependencyOf,
    partOf('spec.system', 'System'),
  ],
};

const api: KindDefinition = {
  kind: 'API',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'An interface a component exposes: OpenAPI, AsyncAPI, GraphQL, gRPC or another format.',
  builtIn: true,
  // Backstage's API spec types mcp-server and ai-model-server describe endpoints (`remotes`)
  // instead of a `definition`; every other type needs the definition.
  specSchema: {
    type: 'object',
    required: ['type', 'lifecycle', 'owner'],
    properties: {
      type: text,
      lifecycle: text,
      owner: text,
      system: text,
      definition: text,
      remotes: { type: 'array', minItems: 1, items: { type: 'object', required: ['type', 'url'], properties: { type: text, url: text } } },
    },
    if: { required: ['type'], properties: { type: { enum: REMOTE_API_TYPES } } },
    then: { required: ['remotes'] },
    else: { required: ['definition'] },
  },
  relationFields: [owner(), partOf('spec.system', 'System')],
};

const resource: KindDefinition = {
  kind: 'Resource',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'Infrastructure a system needs to operate: a database, a bucket, a queue, a cluster.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['type', 'owner'],
    properties: { type: text, owner: text, system: text, dependsOn: refList, dependencyOf: refList },
  },
  relationFields: [owner(), dependsOn, dependencyOf, partOf('spec.system', 'System')],
};

const system: KindDefinition = {
  kind: 'System',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'A collection of components, APIs and resources that together expose a feature.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['owner'],
    properties: { owner: text, domain: text, type: text },
  },
  relationFields: [owner(), partOf('spec.domain', 'Domain')],
};

const domain: KindDefinition = {
  kind: 'Domain',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'A bounded context: systems that share terminology, models and business purpose.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['owner'],
    properties: { owner: text, subdomainOf: text, type: text },
  },
  relationFields: [owner(), partOf('spec.subdomainOf', 'Domain')],
};

const profileFields = ['displayName', 'email', 'picture'];
const group: KindDefinition = {
  kind: 'Group',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'An organizational unit: a team, a business unit, an interest group.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['type', 'children'],
    properties: {
      type: text,
      profile: { type: 'object', properties: Object.fromEntries(profileFields.map((f) => [f, text])) },
      parent: text,
      children: refList,
      members: refList,
    },
  },
  relationFields: [
    { path: 'spec.parent', relation: 'childOf', reverse: 'parentOf', defaultKind: 'Group', many: false },
    { path: 'spec.children', relation: 'parentOf', reverse: 'childOf', defaultKind: 'Group', many: true },
    { path: 'spec.members', relation: 'hasMember', reverse: 'memberOf', defaultKind: 'User', many: true },
  ],
};

const userProfileFields = [...profileFields, 'pronouns', 'jobTitle', 'startDateISO', 'manager', 'timezoneISO', 'location', 'directMessageURL'];
const user: KindDefinition = {
  kind: 'User',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'A person: an employee, a contractor; a member of groups.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['memberOf'],
    properties: {
      profile: {
        type: 'object',
        properties: {
          ...Object.fromEntries(userProfileFields.map((f) => [f, text])),
          externalHandles: { type: 'object', additionalProperties: text },
        },
      },
      memberOf: refList,
    },
  },
  relationFields: [{ path: 'spec.memberOf', relation: 'memberOf', reverse: 'hasMember', defaultKind: 'Group', many: true }],
};

const location: KindDefinition = {
  kind: 'Location',
  apiVersions: BACKSTAGE_API_VERSIONS,
  description: 'A marker that points at other places to read catalog files from.',
  builtIn: true,
  specSchema: {
    type: 'object',
    properties: { type: text, target: text, targets: refList, presence: { enum: ['required', 'optional'] } },
  },
  relationFields: [],
};

const template: KindDefinition = {
  kind: 'Template',
  apiVersions: [TEMPLATE_API_VERSION],
  description: 'A software template: parameters to ask for, steps to run, output to show (scaffolder.backstage.io/v1beta3).',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['type', 'steps'],
    properties: {
      type: text,
      owner: text,
      parameters: { oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }] },
      steps: {
        type: 'array',
        items: {
          type: 'object',
          required: ['action'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            action: { type: 'string' },
            input: { type: 'object' },
            if: { type: ['string', 'boolean'] },
          },
        },
      },
      output: {
        type: 'object',
        properties: {
          links: {
            type: 'array',
            items: { type: 'object', properties: { url: text, entityRef: text, title: text, icon: text, if: { type: ['string', 'boolean'] } } },
          },
          text: {
            type: 'array',
            items: { type: 'object', properties: { title: text, icon: text, content: { type: 'string' }, default: { type: 'boolean' }, if: { type: ['string', 'boolean'] } } },
          },
        },
        additionalProperties: { type: 'string' },
      },
    },
  },
  relationFields: [owner()],
};

const relationTypePattern = '^\\w+$';
const kindPattern = '^[a-zA-Z][a-z0-9A-Z]*$';

/** Plinth's meta kind: a custom kind defined as data (what Backstage needs code for). */
const kindDefinition: KindDefinition = {
  kind: KIND_DEFINITION_KIND,
  apiVersions: [KIND_DEFINITION_API_VERSION],
  description: 'Defines a custom kind: its apiVersions, the JSON Schema of its spec and the relations its fields produce.',
  builtIn: true,
  specSchema: {
    type: 'object',
    required: ['kind', 'apiVersions', 'schema'],
    additionalProperties: false,
    properties: {
      kind: { type: 'string', pattern: kindPattern, maxLength: 63 },
      apiVersions: { type: 'array', minItems: 1, items: text },
      description: { type: 'string' },
      schema: { type: 'object' },
      relations: {
        type: 'array',
        items: {
          type: 'object',
          required: ['field', 'type', 'reverse'],
          additionalProperties: false,
          properties: {
            field: { type: 'string', pattern: '^spec(\\.[^.]+)+$' },
            type: { type: 'string', pattern: relationTypePattern },
            reverse: { type: 'string', pattern: relationTypePattern },
            defaultKind: { type: 'string', pattern: kindPattern },
            allowedKinds: { type: 'array', items: { type: 'string', pattern: kindPattern } },
            many: { type: 'boolean' },
          },
        },
      },
    },
  },
  relationFields: [],
};

export const BUILT_IN_KINDS: readonly KindDefinition[] = [component, api, resource, system, domain, group, user, location, template, kindDefinition];
