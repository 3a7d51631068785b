// Fetch wrapper for /api/v1: JSON in and out, bearer auth with one refresh-and-retry on a 401,
// and every failure turned into an ApiError carrying the contract's error code.
import { clearSession, getSession, reloadSession, updateTokens } from '../auth/session.ts';
import type { TokenPair } from './types.ts';

export const API_BASE = '/api/v1';

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: unknown;
  readonly retryAfterSeconds: number | null;

  constructor(
    code: string,
    message: string,
    status: number,
    details?: unknown,
    retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Send the bearer token (and refresh it on a 401). */
  auth?: boolean;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

function retryAfter(response: Response): number | null {
  const header = response.headers.get('Retry-After');
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

async function toApiError(response: Response): Promise<ApiError> {
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON (a proxy page, an empty body): fall back to the status below.
  }
  const error = (payload as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  if (error && typeof error.code === 'string') {
    return new ApiError(
      error.code,
      typeof error.message === 'string' ? error.message : error.code,
      response.status,
      error.details,
      retryAfter(response),
    );
  }
  return new ApiError(
    `HTTP_${response.status}`,
    response.statusText || 'Request failed',
    response.status,
    undefined,
    retryAfter(response),
  );
}

async function send(path: string, options: RequestOptions, accessToken: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  const init: RequestInit = { method: options.method ?? 'GET', headers, signal: options.signal ?? null };
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  try {
    return await fetch(`${API_BASE}${path}`, init);
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw new ApiError('NETWORK_ERROR', 'Network request failed', 0);
  }
}

let serverOffsetMs = 0;

/**
 * The server's clock, estimated from the Date header of the latest response, so hold countdowns
 * stay right on a device whose clock is off. The header has one-second resolution, so small
 * offsets are ignored rather than adding jitter.
 */
export function serverNow(): number {
  return Date.now() + serverOffsetMs;
}

function trackServerClock(response: Response): void {
  const header = response.headers.get('Date');
  if (!header) return;
  const serverTime = Date.parse(header);
  if (Number.isNaN(serverTime)) return;
  const offset = serverTime + 500 - Date.now();
  serverOffsetMs = Math.abs(offset) > 2000 ? offset : 0;
}

let refreshInFlight: Promise<boolean> | null = null;

async function doRefresh(usedAccessToken: string): Promise<boolean> {
  // Another tab (or an earlier call in this one) may already have rotated the pair.
  const latest = reloadSession();
  if (!latest) return false;
  if (latest.accessToken !== usedAccessToken) return true;
  let response: Response;
  try {
    response = await fetch(`${API_BASE}/auth/refresh`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ refreshToken: latest.refreshToken }),
    });
  } catch {
    throw new ApiError('NETWORK_ERROR', 'Network request failed', 0);
  }
  if (!response.ok) {
    // A 429 or 503 says nothing about the refresh token itself: keep the session for a retry.
    if (response.status === 429 || response.status >= 500) throw await toApiError(response);
    clearSession();
    return false;
  }
  const pair = (await response.json()) as TokenPair;
  updateTokens(pair);
  return true;
}

/**
 * Refresh tokens rotate, so two concurrent refreshes with the same token would log the user out.
 * One refresh runs at a time per tab, and across tabs via the Web Locks API where it exists.
 */
function refreshSession(usedAccessToken: string): Promise<boolean> {
  if (!refreshInFlight) {
    const run = () => doRefresh(usedAccessToken);
    const locked =
      typeof navigator !== 'undefined' && navigator.locks
        ? navigator.locks.request('evently-token-refresh', run).then((refreshed) => refreshed)
        : run();
    refreshInFlight = locked.finally(() => {
      refreshInFlight = null;
    });
  }
  return refreshInFlight;
}

export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  let token = options.auth ? (getSession()?.accessToken ?? null) : null;
  if (options.auth && !token) throw new ApiError('UNAUTHENTICATED', 'Not signed in', 401);
  let response = await send(path, options, token);
  if (response.status === 401 && options.auth && token) {
    const refreshed = await refreshSession(token);
    if (!refreshed) throw new ApiError('SESSION_EXPIRED', 'Session expired', 401);
    token = getSession()?.accessToken ?? null;
    response = await send(path, options, token);
    if (response.status === 401) {
      clearSession();
      throw new ApiError('SESSION_EXPIRED', 'Session expired', 401);
    }
  }
  trackServerClock(response);
  if (!response.ok) throw await toApiError(response);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

/** Builds a query string from the set values only. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
