// Log in and sign up. Both return the visitor to where they came from (?next=).
import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { useAuth } from '../auth/AuthContext.tsx';
import { PageTitle } from '../components/PageTitle.tsx';
import { ErrorMessage } from '../components/Status.tsx';
import { TextField } from '../components/TextField.tsx';

/** Only same-site paths, so ?next= cannot send someone to another origin. */
function safeNext(value: string | null): string {
  if (!value?.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  return value;
}

/** Sign-in or sign-up link that keeps ?next= when there is one. */
const withNext = (path: string, next: string) =>
  next !== '/' ? `${path}?next=${encodeURIComponent(next)}` : path;

/**
 * What both forms share: where to return afterwards, and the busy and error state of a submit
 * that signs the visitor in and then goes there.
 */
function useAuthForm() {
  const { user } = useAuth();
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const next = safeNext(params.get('next'));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function submit(signIn: () => Promise<unknown>) {
    setBusy(true);
    setError(null);
    try {
      await signIn();
      navigate(next, { replace: true });
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return { alreadySignedIn: Boolean(user) && !busy, next, busy, error, submit };
}

export function LoginPage() {
  const { login } = useAuth();
  const { alreadySignedIn, next, busy, error, submit } = useAuthForm();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  if (alreadySignedIn) return <Navigate to={next} replace />;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    void submit(() => login(email.trim(), password));
  }

  return (
    <section className="page auth-page">
      <div className="card auth-card">
        <PageTitle title="Log in" />
        <p className="muted">Welcome back. Log in to book tickets and see your bookings.</p>
        <form onSubmit={onSubmit} className="stack" noValidate={false}>
          <TextField
            id="login-email"
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            id="login-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
          <ErrorMessage error={error} />
          <button type="submit" className="button button-block button-large" disabled={busy} aria-busy={busy}>
            {busy ? 'Logging in…' : 'Log in'}
          </button>
        </form>
        <p className="auth-switch">
          New to Evently? <Link to={withNext('/signup', next)}>Create an account</Link>
        </p>
      </div>
    </section>
  );
}

export function SignupPage() {
  const { register } = useAuth();
  const { alreadySignedIn, next, busy, error, submit } = useAuthForm();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [passwordTouched, setPasswordTouched] = useState(false);
  const passwordTooShort = password.length > 0 && password.length < 8;

  if (alreadySignedIn) return <Navigate to={next} replace />;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setPasswordTouched(true);
    if (password.length < 8) return;
    void submit(() => register(name.trim(), email.trim(), password));
  }

  return (
    <section className="page auth-page">
      <div className="card auth-card">
        <PageTitle title="Create your account" />
        <p className="muted">It takes a few seconds. Then reserve tickets right away.</p>
        <form onSubmit={onSubmit} className="stack">
          <TextField
            id="signup-name"
            label="Name"
            autoComplete="name"
            required
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
          <TextField
            id="signup-email"
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
          <TextField
            id="signup-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            hint="At least 8 characters."
            hintError={passwordTouched && passwordTooShort}
            aria-invalid={passwordTouched && passwordTooShort}
            value={password}
            onBlur={() => setPasswordTouched(true)}
            onChange={(e) => setPassword(e.target.value)}
          />
          <ErrorMessage error={error} />
          <button type="submit" className="button button-block button-large" disabled={busy} aria-busy={busy}>
            {busy ? 'Creating account…' : 'Sign up'}
          </button>
        </form>
        <p className="auth-switch">
          Already have an account? <Link to={withNext('/login', next)}>Log in</Link>
        </p>
      </div>
    </section>
  );
}
