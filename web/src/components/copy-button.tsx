import { useEffect, useState } from 'react';

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain http on a remote host) or permission refused: the old way.
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    const copied = document.execCommand('copy');
    area.remove();
    return copied;
  }
}

/** Copies `text` and says so for two seconds (to screen readers too). */
export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [result, setResult] = useState<'copied' | 'failed' | undefined>();
  useEffect(() => {
    if (!result) return;
    const timer = window.setTimeout(() => setResult(undefined), 2000);
    return () => window.clearTimeout(timer);
  }, [result]);
  return (
    <button type="button" className="button" onClick={async () => setResult((await copyText(text)) ? 'copied' : 'failed')}>
      <span aria-live="polite">{result === 'copied' ? 'Copied' : result === 'failed' ? 'Copy failed — select and copy' : label}</span>
    </button>
  );
}
