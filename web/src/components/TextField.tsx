// A labelled input: div.field > label + input, with an optional hint the input is described by.
import type { ComponentProps, ReactNode } from 'react';

type TextFieldProps = Omit<ComponentProps<'input'>, 'id' | 'className' | 'children'> & {
  id: string;
  label: string;
  /** Extra class on the wrapper, after "field". */
  className?: string;
  /** Text under the input, linked with aria-describedby (id `${id}-hint`). */
  hint?: string;
  /** Shows the hint as an error. */
  hintError?: boolean;
  /** Rendered after the input, e.g. a <datalist>. */
  children?: ReactNode;
};

export function TextField({ id, label, className, hint, hintError, children, ...input }: TextFieldProps) {
  const hintId = `${id}-hint`;
  return (
    <div className={className ? `field ${className}` : 'field'}>
      <label htmlFor={id}>{label}</label>
      <input id={id} aria-describedby={hint ? hintId : undefined} {...input} />
      {hint && (
        <p id={hintId} className={hintError ? 'hint hint-error' : 'hint'}>
          {hint}
        </p>
      )}
      {children}
    </div>
  );
}
