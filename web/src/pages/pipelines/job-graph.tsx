import type { KeyboardEvent } from 'react';
import type { PipelineJob } from '../../api/pipelines.js';
import { statusOf } from './run-status.js';

const NODE_WIDTH = 190;
const NODE_HEIGHT = 44;
const COLUMN_GAP = 60;
const ROW_GAP = 16;

interface GraphNode {
  key: string;
  jobs: PipelineJob[];
  needs: string[];
  column: number;
  row: number;
}

/** Jobs grouped by their workflow id (matrix legs together), placed in columns by depth in the needs DAG. */
export function layoutJobGraph(jobs: PipelineJob[]): GraphNode[] {
  const byKey = new Map<string, PipelineJob[]>();
  for (const job of jobs) byKey.set(job.key, [...(byKey.get(job.key) ?? []), job]);
  const depth = new Map<string, number>();
  const depthOf = (key: string, seen = new Set<string>()): number => {
    if (depth.has(key)) return depth.get(key)!;
    if (seen.has(key)) return 0;
    seen.add(key);
    const needs = byKey.get(key)?.[0]?.needs ?? [];
    const value = needs.length ? 1 + Math.max(...needs.filter((n) => byKey.has(n)).map((n) => depthOf(n, seen)), -1) : 0;
    depth.set(key, value);
    return value;
  };
  const rows = new Map<number, number>();
  return [...byKey].map(([key, legs]) => {
    const column = depthOf(key);
    const row = rows.get(column) ?? 0;
    rows.set(column, row + 1);
    return { key, jobs: legs, needs: legs[0]?.needs ?? [], column, row };
  });
}

function groupStatus(jobs: PipelineJob[]): string {
  const statuses = jobs.map(statusOf);
  for (const status of ['failure', 'in_progress', 'cancelled', 'queued', 'waiting', 'pending', 'skipped']) if (statuses.includes(status)) return status;
  return statuses[0] ?? 'pending';
}

/** The needs DAG of a run: one node per job (matrix legs counted), edges from each need; click or Enter selects. */
export function JobGraph({ jobs, selected, onSelect }: { jobs: PipelineJob[]; selected?: number; onSelect(jobId: number): void }) {
  const nodes = layoutJobGraph(jobs);
  const position = new Map(nodes.map((n) => [n.key, { x: n.column * (NODE_WIDTH + COLUMN_GAP), y: n.row * (NODE_HEIGHT + ROW_GAP) }]));
  const width = Math.max(...nodes.map((n) => n.column + 1), 1) * (NODE_WIDTH + COLUMN_GAP) - COLUMN_GAP + 2;
  const height = Math.max(...nodes.map((n) => n.row + 1), 1) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP + 2;
  const select = (node: GraphNode) => onSelect((node.jobs.find((j) => j.conclusion === 'failure') ?? node.jobs[0]!).id);
  return (
    <svg className="job-graph" width={width} height={height} viewBox={`-1 -1 ${width} ${height}`} role="group" aria-label="Jobs and what they need">
      {nodes.flatMap((node) =>
        node.needs
          .filter((need) => position.has(need))
          .map((need) => {
            const from = position.get(need)!;
            const to = position.get(node.key)!;
            const x1 = from.x + NODE_WIDTH;
            const y1 = from.y + NODE_HEIGHT / 2;
            const x2 = to.x;
            const y2 = to.y + NODE_HEIGHT / 2;
            const mid = (x1 + x2) / 2;
            return <path key={`${need}->${node.key}`} className="job-graph__edge" d={`M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`} />;
          }),
      )}
      {nodes.map((node) => {
        const { x, y } = position.get(node.key)!;
        const status = groupStatus(node.jobs);
        const active = node.jobs.some((j) => j.id === selected);
        const label = node.jobs.length > 1 ? `${node.key} (${node.jobs.length})` : node.jobs[0]!.name;
        return (
          <g
            key={node.key}
            className={`job-graph__node job-graph__node--${status}${active ? ' job-graph__node--selected' : ''}`}
            transform={`translate(${x},${y})`}
            tabIndex={0}
            role="button"
            aria-pressed={active}
            aria-label={`${label}: ${status.replace('_', ' ')}`}
            data-job-key={node.key}
            onClick={() => select(node)}
            onKeyDown={(event: KeyboardEvent) => {
              if (event.key === 'Enter' || event.key === ' ') {
                event.preventDefault();
                select(node);
              }
            }}
          >
            <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx={8} />
            <circle cx={18} cy={NODE_HEIGHT / 2} r={6} className="job-graph__dot" />
            <text x={32} y={NODE_HEIGHT / 2 + 5}>
              {label.length > 22 ? `${label.slice(0, 21)}…` : label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
