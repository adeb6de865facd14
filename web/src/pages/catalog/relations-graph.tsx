import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type MouseEvent, type PointerEvent } from 'react';
import { getRelationGraph } from '../../api/catalog.js';
import { navigate } from '../../app/router.js';
import { useApiData } from '../../app/use-api-data.js';
import { ErrorNotice } from '../../components/error-notice.js';
import { Loading } from '../../components/loading.js';
import { layoutGraph, NODE_RADIUS, RELATION_FAMILIES, ROOT_RADIUS, type FamilyId, type GraphLayout } from './graph-layout.js';
import { displayKind, entityPathOfRef, kindClass } from './refs.js';

const MAX_NODES = 500;
const DEPTHS = [1, 2, 3] as const;
/** Nodes stay in the Tab order only in small graphs; the relations list is the keyboard route through big ones. */
const FOCUSABLE_NODES_MAX = 40;
const EDGE_LABELS_MAX = 12;
const MIN_ZOOM = 0.02;
const MAX_ZOOM = 4;

const FAMILY_LABEL: Record<FamilyId, string> = {
  ...(Object.fromEntries(RELATION_FAMILIES.map((f) => [f.id, f.label])) as Record<Exclude<FamilyId, 'other'>, string>),
  other: 'other relations',
};

/** The relations around an entity as a radial graph, 1–3 hops deep; click a node to open it. */
export function RelationsGraph({ entityRef, relationsKey }: { entityRef: string; relationsKey: string }) {
  const [depth, setDepth] = useState<number>(1);
  const graph = useApiData((signal) => getRelationGraph(entityRef, depth, MAX_NODES, signal), [entityRef, depth, relationsKey]);
  const layout = useMemo(() => (graph.data ? layoutGraph(graph.data) : undefined), [graph.data]);

  return (
    <section className="card graph-card" aria-labelledby="graph-title" aria-busy={graph.loading}>
      <div className="card__header">
        <h2 id="graph-title">
          Relations graph {graph.data && <span className="count">{graph.data.nodes.length}</span>}
        </h2>
        <fieldset className="segmented" aria-describedby="graph-depth-hint">
          <legend>Depth</legend>
          {DEPTHS.map((d) => (
            <label key={d}>
              <input type="radio" name="graph-depth" value={d} checked={depth === d} onChange={() => setDepth(d)} />
              <span>{d}</span>
            </label>
          ))}
        </fieldset>
      </div>
      <p className="visually-hidden" id="graph-depth-hint">
        How many hops of relations to show around this entity.
      </p>
      {graph.error !== undefined && <ErrorNotice error={graph.error} onRetry={graph.reload} />}
      {!layout && graph.loading && (
        <div className="graph-placeholder">
          <Loading label="Drawing the relations…" />
        </div>
      )}
      {layout && (
        <div className={graph.loading ? 'graph-stage graph-stage--stale' : 'graph-stage'}>
          {layout.nodes.length <= 1 ? (
            <p className="graph-empty muted">This entity has no relations yet.</p>
          ) : (
            <GraphCanvas layout={layout} />
          )}
        </div>
      )}
      {graph.data?.truncated && (
        <p className="notice notice--warning small" role="status">
          Only the nearest {graph.data.nodes.length} entities are drawn. Lower the depth to see the closest relations clearly.
        </p>
      )}
      {layout && layout.nodes.length > 1 && <GraphLegend layout={layout} />}
    </section>
  );
}

function GraphLegend({ layout }: { layout: GraphLayout }) {
  return (
    <div className="graph-legend" aria-label="Legend">
      <ul>
        {layout.families.map((family) => (
          <li key={family}>
            <svg width="26" height="10" aria-hidden="true" focusable="false">
              <line x1="1" y1="5" x2="25" y2="5" className={`graph-edge graph-edge--${family}`} />
            </svg>
            {FAMILY_LABEL[family]}
          </li>
        ))}
      </ul>
      <ul>
        {layout.kinds.map((kind) => (
          <li key={kind}>
            <span className={`kind-dot kind-dot--${kindClass(kind)}`} aria-hidden="true" />
            {displayKind(kind)}
          </li>
        ))}
      </ul>
    </div>
  );
}

interface View {
  x: number;
  y: number;
  k: number;
}

/**
 * The drawing. Its nodes and edges are rendered once per layout; panning and zooming only
 * rewrite the transform of one <g> (batched per animation frame), never re-rendering React.
 */
