// The signed-in session, kept in localStorage so it survives reloads and is shared between tabs.
import type { TokenPair, User } from '../api/types.ts';

export interface Session extends TokenPair {
  user: User;
}

const STORAGE_KEY = 'evently.session';

type Listener = () => void;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (!parsed.accessToken || !parsed.refreshToken || !parsed.user) return null;
    return parsed as Session;
  } catch {
    return null;
  }
}

let current: Session | null = read();

function notify(): void {
  for (const listener of listeners) listener();
}

export function getSession(): Session | null {
  return current;
}

/** Re-reads storage: another tab may have rotated the tokens since this one last looked. */
export function reloadSession(): Session | null {
  current = read();
  return current;
}

export function setSession(session: Session): void {
  current = session;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  } catch {
    // Storage can be full or disabled (private mode); the session then lasts for this page only.
  }
  notify();
}

export function updateTokens(pair: TokenPair): void {
  if (!current) return;
  setSession({ ...current, accessToken: pair.accessToken, refreshToken: pair.refreshToken });
}

export function updateUser(user: User): void {
  if (!current) return;
  setSession({ ...current, user });
}

export function clearSession(): void {
  current = null;
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing to clean up when storage is unavailable.
  }
  notify();
}

export function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

if (typeof window !== 'undefined') {
  window.addEventListener('storage', (event) => {
    if (event.key !== STORAGE_KEY && event.key !== null) return;
    current = read();
    notify();
  });
}
