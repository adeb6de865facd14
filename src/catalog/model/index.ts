// The catalog model: entities, refs, kinds, validation, relations and catalog files, as pure
// functions (no database, no HTTP). Everything outside src/catalog/model imports from here.
export { DEFAULT_NAMESPACE, type Entity, type EntityLink, type EntityMetadata, type EntityRelation } from './entity.js';
export { entityRefOf, parseEntityRef, stringifyEntityRef, type CompoundEntityRef, type EntityRefContext } from './entity-ref.js';
export { createKindRegistry, type KindDefinition, type KindRegistry, type RelationField, type RelationTypeNames } from './kind-registry.js';
export { BACKSTAGE_API_VERSIONS, KIND_DEFINITION_API_VERSION, KIND_DEFINITION_KIND, TEMPLATE_API_VERSION } from './built-in-kinds.js';
export { kindDefinitionFromConfig, kindDefinitionFromEntity, type KindDefinitionSpec } from './kind-definition.js';
export { validateEntity, type EntityFinding, type ValidationResult } from './validate-entity.js';
export {
  relationsOf,
  type EntityRelationEdge,
  RELATION_API_CONSUMED_BY,
  RELATION_API_PROVIDED_BY,
  RELATION_CHILD_OF,
  RELATION_CONSUMES_API,
  RELATION_DEPENDENCY_OF,
  RELATION_DEPENDS_ON,
  RELATION_HAS_MEMBER,
  RELATION_HAS_PART,
  RELATION_MEMBER_OF,
  RELATION_OWNED_BY,
  RELATION_OWNER_OF,
  RELATION_PARENT_OF,
  RELATION_PART_OF,
  RELATION_PROVIDES_API,
} from './relations.js';
export { parseCatalogFile, parseCatalogFileWithSubstitutions, type CatalogFileError, type ParsedCatalogFile } from './catalog-file.js';
export { resolveSubstitutions, type SubstitutionReader } from './substitutions.js';
export {
  FORMAT_EXPECTATIONS,
  isValidAnnotationKey,
  isValidApiVersion,
  isValidEntityName,
  isValidKindName,
  isValidLabelKey,
  isValidLabelValue,
  isValidNamespace,
  isValidTag,
} from './field-formats.js';
