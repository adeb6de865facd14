import type { RelationGraph } from '../../api/types.js';
import { displayKind, kindClass, parseEntityRef } from './refs.js';

/**
 * A radial layout of the relations around an entity: the entity in the middle, everything one
 * hop away on the first ring, two hops on the second, and so on. Computed once per graph; the
 * view pans and zooms by transforming one <g>, so 500 nodes never re-render per frame.
 */

/** Relation pairs: each edge is drawn once, in the direction of the first name (`A ownedBy B`: A → B). */
export const RELATION_FAMILIES = [
  { id: 'ownership', forward: 'ownedBy', reverse: 'ownerOf', label: 'owned by / owner of' },
  { id: 'part', forward: 'partOf', reverse: 'hasPart', label: 'part of / has part' },
  { id: 'dependency', forward: 'dependsOn', reverse: 'dependencyOf', label: 'depends on / dependency of' },
  { id: 'provides', forward: 'providesApi', reverse: 'apiProvidedBy', label: 'provides API / API provided by' },
  { id: 'consumes', forward: 'consumesApi', reverse: 'apiConsumedBy', label: 'consumes API / API consumed by' },
  { id: 'membership', forward: 'memberOf', reverse: 'hasMember', label: 'member of / has member' },
  { id: 'hierarchy', forward: 'childOf', reverse: 'parentOf', label: 'child of / parent of' },
] as const;

export type FamilyId = (typeof RELATION_FAMILIES)[number]['id'] | 'other';

export interface LaidOutNode {
  ref: string;
  kind: string;
  kindClass: string;
  label: string;
  /** The entity's type (`service`, `team`…), when known. */
  type?: string;
  /** False when the ref points at no entity in the catalog. */
  known: boolean;
  level: number;
  x: number;
  y: number;
  /** Horizontal labels under the node on sparse rings; along the radius on crowded ones. */
  labelMode: 'below' | 'radial';
  /** Degrees, for radial labels. */
  angle: number;
}

