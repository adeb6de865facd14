import { Icon } from './icons.js';

/** A search box as the lists use it: a hidden label, a search icon, the value kept by the caller (usually in the URL). */
export function SearchField({ id, label, placeholder, value, onChange }: { id: string; label: string; placeholder?: string; value: string; onChange: (value: string) => void }) {
  return (
    <div className="catalog__search" role="search">
      <label htmlFor={id} className="visually-hidden">
        {label}
      </label>
      <span className="catalog__search-icon">
        <Icon name="search" size={16} />
      </span>
      <input id={id} type="search" placeholder={placeholder} value={value} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}
