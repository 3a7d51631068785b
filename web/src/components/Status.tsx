// Shared loading, empty and error states.
import type { ReactNode } from 'react';
import { describeError } from '../api/errors.ts';

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

export function ErrorMessage({ error, action }: { error: unknown; action?: ReactNode }) {
  if (!error) return null;
  const { message, items } = describeError(error);
  return (
    <div className="notice notice-error" role="alert">
      <p>{message}</p>
      {items.length > 0 && (
        <ul>
          {items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
      )}
      {action && <div className="notice-action">{action}</div>}
    </div>
  );
}

export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <svg aria-hidden="true" viewBox="0 0 48 48" width="48" height="48">
        <path
          d="M8 14h32v7a3 3 0 0 0 0 6v7H8v-7a3 3 0 0 0 0-6z"
          fill="none"
          stroke="currentColor"
          strokeWidth="2.5"
          strokeLinejoin="round"
        />
        <path d="M30 14v20" stroke="currentColor" strokeWidth="2.5" strokeDasharray="3 3" />
      </svg>
      <h2>{title}</h2>
      {children}
    </div>
  );
}

/** An error with a "Try again" button, for a failed load the visitor can repeat. */
export function RetryableError({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  return (
    <ErrorMessage
      error={error}
      action={
        <button type="button" className="button button-secondary" onClick={onRetry}>
          Try again
        </button>
      }
    />
  );
}
