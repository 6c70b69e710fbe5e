import type { ChangeEvent, InputHTMLAttributes, ReactNode } from 'react';

type InputProps = Omit<InputHTMLAttributes<HTMLInputElement>, 'type' | 'role' | 'checked' | 'onChange' | 'children'>;

/**
 * An on/off switch: a checkbox with the switch role, drawn as a toggle (styles.css `.toggle`).
 * `onSwitch` gets the new state; `children`, when given, label it (`.switch`), otherwise give it
 * an `aria-label`.
 */
export function Toggle({
  checked,
  onSwitch,
  children,
  ...rest
}: InputProps & { checked: boolean; onSwitch: (on: boolean) => void; children?: ReactNode }) {
  const input = {
    ...rest,
    type: 'checkbox',
    role: 'switch',
    className: 'toggle',
    'aria-checked': checked,
    checked,
    onChange: (event: ChangeEvent<HTMLInputElement>) => onSwitch(event.target.checked),
  };
  if (children === undefined) return <input {...input} />;
  return (
    <label className="switch">
      <input {...input} />
      {children}
    </label>
  );
}