const GraphCanvas = memo(function GraphCanvas({ layout }: { layout: GraphLayout }) {
  const svgRef = useRef<SVGSVGElement>(null);
  const sceneRef = useRef<SVGGElement>(null);
  const zoomLabelRef = useRef<HTMLSpanElement>(null);
  const view = useRef<View>({ x: 0, y: 0, k: 1 });
  const frame = useRef(0);
  const drag = useRef<{ id: number; startX: number; startY: number; x0: number; y0: number; moved: boolean } | null>(null);
  const suppressClick = useRef(false);

  const render = useCallback(() => {
    const { x, y, k } = view.current;
    sceneRef.current?.setAttribute('transform', `translate(${x.toFixed(2)} ${y.toFixed(2)}) scale(${k.toFixed(4)})`);
    if (zoomLabelRef.current) zoomLabelRef.current.textContent = `${Math.round(k * 100)}%`;
  }, []);
  const schedule = useCallback(() => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      render();
    });
  }, [render]);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);

  const size = () => {
    const rect = svgRef.current?.getBoundingClientRect();
    return { width: rect?.width || 800, height: rect?.height || 480 };
  };

  const fit = useCallback(() => {
    const { width, height } = size();
    const { minX, minY, maxX, maxY } = layout.bounds;
    const k = Math.min(1.4, Math.max(MIN_ZOOM, Math.min(width / (maxX - minX), height / (maxY - minY)) * 0.95));
    view.current = { k, x: width / 2 - ((minX + maxX) / 2) * k, y: height / 2 - ((minY + maxY) / 2) * k };
    render();
  }, [layout, render]);
  useLayoutEffect(() => fit(), [fit]);

  const zoomAt = useCallback(
    (px: number, py: number, factor: number) => {
      const { x, y, k } = view.current;
      const next = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, k * factor));
      view.current = { k: next, x: px - ((px - x) * next) / k, y: py - ((py - y) * next) / k };
      schedule();
    },
    [schedule],
  );
  const zoomCentre = (factor: number) => {
    const { width, height } = size();
    zoomAt(width / 2, height / 2, factor);
  };
  const pan = (dx: number, dy: number) => {
    view.current = { ...view.current, x: view.current.x + dx, y: view.current.y + dy };
    schedule();
  };

  // Wheel zoom needs a non-passive listener to keep the page from scrolling meanwhile.
  useEffect(() => {
    const svg = svgRef.current;
    if (!svg) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = svg.getBoundingClientRect();
      const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
      zoomAt(event.clientX - rect.left, event.clientY - rect.top, Math.exp(-delta * 0.0015));
    };
    svg.addEventListener('wheel', onWheel, { passive: false });
    return () => svg.removeEventListener('wheel', onWheel);
  }, [zoomAt]);

  const onPointerDown = (event: PointerEvent<SVGSVGElement>) => {
    if (event.button !== 0) return;
    drag.current = { id: event.pointerId, startX: event.clientX, startY: event.clientY, x0: view.current.x, y0: view.current.y, moved: false };
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d || d.id !== event.pointerId) return;
    const dx = event.clientX - d.startX;
    const dy = event.clientY - d.startY;
    if (!d.moved) {
      if (Math.hypot(dx, dy) < 4) return;
      d.moved = true;
      event.currentTarget.setPointerCapture(event.pointerId);
      event.currentTarget.classList.add('graph--panning');
    }
    view.current = { ...view.current, x: d.x0 + dx, y: d.y0 + dy };
    schedule();
  };
  const endDrag = (event: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d || d.id !== event.pointerId) return;
    if (d.moved) {
      suppressClick.current = true;
      window.setTimeout(() => (suppressClick.current = false), 0);
    }
    event.currentTarget.classList.remove('graph--panning');
    drag.current = null;
  };

  // One click handler for every node: plain left clicks navigate in-app, others stay native (new tab).
  const onClick = (event: MouseEvent<SVGSVGElement>) => {
    if (suppressClick.current) {
      event.preventDefault();
      suppressClick.current = false;
      return;
    }
    const link = (event.target as Element).closest?.('a[data-ref]');
    if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const path = link.getAttribute('href');
    if (!path) return;
    event.preventDefault();
    navigate(path);
  };

  const onKeyDown = (event: KeyboardEvent<SVGSVGElement>) => {
    const step = event.shiftKey ? 200 : 60;
    const keys: Record<string, () => void> = {
      ArrowLeft: () => pan(step, 0),
      ArrowRight: () => pan(-step, 0),
      ArrowUp: () => pan(0, step),
      ArrowDown: () => pan(0, -step),
      '+': () => zoomCentre(1.25),
      '=': () => zoomCentre(1.25),
      '-': () => zoomCentre(0.8),
      _: () => zoomCentre(0.8),
      '0': fit,
    };
    const action = keys[event.key];
    if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
    event.preventDefault();
    action();
  };

  const scene = useMemo(() => <GraphScene layout={layout} />, [layout]);

  return (
    <div className="graph">
      <div className="graph__controls" role="toolbar" aria-label="Graph view">
        <button type="button" className="button button--small button--icon-small" onClick={() => zoomCentre(1.25)} aria-label="Zoom in" title="Zoom in (+)">
          +
        </button>
        <span className="graph__zoom muted small" ref={zoomLabelRef} aria-hidden="true">
          100%
        </span>
        <button type="button" className="button button--small button--icon-small" onClick={() => zoomCentre(0.8)} aria-label="Zoom out" title="Zoom out (−)">
          −
        </button>
        <button type="button" className="button button--small" onClick={fit} title="Fit the graph (0)">
          Fit
        </button>
      </div>
      <svg
        ref={svgRef}
        className="graph__svg"
        role="group"
        aria-label={`Relations graph: ${layout.nodes.length} entities, ${layout.edges.length} relations`}
        aria-describedby="graph-keys"
        tabIndex={0}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
        onClickCapture={onClick}
        onKeyDown={onKeyDown}
        data-testid="relations-graph"
      >
        <defs>
          {[...RELATION_FAMILIES.map((f) => f.id), 'other'].map((family) => (
            <marker key={family} id={`graph-arrow-${family}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse" markerUnits="userSpaceOnUse">
              <path d="M0,0 L10,5 L0,10 z" className={`graph-arrow graph-arrow--${family}`} />
            </marker>
          ))}
        </defs>
        <g ref={sceneRef}>{scene}</g>
      </svg>
      <p className="graph__hint muted small" id="graph-keys">
        Drag or use the arrow keys to pan, scroll or <kbd>+</kbd> <kbd>−</kbd> to zoom, <kbd>0</kbd> to fit. Click an entity to open it.
      </p>
    </div>
  );
});

/** The static drawing: edges under nodes. Rendered once per layout. */
function GraphScene({ layout }: { layout: GraphLayout }) {
  const focusable = layout.nodes.length <= FOCUSABLE_NODES_MAX;
  const edgeLabels = layout.edges.length <= EDGE_LABELS_MAX;
  return (
    <>
      <g className="graph__edges">
        {layout.edges.map((e) => (
          <g key={e.id}>
            <line className={`graph-edge graph-edge--${e.family}`} x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2} markerEnd={`url(#graph-arrow-${e.family})`} data-type={e.type}>
              <title>{`${e.source} ${e.type} ${e.target}`}</title>
            </line>
            {edgeLabels && (
              <text className="graph-edge__label" x={(e.x1 + e.x2) / 2} y={(e.y1 + e.y2) / 2} dy="-0.4em" textAnchor="middle">
                {e.type}
              </text>
            )}
          </g>
        ))}
      </g>
      <g className="graph__nodes">
        {layout.nodes.map((n) => {
          const root = n.level === 0;
          const r = root ? ROOT_RADIUS : NODE_RADIUS;
          const flip = n.labelMode === 'radial' && Math.cos((n.angle * Math.PI) / 180) < 0;
          const path = entityPathOfRef(n.ref) ?? '#';
          return (
            <a
              key={n.ref}
              href={path}
              data-ref={n.ref}
              className={`graph-node graph-node--${n.kindClass}${root ? ' graph-node--root' : ''}${n.known ? '' : ' graph-node--missing'}`}
              tabIndex={focusable ? 0 : -1}
              aria-label={`${displayKind(n.kind)} ${n.label}${root ? ' (this entity)' : ''}`}
            >
              <g transform={`translate(${n.x.toFixed(1)} ${n.y.toFixed(1)})`}>
              <title>{`${displayKind(n.kind)} ${n.ref}${n.type ? ` (${n.type})` : ''}${n.known ? '' : ' — not in the catalog'}`}</title>
              <circle r={r} />
              <text className="graph-node__glyph" dy="0.35em" textAnchor="middle" aria-hidden="true">
                {displayKind(n.kind).slice(0, 1)}
              </text>
              {n.labelMode === 'below' ? (
                <text className="graph-node__label" y={r + 15} textAnchor="middle">
                  {n.label}
                </text>
              ) : (
                <text className="graph-node__label" transform={`rotate(${flip ? n.angle + 180 : n.angle})`} x={flip ? -(r + 6) : r + 6} dy="0.35em" textAnchor={flip ? 'end' : 'start'}>
                  {n.label}
                </text>
              )}
              </g>
            </a>
          );
        })}
      </g>
    </>
  );
}
