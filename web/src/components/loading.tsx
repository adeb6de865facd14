import { useEffect, useState } from 'react';

/**
 * A spinner with a label, announced politely. It appears only after `delayMs`, so fast loads
 * do not flash a spinner.
 */
export function Loading({ label = 'Loading…', delayMs = 150, fullPage = false }: { label?: string; delayMs?: number; fullPage?: boolean }) {
  const [visible, setVisible] = useState(delayMs === 0);
  useEffect(() => {
    if (delayMs === 0) return;
    const timer = window.setTimeout(() => setVisible(true), delayMs);
    return () => window.clearTimeout(timer);
  }, [delayMs]);
  return (
    <div className={fullPage ? 'loading loading--full' : 'loading'} role="status" aria-live="polite">
      {visible && (
        <>
          <span className="spinner" aria-hidden="true" />
          <span>{label}</span>
        </>
      )}
    </div>
  );
}
