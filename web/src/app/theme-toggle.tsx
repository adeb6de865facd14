import { Icon } from '../components/icons.js';
import type { Theme } from './theme.js';

export function ThemeToggle({ theme, onToggle }: { theme: Theme; onToggle: () => void }) {
  const dark = theme === 'dark';
  return (
    <button type="button" className="button button--ghost button--icon" onClick={onToggle} aria-pressed={dark} aria-label="Dark theme" title={dark ? 'Switch to the light theme' : 'Switch to the dark theme'}>
      <Icon name={dark ? 'moon' : 'sun'} />
    </button>
  );
}
