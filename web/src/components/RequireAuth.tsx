// Route guards: send signed-out visitors to log in (and back afterwards); keep non-admins out.
import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router';
import { useAuth } from '../auth/AuthContext.tsx';
import { PageTitle } from './PageTitle.tsx';

export function RequireAuth({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const location = useLocation();
  if (!user) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: ReactNode }) {
  const { user, isAdmin } = useAuth();
  if (!user) return <RequireAuth>{children}</RequireAuth>;
  if (!isAdmin) {
    return (
      <section className="page narrow">
        <PageTitle title="Admins only" />
        <p>This part of Evently is for organisers. Your account does not have access.</p>
      </section>
    );
  }
  return <>{children}</>;
}
