import { Fragment, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { LogLine } from '../../api/pipelines.js';
import { parseAnsi } from './ansi.js';

interface LogGroup {
  title: string;
  lines: LogLine[];
  /** The line number of the `::group::` line, for its anchor. */
  line: number;
}

type LogItem = { kind: 'line'; line: LogLine } | { kind: 'group'; group: LogGroup };

/** `::group::title` … `::endgroup::` become collapsible sections; other lines stay as they are. */
function groupLines(lines: LogLine[]): LogItem[] {
  const items: LogItem[] = [];
  let open: LogGroup | undefined;
  for (const line of lines) {
    const start = /^::group::(.*)$/.exec(line.text);
    if (start) {
      open = { title: start[1] ?? '', lines: [], line: line.line };
      items.push({ kind: 'group', group: open });
    } else if (line.text === '::endgroup::') {
      open = undefined;
    } else if (open) {
      open.lines.push(line);
    } else {
      items.push({ kind: 'line', line });
    }
  }
  return items;
}

function highlight(text: string, term: string): ReactNode {
  if (!term) return text;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(term); at >= 0; at = lower.indexOf(term, from)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + term.length)}</mark>);
    from = at + term.length;
  }
  parts.push(text.slice(from));
  return parts;
}

function LogLineView({ line, term, prefix }: { line: LogLine; term: string; prefix: string }) {
  const { segments } = parseAnsi(line.text);
  const level = /^##\[(error|warning)\]|^::(error|warning|notice)/.exec(line.text)?.slice(1).find(Boolean);
  return (
    <div className={`log__line${level ? ` log__line--${level}` : ''}`} id={`${prefix}-L${line.line}`} data-line={line.line}>
      <a className="log__number" href={`#${prefix}-L${line.line}`} aria-label={`Line ${line.line}`}>
        {line.line}
      </a>
      <span className="log__text">
        {segments.map((segment, i) => (
          <span key={i} className={segment.classes.join(' ') || undefined}>
            {highlight(segment.text, term)}
          </span>
        ))}
      </span>
    </div>
  );
}

interface StepSection {
  step: number;
  /** The step's first line: its header (`Run npm test`). */
  title: string;
  items: LogItem[];
  lines: LogLine[];
}

/** Lines by step: set-up lines (step 0) first without a section, then one section per step. */
function sectionsOf(lines: LogLine[]): { setup: LogItem[]; steps: StepSection[] } {
  const byStep = new Map<number, LogLine[]>();
  for (const line of lines) byStep.set(line.step, [...(byStep.get(line.step) ?? []), line]);
  const steps = [...byStep]
    .filter(([step]) => step > 0)
    .map(([step, stepLines]) => ({ step, title: stepLines[0]!.text, lines: stepLines.slice(1), items: groupLines(stepLines.slice(1)) }));
  return { setup: groupLines(byStep.get(0) ?? []), steps };
}

function LogItems({ items, term, prefix, matches }: { items: LogItem[]; term: string; prefix: string; matches: (line: LogLine) => boolean }) {
  return (
    <>
      {items.map((item) =>
        item.kind === 'line' ? (
          matches(item.line) && <LogLineView key={item.line.line} line={item.line} term={term} prefix={prefix} />
        ) : (
          <Fragment key={`g${item.group.line}`}>
            {(!term || item.group.lines.some(matches) || item.group.title.toLowerCase().includes(term)) && (
              <details className="log__group" open={term ? true : undefined}>
                <summary id={`${prefix}-L${item.group.line}`}>{highlight(item.group.title, term)}</summary>
                {item.group.lines.filter(matches).map((line) => (
                  <LogLineView key={line.line} line={line} term={term} prefix={prefix} />
                ))}
              </details>
            )}
          </Fragment>
        ),
      )}
    </>
  );
}

/**
 * A job's log: one open section per step, ANSI colours, collapsible `::group::` sections (closed),
 * line anchors, and a search that keeps only matching lines (opening the groups holding them).
 */
export function LogView({ lines, jobId, live }: { lines: LogLine[]; jobId: number; live: boolean }) {
  const [query, setQuery] = useState('');
  const term = query.trim().toLowerCase();
  const { setup, steps } = useMemo(() => sectionsOf(lines), [lines]);
  const matches = (line: LogLine) => !term || line.text.toLowerCase().includes(term);
  const matchCount = term ? lines.filter(matches).length : 0;
  const prefix = `job-${jobId}`;
  // While live, new lines keep the view at the bottom, unless the reader scrolled up to read.
  const body = useRef<HTMLDivElement>(null);
  const following = useRef(true);
  useEffect(() => {
    if (live && following.current && body.current) body.current.scrollTop = body.current.scrollHeight;
  }, [lines.length, live]);
  const onScroll = () => {
    const element = body.current;
    if (element) following.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40;
  };
  return (
    <div className="log" data-job-id={jobId}>
      <div className="log__toolbar">
        <label className="visually-hidden" htmlFor={`${prefix}-search`}>
          Search the log
        </label>
        <input id={`${prefix}-search`} type="search" placeholder="Search the log" value={query} onChange={(event) => setQuery(event.target.value)} />
        <span className="muted small" aria-live="polite">
          {term ? `${matchCount} matching ${matchCount === 1 ? 'line' : 'lines'}` : `${lines.length} lines`}
          {live ? ' · live' : ''}
        </span>
      </div>
      <div className="log__body" role="log" aria-live={live ? 'polite' : 'off'} aria-label="Job log" ref={body} onScroll={onScroll}>
        {lines.length === 0 && <p className="muted log__empty">{live ? 'Waiting for output…' : 'No output.'}</p>}
        <LogItems items={setup} term={term} prefix={prefix} matches={matches} />
        {steps.map((section) =>
          !term || section.lines.some(matches) || section.title.toLowerCase().includes(term) ? (
            <details key={section.step} className="log__step" open data-step={section.step}>
              <summary>{highlight(section.title, term)}</summary>
              <LogItems items={section.items} term={term} prefix={prefix} matches={matches} />
            </details>
          ) : null,
        )}
      </div>
    </div>
  );
}
