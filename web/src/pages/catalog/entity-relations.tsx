import { useState } from 'react';
import type { Entity } from '../../api/types.js';
import { EntityRefLink } from './entity-ref-link.js';
import { RELATION_FAMILIES } from './graph-layout.js';

const SHOWN = 12;
const ORDER = RELATION_FAMILIES.flatMap((f) => [f.forward, f.reverse]);

/** `apiConsumedBy` → "API consumed by". */
export function relationLabel(type: string): string {
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/\bapi\b/gi, 'API');
  return words[0]!.toUpperCase() + words.slice(1).replace(/ ([A-Z])(?=[a-z])/g, (_m, c: string) => ` ${c.toLowerCase()}`);
}

/** The entity's relations, grouped by type, each a link. */
export function RelationsList({ entity }: { entity: Entity }) {
  const byType = new Map<string, string[]>();
  for (const r of entity.relations ?? []) (byType.get(r.type) ?? byType.set(r.type, []).get(r.type)!).push(r.targetRef);
  const types = [...byType.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const total = entity.relations?.length ?? 0;
  return (
    <section className="card" aria-labelledby="relations-title">
      <h2 id="relations-title">
        Relations <span className="count">{total}</span>
      </h2>
      {types.length === 0 ? (
        <p className="muted">No relations. Relations come from fields such as <code>spec.owner</code>, <code>spec.system</code> and <code>spec.dependsOn</code>.</p>
      ) : (
        types.map((type) => <RelationGroup key={type} type={type} refs={byType.get(type)!} />)
      )}
    </section>
  );
}

function rank(type: string): number {
  const index = ORDER.indexOf(type as (typeof ORDER)[number]);
  return index === -1 ? ORDER.length : index;
}

function RelationGroup({ type, refs }: { type: string; refs: string[] }) {
  const [all, setAll] = useState(false);
  const shown = all ? refs : refs.slice(0, SHOWN);
  const id = `relation-${type}`;
  return (
    <div className="relation-group">
      <h3 id={id}>
        {relationLabel(type)} <span className="count">{refs.length}</span>
      </h3>
      <ul className="ref-list" aria-labelledby={id}>
        {shown.map((ref) => (
          <li key={ref}>
            <EntityRefLink entityRef={ref} />
          </li>
        ))}
      </ul>
      {refs.length > SHOWN && (
        <button type="button" className="button button--ghost button--small" onClick={() => setAll(!all)} aria-expanded={all}>
          {all ? 'Show fewer' : `Show all ${refs.length}`}
        </button>
      )}
    </div>
  );
}
