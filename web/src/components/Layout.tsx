// The page frame: skip link, header with navigation, main landmark and footer.
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { useAuth } from '../auth/AuthContext.tsx';

function Logo() {
  return (
    <svg className="logo-mark" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
      <rect width="32" height="32" rx="8" fill="currentColor" />
      <path d="M9 11h14v3a2 2 0 0 0 0 4v3H9v-3a2 2 0 0 0 0-4z" fill="#fff" />
    </svg>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { user, isAdmin, logout } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [menuOpen, setMenuOpen] = useState(false);
  const shownPath = useRef(location.pathname);

  // After client-side navigation, move focus to the new page's heading (not on first load).
  // Comparing paths, not counting runs, keeps this right when effects run twice (StrictMode).
  useEffect(() => {
    if (shownPath.current === location.pathname) return;
    shownPath.current = location.pathname;
    setMenuOpen(false);
    const frame = requestAnimationFrame(() => {
      document.querySelector<HTMLElement>('[data-page-title]')?.focus({ preventScroll: false });
    });
    return () => cancelAnimationFrame(frame);
  }, [location.pathname]);

  // Leave the page first and sign out once the home page is shown: signing out while still on a
  // signed-in-only page would bounce to /login (navigation renders in a transition, later).
  const [loggingOut, setLoggingOut] = useState(false);
  useEffect(() => {
    if (loggingOut && location.pathname === '/') {
      setLoggingOut(false);
      logout();
    }
  }, [loggingOut, location.pathname, logout]);

  function onLogout() {
    setLoggingOut(true);
    navigate('/');
  }

  const next = encodeURIComponent(`${location.pathname}${location.search}`);
  const onAuthPage = location.pathname === '/login' || location.pathname === '/signup';

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <div className="header-inner">
          <Link to="/" className="brand" aria-label="Evently home">
            <Logo />
            <span>Evently</span>
          </Link>
          <button
            type="button"
            className="menu-toggle"
            aria-expanded={menuOpen}
            aria-controls="site-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            <span className="sr-only">Menu</span>
            <svg viewBox="0 0 24 24" width="24" height="24" aria-hidden="true">
              <path d="M4 7h16M4 12h16M4 17h16" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
            </svg>
          </button>
          <nav id="site-nav" aria-label="Main" className={menuOpen ? 'site-nav open' : 'site-nav'}>
            <ul>
              <li>
                <NavLink to="/" end>
                  Events
                </NavLink>
              </li>
              {user && (
                <li>
                  <NavLink to="/bookings">My bookings</NavLink>
                </li>
              )}
              {isAdmin && (
                <>
                  <li>
                    <NavLink to="/admin" end>
                      Manage events
                    </NavLink>
                  </li>
                  <li>
                    <NavLink to="/admin/analytics">Analytics</NavLink>
                  </li>
                </>
              )}
            </ul>
            <div className="nav-account">
              {user ? (
                <>
                  <span className="nav-user" title={user.email}>
                    {user.name}
                  </span>
                  <button type="button" className="button button-ghost" onClick={onLogout}>
                    Log out
                  </button>
                </>
              ) : (
                <>
                  <Link className="button button-ghost" to={onAuthPage ? '/login' : `/login?next=${next}`}>
                    Log in
                  </Link>
                  <Link className="button" to={onAuthPage ? '/signup' : `/signup?next=${next}`}>
                    Sign up
                  </Link>
                </>
              )}
            </div>
          </nav>
        </div>
      </header>
      <main id="main" className="site-main" tabIndex={-1}>
        {children}
      </main>
      <footer className="site-footer">
        <p>Evently · Tickets for the things you love. Payments run in test mode.</p>
      </footer>
    </div>
  );
}