export interface LaidOutEdge {
  id: string;
  source: string;
  target: string;
  /** The forward relation name (`ownedBy`), or the raw type for unknown relations. */
  type: string;
  family: FamilyId;
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export interface GraphLayout {
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
  families: FamilyId[];
  kinds: string[];
}

export const NODE_RADIUS = 14;
export const ROOT_RADIUS = 22;
const BELOW_LABEL_MAX = 14; // nodes on a ring before labels turn radial
const BELOW_SPACING = 130; // px of arc per node with horizontal labels
const RADIAL_SPACING = 24; // px of arc per node with radial labels
const RADIAL_LABEL_LENGTH = 170; // room a radial label takes outwards

const BY_TYPE = new Map<string, { family: FamilyId; forward: boolean; forwardType: string }>();
for (const f of RELATION_FAMILIES) {
  BY_TYPE.set(f.forward.toLowerCase(), { family: f.id, forward: true, forwardType: f.forward });
  BY_TYPE.set(f.reverse.toLowerCase(), { family: f.id, forward: false, forwardType: f.forward });
}

export function familyOf(type: string): FamilyId {
  return BY_TYPE.get(type.toLowerCase())?.family ?? 'other';
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function layoutGraph(graph: RelationGraph): GraphLayout {
  const root = graph.root;
  const info = new Map(graph.nodes.map((n) => [n.ref, n]));
  if (!info.has(root)) info.set(root, { ref: root, entity: null });

  // One edge per related pair and family, in its forward direction.
  const edgeMap = new Map<string, { source: string; target: string; type: string; family: FamilyId }>();
  for (const e of graph.edges) {
    if (!info.has(e.source) || !info.has(e.target) || e.source === e.target) continue;
    const known = BY_TYPE.get(e.type.toLowerCase());
    const [source, target] = known && !known.forward ? [e.target, e.source] : [e.source, e.target];
    const type = known?.forwardType ?? e.type;
    const id = `${source}\u0000${type}\u0000${target}`;
    if (!edgeMap.has(id)) edgeMap.set(id, { source, target, type, family: known?.family ?? 'other' });
  }

  // Breadth-first levels over the undirected graph; each node remembers the neighbour it was reached from.
  const adjacency = new Map<string, Array<{ ref: string; family: FamilyId }>>();
  for (const e of edgeMap.values()) {
    (adjacency.get(e.source) ?? adjacency.set(e.source, []).get(e.source)!).push({ ref: e.target, family: e.family });
    (adjacency.get(e.target) ?? adjacency.set(e.target, []).get(e.target)!).push({ ref: e.source, family: e.family });
  }
  const level = new Map<string, number>([[root, 0]]);
  const parent = new Map<string, { ref: string; family: FamilyId }>();
  const queue = [root];
  for (let i = 0; i < queue.length; i++) {
    const ref = queue[i]!;
    for (const next of adjacency.get(ref) ?? []) {
      if (level.has(next.ref)) continue;
      level.set(next.ref, level.get(ref)! + 1);
      parent.set(next.ref, { ref, family: next.family });
      queue.push(next.ref);
    }
  }
  const maxLevel = Math.max(0, ...level.values());
  for (const ref of info.keys()) if (!level.has(ref)) level.set(ref, maxLevel + 1); // unconnected (should not happen)

  const familyOrder = new Map<FamilyId, number>([...RELATION_FAMILIES.map((f, i) => [f.id, i] as const), ['other', 99]]);
  const labelOf = (ref: string) => {
    const entity = info.get(ref)?.entity;
    const name = entity ? entity.metadata.title || entity.metadata.name : (parseEntityRef(ref)?.name ?? ref);
    return name;
  };
  const kindOf = (ref: string) => info.get(ref)?.entity?.kind ?? displayKind(parseEntityRef(ref)?.kind ?? '');

  const rings = new Map<number, string[]>();
  for (const [ref, l] of level) (rings.get(l) ?? rings.set(l, []).get(l)!).push(ref);

  const placed = new Map<string, LaidOutNode>();
  const angleOf = new Map<string, number>();
  let previousRadius = 0;
  let previousRadial = false;
  const levels = [...rings.keys()].sort((a, b) => a - b);
  for (const l of levels) {
    const refs = rings.get(l)!;
    if (l === 0) {
      for (const ref of refs) {
        angleOf.set(ref, -Math.PI / 2);
        placed.set(ref, node(ref, 0, 0, 0, 'below', 0));
      }
      continue;
    }
    // Children next to their parents; within a parent, grouped by relation, then kind, then name.
    refs.sort((a, b) => {
      const pa = parent.get(a);
      const pb = parent.get(b);
      const angleA = pa ? normalizeAngle(angleOf.get(pa.ref) ?? 0) : 0;
      const angleB = pb ? normalizeAngle(angleOf.get(pb.ref) ?? 0) : 0;
      return (
        angleA - angleB ||
        (familyOrder.get(pa?.family ?? 'other') ?? 99) - (familyOrder.get(pb?.family ?? 'other') ?? 99) ||
        kindOf(a).localeCompare(kindOf(b)) ||
        labelOf(a).localeCompare(labelOf(b))
      );
    });
    const radial = refs.length > BELOW_LABEL_MAX;
    const spacing = radial ? RADIAL_SPACING : BELOW_SPACING;
    const gap = l === 1 ? 170 : previousRadial ? RADIAL_LABEL_LENGTH + 70 : 180;
    const radius = Math.max(previousRadius + gap, (refs.length * spacing) / (2 * Math.PI));
    const start = -Math.PI / 2;
    refs.forEach((ref, index) => {
      const angle = start + (2 * Math.PI * index) / refs.length + (refs.length === 2 && l === 1 ? Math.PI / 2 : 0);
      angleOf.set(ref, angle);
      placed.set(ref, node(ref, l, Math.cos(angle) * radius, Math.sin(angle) * radius, radial ? 'radial' : 'below', (angle * 180) / Math.PI));
    });
    previousRadius = radius;
    previousRadial = radial;
  }

  function node(ref: string, l: number, x: number, y: number, labelMode: LaidOutNode['labelMode'], angle: number): LaidOutNode {
    const entity = info.get(ref)?.entity ?? null;
    const kind = kindOf(ref);
    return {
      ref,
      kind,
      kindClass: kindClass(kind),
      label: truncate(labelOf(ref), labelMode === 'radial' ? 26 : 22),
      type: entity?.spec?.type,
      known: entity !== null,
      level: l,
      x,
      y,
      labelMode,
      angle,
    };
  }

  const edges: LaidOutEdge[] = [];
  for (const [id, e] of edgeMap) {
    const a = placed.get(e.source)!;
    const b = placed.get(e.target)!;
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const length = Math.hypot(dx, dy) || 1;
    const startOffset = a.level === 0 ? ROOT_RADIUS : NODE_RADIUS;
    const endOffset = (b.level === 0 ? ROOT_RADIUS : NODE_RADIUS) + 3; // room for the arrowhead
    edges.push({
      id,
      source: e.source,
      target: e.target,
      type: e.type,
      family: e.family,
      x1: a.x + (dx / length) * startOffset,
      y1: a.y + (dy / length) * startOffset,
      x2: b.x - (dx / length) * endOffset,
      y2: b.y - (dy / length) * endOffset,
    });
  }

  const nodes = [...placed.values()];
  const bounds = { minX: -60, minY: -60, maxX: 60, maxY: 60 };
  for (const n of nodes) {
    const reach = n.labelMode === 'radial' ? RADIAL_LABEL_LENGTH : 70;
    bounds.minX = Math.min(bounds.minX, n.x - reach);
    bounds.maxX = Math.max(bounds.maxX, n.x + reach);
    bounds.minY = Math.min(bounds.minY, n.y - (n.labelMode === 'radial' ? reach : 30));
    bounds.maxY = Math.max(bounds.maxY, n.y + (n.labelMode === 'radial' ? reach : 50));
  }
  const families = [...new Set(edges.map((e) => e.family))].sort((a, b) => (familyOrder.get(a) ?? 99) - (familyOrder.get(b) ?? 99));
  const kinds = [...new Set(nodes.map((n) => n.kind))].sort();
  return { nodes, edges, bounds, families, kinds };
}

function normalizeAngle(angle: number): number {
  // Angles start at the top (-π/2); map them to [0, 2π) from there so sorting follows the ring.
  const turn = 2 * Math.PI;
  return (((angle + Math.PI / 2) % turn) + turn) % turn;
}
