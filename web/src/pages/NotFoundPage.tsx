import { Link } from 'react-router';
import { PageTitle } from '../components/PageTitle.tsx';

export function NotFoundPage() {
  return (
    <section className="page narrow center">
      <PageTitle title="Page not found" />
      <p className="muted">The page you are looking for does not exist or has moved.</p>
      <Link className="button" to="/">
        Browse events
      </Link>
    </section>
  );
}
