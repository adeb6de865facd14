import { useEffect } from 'react';
import { navigate } from './router.js';
import { NAV_ITEMS } from './navigation.js';

const SEQUENCE_TIMEOUT_MS = 1500;

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * Global keys: `g` then an area's key goes there (`g c` → Catalog), `?` opens the shortcut
 * list. Ignored while typing in a field, with a modifier held, or while a dialog is open.
 */
export function useKeyboardShortcuts(onHelp: () => void): void {
  useEffect(() => {
    let pendingG = 0;
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      if (document.querySelector('dialog[open]')) return;
      if (pendingG && Date.now() - pendingG < SEQUENCE_TIMEOUT_MS) {
        pendingG = 0;
        const item = NAV_ITEMS.find((i) => i.key === event.key.toLowerCase());
        if (item) {
          event.preventDefault();
          navigate(item.path);
        }
        return;
      }
      if (event.key === 'g') pendingG = Date.now();
      else if (event.key === '?') {
        event.preventDefault();
        onHelp();
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [onHelp]);
}
