// Who is signed in, for every component, backed by the localStorage session.
import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useSyncExternalStore,
} from 'react';
import { ApiError } from '../api/client.ts';
import { auth } from '../api/endpoints.ts';
import type { AuthResponse, User } from '../api/types.ts';
import { clearSession, getSession, setSession, subscribe, updateUser } from './session.ts';

interface AuthValue {
  user: User | null;
  isAdmin: boolean;
  login: (email: string, password: string) => Promise<User>;
  register: (name: string, email: string, password: string) => Promise<User>;
  logout: () => void;
}

const AuthContext = createContext<AuthValue | null>(null);

function store(response: AuthResponse): User {
  setSession({ user: response.user, accessToken: response.accessToken, refreshToken: response.refreshToken });
  return response.user;
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const session = useSyncExternalStore(subscribe, getSession, () => null);
  const user = session?.user ?? null;

  // Refresh the stored profile once per load: a role may have changed since the last visit.
  useEffect(() => {
    if (!getSession()) return;
    const controller = new AbortController();
    auth
      .me(controller.signal)
      .then(({ user: fresh }) => updateUser(fresh))
      .catch((error: unknown) => {
        // A failed refresh already cleared the session; other failures keep it for later.
        if (error instanceof ApiError && error.code === 'SESSION_EXPIRED') clearSession();
      });
    return () => controller.abort();
  }, []);

  const login = useCallback(
    async (email: string, password: string) => store(await auth.login({ email, password })),
    [],
  );
  const register = useCallback(
    async (name: string, email: string, password: string) =>
      store(await auth.register({ name, email, password })),
    [],
  );
  const logout = useCallback(() => clearSession(), []);

  const value = useMemo<AuthValue>(
    () => ({ user, isAdmin: user?.role === 'admin', login, register, logout }),
    [user, login, register, logout],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}
