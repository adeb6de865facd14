import type { FieldSchema } from '../../api/scaffolder.js';
import { EntityPicker, RepoUrlPicker } from './pickers.js';
import { labelOf, orderedProperties, typeOf, type FieldErrors, type FormValues } from './form-values.js';

export const fieldId = (path: string) => `field-${path.replace(/[^A-Za-z0-9_-]/g, '-')}`;

interface FieldProps {
  path: string;
  name: string;
  schema: FieldSchema;
  value: unknown;
  required: boolean;
  error?: string;
  errors: FieldErrors;
  onChange: (value: unknown) => void;
}

/** One wizard page: a field per property of the step's JSON Schema. */
export function SchemaForm({ schema, values, errors, onChange, prefix = '' }: { schema: FieldSchema; values: FormValues; errors: FieldErrors; onChange: (values: FormValues) => void; prefix?: string }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {orderedProperties(schema).map(([key, field]) => {
        if (field['ui:widget'] === 'hidden') return null;
        const path = prefix ? `${prefix}.${key}` : key;
        return (
          <SchemaField
            key={path}
            path={path}
            name={key}
            schema={field}
            value={values[key]}
            required={required.has(key)}
            error={errors[path]}
            errors={errors}
            onChange={(value) => onChange({ ...values, [key]: value })}
          />
        );
      })}
    </>
  );
}

function SchemaField(props: FieldProps) {
  const { path, name, schema, value, required, error, onChange } = props;
  const id = fieldId(path);
  const label = labelOf(name, schema);
  const help = schema['ui:help'] ?? schema.description;
  const describedBy = [error ? `${id}-error` : '', help ? `${id}-help` : ''].filter(Boolean).join(' ') || undefined;
  const type = typeOf(schema);
  const uiField = schema['ui:field'];
  const common = { id, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy, 'aria-required': required || undefined, 'data-autofocus': schema['ui:autofocus'] === true ? true : undefined };

  if (type === 'object' && schema.properties && !uiField) {
    return (
      <fieldset className="schema-object">
        <legend>{label}</legend>
        {help && <p className="field__hint">{help}</p>}
        <SchemaForm schema={schema} values={(value as FormValues | undefined) ?? {}} errors={props.errors} onChange={onChange} prefix={path} />
      </fieldset>
    );
  }

  if (uiField === 'RepoUrlPicker')
    return (
      <fieldset className="field schema-choices">
        <legend>
          {label}
          {required && <span className="required"> *</span>}
        </legend>
        <RepoUrlPicker {...common} value={typeof value === 'string' ? value : ''} onChange={onChange} />
        <Notes id={id} help={help} error={error} />
      </fieldset>
    );

  let control;
  if (uiField === 'EntityPicker' || uiField === 'OwnerPicker' || uiField === 'OwnedEntityPicker')
    control = <EntityPicker {...common} value={typeof value === 'string' ? value : ''} onChange={onChange} options={schema['ui:options']} defaultKinds={uiField === 'OwnerPicker' ? ['Group', 'User'] : []} placeholder={schema['ui:placeholder']} />;
  else if (type === 'boolean')
    return (
      <div className="field field--checkbox">
        <label className="checkbox">
          <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.target.checked)} /> {label}
        </label>
        <Notes id={id} help={help} error={error} />
      </div>
    );
  else if (schema.enum)
    control = (
      <select {...common} value={value === undefined ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? undefined : schema.enum!.find((v) => String(v) === e.target.value))}>
        <option value="">{schema['ui:placeholder'] ?? 'Choose…'}</option>
        {schema.enum.map((option, i) => (
          <option key={String(option)} value={String(option)}>
            {schema.enumNames?.[i] ?? String(option)}
          </option>
        ))}
      </select>
    );
  else if (type === 'array' && schema.items?.enum)
    return (
      <fieldset className="field schema-choices" aria-describedby={describedBy}>
        <legend>
          {label}
          {required && <span className="required"> *</span>}
        </legend>
        {schema.items.enum.map((option, i) => {
          const chosen = Array.isArray(value) && value.includes(option);
          return (
            <label key={String(option)} className="checkbox">
              <input
                type="checkbox"
                id={i === 0 ? id : undefined}
                checked={chosen}
                onChange={() => onChange(chosen ? (value as unknown[]).filter((v) => v !== option) : [...((value as unknown[] | undefined) ?? []), option])}
              />{' '}
              {schema.items!.enumNames?.[i] ?? String(option)}
            </label>
          );
        })}
        <Notes id={id} help={help} error={error} />
      </fieldset>
    );
  else if (type === 'array') control = <StringList {...common} value={Array.isArray(value) ? (value as string[]) : []} onChange={onChange} label={label} />;
  else if (type === 'number' || type === 'integer')
    control = (
      <input
        type="number"
        {...common}
        step={type === 'integer' ? 1 : 'any'}
        min={schema.minimum}
        max={schema.maximum}
        placeholder={schema['ui:placeholder']}
        value={value === undefined || value === null ? '' : String(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
      />
    );
  else if (schema['ui:widget'] === 'textarea')
    control = <textarea {...common} rows={Number(schema['ui:options']?.rows ?? 5)} placeholder={schema['ui:placeholder']} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value)} />;
  else
    control = (
      <input
        type={schema['ui:widget'] === 'password' ? 'password' : schema.format === 'email' ? 'email' : 'text'}
        {...common}
        placeholder={schema['ui:placeholder']}
        autoComplete={schema['ui:widget'] === 'password' ? 'new-password' : 'off'}
        spellCheck={false}
        value={typeof value === 'string' ? value : value === undefined ? '' : String(value)}
        onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
      />
    );

  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && <span className="required"> *</span>}
      </label>
      {control}
      <Notes id={id} help={help} error={error} />
    </div>
  );
}

function Notes({ id, help, error }: { id: string; help?: string; error?: string }) {
  return (
    <>
      {error && (
        <p className="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
      {help && (
        <p className="field__hint" id={`${id}-help`}>
          {help}
        </p>
      )}
    </>
  );
}

/** An array of strings: one input per entry, add and remove buttons. */
function StringList({ value, onChange, label, id, ...rest }: { value: string[]; onChange: (value: unknown) => void; label: string; id: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) {
  const set = (i: number, text: string) => onChange(value.map((v, j) => (j === i ? text : v)));
  return (
    <div className="string-list">
      {value.map((entry, i) => (
        <div className="input-with-button" key={i}>
          <input id={i === 0 ? id : undefined} aria-label={`${label} #${i + 1}`} value={entry} onChange={(e) => set(i, e.target.value)} aria-describedby={rest['aria-describedby']} aria-invalid={rest['aria-invalid']} />
          <button type="button" className="button button--small" onClick={() => onChange(value.filter((_, j) => j !== i))} aria-label={`Remove ${label} #${i + 1}`}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="button button--small" id={value.length === 0 ? id : undefined} onClick={() => onChange([...value, ''])}>
        Add {value.length === 0 ? label.toLowerCase() : 'another'}
      </button>
    </div>
  );
}
